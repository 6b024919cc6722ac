"""Monthly range partitions kept ahead (PostgreSQL). Migration 0023 partitions the oversight ledger by month and
creates this month and the 24 after it; `raigov db upgrade` (``migrate.upgrade``, run as the schema's owner: only
the owner may create partitions) calls :func:`ensure_months_ahead` so that each later upgrade tops the window up
again. A month whose rows already sit in the DEFAULT partition is left there (they stay correct and readable;
creating its partition would need moving them) and reported."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa

MONTHS_AHEAD = 24
PARTITIONED = (("oversight_decisions", "decided_at"),)  # (table, its range column): partitioned by UTC month


@dataclass
class Topped:
    created: list[str] = field(default_factory=list)
    left_in_default: list[str] = field(default_factory=list)


def month_starts(today: dt.date, ahead: int = MONTHS_AHEAD) -> list[dt.date]:
    """The first day of `today`'s month and of the `ahead` months after it."""
    out, m = [], today.replace(day=1)
    for _ in range(ahead + 1):
        out.append(m)
        m = (m + dt.timedelta(days=32)).replace(day=1)
    return out


def _partitioned(conn, table: str) -> bool:
    return bool(conn.execute(sa.text(
        "SELECT 1 FROM pg_partitioned_table pt JOIN pg_class c ON c.oid = pt.partrelid "
        "WHERE c.oid = to_regclass(:t)"), {"t": table}).first())


def ensure_months_ahead(conn, today: dt.date | None = None, ahead: int = MONTHS_AHEAD) -> Topped:
    """Create the missing monthly partitions of every table of PARTITIONED from `today`'s month (UTC) through
    `ahead` months after it, in the caller's transaction. Nothing on SQLite or on a table not partitioned (a
    database below migration 0023)."""
    out = Topped()
    if conn.dialect.name != "postgresql":
        return out
    today = today or dt.datetime.now(dt.UTC).date()
    for table, column in PARTITIONED:
        if not _partitioned(conn, table):
            continue
        default = f"{table}_default"
        for start in month_starts(today, ahead):
            name = f"{table}_y{start.year:04d}m{start.month:02d}"
            if conn.execute(sa.text("SELECT to_regclass(:n)"), {"n": name}).scalar() is not None:
                continue
            end = (start + dt.timedelta(days=32)).replace(day=1)
            lo, hi = f"{start.isoformat()} 00:00:00+00", f"{end.isoformat()} 00:00:00+00"
            held = conn.execute(sa.text(f'SELECT EXISTS (SELECT 1 FROM "{default}" WHERE "{column}" >= '
                                        f"CAST(:lo AS timestamptz) AND \"{column}\" < CAST(:hi AS timestamptz))"),
                                {"lo": lo, "hi": hi}).scalar()
            if held:
                out.left_in_default.append(name)
                continue
            conn.execute(sa.text(f'CREATE TABLE "{name}" PARTITION OF "{table}" '
                                 f"FOR VALUES FROM ('{lo}') TO ('{hi}')"))
            out.created.append(name)
    return out
