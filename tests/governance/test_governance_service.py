"""Governance rules in the service layer, on both databases: lanes from the determination and the packs,
separation of duties, practices with evidence, risk acceptance on the exact assessment, waivers and pilots
(CAIO only), and what the gate answers at each step."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from raigov.audit.models import AuditEvent
from raigov.clock import agency_today
from raigov.errors import Conflict, PayloadTooLarge, PermissionDenied, ValidationFailed
from raigov.governance import service as gov
from raigov.governance.models import Evidence
from raigov.inventory import service as inventory
from raigov.policy import service as policy

FR = {
    "use_case_name": "Biometric entry-exit face matching",
    "development_stage": "Pre-deployment",
    "problem_solved": "Uses facial recognition to verify the identity of travelers at ports of entry against "
                      "passport photos; a mismatch refers the traveler to secondary inspection by an officer.",
    "system_outputs": "A match or no-match result for each traveler.",
}
LOW = {
    "use_case_name": "Translation of public web pages",
    "development_stage": "Deployed",
    "problem_solved": "Machine translation of the agency's public web pages into Spanish for readers.",
    "system_outputs": "Translated text reviewed by staff before publication.",
}
SECTIONS = {k: f"answer for {k}" for k in gov.ASSESSMENT_SECTIONS}
PDF = b"%PDF-1.7\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def _use_case(db, settings, people, values=FR, decide=True):
    with db.transaction() as s:
        bid = inventory.create_use_case(s, people["owner"], component="CBP", values=values, reason="new",
                                        settings=settings).business_id
        inventory.assign_person(s, people["lead"], bid, "dev", "developer")
        inventory.assign_person(s, people["lead"], bid, "rug.dev", "developer")
    assert {"draft", "no_determination"} <= set(_codes(_gate(db, people["gate"], bid)))
    with db.transaction() as s:
        inventory.submit_use_case(s, people["owner"], bid)
    with db.transaction() as s:
        policy.screen_use_case(s, people["owner"], bid)
        if decide:
            policy.decide(s, people["caio"], bid, "high-impact", "matches face recognition presumption")
        gov.sync(s, people["owner"], bid)
    return bid


def _gate(db, actor, bid, now=None):
    with db.transaction() as s:
        return gov.authorization(s, actor, bid, now=now)


def _codes(ans):
    return sorted({r["code"] for r in ans.reasons})


def _review(db, people, bid, lane):
    with db.transaction() as s:
        return next(r.id for r in gov.reviews_of(s, people["caio"], bid) if r.lane == lane)


def test_lanes_and_practices_follow_determination_and_packs(db, settings, people):
    bid = _use_case(db, settings, people)
    with db.transaction() as s:
        lanes = {r.lane: r for r in gov.reviews_of(s, people["caio"], bid)}
        practices = {p.item for p in gov.practices_of(s, people["caio"], bid)}
    # high-impact: component, Privacy, CRCL, legal, independent; face recognition adds OCIO (DHS 026-11)
    assert set(lanes) == {"component_ai_lead", "privacy", "crcl", "legal", "independent", "ocio"}
    assert {"item": "D026-11.Review", "citation": "DHS Dir. 026-11 (dhs.gov summary)"} in lanes["ocio"].required_by
    assert {f"M-25-21.4(b)({x})" for x in ("i", "ii", "iii", "iv", "v", "vi", "vii")} <= practices
    assert "D026-11.Testing" in practices
    # a low-impact use case determined not high-impact needs no lanes and no practices
    low = _use_case(db, settings, people, LOW, decide=False)
    with db.transaction() as s:
        policy.decide(s, people["caio"], low, "not-high-impact", "translation of public pages")
        gov.sync(s, people["owner"], low)
        assert {r.status for r in gov.reviews_of(s, people["caio"], low)} <= {"withdrawn"}
        assert not any(p.required for p in gov.practices_of(s, people["caio"], low))
    ans = _gate(db, people["gate"], low)
    assert ans.authorized is True and ans.reasons == []
    # sync is idempotent: no new rows, no new audit event
    with db.transaction() as s:
        n = s.scalar(select(func.count()).select_from(AuditEvent))
        assert gov.sync(s, people["owner"], bid) == {"reviews": [], "practices": []}
        assert s.scalar(select(func.count()).select_from(AuditEvent)) == n


def test_separation_of_duties(db, settings, people):
    bid = _use_case(db, settings, people)
    rid = _review(db, people, bid, "independent")
    with db.transaction() as s, pytest.raises(PermissionDenied, match=r"development team.*independent reviewer"):
        gov.decide(s, people["rug.dev"], rid, "approved", "looks fine")
    with db.transaction() as s, pytest.raises(PermissionDenied, match=r"may not governance\.review\.decide"):
        gov.decide(s, people["admin"], _review(db, people, bid, "privacy"), "approved", "ok")
    with db.transaction() as s, pytest.raises(PermissionDenied) as refused:
        gov.decide(s, people["crcl"], _review(db, people, bid, "privacy"), "approved", "ok")
    # in words: the role's title, never its id (issue #14)
    assert str(refused.value.detail) == ("the Privacy Office review is decided by a Privacy Office reviewer; "
                                         "you do not hold that role")
    with db.transaction() as s, pytest.raises(PermissionDenied):  # another component's lead
        gov.decide(s, people["tsa.lead"], _review(db, people, bid, "component_ai_lead"), "approved", "ok")
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        gov.decide(s, people["rug"], rid, "approved", "  ")
    assert e.value.errors[0].field == "reason"
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        gov.decide(s, people["rug"], rid, "approved_with_conditions", "ok", [])
    assert e.value.errors[0].field == "conditions"
    # assigning the independent review to a developer is refused; to another member it binds the decision
    with db.transaction() as s, pytest.raises(ValidationFailed, match=r"rug\.dev is on the development team"):
        gov.assign(s, people["caio"], rid, "rug.dev")
    with db.transaction() as s:
        gov.assign(s, people["caio"], rid, "caio")
    with db.transaction() as s, pytest.raises(PermissionDenied, match="assigned to caio"):
        gov.decide(s, people["rug"], rid, "approved", "ok")
    with db.transaction() as s:  # the assignee delegates within the rules
        gov.assign(s, people["caio"], rid, "rug")
    with db.transaction() as s:
        r = gov.decide(s, people["rug"], rid, "approved_with_conditions", "independent review done",
                       ["Re-test after the camera upgrade"])
        assert r.status == "approved_with_conditions" and r.decided_by == "user:rug"
    with db.transaction() as s, pytest.raises(Conflict, match="already decided"):
        gov.decide(s, people["rug"], rid, "denied", "changed my mind")


def test_walk_to_authorized_and_back(db, settings, people):
    bid = _use_case(db, settings, people)
    t0 = dt.datetime.now(dt.UTC)
    ans = _gate(db, people["gate"], bid, t0)
    assert ans.authorized is False
    assert {"review_open", "practice_not_met", "risk_not_accepted", "bias_test_missing"} <= set(_codes(ans))
    for lane, who in (("component_ai_lead", "lead"), ("privacy", "privacy"), ("crcl", "crcl"), ("legal", "legal"),
                      ("ocio", "ocio"), ("independent", "rug")):
        with db.transaction() as s:
            gov.decide(s, people[who], _review(db, people, bid, lane), "approved", f"{lane} approves")
    assert "review_open" not in _codes(_gate(db, people["gate"], bid, t0))
    with db.transaction() as s:
        practices = [p.item for p in gov.practices_of(s, people["owner"], bid)]
    # done needs evidence
    with db.transaction() as s, pytest.raises(ValidationFailed, match="evidence"):
        gov.update_practice(s, people["owner"], bid, "M-25-21.4(b)(i)", status="done")
    with db.transaction() as s:
        ev = gov.add_file(s, people["tester"], settings, bid, PDF, filename="fr-bias-test.pdf", title="NIST-style bias test",
                          category="bias_test", dated_on=agency_today() - dt.timedelta(days=10),
                          expires_on=agency_today() + dt.timedelta(days=365), practice="D026-11.Testing")
        ev_id = ev.id
    for item in practices:
        if item == "M-25-21.4(b)(ii)":
            continue
        with db.transaction() as s:
            if item != "D026-11.Testing":
                gov.link_evidence(s, people["owner"], ev_id, bid, item)  # reused, not copied
            gov.update_practice(s, people["owner"], bid, item, status="done")
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Evidence)) == 1
    # the impact assessment: (ii) is done only when the current version is signed
    with db.transaction() as s, pytest.raises(ValidationFailed, match="signed"):
        gov.update_practice(s, people["owner"], bid, "M-25-21.4(b)(ii)", status="done")
    with db.transaction() as s:
        gov.save_assessment(s, people["owner"], bid, SECTIONS)
        pkg = gov.acceptance_package(s, inventory.get_use_case(s, people["caio"], bid))
        assert [c["body"] for c in pkg["independent_review"]] == ["independent approves"]
    with db.transaction() as s, pytest.raises(PermissionDenied):  # a developer cannot accept (and lacks the role)
        gov.accept_risk(s, people["dev"], bid, "I accept", package_sha256=pkg["sha256"], method="password")
    with db.transaction() as s, pytest.raises(Conflict):
        gov.accept_risk(s, people["caio"], bid, "I accept", package_sha256="0" * 64, method="password")
    with db.transaction() as s:
        ra = gov.accept_risk(s, people["caio"], bid, "I accept the residual risk", package_sha256=pkg["sha256"],
                             method="password re-entered")
        assert ra.assessment_sha256 == pkg["sha256"]
        gov.update_practice(s, people["owner"], bid, "M-25-21.4(b)(ii)", status="done")
    ans = _gate(db, people["gate"], bid, t0)
    assert ans.authorized is True, ans.reasons
    # a new assessment version makes the signature stale
    with db.transaction() as s:
        gov.save_assessment(s, people["owner"], bid, {**SECTIONS, "E_costs": "costs went up"})
    assert _codes(_gate(db, people["gate"], bid, t0)) == ["risk_acceptance_stale"]
    with db.transaction() as s:
        pkg = gov.acceptance_package(s, inventory.get_use_case(s, people["caio"], bid))
        gov.accept_risk(s, people["delegate"], bid, "accept v2", package_sha256=pkg["sha256"], method="password")
    assert _gate(db, people["gate"], bid, t0).authorized is True
    # a waiver: CAIO only, expires, and the gate turns back when it does
    with db.transaction() as s:
        gov.update_practice(s, people["owner"], bid, "M-25-21.4(b)(vii)", status="in_progress")
    assert _codes(_gate(db, people["gate"], bid, t0)) == ["practice_not_met"]
    kw = {"grounds": "impedes-operations", "determination": "feedback kiosks cannot be installed at this port",
              "risk_assessment": "low residual risk", "public_summary": "Feedback option waived at one port",
              "expires_on": agency_today() + dt.timedelta(days=30)}
    with db.transaction() as s, pytest.raises(PermissionDenied, match="not delegable"):
        gov.grant_waiver(s, people["delegate"], bid, "M-25-21.4(b)(vii)", **kw)
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        gov.grant_waiver(s, people["caio"], bid, "M-25-21.4(b)(vii)", **{**kw, "public_summary": ""})
    assert e.value.errors[0].field == "public_summary"
    with db.transaction() as s:
        w = gov.grant_waiver(s, people["caio"], bid, "M-25-21.4(b)(vii)", **kw)
        assert w.omb_report_due == agency_today() + dt.timedelta(days=30)
        wid = w.id
    assert _gate(db, people["gate"], bid, t0).authorized is True
    later = t0 + dt.timedelta(days=31)
    ans = _gate(db, people["gate"], bid, later)
    assert ans.authorized is False and _codes(ans) == ["waiver_expired"]
    with db.transaction() as s:
        gov.revoke_waiver(s, people["caio"], wid, "no longer needed")
    assert _codes(_gate(db, people["gate"], bid, t0)) == ["practice_not_met"]
    # evidence expiry and a stale bias test turn the gate too
    far = t0 + dt.timedelta(days=3 * 365 + 30)
    assert {"evidence_expired", "bias_test_stale"} <= set(_codes(_gate(db, people["gate"], bid, far)))


def test_pilot_exempts_practices_until_it_ends(db, settings, people):
    bid = _use_case(db, settings, people)
    today = agency_today()
    kw = {"scale": "two lanes at one airport", "starts_on": today, "ends_on": today + dt.timedelta(days=60),
              "opt_in_out": "travelers may opt out at the podium", "practices_applied": "testing and monitoring"}
    with db.transaction() as s, pytest.raises(PermissionDenied):
        gov.certify_pilot(s, people["delegate"], bid, **kw)
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        gov.certify_pilot(s, people["caio"], bid, **{**kw, "ends_on": today + dt.timedelta(days=400)})
    assert e.value.errors[0].field == "ends_on"
    with db.transaction() as s:
        gov.certify_pilot(s, people["caio"], bid, **kw)
    now = dt.datetime.now(dt.UTC)
    codes = _codes(_gate(db, people["gate"], bid, now))
    assert "practice_not_met" not in codes and "risk_not_accepted" not in codes and "review_open" in codes
    codes = _codes(_gate(db, people["gate"], bid, now + dt.timedelta(days=61)))
    assert "pilot_expired" in codes and "practice_not_met" in codes


def test_evidence_store_refuses_and_limits(db, settings, people):
    bid = _use_case(db, settings, people)
    with db.transaction() as s:
        for data, name in ((b"MZ\x90\x00rest", "tool.exe"), (b"#!/bin/sh\nrm -rf /", "x.sh"),
                           (b"<html><script>alert(1)</script>", "x.html"), (b"\x00\x01\x02\xff\xfe", "x.bin")):
            with pytest.raises(ValidationFailed) as e:
                gov.add_file(s, people["owner"], settings, bid, data, filename=name, title="x", category="other")
            assert e.value.errors[0].field == "file"
    small = settings.model_copy(update={"upload_limit_bytes": 1024})
    with db.transaction() as s, pytest.raises(PayloadTooLarge):
        gov.add_file(s, people["owner"], small, bid, PDF + b"0" * 2000, filename="big.pdf", title="x", category="other")
    with db.transaction() as s:
        a = gov.add_file(s, people["owner"], settings, bid, PDF, filename="a.pdf", title="A", category="pia")
        b = gov.add_file(s, people["owner"], settings, bid, PDF, filename="b.pdf", title="B", category="ato")
        assert a.sha256 == b.sha256 and a.media_type == "application/pdf"
        assert gov.evidence_store(settings).get(a.sha256) == PDF
        with pytest.raises(ValidationFailed) as e:
            gov.add_link(s, people["owner"], bid, url="javascript:alert(1)", title="x", category="pia")
        assert e.value.errors[0].field == "url"
    with db.transaction() as s, pytest.raises(PermissionDenied):  # a reviewer attaches nothing
        gov.add_link(s, people["privacy"], bid, url="https://example.gov/pia", title="PIA", category="pia")


def test_practice_rules(db, settings, people):
    bid = _use_case(db, settings, people)
    item = "M-25-21.4(b)(vi)"
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        gov.update_practice(s, people["owner"], bid, item, status="not_applicable")
    assert e.value.errors[0].field == "reason"
    with db.transaction() as s, pytest.raises(ValidationFailed, match="waiver"):
        gov.update_practice(s, people["owner"], bid, item, status="waived")
    with db.transaction() as s, pytest.raises(PermissionDenied):
        gov.update_practice(s, people["privacy"], bid, item, status="in_progress")
    with db.transaction() as s:
        p = gov.update_practice(s, people["owner"], bid, item, status="not_applicable",
                                reason="no individual decisions are made", owner="dev")
        v = p.version
    with db.transaction() as s, pytest.raises(Conflict):
        gov.update_practice(s, people["owner"], bid, item, status="in_progress", expected_version=v - 1)


def test_only_the_caio_may_handle_waivers_and_m2410(db, settings, people):
    bid = _use_case(db, settings, people)
    with db.transaction() as s:
        w = gov.grant_waiver(s, people["caio"], bid, "M-25-21.4(b)(vi)", grounds="increases-risk",
                             determination="appeals would expose investigative methods", risk_assessment="assessed",
                             public_summary="Appeals practice waived", expires_on=agency_today() + dt.timedelta(days=300))
        wid = w.id
    for who in ("delegate", "admin", "lead"):
        with db.transaction() as s, pytest.raises(PermissionDenied):
            gov.certify_waiver(s, people[who], wid, "still valid")
        with db.transaction() as s, pytest.raises(PermissionDenied):
            gov.revoke_waiver(s, people[who], wid, "x")
    with db.transaction() as s:
        gov.certify_waiver(s, people["caio"], wid, "still valid")
        gov.mark_waiver_reported(s, people["delegate"], wid)
        assert gov.waivers_of(s, people["caio"], bid)[0].omb_reported_on == agency_today()
    with db.transaction() as s, pytest.raises(ValidationFailed, match="revoked first"):
        gov.update_practice(s, people["owner"], bid, "M-25-21.4(b)(vi)", status="in_progress")
