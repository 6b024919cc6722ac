"""AI incidents: the only code that writes them. Anyone holding a role on the use case's component may open
one (by hand or from a monitoring alert); the component's AI lead or the CAIO may suspend the use case (the
gate then answers not authorized with its own reason, until the suspension is lifted); corrective actions
carry an owner and a due date (a clock of the jobs); a reviewer of the use case closes the incident with a
note, once no suspension is in force.

An incident may be opened from its source (`open_from_source`): a monitoring alert, an oversight alert
(automation bias, refused attempts, scale), a reversed appeal, or a public feedback report. The source is read
through its domain's public functions (oversight.signals.alert_view, oversight.appeals.get_appeal,
disclosure.feedback.service.get, which apply their own read permission) and recorded on the incident."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.clock import agency_today
from raigov.db.base import utcnow
from raigov.disclosure.feedback import service as feedback
from raigov.errors import Conflict, NotFound, ValidationFailed
from raigov.governance.common import clean, component_of
from raigov.identity.models import User
from raigov.identity.permissions import Actor, require
from raigov.inventory import service as inventory
from raigov.inventory.models import UseCase
from raigov.monitoring.models import CorrectiveAction, Incident, MonitorAlert
from raigov.oversight import appeals, signals

SEVERITIES = ("high", "medium", "low")
SOURCES = {"monitor_alert": "monitoring alert", "oversight_alert": "oversight alert", "appeal": "reversed appeal",
           "feedback": "feedback report"}


def open_incident(session: Session, actor: Actor, business_id: str, *, title: str, what_happened: str,
                  severity: str, affected: str = "", containment: str = "", alert_id: int | None = None,
                  source: tuple[str, int] | None = None) -> Incident:
    """Open an incident by hand, from a monitoring alert (`alert_id`) or from another source (`source`, as
    `open_from_source` has checked it)."""
    uc = inventory.get_use_case(session, actor, business_id)
    require(actor, "monitoring.incident.open", component_of(uc))
    title = clean(title, "title", "an incident needs a title")[:300]
    what_happened = clean(what_happened, "what_happened", "say what happened")
    if severity not in SEVERITIES:
        raise ValidationFailed.one("severity", f"one of {', '.join(SEVERITIES)}")
    if alert_id is not None:
        a = session.get(MonitorAlert, alert_id)
        if a is None or a.use_case_id != uc.id:
            raise ValidationFailed.one("alert_id", f"no alert {alert_id} of {uc.business_id}", "not-found")
        source = ("monitor_alert", alert_id)
    if source is not None:
        _not_opened_yet(session, uc, *source)
    inc = Incident(use_case_id=uc.id, alert_id=alert_id, title=title, what_happened=what_happened,
                   affected=(affected or "").strip(), severity=severity, containment=(containment or "").strip(),
                   status="open", opened_by=actor.label, source_kind=source[0] if source else None,
                   source_id=source[1] if source else None)
    session.add(inc)
    session.flush()
    record(session, actor, "monitoring.incident.open", "incident", inc.id, {"status": "open"},
           {"use_case": uc.business_id, "title": title[:200], "severity": severity, "alert": alert_id,
            "source": {"kind": source[0], "id": source[1]} if source else None})
    return inc


def _not_opened_yet(session: Session, uc: UseCase, kind: str, source_id: int) -> None:
    found = session.scalar(select(Incident.id).where(Incident.source_kind == kind, Incident.source_id == source_id,
                                                     Incident.status == "open"))
    if found is not None:
        raise Conflict(f"incident {found} of {uc.business_id} is already open for this {SOURCES[kind]}")


def source_facts(session: Session, actor: Actor, kind: str, source_id: int) -> dict:
    """The source of an incident, read through its domain's public functions: its use case's business id, a
    title and what it says. A source the actor may not read is refused by its own domain (403/404)."""
    if kind == "monitor_alert":
        a = session.get(MonitorAlert, source_id)
        if a is None:
            raise NotFound(f"no monitoring alert {source_id}")
        uc = session.get(UseCase, a.use_case_id)
        label = f"{a.metric} of {a.feature}" + (f" ({a.group_name})" if a.group_name else "")
        return {"use_case": uc.business_id, "title": f"Monitoring alert: {label}", "text":
                f"{a.severity} monitoring alert {a.id}: {a.metric} {a.value:.4g} against {a.threshold:.4g} "
                f"({a.threshold_source}); {a.method}"}
    if kind == "oversight_alert":
        a = signals.alert_view(session, source_id)
        if a is None:
            raise NotFound(f"no oversight alert {source_id}")
        title = {"automation_bias": "Possible automation bias", "refused_attempts": "Refused attempts",
                 "scale": "Authorized scale exceeded"}.get(a["kind"], a["title"])
        return {"use_case": a["use_case"], "title": f"Oversight alert: {title}",
                "text": f"Oversight alert {a['id']} of {a['day'].isoformat()} ({a['status']}): {a['words']}."}
    if kind == "appeal":
        a = appeals.get_appeal(session, actor, source_id)
        if a["outcome"] != "reversed":
            raise ValidationFailed.one("source", f"appeal {source_id} was not reversed (outcome: "
                                       f"{a['outcome'] or 'not decided'})")
        return {"use_case": a["use_case"], "title": f"Reversed appeal of decision {a['decision_detail']['decision_id']}",
                "text": f"Appeal {a['id']} against decision {a['decision_detail']['decision_id']} was reversed by "
                        f"{a['decided_by']}: {a['rationale']}\nGrounds: {a['grounds']}"}
    if kind == "feedback":
        f, uc = feedback.get(session, actor, source_id)
        return {"use_case": uc.business_id, "title": f"Public feedback report {f.id}",
                "text": f"Public feedback {f.id} received {f.received_at:%Y-%m-%d} (personal information masked):\n"
                        f"{f.body}"}
    raise ValidationFailed.one("source", f"one of {', '.join(SOURCES)}")


def open_from_source(session: Session, actor: Actor, kind: str, source_id: int, *, severity: str,
                     title: str = "", what_happened: str = "", affected: str = "", containment: str = "") -> Incident:
    """Open an incident of the source's use case from a monitoring alert, an oversight alert, a reversed appeal
    or a feedback report, recording the source; the title and what happened default to the source's own words.
    Refused (409) while an incident opened from the same source is open."""
    if kind not in SOURCES:
        raise ValidationFailed.one("source", f"one of {', '.join(SOURCES)}")
    facts = source_facts(session, actor, kind, source_id)
    what = (what_happened or "").strip()
    what = f"{what}\n\nFrom the {SOURCES[kind]}: {facts['text']}" if what else facts["text"]
    return open_incident(session, actor, facts["use_case"], title=(title or "").strip() or facts["title"],
                         what_happened=what, severity=severity, affected=affected, containment=containment,
                         alert_id=source_id if kind == "monitor_alert" else None,
                         source=None if kind == "monitor_alert" else (kind, source_id))


def _incident(session: Session, incident_id: int) -> tuple[Incident, UseCase]:
    inc = session.scalar(select(Incident).where(Incident.id == incident_id).with_for_update())
    if inc is None:
        raise NotFound(f"no incident {incident_id}")
    return inc, session.get(UseCase, inc.use_case_id)


def get_incident(session: Session, actor: Actor, incident_id: int) -> tuple[Incident, UseCase, list[CorrectiveAction]]:
    inc = session.get(Incident, incident_id)
    if inc is None:
        raise NotFound(f"no incident {incident_id}")
    uc = session.get(UseCase, inc.use_case_id)
    require(actor, "monitoring.monitor.read", component_of(uc))
    return inc, uc, actions_of(session, inc.id)


def actions_of(session: Session, incident_id: int) -> list[CorrectiveAction]:
    return list(session.scalars(select(CorrectiveAction).where(CorrectiveAction.incident_id == incident_id)
                                .order_by(CorrectiveAction.due_on, CorrectiveAction.id)))


def suspended(inc: Incident) -> bool:
    return inc.suspended_at is not None and inc.lifted_at is None


def suspend(session: Session, actor: Actor, incident_id: int, reason: str) -> Incident:
    """The component's AI lead or the CAIO suspends the use case for this incident."""
    inc, uc = _incident(session, incident_id)
    require(actor, "monitoring.incident.suspend", component_of(uc))
    reason = clean(reason, "reason", "a suspension needs its reason")
    if inc.status != "open":
        raise Conflict(f"incident {inc.id} is closed")
    if suspended(inc):
        raise Conflict(f"{uc.business_id} is already suspended for incident {inc.id}")
    inc.suspended_at, inc.suspended_by, inc.suspend_reason = utcnow(), actor.label, reason
    inc.lifted_at = inc.lifted_by = None
    session.flush()
    record(session, actor, "monitoring.incident.suspend", "incident", inc.id, {"suspended": True},
           {"use_case": uc.business_id, "reason": reason[:200]})
    return inc


