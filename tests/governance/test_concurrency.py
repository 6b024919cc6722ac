"""Two people acting on the same governance state at the same moment, on PostgreSQL (real row locks, real
concurrent transactions): one review decided by two reviewers, two lanes decided at once, one waiver granted
twice. Each actor works in its own transaction (``db.transaction()``) in its own thread; both read the state
first, meet at a barrier, then write, so that neither has seen the other's write when it acts. Exactly one
write wins, the other gets ``Conflict`` (never a lost update, an IntegrityError or a deadlock), and exactly
one decision comment and one audit event are kept."""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from sqlalchemy import func, select

from raigov.audit import service as audit
from raigov.audit.models import AuditEvent
from raigov.clock import agency_today
from raigov.errors import Conflict
from raigov.governance import service as gov
from raigov.governance.models import Pilot, Practice, Review, ReviewComment, ReviewCondition, Waiver
from raigov.inventory import service as inventory
from raigov.policy import service as policy
from tests.governance.test_governance_service import FR

pytestmark = pytest.mark.postgres

WAIVER = {"grounds": "impedes-operations", "determination": "feedback kiosks cannot be installed at this port",
          "risk_assessment": "low residual risk", "public_summary": "Feedback option waived at one port"}


@pytest.fixture
def backend() -> str:  # these tests need row locks and concurrent transactions: PostgreSQL only
    return "postgres"


@pytest.fixture
def people(db, make_user, actor_of):
    names = {"owner": ["submitter@CBP"], "privacy": ["privacy_reviewer"], "privacy2": ["privacy_reviewer"],
             "crcl": ["crcl_reviewer"], "caio": ["caio"]}
    for u, roles in names.items():
        make_user(u, *roles)
    return {u: actor_of(u) for u in names}


@pytest.fixture
def bid(db, settings, people):
    """A submitted, high-impact use case with its reviews open and its practices required."""
    with db.transaction() as s:
        bid = inventory.create_use_case(s, people["owner"], component="CBP", values=FR, reason="new",
                                        settings=settings).business_id
    with db.transaction() as s:
        inventory.submit_use_case(s, people["owner"], bid)
    with db.transaction() as s:
        policy.screen_use_case(s, people["owner"], bid)
        policy.decide(s, people["caio"], bid, "high-impact", "matches the face recognition presumption")
        gov.sync(s, people["owner"], bid)
    return bid


