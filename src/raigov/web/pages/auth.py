"""Sign-in (local password or the agency's OIDC provider) and sign-out."""

from __future__ import annotations

import logging
from urllib.parse import urlparse

from fastapi import APIRouter, Form, Request
from fastapi.responses import RedirectResponse

from raigov.errors import AuthenticationFailed, LockedOut
from raigov.identity import service as identity
from raigov.web.deps import SESSION_COOKIE, check_csrf, client_ip, page_user, set_cookie, settings_of, uow
from raigov.web.templating import render

router = APIRouter(include_in_schema=False)
log = logging.getLogger("raigov.web.auth")


def safe_next(value: str | None) -> str:
    """Only same-site relative paths: never an open redirect."""
    if not value:
        return "/"
    p = urlparse(value)
    if p.scheme or p.netloc or not value.startswith("/") or value.startswith("//") or "\\" in value:
        return "/"
    return value


def _signed_in(request: Request, user, method: str, next_url: str):
    settings = settings_of(request)
    with uow(request) as s:
        user = s.merge(user)
        token = identity.start_session(s, user, settings, ip=client_ip(request), method=method)
    response = RedirectResponse(safe_next(next_url), status_code=303)
    set_cookie(request, response, SESSION_COOKIE, token, max_age=settings.session_lifetime_minutes * 60)
    return response


@router.get("/sign-in")
def sign_in_page(request: Request, next: str = "/"):
    if page_user(request):
        return RedirectResponse(safe_next(next), status_code=303)
    return render(request, "sign_in.html", {"next": safe_next(next), "error": None, "username": ""})


@router.post("/sign-in")
def sign_in(request: Request, username: str = Form(""), password: str = Form(""), next: str = Form("/"),
            csrf_token: str = Form("")):
    check_csrf(request, csrf_token)
    settings = settings_of(request)
    failure = None
    with uow(request) as s:
        try:
            user = identity.authenticate_password(s, username, password, settings, ip=client_ip(request))
        except (AuthenticationFailed, LockedOut) as exc:
            failure = exc  # caught inside the transaction, so that the failed attempt is kept
    if failure is not None:
        status = 429 if isinstance(failure, LockedOut) else 401
        response = render(request, "sign_in.html", {"next": safe_next(next), "error": failure.detail, "username": username},
                          status)
        if getattr(failure, "retry_after", None):
            response.headers["Retry-After"] = str(failure.retry_after)
        return response
    return _signed_in(request, user, "password", next)


@router.post("/sign-out")
def sign_out(request: Request, csrf_token: str = Form("")):
    check_csrf(request, csrf_token)
    with uow(request) as s:
        identity.end_session(s, request.cookies.get(SESSION_COOKIE))
    response = RedirectResponse("/sign-in", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# ---------------------------------------------------------------- OIDC

def oauth_client(request: Request):
    app = request.app
    if getattr(app.state, "oauth", None) is None:
        from authlib.integrations.starlette_client import OAuth

        settings = settings_of(request)
        oauth = OAuth()
        oauth.register(
            "agency",
            client_id=settings.oidc_client_id,
            client_secret=settings.oidc_client_secret,
            server_metadata_url=settings.oidc_issuer.rstrip("/") + "/.well-known/openid-configuration",
            client_kwargs={"scope": settings.oidc_scopes, "code_challenge_method": "S256"},
        )
        app.state.oauth = oauth
    return app.state.oauth.agency


@router.get("/auth/oidc/login")
async def oidc_login(request: Request, next: str = "/"):
    settings = settings_of(request)
    if not settings.oidc_enabled:
        raise AuthenticationFailed("single sign-on is not configured")
    request.session["raigov_next"] = safe_next(next)
    redirect_uri = str(request.url_for("oidc_callback"))
    return await oauth_client(request).authorize_redirect(request, redirect_uri)


@router.get("/auth/oidc/callback", name="oidc_callback")
async def oidc_callback(request: Request):
    settings = settings_of(request)
    if not settings.oidc_enabled:
        raise AuthenticationFailed("single sign-on is not configured")
    from authlib.integrations.base_client.errors import OAuthError

    client = oauth_client(request)
    try:
        token = await client.authorize_access_token(request)
    except OAuthError as exc:
        return render(request, "sign_in.html", {"next": "/", "username": "",
                                                "error": f"Single sign-on failed: {exc.description or exc.error}"}, 401)
    except Exception as exc:  # noqa: BLE001 - a bad signature, claim or answer from the provider
        log.warning("OIDC callback refused: %s: %s", type(exc).__name__, exc)
        return render(request, "sign_in.html", {"next": "/", "username": "",
                                                "error": "Single sign-on failed: "
                                                         "the identity provider's answer could not be verified."}, 401)
    claims = dict(token.get("userinfo") or {})
    issuer = claims.get("iss") or settings.oidc_issuer
    try:
        with uow(request) as s:
            user = identity.oidc_sign_in(s, issuer, claims)
    except AuthenticationFailed as exc:
        return render(request, "sign_in.html", {"next": "/", "username": "", "error": exc.detail}, 401)
    return _signed_in(request, user, "oidc", request.session.pop("raigov_next", "/"))
