"""Acquisition pages: the solicitations and contracts a person may read with their vendors, one contract with
the state of every AI contract requirement (a form per requirement for who manages the contract), and a
vendor with all their contracts and the use cases they touch. The rules live in raigov.acquisition."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from raigov.acquisition import reads
from raigov.acquisition import service as acq
from raigov.acquisition.requirements import STATUSES
from raigov.acquisition.schemas import RequirementIn
from raigov.errors import RaigovError
from raigov.web import flash
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, uow
from raigov.web.pages.forms import field_errors
from raigov.web.params import RowId
from raigov.web.templating import render

router = APIRouter(prefix="/acquisition", include_in_schema=False)
flash.register({"acquisition.requirement_saved": "Requirement recorded."})
KIND_WORDS = {"solicitation": "Solicitation", "contract": "Contract"}


@router.get("")
def index(request: Request):
    actor = require_page_actor(request)
    with uow(request) as s:
        contracts = reads.list_contracts(s, actor)
        vendors = reads.list_vendors(s, actor)
    return render(request, "acquisition/index.html", {"nav": "acquisition", "contracts": contracts, "vendors": vendors,
                                                      "kinds": KIND_WORDS, "flash": flash.banner(request)})


def _contract_page(request: Request, number: str, errors: dict | None = None, key: str = "", values: dict | None = None,
                   status: int = 200):
    actor = require_page_actor(request)
    with uow(request) as s:
        c = reads.contract_view(s, actor, number)
    return render(request, "acquisition/contract.html",
                  {"nav": "acquisition", "c": c, "kinds": KIND_WORDS, "statuses": STATUSES, "errors": errors or {},
                   "error_key": key, "values": values or {}, "flash": flash.banner(request)}, status)


@router.get("/contracts/{number}")
def contract(request: Request, number: str):
    return _contract_page(request, number)


@router.post("/contracts/{number}/requirements/{key}")
async def set_requirement(request: Request, number: str, key: str):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    values = {k: str(form.get(k) or "") for k in ("status", "clause", "reason")}
    try:
        data = RequirementIn(**values)
        with uow(request) as s:
            acq.set_requirement(s, actor, number, key, data)
    except (ValidationError, RaigovError) as exc:
        if isinstance(exc, RaigovError) and exc.status in (403, 404):
            raise
        return _contract_page(request, number, field_errors(exc), key, values, 422)
    url = f"/acquisition/contracts/{quote(acq.normal_number(number))}"
    return RedirectResponse(flash.done_url(url, "acquisition.requirement_saved") + f"#req-{key}", status_code=303)


@router.get("/vendors/{vendor_id}")
def vendor(request: Request, vendor_id: RowId):
    actor = require_page_actor(request)
    with uow(request) as s:
        v = reads.vendor_view(s, actor, vendor_id)
    return render(request, "acquisition/vendor.html", {"nav": "acquisition", "v": v, "kinds": KIND_WORDS})
