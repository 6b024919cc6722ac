"""Appeals and remedies (OMB M-25-21 App. §4(b)(vi)): an appeal filed against a recorded decision, by staff
intake or by the operational system, goes to the appeals officers of the use case's component, on the clock of
remedies.yaml (due `clock_days` after filing; reminders and escalation: appeals_clock.py), and is decided once:
upheld, modified or reversed, with a rationale. Filing and deciding each append an audit event and add to the
remedy counts; the decision itself is never changed (the ledger is append-only: a reversal is recorded here,
and the system records a correction if it acts on it)."""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from raigov.audit.service import record
from raigov.clock import agency_today
from raigov.db.base import utcnow
from raigov.domains import TaskItem
from raigov.errors import Conflict, FieldError, NotFound, ValidationFailed
from raigov.identity.permissions import Actor, can, components_visible, require
from raigov.inventory.access import component_of, in_units
from raigov.inventory.models import UseCase
from raigov.oversight import remedy_counts
from raigov.oversight.models import Decision
from raigov.oversight.remedies import remedies
from raigov.oversight.remedy_models import Appeal

FILE, READ, DECIDE = "oversight.appeal.file", "oversight.appeal.read", "oversight.appeal.decide"
STATUSES = ("open", "decided", "all")


def _use_case(session: Session, use_case_id: int) -> UseCase:
    return session.scalar(select(UseCase).options(joinedload(UseCase.org_unit)).where(UseCase.id == use_case_id))


def file_appeal(session: Session, actor: Actor, decision_pk: int, grounds: str,
                now: dt.datetime | None = None) -> tuple[Appeal, bool]:
    """File an appeal against a recorded decision: (the appeal, True) when new; (the open appeal, False) when the
    same filer sent the same grounds before (a retry). Another open appeal of the decision is a Conflict."""
    now = now or utcnow()
    d = session.get(Decision, decision_pk)
    if d is None:
        raise NotFound(f"no decision {decision_pk}")
    uc = _use_case(session, d.use_case_id)
    require(actor, FILE, component_of(uc))
    grounds = (grounds or "").strip()
    if not grounds:
        raise ValidationFailed.one("grounds", "say why the decision is contested", "missing")
    pending = session.scalar(select(Appeal).where(Appeal.decision_pk == d.id, Appeal.status == "open"))
    if pending is not None:
        if pending.grounds == grounds and pending.filed_by == actor.label:
            return pending, False
        raise Conflict(f"decision {d.id} already has an open appeal ({pending.id}), due {pending.due_on.isoformat()}",
                       errors=[FieldError("decision", f"already appealed: appeal {pending.id} is open", "conflict")])
    today = agency_today(now=now)
    a = Appeal(decision_pk=d.id, use_case_id=uc.id, channel="system" if actor.kind == "service" else "staff",
               grounds=grounds, filed_by=actor.label, filed_at=now, filed_on=today,
               due_on=today + dt.timedelta(days=remedies().clock_days), status="open")
    session.add(a)
    session.flush()
    state = {"appeal": a.id, "decision": d.id, "decision_id": d.decision_id, "use_case": uc.business_id,
             "channel": a.channel, "due_on": a.due_on.isoformat()}
    record(session, actor, "oversight.appeal.file", "appeal", a.id, {**state, "grounds": grounds}, state)
    remedy_counts.add(session, Counter({(uc.id, today, "appeal_filed"): 1}))
    return a, True


def decide_appeal(session: Session, actor: Actor, appeal_id: int, outcome: str, rationale: str,
                  now: dt.datetime | None = None) -> Appeal:
    """Decide an open appeal: upheld, modified or reversed, with a rationale. Whoever reviewed the AI output of
    the decision does not decide its appeal."""
    now = now or utcnow()
    a = session.get(Appeal, appeal_id)
    if a is None:
        raise NotFound(f"no appeal {appeal_id}")
    uc = _use_case(session, a.use_case_id)
    require(actor, DECIDE, component_of(uc))
    if a.status != "open":
        raise Conflict(f"appeal {a.id} was decided before ({a.outcome})")
    errors = []
    if outcome not in remedies().outcomes:
        errors.append(FieldError("outcome", f"one of {', '.join(remedies().outcomes)}", "invalid"))
    rationale = (rationale or "").strip()
    if not rationale:
        errors.append(FieldError("rationale", "say why, for the record and for the person", "missing"))
    d = session.get(Decision, a.decision_pk)
    if d.reviewer is not None and d.reviewer == actor.username:
        errors.append(FieldError("form", "you reviewed this decision: another appeals officer decides its appeal",
                                 "independence"))
    if errors:
        raise ValidationFailed(f"{errors[0].field}: {errors[0].message}", errors=errors)
    today = agency_today(now=now)
    a.status, a.outcome, a.rationale = "decided", outcome, rationale
    a.decided_by, a.decided_at, a.decided_on = actor.label, now, today
    state = {"appeal": a.id, "decision": d.id, "use_case": uc.business_id, "outcome": outcome,
             "within_clock": today <= a.due_on}
    record(session, actor, "oversight.appeal.decide", "appeal", a.id, {**state, "rationale": rationale}, state)
    remedy_counts.add(session, Counter({(uc.id, today, f"appeal_{outcome}"): 1}))
    session.flush()
    return a