def lift(session: Session, actor: Actor, incident_id: int, note: str) -> Incident:
    inc, uc = _incident(session, incident_id)
    require(actor, "monitoring.incident.suspend", component_of(uc))
    note = clean(note, "note", "say why the suspension can be lifted")
    if not suspended(inc):
        raise Conflict(f"{uc.business_id} is not suspended for incident {inc.id}")
    inc.lifted_at, inc.lifted_by = utcnow(), actor.label
    session.flush()
    record(session, actor, "monitoring.incident.lift", "incident", inc.id, {"suspended": False},
           {"use_case": uc.business_id, "note": note[:200]})
    return inc


def add_action(session: Session, actor: Actor, incident_id: int, *, description: str, owner: str,
               due_on: dt.date) -> CorrectiveAction:
    inc, uc = _incident(session, incident_id)
    require(actor, "monitoring.incident.open", component_of(uc))
    description = clean(description, "description", "say what is to be done")
    owner = clean(owner, "owner", "a corrective action needs an owner")
    if session.scalar(select(User.id).where(User.username == owner, User.is_active)) is None:
        raise ValidationFailed.one("owner", f"no active user {owner}", "not-found")
    if inc.status != "open":
        raise Conflict(f"incident {inc.id} is closed")
    act = CorrectiveAction(incident_id=inc.id, description=description, owner=owner, due_on=due_on,
                           created_by=actor.label)
    session.add(act)
    session.flush()
    record(session, actor, "monitoring.incident.action", "incident", inc.id, {"action": act.id},
           {"use_case": uc.business_id, "action": act.id, "owner": owner, "due_on": due_on.isoformat()})
    return act


