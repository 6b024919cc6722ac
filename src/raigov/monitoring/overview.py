"""Incidents seen from outside the monitoring tab (issue #17 item 6: "incidents count on the dashboard and appear
in the use case's history"): the dashboard's panel (open incidents by severity, use cases suspended, incidents
closed in the last 90 days, within the person's read scope) and the lines an incident adds to its use case's
History. Read-only; registered in monitoring/register.py."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.db.base import utcnow
from raigov.domains import HistoryEntry
from raigov.identity.permissions import Actor, can
from raigov.inventory.access import component_of, readable
from raigov.inventory.models import UseCase
from raigov.monitoring.incidents import SEVERITIES, SOURCES, incidents_of, suspended
from raigov.monitoring.models import Incident

READ = "monitoring.monitor.read"
CLOSED_WINDOW_DAYS = 90


def _href(business_id: str, incident_id: int) -> str:
    return f"/inventory/{business_id}/monitoring#incident-{incident_id}"


def panel(session: Session, actor: Actor) -> dict:
    """The dashboard's "AI incidents": counts of open incidents by severity, the use cases suspended now, the open
    incidents (high first) and how many were closed in the last 90 days, in the components the person reads."""
    scope = readable(session, actor, READ)
    since = utcnow() - dt.timedelta(days=CLOSED_WINDOW_DAYS)
    q = (select(Incident, UseCase.business_id, UseCase.name).join(UseCase, UseCase.id == Incident.use_case_id)
         .where((Incident.status == "open") | (Incident.closed_at >= since)))
    rows = [] if scope.nothing else session.execute(q.where(scope.filter(Incident.use_case_id))).all()
    by_severity = dict.fromkeys(SEVERITIES, 0)
    open_rows, suspended_uc, closed = [], {}, 0
    for inc, bid, name in rows:
        if inc.status != "open":
            closed += 1
            continue
        by_severity[inc.severity] = by_severity.get(inc.severity, 0) + 1
        if suspended(inc):
            suspended_uc[bid] = name
        open_rows.append({"id": inc.id, "business_id": bid, "name": name, "title": inc.title,
                          "severity": inc.severity, "suspends": suspended(inc), "opened_at": inc.opened_at,
                          "source": SOURCES.get(inc.source_kind or "", "filed by hand"), "href": _href(bid, inc.id)})
    rank = {s: i for i, s in enumerate(SEVERITIES)}
    open_rows.sort(key=lambda r: (rank.get(r["severity"], 9), -r["id"]))
    return {"by_severity": by_severity, "open": open_rows, "open_total": len(open_rows),
            "suspended": [{"business_id": b, "name": n} for b, n in sorted(suspended_uc.items())],
            "closed_recent": closed, "closed_window_days": CLOSED_WINDOW_DAYS}


def history(session: Session, actor: Actor, uc: UseCase) -> list[HistoryEntry]:
    """A use case's incidents as lines of its History: opened (severity, source), suspended, lifted, closed."""
    if not can(actor, READ, component_of(uc)):
        return []
    out: list[HistoryEntry] = []
    for inc in incidents_of(session, uc.id):
        href = _href(uc.business_id, inc.id)
        source = f" from a {SOURCES[inc.source_kind]}" if inc.source_kind in SOURCES else ""
        out.append(HistoryEntry(inc.opened_at, f"Incident {inc.id} opened ({inc.severity} severity{source}): "
                                               f"{inc.title}", href))
        if inc.suspended_at is not None:
            out.append(HistoryEntry(inc.suspended_at, f"Use case suspended under incident {inc.id}: "
                                                      f"{inc.suspend_reason or 'no reason given'}", href))
        if inc.lifted_at is not None:
            out.append(HistoryEntry(inc.lifted_at, f"Suspension of incident {inc.id} lifted", href))
        if inc.closed_at is not None:
            out.append(HistoryEntry(inc.closed_at, f"Incident {inc.id} closed: {inc.close_note or ''}".rstrip(": "),
                                    href))
    return out