def appeal_out(a: Appeal, business_id: str, today: dt.date | None = None) -> dict:
    today = today or agency_today()
    return {"id": a.id, "decision": a.decision_pk, "use_case": business_id, "channel": a.channel, "grounds": a.grounds,
            "filed_by": a.filed_by, "filed_at": a.filed_at, "due_on": a.due_on, "status": a.status,
            "overdue": a.status == "open" and a.due_on < today, "outcome": a.outcome, "rationale": a.rationale,
            "decided_by": a.decided_by, "decided_at": a.decided_at,
            "within_clock": None if a.decided_on is None else a.decided_on <= a.due_on}


def appeal_view(session: Session, a: Appeal) -> dict:
    """An appeal as the API answers it, with its use case's business id."""
    return appeal_out(a, session.get(UseCase, a.use_case_id).business_id)


def list_appeals(session: Session, actor: Actor, status: str = "open", limit: int = 200) -> list[dict]:
    """The appeals of the use cases the actor may read appeals of, open ones by due date, decided newest first."""
    require(actor, READ)
    q = (select(Appeal, UseCase.business_id, UseCase.name).join(UseCase, UseCase.id == Appeal.use_case_id))
    codes = components_visible(actor, READ)
    if codes is not None:
        q = q.where(in_units(session, codes))
    if status in ("open", "decided"):
        q = q.where(Appeal.status == status)
    q = q.order_by(Appeal.due_on, Appeal.id) if status == "open" else q.order_by(Appeal.id.desc())
    today = agency_today()
    return [{**appeal_out(a, bid, today), "use_case_name": name}
            for a, bid, name in session.execute(q.limit(min(limit, 1000)))]


def get_appeal(session: Session, actor: Actor, appeal_id: int) -> dict:
    """One appeal with the decision it contests (the ledger item's fields) and whether the actor may decide it."""
    a = session.get(Appeal, appeal_id)
    if a is None:
        raise NotFound(f"no appeal {appeal_id}")
    uc = _use_case(session, a.use_case_id)
    require(actor, READ, component_of(uc))
    d = session.get(Decision, a.decision_pk)
    decision = {"id": d.id, "decision_id": d.decision_id, "kind": d.kind, "ai_version": d.ai_version,
                "ai_output": d.ai_output, "reviewer": d.reviewer, "human_action": d.human_action,
                "rationale": d.rationale, "other_bases": d.other_bases, "decided_at": d.decided_at,
                "notice": d.notice}
    return {**appeal_out(a, uc.business_id), "use_case_name": uc.name, "decision_detail": decision,
            "may_decide": a.status == "open" and can(actor, DECIDE, component_of(uc)),
            "citation": remedies().appeal_citation}


def waiting(session: Session, actor: Actor, today: dt.date) -> list[TaskItem]:
    """The home page's task: open appeals the actor may decide, by due date (overdue once past it)."""
    if actor.kind != "user":
        return []
    q = (select(Appeal.id, Appeal.due_on, UseCase.business_id).join(UseCase, UseCase.id == Appeal.use_case_id)
         .where(Appeal.status == "open"))
    codes = components_visible(actor, DECIDE)
    if codes is not None:
        q = q.where(in_units(session, codes))
    return [TaskItem(f"Appeal {i} ({bid})", f"/oversight/appeals/{i}", due, due < today)
            for i, due, bid in session.execute(q.order_by(Appeal.due_on, Appeal.id).limit(500))]