def race(db, *jobs):
    """Run each job(session) in its own thread and transaction; every job does its first read, then calls
    the `go()` it is given (the barrier), then writes. Returns each job's result or exception, in order."""
    barrier = threading.Barrier(len(jobs), timeout=60)
    out: list = [None] * len(jobs)

    def run(i, job):
        try:
            with db.transaction() as s:
                out[i] = job(s, barrier.wait)
        except Exception as exc:  # noqa: BLE001 - the outcome under test
            out[i] = exc

    threads = [threading.Thread(target=run, args=(i, job)) for i, job in enumerate(jobs)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
        assert not t.is_alive(), "a transaction is still waiting: deadlock or lost wake-up"
    return out


def _review_id(db, people, bid, lane):
    with db.transaction() as s:
        return next(r.id for r in gov.reviews_of(s, people["caio"], bid) if r.lane == lane)


def _events(db, action, object_type=None, object_id=None):
    with db.transaction() as s:
        q = select(func.count()).select_from(AuditEvent).where(AuditEvent.action == action)
        if object_type:
            q = q.where(AuditEvent.object_type == object_type, AuditEvent.object_id == str(object_id))
        return s.scalar(q)


@pytest.mark.parametrize("with_version", [False, True], ids=["no-version", "expected-version"])
def test_two_reviewers_decide_the_same_review_at_once(db, people, bid, with_version):
    rid = _review_id(db, people, bid, "privacy")

    def reviewer(who, decision):
        def job(s, go):
            r = next(r for r in gov.reviews_of(s, people[who], bid) if r.id == rid)  # the first read
            assert r.status == "open"
            version = r.version
            go()
            return gov.decide(s, people[who], rid, decision, f"{who}: {decision}",
                              expected_version=version if with_version else None).status
        return job

    a, b = race(db, reviewer("privacy", "approved"), reviewer("privacy2", "denied"))
    results = [a, b]
    assert sum(isinstance(x, Conflict) for x in results) == 1, results
    assert not any(isinstance(x, Exception) and not isinstance(x, Conflict) for x in results), results
    winner = next(x for x in results if not isinstance(x, Exception))
    with db.transaction() as s:
        r = s.get(Review, rid)
        assert r.status == winner and r.version == 2
        assert r.decided_by == ("user:privacy" if a == winner else "user:privacy2")
        assert s.scalar(select(func.count()).select_from(ReviewComment)
                        .where(ReviewComment.review_id == rid, ReviewComment.kind == "decision")) == 1
    assert _events(db, "governance.review.decide", "review", rid) == 1


def test_two_reviewers_decide_different_lanes_at_once(db, people, bid):
    lanes = {"privacy": _review_id(db, people, bid, "privacy"), "crcl": _review_id(db, people, bid, "crcl")}

    def reviewer(lane):
        def job(s, go):
            r = next(r for r in gov.reviews_of(s, people[lane], bid) if r.lane == lane)
            version = r.version
            go()
            return gov.decide(s, people[lane], lanes[lane], "approved", f"{lane} approves",
                              expected_version=version).status
        return job

    assert race(db, reviewer("privacy"), reviewer("crcl")) == ["approved", "approved"]
    with db.transaction() as s:
        for lane, rid in lanes.items():
            r = s.get(Review, rid)
            assert (r.status, r.version, r.decided_by) == ("approved", 2, f"user:{lane}")
            assert [c.body for c in r.comments if c.kind == "decision"] == [f"{lane} approves"]
    for rid in lanes.values():
        assert _events(db, "governance.review.decide", "review", rid) == 1
    # the audit chain is still one unbroken chain
    with db.transaction() as s:
        assert audit.verify(s, people["caio"]).ok


def test_two_caio_sessions_grant_the_same_waiver_at_once(db, people, bid):
    item = "M-25-21.4(b)(vii)"
    expires = agency_today() + dt.timedelta(days=60)

    def caio(s, go):
        assert not [w for w in gov.waivers_of(s, people["caio"], bid) if w.status == "active"]  # the first read
        assert next(p for p in gov.practices_of(s, people["caio"], bid) if p.item == item).status == "not_started"
        go()
        return gov.grant_waiver(s, people["caio"], bid, item, expires_on=expires, **WAIVER).id

    results = race(db, caio, caio)
    assert sum(isinstance(x, Conflict) for x in results) == 1, results
    assert not any(isinstance(x, Exception) and not isinstance(x, Conflict) for x in results), results
    conflict = next(x for x in results if isinstance(x, Conflict))
    assert "already waived" in str(conflict)
    with db.transaction() as s:
        uc_id = s.scalar(select(Practice.use_case_id).where(Practice.item == item))
        assert s.scalar(select(func.count()).select_from(Waiver).where(Waiver.use_case_id == uc_id,
                                                                        Waiver.practice_item == item)) == 1
        p = s.scalar(select(Practice).where(Practice.use_case_id == uc_id, Practice.item == item))
        assert (p.status, p.version) == ("waived", 2)
    assert _events(db, "governance.waiver.grant") == 1


# ---------------------------------------------------------------- races still open (issue #6 report)
# The writes below check and then write without a row lock, so the same race loses an update or ends in an
# IntegrityError instead of Conflict. Expected to fail until they lock (the condition row; the use case row
# before a new cycle, a pilot or a sync); the ones that depend on timing are not strict.


def test_two_reviewers_close_the_same_condition_at_once(db, people, bid):
    rid = _review_id(db, people, bid, "privacy")
    with db.transaction() as s:
        gov.decide(s, people["privacy"], rid, "approved_with_conditions", "ok", ["re-test after the update"])
        cid = s.scalar(select(ReviewCondition.id).where(ReviewCondition.review_id == rid))

    def reviewer(who):
        def job(s, go):
            assert s.get(ReviewCondition, cid).status == "open"
            go()
            return gov.close_condition(s, people[who], cid, f"met, says {who}").closed_by
        return job

    results = race(db, reviewer("privacy"), reviewer("privacy2"))
    assert sum(isinstance(x, Conflict) for x in results) == 1, results
    assert _events(db, "governance.condition.close") == 1


def test_two_reopen_the_same_lane_at_once(db, people, bid):
    rid = _review_id(db, people, bid, "privacy")
    with db.transaction() as s:
        gov.decide(s, people["privacy"], rid, "denied", "not yet")

    def job(s, go):
        gov.reviews_of(s, people["caio"], bid)
        go()
        return gov.reopen(s, people["caio"], bid, "privacy", "the owner answered").cycle

    results = race(db, job, job)
    assert sum(isinstance(x, Conflict) for x in results) == 1 and 2 in results, results


def test_two_caio_sessions_certify_a_pilot_at_once(db, people, bid):
    today = agency_today()
    kw = {"scale": "two lanes at one airport", "starts_on": today, "ends_on": today + dt.timedelta(days=30),
          "opt_in_out": "travelers may opt out at the podium", "practices_applied": "testing"}

    def job(s, go):
        gov.pilots_of(s, people["caio"], bid)
        go()
        return gov.certify_pilot(s, people["caio"], bid, **kw).id

    results = race(db, job, job)
    assert sum(isinstance(x, Conflict) for x in results) == 1, results
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Pilot).where(Pilot.status == "active")) == 1


def test_two_syncs_at_once(db, settings, people):
    with db.transaction() as s:
        b = inventory.create_use_case(s, people["owner"], component="CBP", values=FR, reason="new",
                                      settings=settings).business_id
    with db.transaction() as s:
        inventory.submit_use_case(s, people["owner"], b)
    with db.transaction() as s:
        policy.screen_use_case(s, people["owner"], b)
        policy.decide(s, people["caio"], b, "high-impact", "matches the face recognition presumption")

    def job(s, go):
        gov.reviews_of(s, people["caio"], b)
        go()
        return sorted(gov.sync(s, people["owner"], b)["reviews"])

    results = race(db, job, job)
    assert not any(isinstance(x, Exception) and not isinstance(x, Conflict) for x in results), results
