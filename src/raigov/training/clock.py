"""The training clock of ``raigov jobs run`` (registered in training/register.py): a reminder to the person
when their newest completion of a course expires within REMINDER_DAYS, and an escalation once it has expired,
to the person and their supervisor (or, without one, the training coordinators who reach the person's
component). One notice per event, its key naming the person, course and expiry date, so a run repeated the
same day or the next creates nothing new; a new completion ends the escalations (its own expiry is a new
event)."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from raigov.identity.models import OrgUnit, RoleAssignment, Supervision, User
from raigov.jobs.clocks import ESCALATION, REMINDER, DueNotice, Recipient
from raigov.training.courses import courses
from raigov.training.models import Completion

REMINDER_DAYS = 30
ESCALATION_DAYS = 90  # escalate a lapsed course for this long after its expiry (then the ledger page shows it)


def _coordinators(session: Session) -> dict[str | None, list[str]]:
    """Training coordinators by the unit code of their grant (None: department-wide)."""
    out: dict[str | None, list[str]] = {}
    rows = session.execute(select(User.username, OrgUnit.code).join(RoleAssignment, RoleAssignment.user_id == User.id)
                           .outerjoin(OrgUnit, OrgUnit.id == RoleAssignment.org_unit_id)
                           .where(RoleAssignment.role == "training_coordinator", User.is_active))
    for name, code in rows:
        out.setdefault(None if code in (None, "DHS") else code, []).append(name)
    return out


def training_due(session: Session, today: dt.date, settings) -> list[DueNotice]:
    """The notices due on `today` for courses expiring soon or expired (see the module's docstring)."""
    newest = (select(Completion.user_id, Completion.course_id, func.max(Completion.completed_on).label("last"))
              .group_by(Completion.user_id, Completion.course_id).subquery())
    boss = aliased(User)
    rows = session.execute(
        select(User.id, User.username, OrgUnit.code, Completion.course_id, Completion.expires_on, boss.username)
        .join(newest, (newest.c.user_id == Completion.user_id) & (newest.c.course_id == Completion.course_id)
              & (newest.c.last == Completion.completed_on))
        .join(User, User.id == Completion.user_id)
        .outerjoin(OrgUnit, OrgUnit.id == User.org_unit_id)
        .outerjoin(Supervision, Supervision.user_id == User.id)
        .outerjoin(boss, boss.id == Supervision.supervisor_id)
        .where(User.is_active, Completion.expires_on.is_not(None),
               Completion.expires_on <= today + dt.timedelta(days=REMINDER_DAYS),
               Completion.expires_on >= today - dt.timedelta(days=ESCALATION_DAYS))
        .order_by(User.username, Completion.course_id)).all()
    coordinators = _coordinators(session) if rows else {}
    base = (getattr(settings, "base_url", "") or "").rstrip("/")
    out = []
    for uid, name, code, cid, expires, supervisor in rows:
        title = courses()[cid].title if cid in courses() else cid
        if expires >= today:
            to = (Recipient(name, "course holder"),)
            event, level = "expiring", REMINDER
            subject = f"Your training '{title}' expires on {expires.isoformat()}"
            body = (f"Your completion of '{title}' counts until {expires.isoformat()}. Take the course again before "
                    f"then: GenAI tools that require it are suspended when it lapses.\n{base}/training/me\n")
        else:
            extra = [supervisor] if supervisor else coordinators.get(code, []) + coordinators.get(None, [])
            to = (Recipient(name, "course holder"),) + tuple(
                Recipient(u, "supervisor" if supervisor else "training coordinator") for u in dict.fromkeys(extra) if u != name)
            event, level = "expired", ESCALATION
            subject = f"Training '{title}' of {name} expired on {expires.isoformat()}"
            body = (f"The completion of '{title}' by {name} expired on {expires.isoformat()}. Their GenAI tools that "
                    f"require the course are suspended until it is taken again.\n{base}/training/me\n")
        out.append(DueNotice(f"training:{uid}.{cid}:{event}:{expires.isoformat()}", "training_expiry", level, to,
                             subject, body, "training", f"{uid}.{cid}", expires))
    return out
