"""Reading the ledger: one decision, a use case's decisions, its statistics (from the daily counts only, never
the ledger) and the use cases a person may read with their counts. Nothing here writes."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from raigov.errors import NotFound
from raigov.identity.permissions import Actor, require
from raigov.inventory.access import component_of, readable
from raigov.inventory.models import UseCase
from raigov.oversight import remedy_counts
from raigov.oversight.ledger import item_of
from raigov.oversight.models import DailyCount, Decision, OperatorCount
from raigov.oversight.people import use_case
from raigov.oversight.remedy_models import Appeal
from raigov.oversight.vocab import HumanAction, Outcome

READ = "oversight.decision.read"


def decision_out(d: Decision, bid: str) -> dict:
    """A stored decision as the API shows it: its ledger item, its id and where it was recorded."""
    return {"id": d.id, **item_of(bid, d.system, d), "recorded_at": d.recorded_at, "item_hash": d.item_hash,
            "batch_seq": d.batch_seq, "batch_index": d.batch_index}


def get_decision(session: Session, actor: Actor, decision_pk: int) -> tuple[Decision, UseCase]:
    d = session.get(Decision, decision_pk)
    if d is None:
        raise NotFound(f"no decision {decision_pk}")
    uc = session.scalar(select(UseCase).options(joinedload(UseCase.org_unit)).where(UseCase.id == d.use_case_id))
    require(actor, READ, component_of(uc))
    return d, uc


def list_decisions(session: Session, actor: Actor, business_id: str, *, limit: int = 50,
                   before: int | None = None) -> list[dict]:
    """The newest decisions of a use case (by ledger id, `before` for the next page)."""
    uc = use_case(session, business_id)
    require(actor, READ, component_of(uc))
    q = select(Decision).where(Decision.use_case_id == uc.id)
    if before is not None:
        q = q.where(Decision.id < before)
    return [decision_out(d, uc.business_id) for d in session.scalars(q.order_by(Decision.id.desc()).limit(min(limit, 500)))]


def stats(session: Session, actor: Actor, business_id: str, since: dt.date | None = None,
          until: dt.date | None = None) -> dict:
    """Counts by kind, human action and outcome, by day, and the override rate of reviewed decisions, over the
    agency days [since, until] (both optional), aggregated in SQL from the daily counts alone."""
    uc = use_case(session, business_id)
    require(actor, READ, component_of(uc))
    where = [DailyCount.use_case_id == uc.id]
    if since is not None:
        where.append(DailyCount.day >= since)
    if until is not None:
        where.append(DailyCount.day <= until)
    total = func.sum(DailyCount.count)
    conn = session.connection()
    totals = {o.value: 0 for o in Outcome}
    by_kind: dict[str, dict] = {}
    by_action = {a.value: 0 for a in HumanAction}
    for kind, action, outcome, n in conn.execute(
            select(DailyCount.kind, DailyCount.human_action, DailyCount.outcome, total).where(*where)
            .group_by(DailyCount.kind, DailyCount.human_action, DailyCount.outcome)):
        n = int(n)
        totals[outcome] = totals.get(outcome, 0) + n
        k = by_kind.setdefault(kind, {o.value: 0 for o in Outcome})
        k[outcome] = k.get(outcome, 0) + n
        if outcome == Outcome.RECORDED:
            by_action[action] = by_action.get(action, 0) + n
    days: dict[dt.date, dict] = {}
    for day, outcome, n in conn.execute(select(DailyCount.day, DailyCount.outcome, total).where(*where)
                                        .group_by(DailyCount.day, DailyCount.outcome)):
        days.setdefault(day, {o.value: 0 for o in Outcome})[outcome] = int(n)
    reviewed = sum(v for a, v in by_action.items() if a != HumanAction.NONE)
    return {"use_case": uc.business_id, "since": since, "until": until, "totals": totals, "by_kind": by_kind,
            "by_human_action": by_action, "reviewed": reviewed,
            "override_rate": round(by_action[HumanAction.OVERRODE] / reviewed, 6) if reviewed else None,
            "days": [{"day": day, **v} for day, v in sorted(days.items())],
            "remedies": remedy_counts.stats(session, uc.id, since, until),  # notices and appeals (remedy_counts.py)
            "by_operator": by_operator(session, uc.id, reviewed, since, until)}


def operator_appeals(session: Session, use_case_id: int, since: dt.date | None = None,
                     until: dt.date | None = None) -> dict[str, dict]:
    """Per reviewer: the appeals filed in [since, until] against decisions they reviewed (by the agency day of
    filing), and those decided in it (by the day of the decision) and reversed. Read from the appeals, each joined
    to the one decision it contests by its primary key (the remedy counts carry no reviewer); never a scan of the
    ledger."""
    def window(col) -> list:
        return [c for c in ((col >= since) if since is not None else None, (col <= until) if until is not None else None)
                if c is not None]

    base = (select(Decision.reviewer, func.count()).select_from(Appeal).join(Decision, Decision.id == Appeal.decision_pk)
            .where(Appeal.use_case_id == use_case_id, Decision.reviewer.is_not(None)))
    out: dict[str, dict] = {}

    def row(reviewer: str) -> dict:
        return out.setdefault(reviewer, {"appeals": 0, "appeals_decided": 0, "appeals_reversed": 0})

    for reviewer, n in session.execute(base.where(*window(Appeal.filed_on)).group_by(Decision.reviewer)):
        row(reviewer)["appeals"] = int(n)
    for reviewer, n, outcome in session.execute(
            base.add_columns(Appeal.outcome).where(Appeal.status == "decided", *window(Appeal.decided_on))
            .group_by(Decision.reviewer, Appeal.outcome)):
        row(reviewer)["appeals_decided"] += int(n)
        if outcome == "reversed":
            row(reviewer)["appeals_reversed"] += int(n)
    return out


def operator_appeal_days(session: Session, use_case_id: int, since: dt.date, until: dt.date,
                         reviewer: str | None = None) -> list[tuple]:
    """(reviewer, agency day, measure, n) rows, as ``operator_appeals`` counts them but per day: the appeals
    against decisions each reviewer reviewed, filed in [since, until] (``appeal_filed``, by the agency day of
    filing) and decided in it (``appeal_upheld``, ``appeal_modified``, ``appeal_reversed``, by the day decided),
    the measures of the remedy counts. Aggregated in SQL, each appeal joined to the one decision it contests by its
    primary key (never a scan of the ledger); `reviewer` keeps one."""
    def base(*cols):
        q = (select(Decision.reviewer, *cols, func.count()).select_from(Appeal)
             .join(Decision, Decision.id == Appeal.decision_pk)
             .where(Appeal.use_case_id == use_case_id, Decision.reviewer.is_not(None)))
        return q if reviewer is None else q.where(Decision.reviewer == reviewer)

    rows = [(r, day, "appeal_filed", int(n)) for r, day, n in session.execute(
        base(Appeal.filed_on).where(Appeal.filed_on >= since, Appeal.filed_on <= until)
        .group_by(Decision.reviewer, Appeal.filed_on))]
    rows += [(r, day, f"appeal_{outcome}", int(n)) for r, day, outcome, n in session.execute(
        base(Appeal.decided_on, Appeal.outcome)
        .where(Appeal.status == "decided", Appeal.decided_on >= since, Appeal.decided_on <= until)
        .group_by(Decision.reviewer, Appeal.decided_on, Appeal.outcome))]
    return rows


def by_operator(session: Session, use_case_id: int, reviewed: int, since: dt.date | None = None,
                until: dt.date | None = None) -> list[dict]:
    """Per reviewer of the use case (from the operator counts): the decisions they reviewed, their share of the
    use case's reviewed decisions, how many they accepted, modified and overrode, and their override and
    modification rates; with the appeals against their decisions (``operator_appeals``): filed, decided, reversed,
    the appeal rate (appeals filed over their decisions in the window) and the reversal rate (reversed over
    decided). A reviewer with appeals in the window but no decision in it has a row too. Most decisions first."""
    where = [OperatorCount.use_case_id == use_case_id]
    if since is not None:
        where.append(OperatorCount.day >= since)
    if until is not None:
        where.append(OperatorCount.day <= until)
    per: dict[str, dict] = {}
    for reviewer, action, n in session.execute(
            select(OperatorCount.reviewer, OperatorCount.human_action, func.sum(OperatorCount.count)).where(*where)
            .group_by(OperatorCount.reviewer, OperatorCount.human_action)):
        row = per.setdefault(reviewer, {"reviewer": reviewer, "decisions": 0, "accepted": 0, "modified": 0,
                                        "overrode": 0})
        row[action] = row.get(action, 0) + int(n)
        row["decisions"] += int(n)
    appeals = operator_appeals(session, use_case_id, since, until)
    for reviewer in appeals:
        per.setdefault(reviewer, {"reviewer": reviewer, "decisions": 0, "accepted": 0, "modified": 0, "overrode": 0})
    out = []
    for reviewer, row in per.items():
        d = row["decisions"]
        ap = appeals.get(reviewer, {"appeals": 0, "appeals_decided": 0, "appeals_reversed": 0})
        out.append({**row, "share_of_reviewed": round(d / reviewed, 6) if reviewed else None,
                    "override_rate": round(row["overrode"] / d, 6) if d else None,
                    "modified_rate": round(row["modified"] / d, 6) if d else None, **ap,
                    "appeal_rate": round(ap["appeals"] / d, 6) if d else None,
                    "reversal_rate": round(ap["appeals_reversed"] / ap["appeals_decided"], 6)
                    if ap["appeals_decided"] else None})
    return sorted(out, key=lambda r: (-r["decisions"], r["reviewer"]))


def overview(session: Session, actor: Actor) -> list[dict]:
    """The use cases the actor may read decisions of that have any, with their counts (from the daily counts)."""
    scope = readable(session, actor, READ, own=False, drafts=False)  # the one read scope
    q = (select(UseCase.business_id, UseCase.name, DailyCount.outcome, func.sum(DailyCount.count))
         .join(DailyCount, DailyCount.use_case_id == UseCase.id)
         .group_by(UseCase.business_id, UseCase.name, DailyCount.outcome))
    if not scope.everything:
        q = q.where(scope.where_unit(UseCase.org_unit_id))
    out: dict[str, dict] = {}
    for bid, name, outcome, n in session.execute(q):
        row = out.setdefault(bid, {"use_case": bid, "name": name, **{o.value: 0 for o in Outcome}})
        row[outcome] = int(n)
    return [out[k] for k in sorted(out)]
