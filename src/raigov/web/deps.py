"""Who is asking, and the unit of work, for routes. Pages authenticate with the session cookie
only; the API with a bearer token only. CSRF: a signed double-submit token bound to the browser's
CSRF cookie and to its session."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from raigov.config import Settings
from raigov.db.engine import Database
from raigov.errors import AuthenticationFailed, PermissionDenied
from raigov.identity import service as identity
from raigov.identity.permissions import Actor, require

SESSION_COOKIE = "raigov_session"
CSRF_COOKIE = "raigov_csrf"
CSRF_FIELD = "csrf_token"


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def db_of(request: Request) -> Database:
    return request.app.state.db


@contextmanager
def uow(request: Request) -> Iterator[Session]:
    """One transaction: everything a route writes, with its audit events, or nothing."""
    with db_of(request).transaction() as s:
        yield s


def client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


# ---------------------------------------------------------------- pages (cookie)

def page_user(request: Request):
    """The signed-in person as (Actor, display name), or None. Cached on the request."""
    if hasattr(request.state, "page_actor"):
        return request.state.page_actor
    token = request.cookies.get(SESSION_COOKIE)
    result = None
    if token:
        with uow(request) as s:
            user = identity.resolve_session(s, token, settings_of(request))
            if user is not None:
                result = (identity.actor_for(s, user), user.display_name)
    request.state.page_actor = result
    return result


def require_page_actor(request: Request) -> Actor:
    found = page_user(request)
    if found is None:
        raise AuthenticationFailed("sign in to continue")
    return found[0]


# ---------------------------------------------------------------- API (bearer token)

def api_actor(request: Request) -> Actor:
    auth = request.headers.get("authorization", "")
    scheme, _, token = auth.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("send an API token as `Authorization: Bearer <token>`")
    with uow(request) as s:
        user = identity.resolve_api_token(s, token.strip())
        if user is None:
            raise AuthenticationFailed("the API token is unknown, expired or revoked")
        return identity.actor_for(s, user)


def optional_api_actor(request: Request) -> Actor:
    if request.headers.get("authorization"):
        return api_actor(request)
    return Actor.anonymous()


# ---------------------------------------------------------------- CSRF

def csrf_cookie_value(request: Request) -> str:
    """The browser's CSRF cookie value, minting one for this response if it has none."""
    value = request.cookies.get(CSRF_COOKIE) or getattr(request.state, "new_csrf_cookie", None)
    if not value:
        value = secrets.token_urlsafe(32)
        request.state.new_csrf_cookie = value
    return value


def csrf_token(request: Request) -> str:
    binding = request.cookies.get(SESSION_COOKIE, "")
    msg = f"{csrf_cookie_value(request)}|{hashlib.sha256(binding.encode()).hexdigest()}".encode()
    return hmac.new(settings_of(request).secret(), msg, hashlib.sha256).hexdigest()


def check_csrf(request: Request, submitted: str | None) -> None:
    cookie = request.cookies.get(CSRF_COOKIE)
    if not cookie or not submitted or not hmac.compare_digest(submitted, csrf_token(request)):
        raise PermissionDenied("The form's security token is missing or has expired. Reload the page and try again.")


def set_cookie(request: Request, response, name: str, value: str, *, max_age: int | None = None, http_only: bool = True) -> None:
    secure = settings_of(request).secure_cookies or request.url.scheme == "https"
    response.set_cookie(name, value, max_age=max_age, httponly=http_only, secure=secure, samesite="lax", path="/")


# ---------------------------------------------------------------- permission before the body

def may(action: str):
    """A route dependency (``dependencies=[may("review.decide")]``): a caller who may take ``action``
    nowhere gets 403 before the body is validated (FastAPI resolves dependencies before it reports body
    errors), so a 422 never tells a stranger what would be accepted. The service still decides for the
    object's component."""
    def _may(actor: Annotated[Actor, Depends(api_actor)]) -> None:
        require(actor, action)

    return Depends(_may)
