"""Group commit of single decisions (oversight/combine.py, web/api/oversight.py ``_combined``).

The combiner alone: every call gets its own outcome, groups form while one is written, a failure reaches only the
calls it belongs to, the lead passes on and the combiner ends idle. Over the API, on both databases: a group is
one batch (one audit event, the proofs check with the independent verifier) and each request is answered as it
would be alone: 201, 200 for a key stored before with the same body (no batch_seq), its own 422 for a body that
does not validate; a group with a conflict or a refusal is written decision by decision (409, 422 with the refused
attempt recorded, 201); a bad token is 401 for the whole group; concurrent requests all land."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select
from starlette.requests import Request

from raigov.audit import service as audit
from raigov.audit.models import AuditEvent
from raigov.errors import AuthenticationFailed, Conflict, ValidationFailed
from raigov.oversight import service as oversight
from raigov.oversight.combine import Combiner
from raigov.oversight.models import Decision, Refusal
from raigov.web.api import oversight as api
from tests.oversight import verifier
from tests.oversight.conftest import decision

# ---------------------------------------------------------------- the combiner alone


def _gather(c: Combiner, calls):
    """Run `calls` (key, payload, work) concurrently on one event loop; each call's outcome or its exception."""
    async def main():
        return await asyncio.gather(*(c.submit(k, p, w) for k, p, w in calls), return_exceptions=True)
    return asyncio.run(main())


def test_each_call_gets_its_own_outcome_and_groups_form_under_load():
    c, groups = Combiner(max_group=8), []

    def work(payloads):
        groups.append(list(payloads))
        time.sleep(0.02)  # a write in progress (in a thread): the calls that arrive meanwhile queue
        return [p * 2 for p in payloads]

    async def main():
        async def call(n):
            await asyncio.sleep(n * 0.001)  # arriving over 60 ms, while groups are written
            return await c.submit("k", n, work)
        return await asyncio.gather(*(call(n) for n in range(60)))

    got = asyncio.run(main())
    assert got == [n * 2 for n in range(60)]
    assert sorted(p for g in groups for p in g) == list(range(60))  # each payload written once
    assert 1 < max(len(g) for g in groups) <= 8 and len(groups) < 60
    assert c.idle()


def test_calls_in_the_same_turn_of_the_loop_are_one_group_and_a_lone_call_is_written_at_once():
    c, groups, threads = Combiner(max_group=5), [], set()

    def work(payloads):
        groups.append(list(payloads))
        threads.add(threading.get_ident())
        return payloads

    assert _gather(c, [("k", n, work) for n in range(12)]) == list(range(12))
    assert groups == [[0, 1, 2, 3, 4], [5, 6, 7, 8, 9], [10, 11]]  # in order, at most max_group a group
    assert threading.get_ident() not in threads  # written off the event loop
    groups.clear()
    t0 = time.perf_counter()
    assert asyncio.run(c.submit("k", "alone", work)) == "alone"
    assert groups == [["alone"]] and time.perf_counter() - t0 < 1


def test_a_failure_reaches_only_its_calls():
    c = Combiner()

    def work(payloads):
        return [ValueError(p) if p % 3 == 0 else p for p in payloads]

    got = _gather(c, [("k", n, work) for n in range(30)])
    assert [f"error {g}" if isinstance(g, ValueError) else g for g in got] == [
        f"error {n}" if n % 3 == 0 else n for n in range(30)]


def test_work_that_raises_fails_its_whole_group_and_the_next_group_still_runs():
    c = Combiner()

    def broken(payloads):
        raise RuntimeError("down")

    got = _gather(c, [("k", n, broken) for n in range(3)])
    assert all(isinstance(g, RuntimeError) and str(g) == "down" for g in got)
    assert asyncio.run(c.submit("k", 2, lambda ps: [p + 1 for p in ps])) == 3  # the key is not left busy
    assert c.idle()


def test_wrong_number_of_outcomes_is_an_error_for_the_group():
    c = Combiner()
    got = _gather(c, [("k", n, lambda ps: ps[:1]) for n in range(3)])
    assert all(isinstance(g, RuntimeError) for g in got) and c.idle()


def test_keys_do_not_mix():
    c, seen = Combiner(), []

    def work(payloads):
        seen.append({p[0] for p in payloads})
        time.sleep(0.01)
        return payloads

    got = _gather(c, [(n % 2, (n % 2, n), work) for n in range(40)])
    assert got == [(n % 2, n) for n in range(40)]
    assert all(len(keys) == 1 for keys in seen) and len(seen) >= 2


def test_a_cancelled_call_does_not_stop_its_group():
    c, written = Combiner(), []

    def work(payloads):
        time.sleep(0.05)
        written.extend(payloads)
        return payloads

    async def main():
        first = asyncio.ensure_future(c.submit("k", 1, work))
        second = asyncio.ensure_future(c.submit("k", 2, work))
        await asyncio.sleep(0.01)
        first.cancel()  # its client went away while the group was being written
        return await second

    assert asyncio.run(main()) == 2
    assert written == [1, 2] and c.idle()


# ---------------------------------------------------------------- over the API, both databases


def _request(app) -> Request:
    return Request({"type": "http", "app": app, "method": "POST", "path": "/api/v1/decisions", "headers": []})


