"""Data call pages: the CAIO's view of the annual reporting cycle (open a cycle, progress per component,
certify the whole) and a component lead's page (failing checks with an explanation each, the use cases,
the certification form). Every rule is the service's (raigov.datacall); these pages only ask."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from raigov.clock import agency_today
from raigov.datacall import service as datacall
from raigov.errors import Conflict, ValidationFailed
from raigov.governance.vocab import CycleStatus
from raigov.identity.permissions import can
from raigov.inventory import service as inventory
from raigov.inventory.vocab import UseCaseStatus
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, settings_of, uow
from raigov.web.params import Flag, OptYear, YearPath
from raigov.web.templating import render

router = APIRouter(prefix="/datacall", include_in_schema=False)

EXPLAIN = "explain::"  # form field prefix: explain::<check key>


def _overview(request: Request, actor, year: int | None, *, errors: dict | None = None, form: dict | None = None,
              status: int = 200, message: str | None = None):
    with uow(request) as s:
        cycles = [datacall.cycle_as_dict(c) for c in datacall.list_cycles(s, actor)]
        if year is None and cycles:
            year = cycles[0]["year"]
        prog = datacall.progress(s, actor, year).as_dict() if year is not None and any(
            c["year"] == year for c in cycles) else None
        pub = datacall.publication(s, year) if prog and prog["cycle"]["status"] == CycleStatus.CERTIFIED else None
    return render(request, "datacall/index.html", {
        "nav": "datacall", "cycles": cycles, "year": year, "progress": prog, "pub": pub,
        "can_open": can(actor, "datacall.cycle.open"), "can_certify": can(actor, "datacall.cycle.certify"),
        "errors": errors or {}, "form": form or {}, "message": message,
        "default_year": agency_today(settings_of(request)).year}, status_code=status)


@router.get("")
def index(request: Request, year: OptYear = None, saved: str | None = None):
    actor = require_page_actor(request)
    messages = {"opened": "The reporting cycle is open.", "certified": "The inventory is certified and its snapshot published."}
    return _overview(request, actor, year, message=messages.get(saved or ""))


@router.post("/open")
async def open_cycle(request: Request):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    values = {k: str(form.get(k) or "").strip() for k in ("year", "due_on", "title")}
    errors = {}
    try:
        year = int(values["year"])
    except ValueError:
        errors["year"] = "a year, e.g. 2026"
    try:
        due_on = dt.date.fromisoformat(values["due_on"])
    except ValueError:
        errors["due_on"] = "a date, YYYY-MM-DD"
    if not errors:
        try:
            with uow(request) as s:
                datacall.open_cycle(s, actor, year, due_on, values["title"])
        except ValidationFailed as exc:
            errors = {e.field: e.message for e in exc.errors}
        except Conflict as exc:
            errors = {"year": exc.detail}
    if errors:
        return _overview(request, actor, None, errors=errors, form=values, status=422)
    return RedirectResponse(f"/datacall?year={year}&saved=opened", status_code=303)


@router.post("/{year}/certify")
async def certify_all(request: Request, year: YearPath):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    statement = str(form.get("statement") or "")
    try:
        with uow(request) as s:
            datacall.certify(s, actor, year, statement, settings_of(request))
    except ValidationFailed as exc:
        errors = {"statement": exc.errors[0].message} if exc.errors and exc.errors[0].field == "statement" \
            else {"certify": exc.detail}
        return _overview(request, actor, year, errors=errors, form={"statement": statement}, status=422)
    return RedirectResponse(f"/datacall?year={year}&saved=certified", status_code=303)


def _component_page(request: Request, actor, year: int, component: str, *, errors: dict | None = None,
                    given: dict | None = None, statement: str = "", status: int = 200, saved: bool = False):
    component = component.upper()
    with uow(request) as s:
        cycle = datacall.cycle_as_dict(datacall.get_cycle(s, actor, year))
        prog = datacall.progress(s, actor, year, component)
        comp = prog.components[0].as_dict()
        for i, f in enumerate(comp["failing"], 1):
            f["idx"] = i
        rows, _, _ = inventory.list_use_cases(s, actor, inventory.UseCaseQuery(component=component, per_page=500))
        use_cases = [{"id": u.business_id, "name": u.name, "stage": u.stage, "impact": u.impact, "status": u.status}
                     for u in rows if u.status != UseCaseStatus.DRAFT]
    explanations = {f["key"]: f["explanation"] or "" for f in comp["failing"]}
    explanations.update(given or {})
    return render(request, "datacall/component.html", {
        "nav": "datacall", "cycle": cycle, "c": comp, "use_cases": use_cases, "explanations": explanations,
        "errors": errors or {}, "statement": statement, "saved": saved, "EXPLAIN": EXPLAIN,
        "can_certify": can(actor, "datacall.component.certify", component) and cycle["status"] == CycleStatus.OPEN},
        status_code=status)


@router.get("/{year}/{component}")
def component_page(request: Request, year: YearPath, component: str, saved: Flag = 0):
    actor = require_page_actor(request)
    return _component_page(request, actor, year, component, saved=bool(saved))


@router.post("/{year}/{component}/certify")
async def certify_component(request: Request, year: YearPath, component: str):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    component = component.upper()
    statement = str(form.get("statement") or "")
    given = {k[len(EXPLAIN):]: str(v) for k, v in form.items() if k.startswith(EXPLAIN)}
    try:
        with uow(request) as s:
            datacall.certify_component(s, actor, year, component, statement, given)
    except ValidationFailed as exc:
        errors = {e.field.removeprefix("explanations."): e.message for e in exc.errors}
        return _component_page(request, actor, year, component, errors=errors, given=given, statement=statement,
                               status=422)
    return RedirectResponse(f"/datacall/{year}/{component}?saved=1", status_code=303)
