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


_MANY: dict[tuple, str] = {}


def upsert_add_many(session: Session, groups: list[tuple[type, tuple[str, ...], Counter]]) -> None:
    """``upsert_add`` for several tables in one transaction: on PostgreSQL one statement (``pg_statement``), one
    round trip instead of one per table: recording one decision adds to three tables. Elsewhere (SQLite):
    ``upsert_add`` per table."""
    if session.get_bind().dialect.name != "postgresql":
        for model, key, counts in groups:
            upsert_add(session, model, key, counts)
        return
    found = pg_statement(groups)
    if found is not None:
        session.connection().exec_driver_sql(*found)


def pg_statement(groups: list[tuple[type, tuple[str, ...], Counter]]) -> tuple[str, dict] | None:
    """The PostgreSQL statement that adds every group's counts ({key tuple: n}) to its table, in the driver's
    ``%(name)s`` style, with its parameters (None when there is nothing to add): a data-modifying ``WITH`` per
    table, each an ``INSERT ... SELECT FROM unnest(arrays) ... ON CONFLICT DO UPDATE``. The text depends only on
    the tables, not on the number of rows, so the driver prepares it once per connection. Keys in a fixed order
    within each table; across tables, writers of the ledger hold the audit trail's append lock
    (audit.service.record) until they commit, so two of them never wait on each other's counts."""
    groups = [(m, k, c) for m, k, c in groups if c]
    if not groups:
        return None
    shape = tuple((m, k) for m, k, _ in groups)
    sql = _MANY.get(shape)
    if sql is None:
        sql = _MANY[shape] = _many_sql(shape)
    params = {}
    for g, (_, key, counts) in enumerate(groups):
        ordered = sorted(counts.items(), key=lambda kv: str(kv[0]))
        for j, col in enumerate(key):
            params[f"g{g}_{col}"] = [str(k[j]) if isinstance(k[j], str) else k[j] for k, _ in ordered]
        params[f"g{g}_count"] = [n for _, n in ordered]
    return sql, params


def _many_sql(shape: tuple[tuple[type, tuple[str, ...]], ...]) -> str:
    dialect = postgresql.dialect()
    ctes = []
    for g, (model, key) in enumerate(shape):
        table = model.__table__
        cols = (*key, "count")
        arrays = ", ".join(f"CAST(%(g{g}_{c})s AS {table.c[c].type.compile(dialect=dialect)}[])" for c in cols)
        ctes.append(f"g{g} AS (INSERT INTO {table.name} AS t ({', '.join(cols)}) SELECT * FROM unnest({arrays}) "
                    f"ON CONFLICT ({', '.join(key)}) DO UPDATE SET count = t.count + excluded.count RETURNING 1)")
    return "WITH " + ", ".join(ctes) + " SELECT " + ", ".join(f"(SELECT count(*) FROM g{g})" for g in range(len(shape)))


def add(session: Session, counts: Counter) -> None:
    """Add to the daily counts ({(use_case_id, day, kind, human_action, outcome): n})."""
    upsert_add(session, DailyCount, KEY, counts)


OPERATOR_KEY = ("use_case_id", "day", "reviewer", "human_action")


def add_operators(session: Session, counts: Counter) -> None:
    """Add to the per-operator counts ({(use_case_id, day, reviewer, human_action): n}), as ``add`` does."""
    upsert_add(session, OperatorCount, OPERATOR_KEY, counts)
