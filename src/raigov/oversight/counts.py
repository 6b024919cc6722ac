"""The daily counts (``oversight_daily_counts``): an upsert that adds to the counts of each (use case, agency
day, kind, human action, outcome), the same statement on SQLite and PostgreSQL (INSERT ... ON CONFLICT DO
UPDATE), keys in a fixed order so that two transactions adding to the same counts never deadlock."""

from __future__ import annotations

from collections import Counter

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session
from sqlalchemy.sql.dml import Insert

from raigov.oversight.models import DailyCount, OperatorCount

KEY = ("use_case_id", "day", "kind", "human_action", "outcome")


_UPSERTS: dict[tuple[type, str], Insert] = {}


def upsert_add(session: Session, model: type, key: tuple[str, ...], counts: Counter) -> None:
    """Add `counts` ({key tuple: n}) to the ``count`` column of `model`'s rows, creating the missing ones: one
    ``INSERT ... ON CONFLICT DO UPDATE`` built once per table and dialect (so compiled once) and run with a row of
    parameters per key, keys in a fixed order (two writers never deadlock on the same counts)."""
    if not counts:
        return
    dialect = session.get_bind().dialect.name
    stmt = _UPSERTS.get((model, dialect))
    if stmt is None:
        ins = (postgresql.insert if dialect == "postgresql" else sqlite.insert)(model)
        stmt = ins.on_conflict_do_update(index_elements=list(key), set_={"count": model.count + ins.excluded["count"]})
        _UPSERTS[(model, dialect)] = stmt
    rows = [{**dict(zip(key, k, strict=True)), "count": n} for k, n in sorted(counts.items(), key=lambda kv: str(kv[0]))]
    session.connection().execute(stmt, rows)


def add(session: Session, counts: Counter) -> None:
    """Add to the daily counts ({(use_case_id, day, kind, human_action, outcome): n})."""
    upsert_add(session, DailyCount, KEY, counts)


OPERATOR_KEY = ("use_case_id", "day", "reviewer", "human_action")


def add_operators(session: Session, counts: Counter) -> None:
    """Add to the per-operator counts ({(use_case_id, day, reviewer, human_action): n}), as ``add`` does."""
    upsert_add(session, OperatorCount, OPERATOR_KEY, counts)
