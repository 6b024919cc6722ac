"""Data call pages: the CAIO's view of the annual reporting cycle (open a cycle, progress per component,
certify the whole) and a component lead's page (failing checks with an explanation each, the use cases,
the certification form). Every rule is the service's (raigov.datacall); these pages only ask."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from raigov.clock import agency_today
from raigov.datacall import service as datacall
from raigov.errors import Conflict, FieldError, PermissionDenied, ValidationFailed
from raigov.governance.vocab import CycleStatus
from raigov.identity import service as identity
from raigov.identity.permissions import can
from raigov.inventory import service as inventory
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, settings_of, uow
from raigov.web.errors import page_detail
from raigov.web.params import Flag, OptYear, YearPath
from raigov.web.templating import render

router = APIRouter(prefix="/datacall", include_in_schema=False)

def _overview(request: Request, actor, year: int | None, *, errors: dict | None = None, form: dict | None = None,
              status: int = 200, message: str | None = None):
    with uow(request) as s:
        cycles = [datacall.cycle_as_dict(c) for c in datacall.list_cycles(s, actor)]
        if year is None and cycles:
            year = cycles[0]["year"]
        prog = datacall.progress(s, actor, year).as_dict() if year is not None and any(
            c["year"] == year for c in cycles) else None
        pub = datacall.publication(s, year) if prog and prog["cycle"]["status"] == CycleStatus.CERTIFIED else None
        names = identity.display_names(s, [x for c in [*(prog or {}).get("components", []), (prog or {}).get("cycle") or {}]
                                           for x in (c.get("certified_by"), c.get("opened_by"))])
    return render(request, "datacall/index.html", {
        "nav": "datacall", "cycles": cycles, "year": year, "progress": prog, "pub": pub, "names": names,
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


DONE = {"fixed": "{n} use case{s} answered: each has a new revision.",
        "explained": "The explanation is saved for {n} use case{s}."}  # fixed texts: nothing shown comes from the URL


def _groups_view(groups, errors: dict, kept: dict) -> list[dict]:
    """The check groups as the template reads them; the group a form came from keeps what was typed."""
    out = []
    for i, g in enumerate(groups, 1):
        mine = kept.get("kind") == g.kind
        chosen = set(kept.get("use_cases") or ()) if mine else None
        out.append({
            "i": i, "kind": g.kind, "title": g.title, "count": g.count, "explained": g.explained, "open": g.open,
            "answer": g.answer, "errors": errors.get(g.kind, {}),
            "value": (kept.get("value") or []) if mine else [], "explanation": kept.get("explanation", "") if mine else "",
            "checks": [{"id": c.business_id, "name": c.name, "explanation": c.explanation,
                        "checked": chosen is None or c.business_id in chosen} for c in g.checks]})
    return out


def _component_page(request: Request, actor, year: int, component: str, *, errors: dict | None = None,
                    kept: dict | None = None, statement: str = "", status: int = 200, message: str | None = None):
    component = component.upper()
    errors = errors or {}
    with uow(request) as s:
        cycle = datacall.cycle_as_dict(datacall.get_cycle(s, actor, year))
        comp_p, groups = datacall.check_groups(s, actor, year, component)
        comp = comp_p.as_dict()
        rows, _, _ = inventory.list_use_cases(s, actor, inventory.UseCaseQuery(component=component, per_page=500))
        use_cases = [{"id": u.business_id, "name": u.name, "stage": u.stage, "impact": u.impact, "status": u.status}
                     for u in rows if u.status != "draft"]
        names = identity.display_names(s, [comp.get("certified_by")])
    view = _groups_view(groups, errors.get("groups", {}), kept or {})
    unexplained = sum(g["open"] for g in view)
    can_cert = can(actor, "datacall.component.certify", component) and cycle["status"] == "open"
    blocker = (f"{unexplained} failing check{'s' if unexplained != 1 else ''} of "
               f"{sum(1 for g in view if g['open'])} kind{'s' if sum(1 for g in view if g['open']) != 1 else ''} "
               "still need a fix or an explanation (see above)") if unexplained else None
    return render(request, "datacall/component.html", {
        "nav": "datacall", "cycle": cycle, "c": comp, "groups": view, "use_cases": use_cases, "errors": errors,
        "statement": statement, "message": message, "blocker": blocker, "can_certify": can_cert, "names": names},
        status_code=status)


@router.get("/{year}/{component}")
def component_page(request: Request, year: YearPath, component: str, saved: Flag = 0, done: str | None = None,
                   n: Flag = 0):
    actor = require_page_actor(request)
    message = f"{component.upper()} is certified for {year}." if saved else None
    if done in DONE:
        message = DONE[done].format(n=n, s="s" if n != 1 else "")
    return _component_page(request, actor, year, component, message=message)


@router.post("/{year}/{component}/checks")
async def work_on_checks(request: Request, year: YearPath, component: str):
    """One kind of failing check: `do=fix` sets one answer for the chosen use cases, `do=explain` saves one
    explanation for them."""
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    component = component.upper()
    kind = str(form.get("kind") or "")
    kept = {"kind": kind, "use_cases": [str(v) for v in form.getlist("use_case")],
            "value": [str(v) for v in form.getlist("value")], "explanation": str(form.get("explanation") or "")}
    do = str(form.get("do") or "")
    try:
        with uow(request) as s:
            if do == "fix":
                value = kept["value"] if len(kept["value"]) != 1 else kept["value"][0]
                n = len(datacall.fix_checks(s, actor, year, component, kind, kept["use_cases"], value))
            elif do == "explain":
                n = datacall.explain_checks(s, actor, year, component, kind, kept["use_cases"], kept["explanation"])
            else:
                raise ValidationFailed("choose what to do: set the answer or save the explanation",
                                       errors=[FieldError("do", "choose what to do")])
    except (ValidationFailed, PermissionDenied, Conflict) as exc:
        found = {e.field: e.message for e in getattr(exc, "errors", None) or []} or {"form": page_detail(exc.detail)}
        return _component_page(request, actor, year, component, errors={"groups": {kind: found}}, kept=kept, status=422)
    return RedirectResponse(f"/datacall/{year}/{component}?done={'fixed' if do == 'fix' else 'explained'}&n={n}",
                            status_code=303)


@router.post("/{year}/{component}/certify")
async def certify_component(request: Request, year: YearPath, component: str):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    component = component.upper()
    statement = str(form.get("statement") or "")
    try:
        with uow(request) as s:
            datacall.certify_component(s, actor, year, component, statement)
    except ValidationFailed as exc:
        errors: dict = {"groups": {}, "list": []}
        for e in exc.errors:
            if e.field.startswith("checks."):
                errors["groups"][e.field.removeprefix("checks.")] = {"form": e.message}
            errors["list"].append(e)
            if e.field == "statement":
                errors["statement"] = e.message
        return _component_page(request, actor, year, component, errors=errors, statement=statement, status=422)
    return RedirectResponse(f"/datacall/{year}/{component}?saved=1", status_code=303)
