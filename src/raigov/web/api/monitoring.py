"""JSON API of monitoring (docs/monitoring.md): an operational system sends a window as counts on the
monitor's bins (record-level data never leaves it); readers get a use case's monitoring status and a
monitor's report; reviewers close alerts; incidents are opened, suspend the use case, get corrective actions
and are closed. Thin: every rule is in raigov.monitoring."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, StrictInt
from starlette.concurrency import run_in_threadpool

from raigov.identity.permissions import Actor
from raigov.monitoring import incidents, service, views
from raigov.web.api.v1 import ERRORS, parse_body
from raigov.web.deps import api_actor, may, uow
from raigov.web.params import RowId

router = APIRouter(prefix="/api/v1")
ActorDep = Annotated[Actor, Depends(api_actor)]
Pk = RowId


class WindowIn(BaseModel):
    """A window as counts on the monitor's bins (GET /api/v1/monitors/{id} gives the bins in `monitor.spec`):
    each feature's counts, in the order missing, underflow, the quantile bins, overflow (numeric) or missing,
    the top categories, other, unseen (categorical), add up to `rows`. `outcomes` (optional): per group
    [tp, fp, fn, tn] of the labelled rows. `scores` (optional, with outcomes): per group the labelled rows per
    score bin of `monitor.spec.score_edges`, label 1 (`positive`, adding up to tp + fn) and label 0 (`negative`,
    adding up to fp + tn): the window's AUC and calibration by score bin."""

    model_config = ConfigDict(extra="forbid")
    period_start: dt.date
    period_end: dt.date
    rows: StrictInt
    features: dict[str, list[StrictInt]]
    outcomes: dict[str, list[StrictInt]] = Field(default_factory=dict)
    scores: dict[str, dict[Literal["positive", "negative"], list[StrictInt]]] = Field(
        default_factory=dict, description="per group {\"positive\": [...], \"negative\": [...]}: labelled rows per "
        "score bin (label 1, label 0); they add up to the group's tp + fn and fp + tn")
    biometric: dict | None = Field(None, description="face-recognition monitors: {\"threshold\": the monitor's "
                                   "threshold, \"groups\": {group: {\"n_gen\", \"fnm\", \"n_imp\", \"fm\"}}} "
                                   "(docs/monitoring.md)")


class NoteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    note: str = Field(max_length=4000)


class ReasonIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(max_length=4000)


class IncidentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=300)
    what_happened: str = Field(max_length=20000)
    severity: str
    affected: str = Field("", max_length=4000)
    containment: str = Field("", max_length=4000)
    alert_id: int | None = None


class IncidentFromIn(BaseModel):
    """An incident opened from its source; title and what happened default to the source's own words."""

    model_config = ConfigDict(extra="forbid")
    severity: str
    title: str = Field("", max_length=300)
    what_happened: str = Field("", max_length=20000)
    affected: str = Field("", max_length=4000)
    containment: str = Field("", max_length=4000)


class ActionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    description: str = Field(max_length=4000)
    owner: str = Field(max_length=200)
    due_on: dt.date


def _body(model) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


def _alert_out(a) -> dict:
    return {"id": a.id, "feature": a.feature, "group": a.group_name or None, "metric": a.metric, "value": a.value,
            "threshold": a.threshold, "threshold_source": a.threshold_source, "severity": a.severity,
            "n_reference": a.n_reference, "n_current": a.n_current, "status": a.status}


@router.post("/monitors/{monitor_id}/windows", tags=["monitoring"], responses=ERRORS, status_code=201,
             dependencies=[may("monitoring.window.record")], openapi_extra=_body(WindowIn),
             summary="Send a window as counts on the monitor's bins; evaluated against the reference, alerts raised")
async def record_window(request: Request, actor: ActorDep, monitor_id: Pk):
    """422 names the feature whose counts are missing, unknown, of the wrong length or not adding up to `rows`;
    nothing is written then. 409 when the monitor already has a window starting that day."""
    raw = await request.body()

    def work():
        with uow(request) as s:
            body = parse_body(WindowIn, raw)
            win, alerts = service.record_window(s, actor, monitor_id, body.period_start, body.period_end,
                                                body.model_dump(include={"rows", "features", "outcomes", "scores",
                                                                                "biometric"}))
            return {"id": win.id, "rows": win.rows, "drift": win.drift, "results": win.results,
                    "alerts": [_alert_out(a) for a in alerts]}

    return JSONResponse(await run_in_threadpool(work), status_code=201)


@router.get("/monitors/{monitor_id}", tags=["monitoring"], responses=ERRORS,
            summary="A monitor: configuration, rules, bins, and every window's metrics")
def monitor_report(request: Request, actor: ActorDep, monitor_id: Pk):
    with uow(request) as s:
        out = views.report(s, actor, monitor_id)
        mon, _ = service.get_monitor(s, actor, monitor_id)
        out["monitor"]["spec"] = mon.spec
        return out