def complete_action(session: Session, actor: Actor, action_id: int, done_on: dt.date | None = None) -> CorrectiveAction:
    act = session.get(CorrectiveAction, action_id)
    if act is None:
        raise NotFound(f"no corrective action {action_id}")
    inc, uc = _incident(session, act.incident_id)
    require(actor, "monitoring.incident.open", component_of(uc))
    if act.done_on is not None:
        raise Conflict(f"corrective action {act.id} is already done")
    act.done_on = done_on or agency_today()
    session.flush()
    record(session, actor, "monitoring.incident.action", "incident", inc.id, {"action": act.id, "done": True},
           {"use_case": uc.business_id, "action": act.id, "done_on": act.done_on.isoformat()})
    return act


def close_incident(session: Session, actor: Actor, incident_id: int, note: str) -> Incident:
    inc, uc = _incident(session, incident_id)
    require(actor, "monitoring.incident.close", component_of(uc))
    note = clean(note, "note", "closing an incident needs a note")
    if inc.status != "open":
        raise Conflict(f"incident {inc.id} is already closed")
    if suspended(inc):
        raise Conflict(f"{uc.business_id} is suspended for incident {inc.id}: lift the suspension first")
    inc.status, inc.closed_at, inc.closed_by, inc.close_note = "closed", utcnow(), actor.label, note
    session.flush()
    record(session, actor, "monitoring.incident.close", "incident", inc.id, {"status": "closed"},
           {"use_case": uc.business_id, "note": note[:200]})
    return inc


def incidents_of(session: Session, use_case_id: int) -> list[Incident]:
    return list(session.scalars(select(Incident).where(Incident.use_case_id == use_case_id)
                                .order_by(Incident.status.desc(), Incident.id.desc())))
