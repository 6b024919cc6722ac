"""Migration 0023 (docs/oversight.md §7): the decisions' keys move to ``oversight_decision_keys`` and, on
PostgreSQL, the ledger becomes range-partitioned by month on ``decided_at``. Rows recorded before survive the
upgrade with their ids (and a downgrade back to 0022), appeals keep pointing at their decisions, a retry of a
decision recorded before the migration is still answered from its key, and proofs still check."""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import func, select, text

from raigov.db.migrate import downgrade, head_revision, upgrade
from raigov.oversight import service as oversight
from raigov.oversight.models import Decision, DecisionKey
from raigov.oversight.remedy_models import Appeal
from tests.oversight.conftest import decision

NOW = dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC)


def _row(bid: str, n: int, **over) -> dict:  # unreviewed and favourable: no rule reads the roster's dates
    return decision(bid, n, kind="favourable", human_action="none", reviewer=None, **over)


def _record(db, people, key, rows):
    with db.transaction() as s:
        parsed = oversight.parse_batch(json.dumps({"decisions": rows}).encode())
        return oversight.record_decisions(s, people["cbp-sys"], key, parsed, now=NOW)


def test_rows_survive_a_downgrade_and_the_upgrade(db, people, use_cases, key):
    low = use_cases["low"]
    first = _record(db, people, key, [_row(low, n, decided_at=f"2026-{10 + n % 3}-0{1 + n % 4}T12:00:00Z")
                                      for n in range(60)])  # three months, a batch (COPY on PostgreSQL)
    assert not first.refusals, first.refusals[:1]
    ids = [r["id"] for r in first.rows]
    with db.transaction() as s:
        appeal, _ = oversight.file_appeal(s, people["cbp-sys"], ids[7], "the pay stubs were last year's", now=NOW)
        appeal_id = appeal.id
        before = {d.id: (d.decision_id, d.item_hash, d.decided_at) for d in s.scalars(select(Decision))}
    downgrade(db, "0022_incident_source")
    with db.engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM oversight_decisions")).scalar_one() == 60
        if db.engine.dialect.name == "postgresql":
            assert c.execute(text("SELECT count(*) FROM pg_inherits i JOIN pg_class p ON p.oid = i.inhparent "
                                  "WHERE p.relname = 'oversight_decisions'")).scalar_one() == 0
    upgrade(db)
    with db.engine.connect() as c:
        assert c.execute(text("SELECT version_num FROM alembic_version")).scalar_one() == head_revision(db)
        if db.engine.dialect.name == "postgresql":
            held = dict(c.execute(text("SELECT tableoid::regclass::text, count(*) FROM oversight_decisions GROUP BY 1")).all())
            assert held == {"oversight_decisions_y2026m10": 20, "oversight_decisions_y2026m11": 20,
                            "oversight_decisions_y2026m12": 20}
            names = set(c.execute(text("SELECT i.inhrelid::regclass::text FROM pg_inherits i JOIN pg_class p "
                                       "ON p.oid = i.inhparent WHERE p.relname = 'oversight_decisions'")).scalars())
            this = dt.date.today().replace(day=1)
            ahead = this.replace(year=this.year + 2)
            assert "oversight_decisions_default" in names and f"oversight_decisions_y{ahead.year}m{ahead.month:02d}" in names
    with db.transaction() as s:
        after = {d.id: (d.decision_id, d.item_hash, d.decided_at) for d in s.scalars(select(Decision))}
        assert after == before
        assert s.scalar(select(func.count()).select_from(DecisionKey)) == 60
        assert s.get(Appeal, appeal_id).decision_pk == ids[7]
    # a retry of a decision recorded before the migration is answered from its key; a new one gets a new id
    again = _record(db, people, key, [_row(low, 3, decided_at="2026-10-04T12:00:00Z"), _row(low, 100)])
    assert again.rows[0] == {**first.rows[3], "index": 0, "status": "existing"}
    assert again.rows[1]["status"] == "created" and again.rows[1]["id"] > max(ids)
    with db.transaction() as s:  # the ledger and its keys stay append-only
        for sql in ("UPDATE oversight_decisions SET kind = 'other'", "DELETE FROM oversight_decision_keys"):
            try:
                with s.begin_nested():
                    s.execute(text(sql))
            except Exception as exc:  # noqa: BLE001 - either backend's error
                assert "append-only" in str(exc) or "raigov" in str(exc), exc
            else:
                raise AssertionError(f"{sql} was not refused")


def test_db_upgrade_tops_the_months_ahead_up_and_leaves_a_month_held_by_the_default(db, people, use_cases, key):
    """`raigov db upgrade` (migrate.upgrade) creates the monthly partitions missing from this month through 24
    ahead (db/partitions.py); a month whose rows already sit in the DEFAULT partition is reported, not created.
    PostgreSQL only (SQLite has one ledger table)."""
    import pytest

    from raigov.db import partitions

    if db.engine.dialect.name != "postgresql":
        pytest.skip("the ledger is partitioned on PostgreSQL only")
    months = partitions.month_starts(dt.datetime.now(dt.UTC).date())
    furthest = f"oversight_decisions_y{months[-1].year:04d}m{months[-1].month:02d}"
    with db.engine.begin() as c:
        c.execute(text(f'DROP TABLE "{furthest}"'))
    upgrade(db)  # at head already: only the partitions are topped up
    with db.engine.connect() as c:
        assert c.execute(text("SELECT to_regclass(:n)"), {"n": furthest}).scalar() == furthest
        assert partitions.ensure_months_ahead(c).created == []  # nothing more to do
    # a decision of a month with no partition (before any) lands in DEFAULT; that month is then left there
    low = use_cases["low"]
    res = _record(db, people, key, [_row(low, 1, decided_at="2020-01-15T12:00:00Z")])
    assert not res.refusals, res.refusals[:1]
    with db.engine.begin() as c:
        assert c.execute(text("SELECT tableoid::regclass::text FROM oversight_decisions")).scalars().all() == [
            "oversight_decisions_default"]
        topped = partitions.ensure_months_ahead(c, today=dt.date(2020, 1, 20), ahead=1)
        assert (topped.created, topped.left_in_default) == (["oversight_decisions_y2020m02"],
                                                             ["oversight_decisions_y2020m01"])
        assert c.execute(text("SELECT count(*) FROM oversight_decisions_default")).scalar_one() == 1
