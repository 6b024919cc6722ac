"""Agenda building from the platform's state (both databases), the workforce view, and the iCalendar export
(pure, against text written by hand)."""

from __future__ import annotations

import datetime as dt

from raigov.bodies import agenda, workforce
from raigov.bodies import service as bodies
from raigov.bodies.ics import Event, calendar, escape, fold
from raigov.clock import agency_today
from raigov.governance import service as gov
from raigov.inventory import service as inventory
from raigov.policy import service as policy
from raigov.training import service as training
from tests.bodies.test_service import cast  # noqa: F401  (the fixture)
from tests.governance.test_governance_service import FR


def _screened(db, settings, cast, name, decide):  # noqa: F811
    with db.transaction() as s:
        bid = inventory.create_use_case(s, cast["owner"], component="CBP", values={**FR, "use_case_name": name},
                                        reason="new", settings=settings).business_id
        inventory.submit_use_case(s, cast["owner"], bid)
    with db.transaction() as s:
        policy.screen_use_case(s, cast["owner"], bid)
        if decide:
            policy.decide(s, cast["caio"], bid, "high-impact", "face recognition presumption")
            gov.sync(s, cast["owner"], bid)
    return bid


def test_agendas_follow_the_platform_state(db, settings, cast):  # noqa: F811
    caio = cast["caio"]
    presumed = _screened(db, settings, cast, "Presumed, not yet determined", decide=False)
    reviewed = _screened(db, settings, cast, "Reviewed by the group", decide=True)
    waiting = _screened(db, settings, cast, "Waiting for the group", decide=True)
    with db.transaction() as s:
        review = next(r for r in gov.reviews_of(s, caio, reviewed) if r.lane == "independent")
        gov.decide(s, caio, review.id, "approved", "independent review done")
        w = gov.grant_waiver(s, caio, waiting, "M-25-21.4(b)(i)", grounds="impedes-operations", determination="d",
                             risk_assessment="r", public_summary="p", expires_on=agency_today() + dt.timedelta(days=700))
        wid = w.id
    with db.transaction() as s:
        rug = [(p.subject_ref, p.why) for p in agenda.proposals(s, caio, "rug")]
        assert rug == [(waiting, "its independent review is open")]
        board = {(p.subject_kind.value, p.subject_ref): p.why for p in agenda.proposals(s, caio, "board")}
        assert board == {("use_case", presumed): "presumed high-impact by its screen; no determination yet",
                         ("use_case", reviewed): "its independent review is decided; the Board has not taken it up"}
        # a waiver certified today is due again in 365 days: on the agenda from 30 days before
        later = agency_today() + dt.timedelta(days=335)
        due = (agency_today() + dt.timedelta(days=365)).isoformat()
        got = [p for p in agenda.proposals(s, caio, "board", today=later) if p.subject_kind == "waiver"]
        assert [(p.subject_ref, p.why) for p in got] == [(str(wid), f"yearly re-certification due on {due}")]
        assert not [p for p in agenda.proposals(s, caio, "board", today=later - dt.timedelta(days=1))
                    if p.subject_kind == "waiver"]
        # once on a meeting's agenda, a subject is no longer proposed for it
        m = bodies.schedule(s, caio, "board", title="Board", starts_at=dt.datetime(2026, 3, 2, 14, 0), location="HQ")
        bodies.add_item(s, caio, m.id, subject_kind="use_case", subject_ref=presumed)
        assert presumed not in {p.subject_ref for p in agenda.proposals(s, caio, "board", meeting=m)}
        text = bodies.calendar(s, caio, [m], stamp=dt.datetime(2026, 2, 1, 12, 0, tzinfo=dt.UTC))
        assert "DTSTART:20260302T190000Z\r\n" in text and "DTEND:20260302T200000Z\r\n" in text
        assert "SUMMARY:AI Governance Board: Board\r\n" in text
        assert "DESCRIPTION:Agenda:\\n1. Presumed\\, not yet determined\r\n" in text
        # the workforce: the independent lane's reviewers, with no training record in the ledger yet
        bodies.appoint(s, caio, "board", "vice_chair", "caio")
        people = {p.username: p for p in workforce.workforce(s, cast["auditor"])}
        assert people["caio"].seats == ["Chief AI Officer, AI Governance Board"]
        assert "Independent review (Responsible Use Group)" in people["rug"].lanes
        assert {p.training for p in people.values()} == {"no training record"}


def test_the_workforce_shows_training_from_the_ledger_to_who_may_read_it(db, settings, cast, system):  # noqa: F811
    today = agency_today()
    with db.transaction() as s:
        bodies.appoint(s, cast["caio"], "rug", "chair", "crcl.chief")
        training.record_completion(s, system, "crcl.chief", "ai-awareness", today - dt.timedelta(days=10), today)
        training.record_completion(s, system, "crcl.chief", "privacy-awareness", today - dt.timedelta(days=400), today)
        training.record_completion(s, system, "counsel", "ai-awareness", today - dt.timedelta(days=20), today)
        training.record_completion(s, system, "counsel", "privacy-awareness", today - dt.timedelta(days=5), today)
    with db.transaction() as s:
        people = {p.username: p for p in workforce.workforce(s, cast["auditor"], today)}
        chief, counsel = people["crcl.chief"], people["counsel"]
        assert chief.seats == ["Officer for Civil Rights and Civil Liberties (or designee), Responsible Use Group"]
        assert chief.training_current is False and chief.training.startswith("not current (Privacy awareness")
        assert "expired on" in chief.training and "AI awareness" not in chief.training
        assert counsel.training_current is True and counsel.training.startswith("current until ")
        assert people["privacy.adv"].training == "no training record" and people["privacy.adv"].training_current is None
        # a reviewer reads the bodies' records but not the training ledger: the training is not shown
        shown = {p.username: p.training for p in workforce.workforce(s, cast["privacy.adv"], today)}
        assert set(shown.values()) == {workforce.NOT_SHOWN}


def test_ics_escapes_folds_and_ends_lines_with_crlf():
    assert escape('a\\b;c,d\ne') == 'a\\\\b\\;c\\,d\\ne'
    long = "DESCRIPTION:" + "é" * 40  # 12 + 80 octets: folded after 75 octets without splitting a character
    folded = fold(long)
    first, second = folded.split("\r\n")
    assert len(first.encode()) == 75 - 1 and second.startswith(" ") and (first + second[1:]) == long
    ev = Event("raigov-meeting-7", dt.datetime(2026, 3, 2, 14, 0, tzinfo=dt.UTC), 90, "RUG; review, monthly",
               location="Room 1", cancelled=True)
    assert calendar([ev], stamp=dt.datetime(2026, 2, 1, tzinfo=dt.UTC)) == (
        "BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//raigov//governance bodies//EN\r\nCALSCALE:GREGORIAN\r\n"
        "METHOD:PUBLISH\r\nBEGIN:VEVENT\r\nUID:raigov-meeting-7\r\nDTSTAMP:20260201T000000Z\r\n"
        "DTSTART:20260302T140000Z\r\nDTEND:20260302T153000Z\r\nSUMMARY:RUG\\; review\\, monthly\r\n"
        "LOCATION:Room 1\r\nSTATUS:CANCELLED\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n")
