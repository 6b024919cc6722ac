"""The CAIO's office's disclosure pages: what is withheld from the public inventory (add, release), and one use
case's answers as OMB receives them beside what the public will read. Adapters of raigov.disclosure.withholding."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from raigov.disclosure import withholding
from raigov.disclosure.reasons import reasons
from raigov.errors import Conflict, ValidationFailed
from raigov.identity.permissions import can, require
from raigov.web import flash
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, uow
from raigov.web.params import RowId
from raigov.web.templating import render

router = APIRouter(prefix="/disclosure", include_in_schema=False)

flash.register({"disclosure.withheld": "Withheld: the next certified public inventory leaves it out.",
                "disclosure.released": "Released: the next certified public inventory includes it again."})


def _index(request: Request, actor, errors: dict | None = None, form: dict | None = None, status: int = 200):
    with uow(request) as s:
        rows = withholding.list_withholdings(s, actor)
    return render(request, "disclosure/index.html", {
        "nav": "disclosure", "rows": rows, "errors": errors or {}, "form": form or {}, "reasons": reasons(),
        "fields": withholding.withholdable_fields(), "may_manage": can(actor, "disclosure.withholding.manage"),
        "flash": flash.banner(request)}, status_code=status)


@router.get("")
def index(request: Request):
    actor = require_page_actor(request)
    require(actor, "disclosure.withholding.read")
    return _index(request, actor)


@router.post("/withholdings")
async def add(request: Request):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    values = {k: str(form.get(k) or "").strip() for k in ("use_case", "field", "reason", "note")}
    try:
        with uow(request) as s:
            withholding.withhold(s, actor, values["use_case"], values["field"], values["reason"], values["note"])
    except ValidationFailed as exc:
        return _index(request, actor, {e.field: e.message for e in exc.errors}, values, 422)
    except Conflict as exc:
        return _index(request, actor, {"use_case": exc.detail}, values, 409)
    return RedirectResponse(flash.done_url("/disclosure", "disclosure.withheld"), status_code=303)


@router.post("/withholdings/{withholding_id}/release")
async def release(request: Request, withholding_id: RowId):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    with uow(request) as s:
        withholding.release(s, actor, withholding_id)
    return RedirectResponse(flash.done_url("/disclosure", "disclosure.released"), status_code=303)


@router.get("/use-cases/{business_id}")
def side_by_side(request: Request, business_id: str):
    actor = require_page_actor(request)
    with uow(request) as s:
        view = withholding.side_by_side(s, actor, business_id)
    return render(request, "disclosure/side_by_side.html", {"nav": "disclosure", "v": view})
