"""The signed-in person's own account: roles, password, personal access tokens."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from raigov.errors import RaigovError
from raigov.identity import service as identity
from raigov.identity.schemas import TokenCreate
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, settings_of, uow
from raigov.web.pages.forms import field_errors
from raigov.web.params import RowId
from raigov.web.templating import render

router = APIRouter(prefix="/account", include_in_schema=False)


def _page(request: Request, actor, extra: dict | None = None, status: int = 200):
    with uow(request) as s:
        user = identity.get_user(s, actor.username)
        out = identity.user_out(user)
        tokens = [identity.token_out(t) for t in identity.list_tokens(s, actor, actor.username)]
    ctx = {"u": out, "tokens": tokens, "errors": {}, "new_token": None, "done": ""}
    ctx.update(extra or {})
    return render(request, "account.html", ctx, status)


@router.get("")
def account(request: Request, done: str = ""):
    actor = require_page_actor(request)
    return _page(request, actor, {"done": done})


@router.post("/tokens")
async def create_token(request: Request):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    try:
        data = TokenCreate(name=form.get("name", ""), expires_in_days=int(form.get("expires_in_days") or 0) or None)
        with uow(request) as s:
            token, _ = identity.create_token(s, actor, actor.username, data.name, settings_of(request), data.expires_in_days)
    except ValueError as exc:
        errs = field_errors(exc) if isinstance(exc, ValidationError) else {"expires_in_days": "enter a whole number of days"}
        return _page(request, actor, {"errors": errs}, 422)
    except RaigovError as exc:
        return _page(request, actor, {"errors": field_errors(exc)}, exc.status)
    return _page(request, actor, {"new_token": token})


@router.post("/tokens/{token_id}/revoke")
async def revoke_token(request: Request, token_id: RowId):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    with uow(request) as s:
        identity.revoke_token(s, actor, token_id)
    return RedirectResponse("/account?done=revoked", status_code=303)


@router.post("/password")
async def change_password(request: Request):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    if form.get("password") != form.get("password_confirm"):
        return _page(request, actor, {"errors": {"password_confirm": "the two passwords differ"}}, 422)
    try:
        with uow(request) as s:
            identity.set_password(s, actor, actor.username, form.get("password", ""), settings_of(request),
                                  current_password=form.get("current_password", ""))
    except RaigovError as exc:
        return _page(request, actor, {"errors": field_errors(exc)}, 422)
    return RedirectResponse("/sign-in?next=/account", status_code=303)
