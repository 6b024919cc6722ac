"""What the CLI, the API and the pages show of monitoring, as plain dicts (JSON-ready): a use case's status
(its monitors, their windows due, open alerts, incidents and the gate's monitoring reasons) and a monitor's
report (every window's metrics per feature, for a chart and its table). Read-only."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.clock import agency_today
from raigov.governance import gate as G
from raigov.identity.permissions import Actor
from raigov.monitoring import incidents as inc_service
from raigov.monitoring import service
from raigov.monitoring.models import MonitorAlert, MonitorWindow
from raigov.monitoring.reads import alert_words, due_on, gate_states, last_windows


def _alert(a: MonitorAlert, windows: dict[int, MonitorWindow]) -> dict:
    w = windows.get(a.last_window_id)
    return {"id": a.id, "monitor_id": a.monitor_id, "feature": a.feature, "group": a.group_name or None,
            "metric": a.metric, "method": a.method, "value": a.value, "threshold": a.threshold,
            "threshold_source": a.threshold_source, "n_reference": a.n_reference, "n_current": a.n_current,
            "severity": a.severity, "status": a.status, "opened_at": a.opened_at.isoformat(),
            "closed_by": a.closed_by, "close_note": a.close_note,
            "text": alert_words(a, w.period_start if w else None, w.period_end if w else None)}


def source_link(kind: str | None, source_id: int | None, business_id: str) -> dict | None:
    """Where an incident came from, as words and the page of its source (None: opened by hand)."""
    if kind is None:
        return None
    url = {"monitor_alert": f"/inventory/{business_id}/monitoring#alert-{source_id}",
           "oversight_alert": f"/oversight/use-cases/{business_id}#alerts",
           "appeal": f"/oversight/appeals/{source_id}", "feedback": f"/feedback/{source_id}"}.get(kind)
    return {"kind": kind, "id": source_id, "label": f"{inc_service.SOURCES.get(kind, kind)} {source_id}", "url": url}


def _incident(session: Session, i, business_id: str = "") -> dict:
    return {"id": i.id, "title": i.title, "severity": i.severity, "status": i.status,
            "source": source_link(i.source_kind, i.source_id, business_id),
            "what_happened": i.what_happened, "affected": i.affected, "containment": i.containment,
            "alert_id": i.alert_id, "opened_by": i.opened_by, "opened_at": i.opened_at.isoformat(),
            "suspended": inc_service.suspended(i), "suspend_reason": i.suspend_reason, "close_note": i.close_note,
            "actions": [{"id": a.id, "description": a.description, "owner": a.owner, "due_on": a.due_on.isoformat(),
                         "done_on": a.done_on.isoformat() if a.done_on else None}
                        for a in inc_service.actions_of(session, i.id)]}


def status(session: Session, actor: Actor, business_id: str, today: dt.date | None = None) -> dict:
    """A use case's monitoring: its monitors (next window due, overdue), open and closed alerts, incidents
    and the gate's monitoring reasons today."""
    today = today or agency_today()
    uc, mons = service.list_monitors(session, actor, business_id)
    last = last_windows(session, [m.id for m in mons])
    alerts = service.alerts_of(session, uc.id)
    wins = {w.id: w for w in session.scalars(select(MonitorWindow).where(
        MonitorWindow.id.in_([a.last_window_id for a in alerts])))} if alerts else {}
    monitors, suspensions = gate_states(session, uc.id)
    reasons = G.monitoring_reasons(G.GateInput(uc.business_id, uc.status, True, "", False, monitors=monitors,
                                               suspensions=suspensions), today)
    return {"use_case": uc.business_id, "name": uc.name, "today": today.isoformat(),
            "monitors": [{"id": m.id, "name": m.name, "cadence": m.cadence, "features": [*m.config["numeric"],
                                                                                       *m.config["categorical"]],
                          "reference": m.reference_name, "reference_rows": m.reference_rows,
                          "last_window_end": last[m.id].isoformat() if m.id in last else None,
                          "next_due": due_on(m, last.get(m.id)).isoformat(),
                          "overdue": due_on(m, last.get(m.id)) < today,
                          "open_alerts": sum(1 for a in alerts if a.monitor_id == m.id and a.status == "open"),
                          "outcomes": outcomes_of(session, m)}
                         for m in mons],
            "alerts": [_alert(a, wins) for a in alerts],
            "incidents": [_incident(session, i, uc.business_id) for i in inc_service.incidents_of(session, uc.id)],
            "gate_reasons": reasons}


def outcomes_of(session: Session, mon) -> list[dict]:
    """A monitor's windows with outcomes or waiting for labels: each window's labels state ("file": in its file,
    "later": to come, "joined": joined later by record id) and its performance (accuracy, TPR, FPR, precision,
    AUC and calibration by score bin)."""
    if not mon.config.get("label"):
        return []
    out = []
    for w in service.windows_of(session, mon.id):
        labels = ((w.counts or {}).get("file") or {}).get("labels") or ("counts" if w.counts.get("outcomes") else None)
        if labels or (w.results or {}).get("performance"):
            out.append({"window": w.id, "period_start": w.period_start.isoformat(),
                        "period_end": w.period_end.isoformat(), "rows": w.rows, "labels": labels,
                        "performance": (w.results or {}).get("performance")})
    return out


def report(session: Session, actor: Actor, monitor_id: int) -> dict:
    """A monitor's report: its configuration and rules, and each window's metrics per feature (and fairness)."""
    mon, uc = service.get_monitor(session, actor, monitor_id)
    wins = service.windows_of(session, mon.id)
    return {"monitor": {"id": mon.id, "name": mon.name, "use_case": uc.business_id, "use_case_name": uc.name,
                        "cadence": mon.cadence, "grace_days": mon.grace_days, "config": mon.config, "rules": mon.rules,
                        "reference": mon.reference_name, "reference_rows": mon.reference_rows,
                        "starts_on": mon.starts_on.isoformat()},
            "windows": [{"id": w.id, "period_start": w.period_start.isoformat(), "period_end": w.period_end.isoformat(),
                         "rows": w.rows, "drift": w.drift, "source": w.source, **w.results} for w in wins],
            "alerts": [_alert(a, {w.id: w for w in wins}) for a in service.alerts_of(session, uc.id, mon.id)]}