def _raw(d: dict) -> bytes:
    return json.dumps(d).encode()


def _events(db) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "oversight.decision.record"))


def test_a_group_is_one_batch_answered_request_by_request(db, app, client, settings, people, use_cases, token_for):
    h = token_for("cbp-sys")
    token = h["Authorization"].split()[1]
    low = use_cases["low"]
    assert client.post("/api/v1/decisions", json=decision(low, 1), headers=h).status_code == 201
    before = _events(db)
    raws = [_raw(decision(low, 2)), b"not json", _raw(decision(low, 1)), _raw(decision(low, 3)),
            _raw({**decision(low, 4), "extra": 1}), _raw(decision(low, 5))]
    out = api._combined(_request(app), token, raws)
    assert [type(o).__name__ for o in out] == ["LedgerResult", "ValidationFailed", "LedgerResult", "LedgerResult",
                                               "ValidationFailed", "LedgerResult"]
    assert [o.rows[0]["status"] for o in out if not isinstance(o, Exception)] == ["created", "existing", "created",
                                                                                  "created"]
    assert all(o.rows[0]["index"] == 0 for o in out if not isinstance(o, Exception))
    assert out[2].batch_seq is None  # stored before: answered as alone, 200 without a batch
    seqs = {out[i].batch_seq for i in (0, 3, 5)}
    assert len(seqs) == 1 and None not in seqs and _events(db) == before + 1  # one batch, one event
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == 4
        head = audit.sign_head(s, people["caio"], settings.data_dir)
        assert audit.verify(s, people["caio"]).ok
    for i in (0, 3, 5):
        proof = client.get(f"/api/v1/decisions/{out[i].rows[0]['id']}/proof", headers=token_for("lead")).json()
        assert proof["batch"]["tree_size"] == 3 and verifier.verify(proof, head["public_key"]) == []


def test_a_group_with_a_conflict_or_a_refusal_is_written_alone(db, app, client, people, use_cases, token_for):
    h = token_for("cbp-sys")
    token = h["Authorization"].split()[1]
    low = use_cases["low"]
    assert client.post("/api/v1/decisions", json=decision(low, 1), headers=h).status_code == 201
    raws = [_raw(decision(low, 2)), _raw(decision(low, 1, rationale="changed")),
            _raw(decision(low, 3, human_action="none", reviewer=None)), b"{"]
    out = api._combined(_request(app), token, raws)
    assert out[0].rows[0]["status"] == "created" and out[0].batch_seq is not None
    assert isinstance(out[1], Conflict)
    assert out[2].refusals and out[2].refusals[0]["code"] == "ai_sole_basis"
    assert isinstance(out[3], ValidationFailed)
    with db.transaction() as s:
        assert sorted(s.scalars(select(Decision.decision_id))) == ["D-1", "D-2"]
        assert s.scalar(select(func.count()).select_from(Refusal)) == 1  # the refused attempt, once


def test_a_bad_token_is_401_for_the_whole_group(db, app, people, use_cases):
    with pytest.raises(AuthenticationFailed):
        api._combined(_request(app), "rgv_unknown", [_raw(decision(use_cases["low"], n)) for n in (1, 2)])
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == 0


def test_concurrent_single_decisions_all_land(db, client, settings, people, use_cases, token_for):
    h = token_for("cbp-sys")
    low = use_cases["low"]

    def post(n):
        r = client.post("/api/v1/decisions", json=decision(low, n), headers=h)
        return r.status_code, r.json()

    with ThreadPoolExecutor(8) as pool:
        answers = list(pool.map(post, range(1, 41)))
    assert [a[0] for a in answers] == [201] * 40
    assert sorted(a[1]["decision_id"] for a in answers) == sorted(f"D-{n}" for n in range(1, 41))
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == 40
        assert audit.verify(s, people["caio"]).ok
    assert _events(db) < 40  # groups formed (12 or 13 events when written): one event a group


def test_record_group_raises_write_alone_on_a_refusal(db, people, use_cases, key):
    """The service alone: a refusal in a group raises WriteAlone; rolled back, nothing of the group stays."""
    low = use_cases["low"]
    with pytest.raises(oversight.WriteAlone), db.transaction() as s:
        oversight.record_group(s, people["cbp-sys"], key, [_raw(decision(low, 1)),
                                                          _raw(decision(low, 2, human_action="none", reviewer=None))])
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == 0
        assert s.scalar(select(func.count()).select_from(Refusal)) == 0
        out = oversight.record_group(s, people["cbp-sys"], key, [_raw(decision(low, 1)), b"[]"])
    assert out[0].rows[0]["status"] == "created" and isinstance(out[1], ValidationFailed)


def test_a_failure_to_note_the_tokens_use_changes_no_answer(db, app, people, use_cases, token_for, monkeypatch):
    token = token_for("cbp-sys")["Authorization"].split()[1]

    def broken(request, token):
        raise RuntimeError("the database went away after the commit")

    monkeypatch.setattr(api, "note_token_use", broken)
    out = api._combined(_request(app), token, [_raw(decision(use_cases["low"], n)) for n in (1, 2)])
    assert [o.rows[0]["status"] for o in out] == ["created", "created"]
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Decision)) == 2
