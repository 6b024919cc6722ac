"""Monitoring pages: a use case's monitoring (its monitors, open alerts with the reviewers' close form,
incidents with suspension and closing, the gate's monitoring reasons) and a monitor's page (a chart per
feature of PSI over the windows, each with the same numbers as a table). Every form posts to a route that
calls one service function; a refused form is shown again (422) with the error at its field."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from raigov.errors import NotFound, RaigovError
from raigov.governance.common import component_of
from raigov.identity.permissions import can
from raigov.inventory import service as inventory
from raigov.inventory.models import UseCase
from raigov.monitoring import evidence, incidents, service, views
from raigov.monitoring.models import MonitorAlert
from raigov.web import flash
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, settings_of, uow
from raigov.web.pages.forms import field_errors
from raigov.web.params import RowId
from raigov.web.templating import render

router = APIRouter(include_in_schema=False)
flash.register({"monitoring.alert_closed": "Alert closed.", "monitoring.incident_opened": "Incident opened.",
                "monitoring.suspended": "The use case is suspended.", "monitoring.lifted": "The suspension is lifted.",
                "monitoring.incident_closed": "Incident closed.",
                "monitoring.report_stored": "The report is stored as evidence (PDF) of the use case's monitoring."})
METRIC_LABELS = {"psi": "PSI", "chi2_p_adjusted": "Chi-square p (adjusted)", "selection_rate_ratio": "Selection-rate ratio",
                 "fmr_max_min_ratio": "FMR max/min ratio", "fnmr_max_min_ratio": "FNMR max/min ratio"}


def _url(business_id: str) -> str:
    return f"/inventory/{quote(business_id)}/monitoring"


def _page(request: Request, business_id: str, errors: dict | None = None, form: dict | None = None,
          act: str = "", status_code: int = 200):
    actor = require_page_actor(request)
    with uow(request, read=True) as s:
        st = views.status(s, actor, business_id)
        uc = inventory.get_use_case(s, actor, business_id)
        comp = component_of(uc)
    may = {a: can(actor, f"monitoring.{a}", comp) for a in ("alert.close", "incident.open", "incident.suspend",
                                                               "incident.close")}
    return render(request, "monitoring/use_case.html",
                  {"nav": "inventory", "st": st, "may": may, "errors": errors or {}, "form": form or {}, "act": act,
                   "metric_labels": METRIC_LABELS, "flash": flash.banner(request)}, status_code=status_code)


@router.get("/inventory/{business_id}/monitoring")
def use_case(request: Request, business_id: str):
    return _page(request, business_id)


async def _form(request: Request) -> dict:
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    return {k: v for k, v in form.items() if isinstance(v, str)}


def _done(request: Request, business_id: str, act: str, form: dict, work, code: str):
    try:
        with uow(request) as s:
            work(s)
    except RaigovError as exc:
        if exc.status in (403, 404):
            raise
        return _page(request, business_id, field_errors(exc), form, act, status_code=422)
    return RedirectResponse(flash.done_url(_url(business_id), code), status_code=303)


def _bid_of_alert(request: Request, alert_id: int) -> str:
    with uow(request, read=True) as s:
        from_alert = s.get(MonitorAlert, alert_id)
        if from_alert is None:
            raise NotFound(f"no alert {alert_id}")
        return s.get(UseCase, from_alert.use_case_id).business_id


@router.post("/monitoring/alerts/{alert_id}/close")
async def close_alert(request: Request, alert_id: RowId):
    actor = require_page_actor(request)
    form = await _form(request)
    bid = _bid_of_alert(request, alert_id)
    return _done(request, bid, f"alert-{alert_id}", form,
                 lambda s: service.close_alert(s, actor, alert_id, form.get("note", "")), "monitoring.alert_closed")


@router.post("/inventory/{business_id}/monitoring/incidents")
async def open_incident(request: Request, business_id: str):
    actor = require_page_actor(request)
    form = await _form(request)
    alert = form.get("alert_id") or ""
    return _done(request, business_id, "incident", form, lambda s: incidents.open_incident(
        s, actor, business_id, title=form.get("title", ""), what_happened=form.get("what_happened", ""),
        severity=form.get("severity", ""), affected=form.get("affected", ""), containment=form.get("containment", ""),
        alert_id=int(alert) if alert.isdigit() else None), "monitoring.incident_opened")


@router.post("/monitoring/incidents/from/{kind}/{source_id}")
async def open_from_source(request: Request, kind: str, source_id: RowId):
    """The button on a source's page (an oversight alert, a reversed appeal, a feedback report, a monitoring
    alert): opens the incident and shows it on the use case's monitoring page; a refusal is shown there."""
    actor = require_page_actor(request)
    form = await _form(request)
    if kind not in incidents.SOURCES:
        raise NotFound(f"no such source {kind!r}")
    with uow(request, read=True) as s:
        bid = incidents.source_facts(s, actor, kind, source_id)["use_case"]
    try:
        with uow(request) as s:
            inc = incidents.open_from_source(s, actor, kind, source_id, severity=form.get("severity", ""))
            anchor = f"incident-{inc.id}"
    except RaigovError as exc:
        if exc.status in (403, 404):
            raise
        return _page(request, bid, {"form": "; ".join(field_errors(exc).values())}, form, "", status_code=422)
    return RedirectResponse(flash.done_url(_url(bid), "monitoring.incident_opened") + f"#{anchor}", status_code=303)


