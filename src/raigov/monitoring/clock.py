"""The monitoring clock of `raigov jobs run` (registered in monitoring/register.py): from a few reads, the
notices due today. Keys name the object, the event and its date, so a notice is created once
(raigov.jobs.clocks).

==========================  ============================================================================
event                       notice (to whom)
==========================  ============================================================================
alert opened                once: the use case's owners and the component AI lead(s); the CAIO too when
                            the alert is of high severity (an escalation)
window overdue              once per due date: the owners and the component AI lead(s)
high-severity incident      once: the CAIO (at once: the next run) and the component AI lead(s)
corrective action           due within 7 days: its owner; past due and not done: its owner, the component
                            AI lead(s) and the CAIO
==========================  ============================================================================
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.clock import agency_today
from raigov.config import Settings
from raigov.identity.models import OrgUnit, RoleAssignment, User
from raigov.identity.service import ancestors_map
from raigov.inventory.models import UseCase, UseCasePerson
from raigov.inventory.vocab import UseCaseStatus
from raigov.jobs.clocks import ESCALATION, REMINDER, Directory, DueNotice, Recipient
from raigov.monitoring.models import CorrectiveAction, Incident, Monitor, MonitorAlert
from raigov.monitoring.reads import alert_words, due_on, last_windows

ACTION_WARNING_DAYS = 7


class _People:
    def __init__(self, session: Session):
        grants = tuple(session.execute(
            select(User.username, RoleAssignment.role, OrgUnit.code)
            .join(RoleAssignment, RoleAssignment.user_id == User.id)
            .outerjoin(OrgUnit, OrgUnit.id == RoleAssignment.org_unit_id).where(User.is_active)))
        self.directory = Directory(grants, ancestors_map(session))
        self.owners: dict[int, list[str]] = {}
        for uc_id, username in session.execute(
                select(UseCasePerson.use_case_id, User.username).join(User, User.id == UseCasePerson.user_id)
                .where(UseCasePerson.role == "owner", User.is_active).order_by(UseCasePerson.id)):
            self.owners.setdefault(uc_id, []).append(username)

    def to(self, uc_id: int, component: str | None, *, owners=True, leads=True, caio=False,
           extra: tuple[tuple[str, str], ...] = ()) -> tuple[Recipient, ...]:
        out: dict[str, str] = {}
        for u, role in extra:
            out.setdefault(u, role)
        for u in self.owners.get(uc_id, []) if owners else []:
            out.setdefault(u, "owner")
        for u in self.directory.leads(component) if leads else []:
            out.setdefault(u, "component_ai_lead")
        if caio or not out:  # nobody else: the CAIO, so that no notice is addressed to nobody
            for u in self.directory.caio():
                out.setdefault(u, "caio")
        return tuple(Recipient(u, r) for u, r in out.items())


def monitoring_due(session: Session, today: dt.date, settings: Settings) -> list[DueNotice]:
    """Every monitoring notice due on `today` (use cases not retired).

    Long because each of the four events is one query and its notice, kept side by side."""
    ucs = {r.id: r for r in session.execute(
        select(UseCase.id, UseCase.business_id, UseCase.name, OrgUnit.code, OrgUnit.kind)
        .outerjoin(OrgUnit, OrgUnit.id == UseCase.org_unit_id).where(UseCase.status != UseCaseStatus.RETIRED))}
    people = _People(session)
    base = settings.base_url.rstrip("/")
    out: list[DueNotice] = []

    def comp(uc_id):
        r = ucs[uc_id]
        return r.code if r.code and r.kind != "department" else None

    def link(uc_id):
        return f"{base}/inventory/{ucs[uc_id].business_id}/monitoring"

    for a in session.scalars(select(MonitorAlert).where(MonitorAlert.status == "open").order_by(MonitorAlert.id)):
        if a.use_case_id not in ucs:
            continue
        uc, high = ucs[a.use_case_id], a.severity == "high"
        out.append(DueNotice(f"monitor_alert:{a.id}:opened", "monitoring_alert", ESCALATION if high else REMINDER,
                             people.to(a.use_case_id, comp(a.use_case_id), caio=high),
                             f"{uc.business_id}: {a.severity}-severity monitoring alert",
                             f"{uc.name} ({uc.business_id}): {alert_words(a, None, None)}.\nA reviewer of the use case "
                             f"must close the alert with a note: {link(a.use_case_id)}\n",
                             "monitor_alert", str(a.id), agency_today(now=a.opened_at)))
    mons = [m for m in session.scalars(select(Monitor).order_by(Monitor.id)) if m.use_case_id in ucs]
    last = last_windows(session, [m.id for m in mons])
    for m in mons:
        due = due_on(m, last.get(m.id))
        if due < today:
            uc = ucs[m.use_case_id]
            out.append(DueNotice(f"monitor:{m.id}:overdue:{due.isoformat()}", "monitoring_window_overdue", ESCALATION,
                                 people.to(m.use_case_id, comp(m.use_case_id)),
                                 f"{uc.business_id}: monitoring window overdue",
                                 f"{uc.name} ({uc.business_id}): the monitor '{m.name}' expected a {m.cadence} window by "
                                 f"{due.isoformat()}. Until one arrives the gate does not authorize the use case.\n"
                                 f"{link(m.use_case_id)}\n", "monitor", str(m.id), due))
    for i in session.scalars(select(Incident).where(Incident.status == "open", Incident.severity == "high")
                             .order_by(Incident.id)):
        if i.use_case_id in ucs:
            uc = ucs[i.use_case_id]
            out.append(DueNotice(f"incident:{i.id}:opened", "high_severity_incident", ESCALATION,
                                 people.to(i.use_case_id, comp(i.use_case_id), owners=False, caio=True),
                                 f"{uc.business_id}: high-severity AI incident", f"{uc.name} ({uc.business_id}): "
                                 f"incident '{i.title}': {i.what_happened}\n{link(i.use_case_id)}\n",
                                 "incident", str(i.id), agency_today(now=i.opened_at)))
    horizon = today + dt.timedelta(days=ACTION_WARNING_DAYS)
    for act, uc_id in session.execute(
            select(CorrectiveAction, Incident.use_case_id).join(Incident, Incident.id == CorrectiveAction.incident_id)
            .where(CorrectiveAction.done_on.is_(None), CorrectiveAction.due_on <= horizon).order_by(CorrectiveAction.id)):
        if uc_id not in ucs:
            continue
        late = act.due_on < today
        uc = ucs[uc_id]
        out.append(DueNotice(f"incident_action:{act.id}:{'overdue' if late else 'due'}:{act.due_on.isoformat()}",
                             "corrective_action", ESCALATION if late else REMINDER,
                             people.to(uc_id, comp(uc_id), owners=False, leads=late, caio=late,
                                       extra=((act.owner, "action_owner"),)),
                             f"{uc.business_id}: corrective action {'past due' if late else 'due'} on "
                             f"{act.due_on.isoformat()}", f"{uc.name} ({uc.business_id}): {act.description}\n"
                             f"{link(uc_id)}\n", "incident_action", str(act.id), act.due_on))
    return sorted(out, key=lambda n: n.key)


def _pairs(object_id, use_case_id):
    return select(object_id.label("object_id"), use_case_id.label("use_case_id"))


def alert_objects():
    return _pairs(MonitorAlert.id, MonitorAlert.use_case_id)


def monitor_objects():
    return _pairs(Monitor.id, Monitor.use_case_id)


def incident_objects():
    return _pairs(Incident.id, Incident.use_case_id)


def action_objects():
    return (select(CorrectiveAction.id.label("object_id"), Incident.use_case_id.label("use_case_id"))
            .join(Incident, Incident.id == CorrectiveAction.incident_id))
