"""The bodies' service on both databases: members in seats, a meeting with its agenda, attendance and quorum, votes
and outcomes; a Responsible Use Group recommendation reaching the use case's independent review as evidence (with
its audit events, in one transaction); bad input (unknown references, votes of absent members) refused with the
field named and nothing written; who may do what (the permission matrix's rows)."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from raigov.audit.models import AuditEvent
from raigov.bodies import service as bodies
from raigov.bodies.models import BodyAgendaItem, BodyDecision
from raigov.clock import agency_today
from raigov.errors import Conflict, PermissionDenied, ValidationFailed
from raigov.governance import service as gov
from raigov.governance.models import Evidence, EvidenceLink
from raigov.inventory import service as inventory
from raigov.policy import service as policy
from tests.governance.test_governance_service import FR

RUG = {"chair": "crcl.chief", "vice_chair": "privacy.adv", "ogc": "counsel", "ocio": "ocio.rep", "caio": "rug"}


@pytest.fixture
def cast(db, make_user, actor_of):
    names = {"owner": ["submitter@CBP"], "lead": ["component_ai_lead@CBP"], "caio": ["caio"], "rug": ["rug_member"],
             "crcl.chief": ["crcl_reviewer"], "privacy.adv": ["privacy_reviewer"], "counsel": ["legal_reviewer"],
             "ocio.rep": ["ocio_reviewer"], "tester": ["te_engineer"], "deputy": ["employee"], "admin": ["admin"],
             "auditor": ["auditor"]}
    for u, roles in names.items():
        make_user(u, *roles, password=False)
    return {u: actor_of(u) for u in names}


def _use_case(db, settings, cast) -> str:
    with db.transaction() as s:
        bid = inventory.create_use_case(s, cast["owner"], component="CBP", values=FR, reason="new",
                                        settings=settings).business_id
        inventory.submit_use_case(s, cast["owner"], bid)
    with db.transaction() as s:
        policy.screen_use_case(s, cast["owner"], bid)
        policy.decide(s, cast["caio"], bid, "high-impact", "matches face recognition presumption")
        gov.sync(s, cast["owner"], bid)
    return bid


def _rug_meeting(db, cast, bid, present) -> int:
    caio = cast["caio"]
    with db.transaction() as s:
        for seat, user in RUG.items():
            bodies.appoint(s, caio, "rug", seat, user, since=agency_today() - dt.timedelta(days=30))
        m = bodies.schedule(s, cast["rug"], "rug", title="Independent reviews",
                            starts_at=dt.datetime.combine(agency_today(), dt.time(10, 0)), location="Room 1")
        bodies.add_item(s, cast["rug"], m.id, subject_kind="use_case", subject_ref=bid)
        bodies.record_attendance(s, cast["rug"], m.id, present)
        return m.id


def _count(db, model) -> int:
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_a_rug_recommendation_reaches_the_independent_review_as_evidence(db, settings, cast):
    bid = _use_case(db, settings, cast)
    mid = _rug_meeting(db, cast, bid, ["crcl.chief", "privacy.adv", "counsel", "rug"])  # 4 of 5: quorum (4)
    with db.transaction() as s:
        q = bodies.meeting_quorum(s, s.get(bodies.BodyMeeting, mid))
        assert (q.met, q.present, q.needed) == (True, 4, 4)
        d = bodies.record_decision(s, cast["rug"], mid, kind="recommendation", subject_kind="use_case", subject_ref=bid,
                                   text="Recommend approval with a bias re-test in six months.",
                                   votes={"crcl.chief": "yes", "privacy.adv": "yes", "counsel": "abstain", "rug": "no"})
        did, evid = d.id, d.evidence_id
        assert (d.outcome, d.yes, d.no, d.abstain) == ("carried", 2, 1, 1)
    with db.transaction() as s:
        ev = s.get(Evidence, evid)
        assert (ev.category, ev.url, ev.details["lane"], ev.details["decision"]) == (
            "recommendation", f"/bodies/decisions/{did}", "independent", did)
        uc = inventory.get_use_case(s, cast["caio"], bid)
        assert s.scalar(select(EvidenceLink).where(EvidenceLink.evidence_id == evid)).use_case_id == uc.id
        review = next(r for r in gov.reviews_of(s, cast["caio"], bid) if r.lane == "independent")
        assert ev.details["review"] == review.id
        assert any(f"(evidence {evid})" in c.body and "bias re-test" in c.body for c in review.comments)
        actions = [e.action for e in s.scalars(select(AuditEvent).order_by(AuditEvent.seq))][-2:]
        assert actions == ["bodies.decision.record", "governance.evidence.attach"]
        # once the independent review is decided, a later recommendation is evidence only: the review (and the
        # package a risk-accepting official signs, its comments included) is left as it is
        gov.decide(s, cast["caio"], review.id, "approved", "independent review done")
        comments = len(review.comments)
        later = bodies.record_decision(s, cast["rug"], mid, kind="recommendation", subject_kind="use_case",
                                       subject_ref=bid, text="Re-test done.", votes=dict.fromkeys(
                                           ["crcl.chief", "privacy.adv", "counsel", "rug"], "yes"))
        assert later.evidence_id not in (None, evid)
        s.expire(review)
        assert len(review.comments) == comments
        # nothing is public until the body publishes it
        assert bodies.published_decisions(s) == []
        bodies.publish_decision(s, cast["caio"], did)
        pub = bodies.published_decisions(s)
        assert [(p.body, p.subject, p.outcome, p.yes, p.no, p.abstain) for p in pub] == [
            ("Responsible Use Group", FR["use_case_name"], "carried", 2, 1, 1)]


def test_no_quorum_and_failed_votes_make_no_evidence(db, settings, cast):
    bid = _use_case(db, settings, cast)
    mid = _rug_meeting(db, cast, bid, ["crcl.chief", "privacy.adv", "rug"])  # 3 of 5: no quorum
    with db.transaction() as s:
        d = bodies.record_decision(s, cast["rug"], mid, kind="recommendation", subject_kind="use_case",
                                   subject_ref=bid, text="Recommend approval.", votes={"crcl.chief": "yes",
                                                                                        "privacy.adv": "yes", "rug": "yes"})
        assert (d.outcome, d.evidence_id) == ("no_quorum", None)
    with db.transaction() as s:  # attendance is final once a decision is recorded
        with pytest.raises(Conflict):
            bodies.record_attendance(s, cast["rug"], mid, list(RUG.values()))
    assert _count(db, Evidence) == 0


def test_bad_input_names_the_field_and_writes_nothing(db, settings, cast):
    bid = _use_case(db, settings, cast)
    mid = _rug_meeting(db, cast, bid, ["crcl.chief", "privacy.adv", "counsel", "ocio.rep"])
    before = (_count(db, AuditEvent), _count(db, BodyAgendaItem), _count(db, BodyDecision))
    cases = [
        (dict(subject_kind="use_case", subject_ref="DHS-NOPE"), "subject_ref", "no use case DHS-NOPE"),
        (dict(subject_kind="waiver", subject_ref="999"), "subject_ref", "no waiver 999"),
        (dict(subject_kind="policy_pack", subject_ref="omb-m-25-21@9.9.9"), "subject_ref", "no policy pack version"),
        (dict(subject_kind="report", subject_ref="x"), "subject_ref", "the number of a test and evaluation report"),
        (dict(subject_kind="budget", subject_ref="1"), "subject_kind", "one of"),
    ]
    for kw, field, words in cases:
        for call in (lambda s, kw=kw: bodies.add_item(s, cast["rug"], mid, **kw),
                     lambda s, kw=kw: bodies.record_decision(s, cast["rug"], mid, kind="decision", text="t", votes={},
                                                             **kw)):
            with pytest.raises(ValidationFailed) as e, db.transaction() as s:
                call(s)
            assert e.value.errors[0].field == field and words in e.value.errors[0].message
    with pytest.raises(ValidationFailed) as e, db.transaction() as s:  # 'rug' was absent
        bodies.record_decision(s, cast["rug"], mid, kind="recommendation", subject_kind="use_case", subject_ref=bid,
                               text="t", votes={"crcl.chief": "yes", "rug": "yes"})
    assert e.value.errors[0].field == "votes" and "rug" in e.value.errors[0].message
    with pytest.raises(ValidationFailed) as e, db.transaction() as s:
        bodies.record_decision(s, cast["rug"], mid, kind="recommendation", subject_kind="use_case", subject_ref=bid,
                               text="t", votes={"crcl.chief": "maybe"})
    assert e.value.errors[0].field == "votes"
    with pytest.raises(ValidationFailed) as e, db.transaction() as s:
        bodies.record_attendance(s, cast["rug"], mid, ["deputy"])
    assert e.value.errors[0].field == "present"
    with pytest.raises(ValidationFailed) as e, db.transaction() as s:
        bodies.appoint(s, cast["caio"], "board", "chair", "nobody")
    assert e.value.errors[0].field == "username"
    with pytest.raises(ValidationFailed) as e, db.transaction() as s:
        bodies.appoint(s, cast["caio"], "board", "king", "deputy")
    assert e.value.errors[0].field == "seat"
    with pytest.raises(Conflict), db.transaction() as s:  # a seat holds one person
        bodies.appoint(s, cast["caio"], "rug", "chair", "deputy")
    assert (_count(db, AuditEvent), _count(db, BodyAgendaItem), _count(db, BodyDecision)) == before
    assert _count(db, Evidence) == 0


def test_who_may_do_what(db, settings, cast):
    caio = cast["caio"]
    with db.transaction() as s:
        bodies.appoint(s, caio, "board", "chair", "deputy")
        board = bodies.schedule(s, caio, "board", title="Board", starts_at=dt.datetime(2026, 3, 2, 14, 0))
        mid = board.id
    refused = [
        ("admin", lambda s: bodies.appoint(s, cast["admin"], "board", "cio", "counsel")),  # approves nothing
        ("rug", lambda s: bodies.appoint(s, cast["rug"], "board", "cio", "counsel")),
        # a Responsible Use Group member keeps the group's records, not the Board's
        ("rug", lambda s: bodies.schedule(s, cast["rug"], "board", title="x", starts_at=dt.datetime(2026, 3, 3, 9))),
        ("rug", lambda s: bodies.add_item(s, cast["rug"], mid, subject_kind="other", title="x")),
        ("auditor", lambda s: bodies.record_attendance(s, cast["auditor"], mid, [])),
        ("rug", lambda s: bodies.publish_minutes(s, cast["rug"], mid)),
        ("owner", lambda s: bodies.meetings_of(s, cast["owner"], "board")),
        ("tester", lambda s: bodies.get_meeting(s, cast["tester"], mid)),
    ]
    for who, call in refused:
        with pytest.raises(PermissionDenied), db.transaction() as s:
            call(s)
            pytest.fail(f"{who} was not refused")
    with db.transaction() as s:
        assert [b.key for b in bodies.readable_bodies(s, cast["auditor"])] == ["board", "council", "rug", "policy_wg"]
        # the Deputy Secretary holds no role that reads bodies, but reads the body they sit on
        assert [b.key for b in bodies.readable_bodies(s, cast["deputy"])] == ["board"]
        assert bodies.get_meeting(s, cast["deputy"], mid).title == "Board"
        assert bodies.readable_bodies(s, cast["owner"]) == []
        assert bodies.may_keep_records(cast["rug"], bodies.body("rug"), "bodies.meeting.manage")
        assert not bodies.may_keep_records(cast["rug"], bodies.body("board"), "bodies.meeting.manage")
        # the meeting was given in the agency's time zone (America/New_York, winter: UTC-5)
        assert bodies.get_meeting(s, caio, mid).starts_at == dt.datetime(2026, 3, 2, 19, 0, tzinfo=dt.UTC)
