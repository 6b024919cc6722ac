"""User administration (role `admin`): accounts and their roles. Administrators approve nothing: a grant of
a deciding role waits on /admin/pending-grants until someone of the CAIO's office confirms it."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from raigov.errors import RaigovError
from raigov.identity import service as identity
from raigov.identity.permissions import can, require
from raigov.identity.roles import DECIDING_ROLES, DEPARTMENT_ONLY, ROLES
from raigov.identity.schemas import RoleGrantIn, UserCreate
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, settings_of, uow
from raigov.web.pages.forms import field_errors
from raigov.web.params import Flag, PageNo, RowId
from raigov.web.templating import render

router = APIRouter(prefix="/admin", include_in_schema=False)
USERS_PAGE = 40  # accounts per page of /admin/users


def _units(request: Request):
    with uow(request) as s:
        return [(u.code, u.name, u.kind) for u in identity.org_units(s)]


@router.get("/users")
def users(request: Request, q: str = "", page: PageNo = 1):
    actor = require_page_actor(request)
    with uow(request) as s:
        rows = [identity.user_out(u) for u in identity.list_users(s, actor)]
    if q:
        ql = q.lower()
        rows = [u for u in rows if ql in u.username or ql in u.display_name.lower() or any(ql in r.role for r in u.roles)]
    pages = max(1, -(-len(rows) // USERS_PAGE))
    page = min(page, pages)
    return render(request, "admin/users.html", {
        "users": rows[(page - 1) * USERS_PAGE:page * USERS_PAGE], "total": len(rows), "page": page, "pages": pages,
        "q": q, "roles": ROLES, "pending": sum(r.status == "pending" for u in rows for r in u.roles)})


def _new_form(request: Request, values: dict, errors: dict, status: int = 200):
    return render(request, "admin/user_new.html", {"values": values, "errors": errors, "roles": ROLES,
                                                   "units": _units(request), "department_only": DEPARTMENT_ONLY,
                                                   "deciding": DECIDING_ROLES}, status)


@router.get("/users/new")
def new_user_form(request: Request):
    actor = require_page_actor(request)
    require(actor, "identity.user.manage")
    return _new_form(request, {"kind": "person"}, {})


@router.post("/users/new")
async def new_user(request: Request):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    values = {k: form.get(k, "") for k in ("username", "display_name", "email", "kind", "org_unit", "role", "role_component")}
    try:
        roles = [RoleGrantIn(role=values["role"], component=values["role_component"] or None)] if values["role"] else []
        data = UserCreate(username=values["username"], display_name=values["display_name"], email=values["email"] or None,
                          kind=values["kind"] or "person", org_unit=values["org_unit"] or None,
                          password=form.get("password") or None, roles=roles)
        with uow(request) as s:
            identity.create_user(s, actor, data, settings_of(request))
    except (ValidationError, RaigovError) as exc:
        return _new_form(request, values, field_errors(exc), 422)
    return RedirectResponse(f"/admin/users/{data.username.lower()}?created=1", status_code=303)


@router.get("/users/{username}")
def user_detail(request: Request, username: str, created: Flag = 0, done: str = ""):
    actor = require_page_actor(request)
    require(actor, "identity.user.read")
    with uow(request) as s:
        user = identity.get_user(s, username)
        out = identity.user_out(user)
        locked = identity.is_locked(s, user.username, settings_of(request))
        tokens = [identity.token_out(t) for t in identity.list_tokens(s, actor, user.username)] if _can_tokens(actor) else []
    return render(request, "admin/user_detail.html", {"u": out, "locked": locked, "tokens": tokens, "roles": ROLES,
                                                      "units": _units(request), "created": created, "done": done,
                                                      "errors": {}, "deciding": DECIDING_ROLES})


def _can_tokens(actor) -> bool:
    return can(actor, "identity.token.manage")


@router.post("/users/{username}/{op}")
async def user_action(request: Request, username: str, op: str):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    settings = settings_of(request)
    try:
        with uow(request) as s:
            if op == "grant":
                identity.grant_role(s, actor, username, RoleGrantIn(role=form.get("role", ""),
                                                                    component=form.get("component") or None))
            elif op == "revoke":
                identity.revoke_role(s, actor, username, form.get("role", ""), form.get("component") or None)
            elif op == "deactivate":
                identity.set_active(s, actor, username, False)
            elif op == "activate":
                identity.set_active(s, actor, username, True)
            elif op == "unlock":
                identity.unlock(s, actor, username)
            elif op == "password":
                identity.set_password(s, actor, username, form.get("password", ""), settings)
            else:
                return render(request, "error.html", {"status": 404, "title": "Not found", "detail": f"no action {op}"}, 404)
    except (ValidationError, RaigovError) as exc:
        with uow(request) as s:
            user = identity.get_user(s, username)
            out = identity.user_out(user)
            locked = identity.is_locked(s, user.username, settings)
        if isinstance(exc, RaigovError) and exc.status == 403:
            raise
        return render(request, "admin/user_detail.html", {"u": out, "locked": locked, "tokens": [], "roles": ROLES,
                                                          "units": _units(request), "created": 0, "done": "",
                                                          "errors": field_errors(exc), "failed_op": op,
                                                          "deciding": DECIDING_ROLES}, 422)
    return RedirectResponse(f"/admin/users/{username}?done={op}", status_code=303)


# ---------------------------------------------------------------- grants waiting for a second person

def _pending_page(request: Request, actor, done: str = "", errors: dict | None = None, status: int = 200):
    with uow(request) as s:
        rows = identity.list_pending_grants(s, actor)
    return render(request, "admin/pending_grants.html", {"grants": rows, "done": done, "errors": errors or {},
                                                         "may_confirm": can(actor, "identity.role.confirm")}, status)


@router.get("/pending-grants")
def pending_grants(request: Request, done: str = ""):
    actor = require_page_actor(request)
    return _pending_page(request, actor, done)


@router.post("/pending-grants/{pending_id}/{op}")
async def pending_grant_action(request: Request, pending_id: RowId, op: str):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get("csrf_token"))
    username = form.get("username", "")
    if op not in ("confirm", "decline"):
        return render(request, "error.html", {"status": 404, "title": "Not found", "detail": f"no action {op}"}, 404)
    try:
        with uow(request) as s:
            if op == "confirm":
                identity.confirm_grant(s, actor, username, pending_id)
            else:
                identity.decline_grant(s, actor, username, pending_id, form.get("reason") or None)
    except RaigovError as exc:
        if exc.status == 403:
            raise
        return _pending_page(request, actor, errors=field_errors(exc), status=exc.status if exc.status in (404, 409) else 422)
    return RedirectResponse(f"/admin/pending-grants?done={op}", status_code=303)
