"""The ledger under concurrent writers on PostgreSQL: 8 clients (threads, each with its own sessions) post
overlapping batches with repeated keys, retrying when told to send again (409 "another request recorded one of
these decisions at the same moment"); no decision is duplicated or lost, and the daily counts equal a count over
the ledger. And two requests recording the same key at the same moment: one records it, the other is told to
send again and is then answered with the stored record."""

from __future__ import annotations

import json
import threading
from collections import Counter

import pytest
from sqlalchemy import func, select

from raigov.audit import service as audit
from raigov.clock import agency_zone
from raigov.errors import Conflict
from raigov.oversight import service as oversight
from raigov.oversight.models import DailyCount, Decision
from tests.oversight.conftest import decision

CLIENTS = 8
BATCHES = 6  # per client
BATCH = 60
KEYS = 900  # decision ids drawn from 1..KEYS: batches of different clients overlap


def _body(bid: str, ns: list[int]) -> bytes:
    return json.dumps({"decisions": [decision(bid, n, human_action=("overrode" if n % 7 == 0 else "accepted"),
                                              decided_at=f"2026-12-0{1 + n % 4}T14:00:00Z") for n in ns]}).encode()


def _post(db, actor, key, raw: bytes, attempts: int = 20) -> tuple[oversight.LedgerResult, int]:
    """Record a batch as a client does: send it again when told to (409 send again). (result, retries)"""
    for i in range(attempts):
        try:
            with db.transaction() as s:
                return oversight.record_decisions(s, actor, key, oversight.parse_batch(raw)), i
        except Conflict as exc:
            if "send the request again" not in str(exc):
                raise
    raise AssertionError("still told to send again")


@pytest.mark.slow
@pytest.mark.serial  # eight writers at once: runs alone, after the parallel part of make test
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_eight_clients_overlapping_batches(backend, db, people, use_cases, key, system):
    bid = use_cases["low"]
    plan = [[[1 + (c * 137 + b * 311 + j * 13) % KEYS for j in range(BATCH)] for b in range(BATCHES)]
            for c in range(CLIENTS)]
    for c in range(CLIENTS):  # repeat keys inside a batch too
        plan[c][0][1] = plan[c][0][0]
    start = threading.Barrier(CLIENTS)
    results: list[list] = [[] for _ in range(CLIENTS)]
    errors: list[BaseException] = []

    def client(c: int) -> None:
        try:
            start.wait()
            for ns in plan[c]:
                results[c].append(_post(db, people["cbp-sys"], key, _body(bid, ns)))
        except BaseException as exc:  # noqa: BLE001  (reported below, on the test's thread)
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(c,)) for c in range(CLIENTS)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=600)
    assert not errors, errors
    wanted = {n for c in plan for ns in c for n in ns}
    created = sum(r.created for rs in results for r, _ in rs)
    with db.transaction() as s:
        ids = list(s.scalars(select(Decision.decision_id).where(Decision.use_case_id.is_not(None))))
        assert len(ids) == len(set(ids)) == len(wanted) == created  # none duplicated, none lost
        assert set(ids) == {f"D-{n}" for n in wanted}
        by_ledger = Counter((d, k, a) for d, k, a in s.execute(
            select(func.date(func.timezone(agency_zone().key, Decision.decided_at)), Decision.kind,
                   Decision.human_action)))
        by_counts = Counter({(d, k, a): int(n) for d, k, a, n in s.execute(
            select(DailyCount.day, DailyCount.kind, DailyCount.human_action, DailyCount.count)
            .where(DailyCount.outcome == "recorded"))})
        assert by_counts == by_ledger
        assert sum(by_counts.values()) == len(wanted)
        assert audit.verify(s, system).ok
    # every stored row answers as existing when sent again
    again, _ = _post(db, people["cbp-sys"], key, _body(bid, plan[0][0]))
    assert again.created == 0


@pytest.mark.slow
@pytest.mark.serial
@pytest.mark.parametrize("backend", ["postgres"], indirect=True)
def test_two_requests_record_the_same_key_at_once(backend, db, people, use_cases, key):
    bid = use_cases["low"]
    for round_ in range(5):
        raw = json.dumps(decision(bid, 1000 + round_)).encode()
        start = threading.Barrier(2)
        outcomes: list = [None, None]

        def one(i: int, raw=raw, start=start, outcomes=outcomes) -> None:
            start.wait()
            try:
                with db.transaction() as s:
                    r = oversight.record_decisions(s, people["cbp-sys"], key, [oversight.parse_decision(raw)], batch=False)
                    outcomes[i] = ("ok", r.rows[0]["status"], r.rows[0]["id"])
            except Conflict as exc:
                outcomes[i] = ("send again", str(exc), None)

        threads = [threading.Thread(target=one, args=(i,)) for i in range(2)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=120)
        statuses = sorted(o[1] if o[0] == "ok" else "send again" for o in outcomes)
        assert statuses in (["created", "existing"], ["created", "send again"]), outcomes
        created_id = next(o[2] for o in outcomes if o[0] == "ok" and o[1] == "created")
        with db.transaction() as s:  # sent again: the stored record
            r = oversight.record_decisions(s, people["cbp-sys"], key, [oversight.parse_decision(raw)], batch=False)
            assert r.rows[0]["status"] == "existing" and r.rows[0]["id"] == created_id
            assert s.scalar(select(func.count()).select_from(Decision)
                            .where(Decision.decision_id == f"D-{1000 + round_}")) == 1
