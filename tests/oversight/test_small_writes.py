"""The ledger's two ways of writing (oversight/ledger.py): a few decisions go on PostgreSQL as one pipelined round
trip (audit.service.record_with: the batch's event, each decision's key and row, the three counts), more as COPY
and a counts statement; SQLite writes both through SQLAlchemy. Both databases: the rows stored are the same
column for column, the counts equal a count over the ledger, and the trail still verifies. PostgreSQL: a database
error in a pipeline is SQLAlchemy's, and the transaction leaves nothing behind."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select, text
from sqlalchemy.exc import IntegrityError

from raigov.audit import service as audit
from raigov.audit.models import AuditEvent
from raigov.oversight import ledger
from raigov.oversight import service as oversight
from raigov.oversight.models import DailyCount, Decision, OperatorCount
from raigov.oversight.remedy_models import RemedyCount
from tests.oversight.conftest import decision

SKIP = {"id", "decision_id", "subject", "item_hash", "batch_seq", "batch_index", "recorded_at"}


def _bodies(bid: str, start: int, n: int) -> list[dict]:
    return [decision(bid, start + i, kind=("benefit_denial", "favourable")[i % 2],
                     human_action=("accepted", "modified", "overrode")[i % 3],
                     notice={"given": True, "method": "letter"} if i % 4 == 0 else None,
                     ai_output={"score": 0.5 + i / 1000, "label": "x", "nested": [1, None, {"a": True}]})
            for i in range(n)]


def _columns(s, bid_ids: set[str]) -> list[dict]:
    rows = s.scalars(select(Decision).where(Decision.decision_id.in_(bid_ids)).order_by(Decision.decision_id))
    return [{c: getattr(r, c) for c in ledger.COLUMNS if c not in SKIP} for r in rows]


def test_few_and_many_store_the_same_and_the_counts_add_up(db, people, use_cases, key, system):
    bid = use_cases["low"]
    few = _bodies(bid, 1, 3)   # below ledger.SMALL: one round trip on PostgreSQL
    many = _bodies(bid, 1001, ledger.SMALL + 5)
    for i, b in enumerate(few):  # the same content under other keys
        many[i] = {**b, "decision_id": f"M-{i}", "subject": b["subject"]}
    with db.transaction() as s:
        res = oversight.record_decisions(s, people["cbp-sys"], key,
                                         oversight.parse_batch(json.dumps({"decisions": few}).encode()))
        assert res.created == 3 and [r["id"] for r in res.rows] == sorted(r["id"] for r in res.rows)
    with db.transaction() as s:
        assert oversight.record_decisions(s, people["cbp-sys"], key, oversight.parse_batch(
            json.dumps({"decisions": many}).encode())).created == ledger.SMALL + 5
    with db.transaction() as s:
        a = _columns(s, {f"D-{i}" for i in range(1, 4)})
        b = _columns(s, {f"M-{i}" for i in range(3)})
        assert a == b and a[0]["notice"] == {"given": True, "method": "letter"} and a[1]["notice"] is None
        assert a[0]["ai_output"] == {"score": 0.5, "label": "x", "nested": [1, None, {"a": True}]}
        # the counts kept in the recording transactions equal counts over the ledger
        per_day = dict(s.execute(select(Decision.human_action, func.count()).group_by(Decision.human_action)).all())
        counted = dict(s.execute(select(DailyCount.human_action, func.sum(DailyCount.count))
                                 .group_by(DailyCount.human_action)).all())
        assert {k: int(v) for k, v in counted.items()} == per_day
        assert s.scalar(select(func.sum(OperatorCount.count))) == s.scalar(
            select(func.count()).select_from(Decision).where(Decision.reviewer.is_not(None)))
        owed = dict(s.execute(select(RemedyCount.measure, func.sum(RemedyCount.count)).group_by(RemedyCount.measure)).all())
        denials = [d for d in few + many if d["kind"] == "benefit_denial"]
        assert int(owed["notice_owed"]) == len(denials)
        assert int(owed["notice_missing"]) == sum(1 for d in denials if not d["notice"])
        # each decision's batch_seq is its batch's event, and the trail verifies
        seqs = set(s.scalars(select(Decision.batch_seq)))
        assert {e.action for e in s.scalars(select(AuditEvent).where(AuditEvent.seq.in_(seqs)))} == {
            "oversight.decision.record"}
        assert audit.verify(s, system).ok


def test_a_database_error_in_a_pipeline_rolls_everything_back(db, system):
    if db.dialect != "postgresql":
        pytest.skip("pipelines are PostgreSQL's")
    with pytest.raises(IntegrityError), db.transaction() as s:
        audit.record_with(s, system, "oversight.decision.record", "decision_batch", "r", {}, {},
                          [("INSERT INTO audit_events (seq, time, actor, action, object_type, object_id, "
                            "state_digest, details, prev_hash, event_hash) SELECT seq, time, actor, action, "
                            "object_type, object_id, state_digest, details, prev_hash, event_hash "
                            f"FROM audit_events WHERE seq = {audit.APPENDED_SEQ}", {})])
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == 0
        assert s.execute(text("SELECT 1")).scalar() == 1  # the pool's connection is usable again


def test_final_commits_with_the_writes_and_nothing_may_run_after(db, people, use_cases, key, system):
    """``record_decisions(final=True)`` (the API's): on PostgreSQL the COMMIT goes with the writes; the rows are the
    same, the session's own commit finds nothing left, and a statement before it ends is refused, not run outside
    the transaction. SQLite: the flag changes nothing."""
    bid = use_cases["low"]
    with db.transaction() as s:
        res = oversight.record_decisions(s, people["cbp-sys"], key, [oversight.parse_decision(
            json.dumps(decision(bid, 1)).encode())], batch=False, final=True)
        assert res.created == 1
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == 1
        assert s.scalar(select(func.sum(DailyCount.count))) == 1
    if db.dialect == "postgresql":
        with pytest.raises(RuntimeError, match="last work"), db.transaction() as s:
            oversight.record_decisions(s, people["cbp-sys"], key, [oversight.parse_decision(
                json.dumps(decision(bid, 2)).encode())], batch=False, final=True)
            s.execute(text("SELECT 1"))
    with db.transaction() as s:  # the pool's connection is usable again, and the guard is gone
        assert s.execute(text("SELECT 1")).scalar() == 1
        # on PostgreSQL the second decision was committed with its writes before the refused statement
        assert s.scalar(select(func.count()).select_from(Decision)) == (2 if db.dialect == "postgresql" else 1)
        assert audit.verify(s, system).ok


def test_record_with_commit_is_refused_in_a_savepoint(pg_db, system):
    with pg_db.transaction() as s, s.begin_nested():
        with pytest.raises(RuntimeError, match="savepoint"):
            audit.record_with(s, system, "oversight.decision.record", "decision_batch", "r", {}, {}, [], commit=True)