@router.get("/use-cases/{business_id}/monitoring", tags=["monitoring"], responses=ERRORS,
            summary="A use case's monitors, alerts, incidents and the gate's monitoring reasons")
def use_case_monitoring(request: Request, actor: ActorDep, business_id: str):
    with uow(request) as s:
        return views.status(s, actor, business_id)


def _write(request: Request, model, raw: bytes, fn):
    with uow(request) as s:
        return fn(s, parse_body(model, raw))


@router.post("/monitoring/alerts/{alert_id}/close", tags=["monitoring"], responses=ERRORS,
             dependencies=[may("monitoring.alert.close")], openapi_extra=_body(NoteIn),
             summary="A reviewer of the use case closes an alert with a note")
async def close_alert(request: Request, actor: ActorDep, alert_id: Pk):
    raw = await request.body()
    return await run_in_threadpool(_write, request, NoteIn, raw,
                                   lambda s, b: _alert_out(service.close_alert(s, actor, alert_id, b.note)))


def _incident_out(i) -> dict:
    return {"id": i.id, "title": i.title, "severity": i.severity, "status": i.status,
            "suspended": incidents.suspended(i),
            "source": {"kind": i.source_kind, "id": i.source_id} if i.source_kind else None}


@router.post("/use-cases/{business_id}/incidents", tags=["monitoring"], responses=ERRORS, status_code=201,
             dependencies=[may("monitoring.incident.open")], openapi_extra=_body(IncidentIn),
             summary="Open an AI incident (by hand or from an alert)")
async def open_incident(request: Request, actor: ActorDep, business_id: str):
    raw = await request.body()
    out = await run_in_threadpool(_write, request, IncidentIn, raw, lambda s, b: _incident_out(
        incidents.open_incident(s, actor, business_id, **b.model_dump())))
    return JSONResponse(out, status_code=201)


@router.post("/incidents/{incident_id}/suspend", tags=["monitoring"], responses=ERRORS,
             dependencies=[may("monitoring.incident.suspend")], openapi_extra=_body(ReasonIn),
             summary="Suspend the use case for this incident (the gate answers not authorized until lifted)")
async def suspend(request: Request, actor: ActorDep, incident_id: Pk):
    raw = await request.body()
    return await run_in_threadpool(_write, request, ReasonIn, raw,
                                   lambda s, b: _incident_out(incidents.suspend(s, actor, incident_id, b.reason)))


@router.post("/incidents/{incident_id}/lift", tags=["monitoring"], responses=ERRORS,
             dependencies=[may("monitoring.incident.suspend")], openapi_extra=_body(NoteIn),
             summary="Lift the suspension")
async def lift(request: Request, actor: ActorDep, incident_id: Pk):
    raw = await request.body()
    return await run_in_threadpool(_write, request, NoteIn, raw,
                                   lambda s, b: _incident_out(incidents.lift(s, actor, incident_id, b.note)))


@router.post("/incidents/{incident_id}/actions", tags=["monitoring"], responses=ERRORS, status_code=201,
             dependencies=[may("monitoring.incident.open")], openapi_extra=_body(ActionIn),
             summary="Add a corrective action with its owner and due date")
async def add_action(request: Request, actor: ActorDep, incident_id: Pk):
    raw = await request.body()

    def fn(s, b):
        a = incidents.add_action(s, actor, incident_id, description=b.description, owner=b.owner, due_on=b.due_on)
        return {"id": a.id, "owner": a.owner, "due_on": a.due_on.isoformat()}

    return JSONResponse(await run_in_threadpool(_write, request, ActionIn, raw, fn), status_code=201)


@router.post("/incidents/{incident_id}/close", tags=["monitoring"], responses=ERRORS,
             dependencies=[may("monitoring.incident.close")], openapi_extra=_body(NoteIn),
             summary="A reviewer of the use case closes the incident with a note")
async def close_incident(request: Request, actor: ActorDep, incident_id: Pk):
    raw = await request.body()
    return await run_in_threadpool(_write, request, NoteIn, raw,
                                   lambda s, b: _incident_out(incidents.close_incident(s, actor, incident_id, b.note)))


@router.post("/incidents/from/{kind}/{source_id}", tags=["monitoring"], responses=ERRORS, status_code=201,
             dependencies=[may("monitoring.incident.open")], openapi_extra=_body(IncidentFromIn),
             summary="Open an incident from its source: monitor_alert, oversight_alert, appeal (reversed) or feedback")
async def open_from_source(request: Request, actor: ActorDep, kind: Literal["monitor_alert", "oversight_alert",
                                                                            "appeal", "feedback"], source_id: Pk):
    """The incident belongs to the source's use case and records its source. 404/403 when the source is not
    there or not readable by the caller (its own domain's rule); 409 while an incident from it is open."""
    raw = await request.body()
    out = await run_in_threadpool(_write, request, IncidentFromIn, raw, lambda s, b: _incident_out(
        incidents.open_from_source(s, actor, kind, source_id, **b.model_dump())))
    return JSONResponse(out, status_code=201)
