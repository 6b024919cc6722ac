"""Acquisition pages: the solicitations and contracts a person may read with their vendors, the form that
registers one (number, vendor, component, dates, the use cases it serves), one contract with the state of every
AI contract requirement (a form per requirement, and the use cases it serves added or removed, for who manages
the contract), and a vendor with all their contracts and the use cases they touch. The rules live in
raigov.acquisition; a refused form comes back (422) with each error at its field and what was typed."""

from __future__ import annotations

import re
from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from raigov.acquisition import reads
from raigov.acquisition import service as acq
from raigov.acquisition.requirements import STATUSES
from raigov.acquisition.schemas import ContractIn, RequirementIn
from raigov.errors import RaigovError
from raigov.identity.permissions import can, require
from raigov.web import flash
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, uow
from raigov.web.pages.component_choice import choices
from raigov.web.pages.forms import field_errors
from raigov.web.params import RowId
from raigov.web.templating import render

router = APIRouter(prefix="/acquisition", include_in_schema=False)
flash.register({"acquisition.requirement_saved": "Requirement recorded.",
                "acquisition.contract_created": "Registered. Record each AI contract requirement below.",
                "acquisition.use_case_linked": "The use case is added.",
                "acquisition.use_case_unlinked": "The use case is removed."})
CONTRACT_FIELDS = ("kind", "number", "title", "vendor", "component", "awarded_on", "starts_on", "ends_on",
                   "option_dates", "use_cases")
_INDEX = re.compile(r"\.\d+$")
KIND_WORDS = {"solicitation": "Solicitation", "contract": "Contract"}


@router.get("")
def index(request: Request):
    actor = require_page_actor(request)
    with uow(request) as s:
        contracts = reads.list_contracts(s, actor)
        vendors = reads.list_vendors(s, actor)
    return render(request, "acquisition/index.html", {"nav": "acquisition", "contracts": contracts, "vendors": vendors,
                                                      "kinds": KIND_WORDS, "flash": flash.banner(request),
                                                      "may_register": can(actor, acq.MANAGE)})


def folded(errors: dict[str, str]) -> dict[str, str]:
    """Errors of a list's items (``use_cases.1``, ``option_dates.0``) shown at the list's field; an empty
    required field says so in words."""
    out: dict[str, str] = {}
    for k, v in errors.items():
        out.setdefault(_INDEX.sub("", k), "required" if v == "String should have at least 1 character" else v)
    return out


def split_list(text: str) -> list[str]:
    """Items typed one per line or separated by commas, semicolons or spaces."""
    return [x for x in re.split(r"[\s,;]+", text or "") if x]


def _new_page(request: Request, errors: dict | None = None, values: dict | None = None, status: int = 200):
    actor = require_page_actor(request)
    with uow(request) as s:
        components = choices(s, actor, acq.MANAGE)
    if not components:
        require(actor, acq.MANAGE)  # PermissionDenied: the page says so
    return render(request, "acquisition/new.html", {"nav": "acquisition", "kinds": KIND_WORDS, "components": components,
                                                    "errors": errors or {}, "values": values or {"kind": "contract"}},
                  status)


@router.get("/new")
def new_contract(request: Request):
    return _new_page(request)


@router.post("/new")
async def create_contract(request: Request):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    values = {k: str(form.get(k) or "").strip() for k in CONTRACT_FIELDS}
    try:
        data = ContractIn(number=values["number"], kind=values["kind"] or "contract", title=values["title"],
                          vendor=values["vendor"], component=values["component"] or None,
                          awarded_on=values["awarded_on"] or None, starts_on=values["starts_on"] or None,
                          ends_on=values["ends_on"] or None, option_dates=split_list(values["option_dates"]),
                          use_cases=split_list(values["use_cases"]))
        with uow(request) as s:
            number = acq.create_contract(s, actor, data).number
    except (ValidationError, RaigovError) as exc:
        if isinstance(exc, RaigovError) and exc.status in (403, 404) and not exc.errors:
            raise
        return _new_page(request, folded(field_errors(exc)), values, 422)
    return RedirectResponse(flash.done_url(f"/acquisition/contracts/{quote(number)}", "acquisition.contract_created"),
                            status_code=303)


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


@router.post("/contracts/{number}/use-cases")
async def link_use_case(request: Request, number: str):
    """Add a use case the contract serves (``use_case``), or remove one (``unlink`` set)."""
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    values = {"use_case": str(form.get("use_case") or "").strip()}
    unlink = bool(form.get("unlink"))
    try:
        with uow(request) as s:
            acq.link_use_case(s, actor, number, values["use_case"], unlink=unlink)
    except RaigovError as exc:
        if exc.status in (403, 404):
            raise
        errors = field_errors(exc)
        return _contract_page(request, number, {"use_case": errors.get("use_case") or exc.detail}, "use-cases", values, 422)
    url = f"/acquisition/contracts/{quote(acq.normal_number(number))}"
    code = "acquisition.use_case_unlinked" if unlink else "acquisition.use_case_linked"
    return RedirectResponse(flash.done_url(url, code) + "#use-cases", status_code=303)


@router.get("/vendors/{vendor_id}")
def vendor(request: Request, vendor_id: RowId):
    actor = require_page_actor(request)
    with uow(request) as s:
        v = reads.vendor_view(s, actor, vendor_id)
    return render(request, "acquisition/vendor.html", {"nav": "acquisition", "v": v, "kinds": KIND_WORDS})
