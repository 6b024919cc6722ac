"""Who is asking, and the unit of work, for routes. Pages authenticate with the session cookie
only; the API with a bearer token only. CSRF: a signed double-submit token bound to the browser's
CSRF cookie and to its session.

Reads never wait on writes: a GET's transaction is a read transaction (on SQLite it begins DEFERRED
and so never waits for the write lock a long import holds), finding who is asking is a read, and
noting that a session or token was just used is a separate best-effort write that is skipped when
the database is busy. Every web transaction waits at most `RAIGOV_DB_LOCK_WAIT_SECONDS` for a lock;
then the request is answered 503 with Retry-After (web/errors.py)."""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from raigov.config import Settings
from raigov.db.engine import Database, is_busy
from raigov.errors import AuthenticationFailed, PermissionDenied, ValidationFailed
from raigov.identity import service as identity
from raigov.identity.permissions import Actor, require

log = logging.getLogger("raigov.web")

SESSION_COOKIE = "raigov_session"
CSRF_COOKIE = "raigov_csrf"
CSRF_FIELD = "csrf_token"


def settings_of(request: Request) -> Settings:
    return request.app.state.settings


def db_of(request: Request) -> Database:
    return request.app.state.db


READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
TOUCH_WAIT_SECONDS = 0.1  # noting "last used" is not worth waiting for


@contextmanager
def uow(request: Request, *, read: bool | None = None) -> Iterator[Session]:
    """One transaction: everything a route writes, with its audit events, or nothing. A read
    transaction for GET and HEAD (unless `read` says otherwise)."""
    if read is None:
        read = request.method in READ_METHODS
    with db_of(request).transaction(read=read, lock_wait=settings_of(request).db_lock_wait_seconds) as s:
        yield s


def _touch(request: Request, fn, token: str) -> bool:
    """Best effort: note that a session or token was used, in a transaction of its own that gives up at
    once when another writer holds the database (the request goes on either way). Whether it was noted."""
    try:
        with db_of(request).transaction(read=True, lock_wait=TOUCH_WAIT_SECONDS) as s:
            fn(s, token)
    except OperationalError as exc:
        if not is_busy(exc):
            raise
        log.debug("the database is busy: last use of a session or token not recorded this time")
        return False
    return True


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
        with uow(request, read=True) as s:
            user = identity.resolve_session(s, token, settings_of(request), touch=False)
            if user is not None:
                result = (identity.actor_for(s, user), user.display_name)
        if result is not None:
            _touch(request, identity.touch_session, token)
    request.state.page_actor = result
    return result


def require_page_actor(request: Request) -> Actor:
    found = page_user(request)
    if found is None:
        raise AuthenticationFailed("sign in to continue")
    return found[0]


# ---------------------------------------------------------------- API (bearer token)

# Declares the API's security scheme in the OpenAPI (the Authorize button of /api/docs); it refuses nothing:
# api_actor below reads the header and decides.
bearer = HTTPBearer(auto_error=False, scheme_name="apiToken",
                    description="An API token: `Authorization: Bearer rgv_...` (the Account page, or POST /api/v1/tokens)")


def api_actor(request: Request,
              _declared: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)] = None) -> Actor:
    token = bearer_token(request)
    with uow(request, read=True) as s:
        actor = actor_of_token(s, token)
    note_token_use(request, token)
    return actor


def bearer_token(request: Request) -> str:
    """The API token the request sends (401 when it sends none)."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthenticationFailed("send an API token as `Authorization: Bearer <token>`")
    return token.strip()


def actor_of_token(session: Session, token: str) -> Actor:
    """The actor of an API token, read in `session` (401 when the token is unknown, expired or revoked). A route
    that writes may resolve its caller in its own transaction (the single decision does: one transaction and one
    reading of the audit trail's epoch a request), and then calls ``note_token_use`` after it."""
    actor = identity.resolve_api_actor(session, token)
    if actor is None:
        raise AuthenticationFailed("the API token is unknown, expired or revoked")
    return actor


def note_token_use(request: Request, token: str) -> None:
    """Note the token's use (at most every five minutes per process), outside the request's own transaction."""
    now = time.monotonic()
    if identity.api_token_use_to_note(token, now) and _touch(request, identity.touch_api_token, token):
        identity.api_token_use_noted(token, now)


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


# ---------------------------------------------------------------- NUL characters

NUL = "\x00"
NUL_MESSAGE = "the text contains a NUL character (U+0000), which is not allowed"
FORM_TYPES = ("application/x-www-form-urlencoded", "multipart/form-data")


def _shown(name: str) -> str:
    return name.replace(NUL, "\\u0000")


def nul_path(value, path: str = "") -> str | None:
    """The dotted path (as validation errors name fields: `roles.0.role`) of the first string or key in a
    JSON value that holds a NUL character; "" for the top level; None when there is none."""
    if isinstance(value, str):
        return path if NUL in value else None
    if isinstance(value, dict):
        items = ((str(k), v) for k, v in value.items())
    elif isinstance(value, list):
        items = ((str(i), v) for i, v in enumerate(value))
    else:
        return None
    for key, v in items:
        here = f"{path}.{key}" if path else key
        if NUL in key:
            return _shown(here)
        found = nul_path(v, here)
        if found is not None:
            return found
    return None


async def refuse_nul(request: Request) -> None:
    """No text with a NUL character gets in, from any route (an app-wide dependency, run after routing and
    before the route's own code): PostgreSQL cannot store it in text (a 500 before) and no field needs it.
    422 naming the field: the path parameter, the query parameter, the form field (or an uploaded file's
    name; its bytes may hold anything) or the JSON field's path."""
    for name, value in request.path_params.items():
        if isinstance(value, str) and NUL in value:
            raise ValidationFailed.one(name, NUL_MESSAGE, "nul_character")
    for name, value in request.query_params.multi_items():
        if NUL in name or NUL in value:
            raise ValidationFailed.one(_shown(name), NUL_MESSAGE, "nul_character")
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    ctype = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    if ctype in FORM_TYPES:
        form = await request.form()  # cached: the route reads the same form
        for name, value in form.multi_items():
            if NUL in name:
                raise ValidationFailed.one(_shown(name), NUL_MESSAGE, "nul_character")
            if isinstance(value, str):
                if NUL in value:
                    raise ValidationFailed.one(name, NUL_MESSAGE, "nul_character")
            elif NUL in (getattr(value, "filename", None) or ""):
                raise ValidationFailed.one(name, "the file name contains a NUL character (U+0000)", "nul_character")
    elif not ctype or ctype == "application/json" or ctype.endswith("+json"):
        body = await request.body()  # cached; bounded by the body limit
        if b"\\u0000" not in body:
            return
        try:
            data = json.loads(body)
        except ValueError:
            return  # not JSON: the route says what is wrong with it
        found = nul_path(data)
        if found is not None:
            raise ValidationFailed.one(found or "body", NUL_MESSAGE, "nul_character")

# ---------------------------------------------------------------- permission before the body

def may(action: str):
    """A route dependency (``dependencies=[may("governance.review.decide")]``): a caller who may take ``action``
    nowhere gets 403 before the body is validated (FastAPI resolves dependencies before it reports body
    errors), so a 422 never tells a stranger what would be accepted. The service still decides for the
    object's component."""
    def _may(actor: Annotated[Actor, Depends(api_actor)]) -> None:
        require(actor, action)

    return Depends(_may)
