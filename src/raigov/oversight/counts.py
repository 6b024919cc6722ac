"""The daily counts (``oversight_daily_counts``): an upsert that adds to the counts of each (use case, agency
day, kind, human action, outcome), the same statement on SQLite and PostgreSQL (INSERT ... ON CONFLICT DO
UPDATE), keys in a fixed order so that two transactions adding to the same counts never deadlock."""

from __future__ import annotations

from collections import Counter

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from raigov.oversight.models import DailyCount, OperatorCount

KEY = ("use_case_id", "day", "kind", "human_action", "outcome")


def add(session: Session, counts: Counter) -> None:
    if not counts:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    rows = [{**dict(zip(KEY, k, strict=True)), "count": n} for k, n in sorted(counts.items(), key=lambda kv: str(kv[0]))]
    stmt = insert(DailyCount).values(rows)
    session.execute(stmt.on_conflict_do_update(index_elements=list(KEY),
                                               set_={"count": DailyCount.count + stmt.excluded["count"]}))


OPERATOR_KEY = ("use_case_id", "day", "reviewer", "human_action")


def add_operators(session: Session, counts: Counter) -> None:
    """Add to the per-operator counts ({(use_case_id, day, reviewer, human_action): n}), as ``add`` does."""
    if not counts:
        return
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    rows = [{**dict(zip(OPERATOR_KEY, k, strict=True)), "count": n}
            for k, n in sorted(counts.items(), key=lambda kv: str(kv[0]))]
    stmt = insert(OperatorCount).values(rows)
    session.execute(stmt.on_conflict_do_update(index_elements=list(OPERATOR_KEY),
                                               set_={"count": OperatorCount.count + stmt.excluded["count"]}))