def _bid_of_incident(request: Request, incident_id: int) -> str:
    actor = require_page_actor(request)
    with uow(request, read=True) as s:
        return incidents.get_incident(s, actor, incident_id)[1].business_id


@router.post("/monitoring/incidents/{incident_id}/{verb}")
async def incident_act(request: Request, incident_id: RowId, verb: str):
    actor = require_page_actor(request)
    form = await _form(request)
    bid = _bid_of_incident(request, incident_id)
    acts = {"suspend": (lambda s: incidents.suspend(s, actor, incident_id, form.get("reason", "")), "monitoring.suspended"),
            "lift": (lambda s: incidents.lift(s, actor, incident_id, form.get("note", "")), "monitoring.lifted"),
            "close": (lambda s: incidents.close_incident(s, actor, incident_id, form.get("note", "")),
                      "monitoring.incident_closed")}
    if verb not in acts:
        raise NotFound(f"no such act {verb!r}")
    work, code = acts[verb]
    return _done(request, bid, f"{verb}-{incident_id}", form, work, code)


@router.get("/monitoring/monitors/{monitor_id}")
def monitor(request: Request, monitor_id: RowId):
    actor = require_page_actor(request)
    with uow(request, read=True) as s:
        rep = views.report(s, actor, monitor_id)
    charts = []
    for name in [*rep["monitor"]["config"]["numeric"], *rep["monitor"]["config"]["categorical"]]:
        rows = []
        for w in rep["windows"]:
            f = next(x for x in w["features"] if x["name"] == name)
            rows.append({"label": f"{w['period_start']} to {w['period_end']}", "value": round(f["psi"], 4),
                         "critical": f["psi_critical"], "js": f["js_distance"], "p": f["chi2_p_adjusted"]})
        charts.append({"name": name, "rows": rows})
    fair: dict[str, list[dict]] = {}
    for w in rep["windows"]:
        for g, v in sorted(((w.get("fairness") or {}).get("groups") or {}).items()):
            fair.setdefault(g, []).append({
                "label": f"{w['period_start']} to {w['period_end']}", "value": round(v.get("selection_rate") or 0.0, 4),
                "n": v.get("n"), "ci": v.get("selection_rate_ci"), "tpr": v.get("tpr"), "fpr": v.get("fpr"),
                "precision": v.get("precision"), "status": v.get("status"),
                "ratio": (w.get("fairness") or {}).get("selection_rate_ratio")})
        uc = inventory.get_use_case(s, actor, rep["monitor"]["use_case"])
        may_store = can(actor, "monitoring.report.store", component_of(uc))
    return render(request, "monitoring/monitor.html", {"nav": "inventory", "rep": rep, "charts": charts,
                                                       "metric_labels": METRIC_LABELS, "may_store": may_store, "fair": fair,
                                                       "flash": flash.banner(request)})


@router.post("/monitoring/monitors/{monitor_id}/report")
async def store_report(request: Request, monitor_id: RowId):
    """Store the monitor's report (PDF) as evidence (one service call; a refusal is the 403/404 page)."""
    actor = require_page_actor(request)
    await _form(request)
    with uow(request) as s:
        evidence.store_report(s, actor, settings_of(request), monitor_id)
    return RedirectResponse(flash.done_url(f"/monitoring/monitors/{monitor_id}", "monitoring.report_stored"),
                            status_code=303)
