"""The appeals clock of ``raigov jobs run`` (registered in oversight/register.py), from remedies.yaml:

- a **reminder** to the appeals officers of the use case's component (else its AI lead, else the CAIO) when an
  open appeal is due within ``reminder_days``;
- an **escalation** once it is past due, to the officers, the component's AI lead(s) and the CAIO;
- a **reversal alert** when a use case's reversed appeals within ``reversal_alert.window_days`` reach
  ``reversal_alert.reversals``: it asks the use case's reviewers (its operator roster) and the component's AI
  lead(s) to look again at how the AI output is used. A further reversal while past the threshold asks again.

One notice per event, its key naming the appeal (or the newest reversal) and the date, so running again creates
nothing new."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from raigov.identity.models import OrgUnit, RoleAssignment, User
from raigov.identity.units import ancestors_map
from raigov.inventory.access import component_of
from raigov.inventory.models import UseCase
from raigov.jobs.clocks import ESCALATION, REMINDER, Directory, DueNotice, Recipient
from raigov.oversight.models import Operator
from raigov.oversight.remedies import remedies
from raigov.oversight.remedy_models import Appeal

OFFICER = "appeals_officer"


def _directory(session: Session) -> Directory:
    grants = tuple((u, role, code) for u, role, code in session.execute(
        select(User.username, RoleAssignment.role, OrgUnit.code)
        .join(RoleAssignment, RoleAssignment.user_id == User.id)
        .outerjoin(OrgUnit, OrgUnit.id == RoleAssignment.org_unit_id)
        .where(User.is_active)))
    return Directory(grants, ancestors_map(session))


def _to(*groups: tuple[list[str], str]) -> tuple[Recipient, ...]:
    seen: dict[str, str] = {}
    for names, role in groups:
        for n in names:
            seen.setdefault(n, role)
    return tuple(Recipient(u, r) for u, r in seen.items())


def _use_cases(session: Session, ids: set[int]) -> dict[int, UseCase]:
    if not ids:
        return {}
    return {uc.id: uc for uc in session.scalars(select(UseCase).options(joinedload(UseCase.org_unit))
                                                 .where(UseCase.id.in_(sorted(ids))))}


def _deadlines(session: Session, today: dt.date, directory: Directory, base: str) -> list[DueNotice]:
    r = remedies()
    rows = session.scalars(select(Appeal).where(Appeal.status == "open",
                                                Appeal.due_on <= today + dt.timedelta(days=r.reminder_days))
                           .order_by(Appeal.due_on, Appeal.id)).all()
    ucs = _use_cases(session, {a.use_case_id for a in rows})
    out = []
    for a in rows:
        uc = ucs[a.use_case_id]
        comp = component_of(uc)
        officers = directory.holders((OFFICER,), comp, "component")
        late = a.due_on < today
        if late:
            to = _to((officers, OFFICER), (directory.leads(comp), "component_ai_lead"), (directory.caio(), "caio"))
        else:
            to = _to((officers, OFFICER)) or _to((directory.leads(comp), "component_ai_lead")) or \
                _to((directory.caio(), "caio"))
        if not to:
            continue
        days = (a.due_on - today).days
        when = f"{-days} day(s) overdue" if late else ("due today" if days == 0 else f"due in {days} day(s)")
        subject = (f"[raigov] {'ESCALATION: ' if late else ''}appeal {a.id} ({uc.business_id}) is {when} "
                   f"({a.due_on.isoformat()})")
        body = (f"An appeal against decision {a.decision_pk} of {uc.business_id} ({uc.name}), filed on "
                f"{a.filed_on.isoformat()}, is {when}. Decide it: upheld, modified or reversed, with a rationale.\n"
                f"{base}/oversight/appeals/{a.id}\n")
        out.append(DueNotice(f"appeal:{a.id}:{'overdue' if late else 'due'}:{a.due_on.isoformat()}",
                             "appeal_overdue" if late else "appeal_due", ESCALATION if late else REMINDER, to,
                             subject, body, "appeal", str(a.id), a.due_on))
    return out


def _reversals(session: Session, today: dt.date, directory: Directory, base: str) -> list[DueNotice]:
    r = remedies()
    since = today - dt.timedelta(days=r.reversal_window_days - 1)
    rows = session.execute(select(Appeal.use_case_id, func.count(), func.max(Appeal.id))
                           .where(Appeal.outcome == "reversed", Appeal.decided_on >= since, Appeal.decided_on <= today)
                           .group_by(Appeal.use_case_id).having(func.count() >= r.reversal_threshold)).all()
    ucs = _use_cases(session, {u for u, _, _ in rows})
    active = set(session.scalars(select(User.username).where(User.is_active)))
    out = []
    for uc_id, n, newest in sorted(rows):
        uc = ucs[uc_id]
        comp = component_of(uc)
        roster = sorted(u for u in session.scalars(select(Operator.username).where(Operator.use_case_id == uc_id))
                        if u in active)
        to = _to((roster, "operator"), (directory.leads(comp), "component_ai_lead")) or _to((directory.caio(), "caio"))
        if not to:
            continue
        subject = f"[raigov] {n} appeals reversed in {r.reversal_window_days} days: look again at {uc.business_id}"
        body = (f"{n} appeals against decisions of {uc.business_id} ({uc.name}) were reversed in the last "
                f"{r.reversal_window_days} days (the threshold is {r.reversal_threshold}). Reversals are the strongest "
                "sign that the AI output, or the way it is relied on, is wrong: reviewers, look again at how you "
                f"use it; the component's AI lead, consider a review of the use case.\n"
                f"{base}/oversight/appeals?status=decided\n{base}/oversight/use-cases/{uc.business_id}\n")
        out.append(DueNotice(f"appeal_reversals:{uc_id}:{newest}", "appeal_reversals", ESCALATION, to, subject, body,
                             "appeal", str(newest), today))
    return out


def due(session: Session, today: dt.date, settings) -> list[DueNotice]:
    """The notices due on `today` (see the module's docstring)."""
    directory = _directory(session)
    base = (getattr(settings, "base_url", "") or "").rstrip("/")
    return _deadlines(session, today, directory, base) + _reversals(session, today, directory, base)


def objects():
    """Each appeal notice's use case (the Notices page's filter)."""
    return select(Appeal.id.label("object_id"), Appeal.use_case_id.label("use_case_id"))
