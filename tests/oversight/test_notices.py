"""Notices (issue #15 item 4), on both databases: a use case's plain-language notice written by its owner or AI
lead and read by its systems; a decision's optional `notice` (the JSON contract without it is unchanged: an item
without a notice hashes as before), covered by the proof; the kinds that must be noticed are data, and a
decision of such a kind without a notice given is recorded and counted as a gap (docs/oversight.md §8)."""

from __future__ import annotations

import json

from sqlalchemy import select

from raigov.audit import service as audit
from raigov.audit.models import AuditEvent
from raigov.oversight import service as oversight
from raigov.oversight.models import Decision
from raigov.oversight.remedies import remedies
from raigov.oversight.vocab import kinds
from tests.oversight import verifier
from tests.oversight.conftest import decision
from tests.web.conftest import csrf_from

NOTICE = {"what_ai_does": "A model reads the pay stubs you send and proposes whether you are eligible.",
          "human_review": "An officer reviews every proposal; ask for a review at any office.",
          "appeal": "Appeal within 30 days at the office or through the portal.", "opt_out": ""}


def test_the_kinds_to_notice_are_kinds():
    assert remedies().notice_kinds <= set(kinds()) and remedies().notice_kinds
    assert all(k.adverse for name, k in kinds().items() if name in remedies().notice_kinds)


def test_a_use_cases_notice(db, client, people, use_cases, token_for):
    low = use_cases["low"]
    url = f"/api/v1/use-cases/{low}/notice"
    r = client.get(url, headers=token_for("cbp-sys"))  # the system reads it, to show it
    assert r.status_code == 200 and r.json()["written"] is False
    r = client.put(url, json={**NOTICE, "appeal": ""}, headers=token_for("owner"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "appeal"
    r = client.put(url, json=NOTICE, headers=token_for("owner"))
    assert r.status_code == 200 and r.json()["written"] and r.json()["updated_by"] == "user:owner"
    r = client.put(url, json={**NOTICE, "opt_out": "Ask for a manual check instead."}, headers=token_for("lead"))
    assert r.status_code == 200 and r.json()["opt_out"].startswith("Ask")
    for who in ("tsa.lead", "privacy", "cbp-sys", "auditor", "caio"):
        assert client.put(url, json=NOTICE, headers=token_for(who)).status_code == 403, who
    r = client.get(url, headers=token_for("privacy"))
    assert r.status_code == 200 and r.json()["may_edit"] is False and r.json()["what_ai_does"] == NOTICE["what_ai_does"]
    assert client.get(url, headers=token_for("tsa-sys")).status_code == 403
    with db.transaction() as s:
        events = list(s.scalars(select(AuditEvent).where(AuditEvent.action == "oversight.notice.record")))
    assert len(events) == 2 and json.loads(events[1].details) == {"use_case": low, "opt_out": True}


def test_a_decision_records_its_notice_and_gaps_are_counted(db, client, people, use_cases, token_for, settings):
    low = use_cases["low"]
    h = token_for("cbp-sys")
    given = decision(low, 1, notice={"given": True, "method": "letter"})
    r = client.post("/api/v1/decisions", json=given, headers=h)
    assert r.status_code == 201, r.text
    assert client.post("/api/v1/decisions", json=given, headers=h).status_code == 200  # the same body
    r = client.post("/api/v1/decisions", json={**given, "notice": {"given": True, "method": "email"}}, headers=h)
    assert r.status_code == 409  # another body
    assert client.post("/api/v1/decisions", json=decision(low, 2), headers=h).status_code == 201  # no notice: a gap
    r = client.post("/api/v1/decisions", json=decision(low, 3, notice={"given": False}), headers=h)
    assert r.status_code == 201  # told not yet: a gap too
    r = client.post("/api/v1/decisions", json=decision(low, 4, kind="favourable"), headers=h)
    assert r.status_code == 201  # a favourable decision owes no notice
    for bad, field in (({"given": True}, "notice"), ({"given": True, "method": "pigeon"}, "notice.method"),
                       ({"given": "yes"}, "notice.given"), ({"given": False, "by": "x"}, "notice.by")):
        r = client.post("/api/v1/decisions", json=decision(low, 9, notice=bad), headers=h)
        assert r.status_code == 422 and r.json()["errors"][0]["field"] == field, (bad, r.text)
    with db.transaction() as s:
        rm = oversight.stats(s, people["lead"], low)["remedies"]
        head = audit.sign_head(s, people["caio"], settings.data_dir)
        pk1 = s.scalar(select(Decision.id).where(Decision.decision_id == "D-1"))
        pk2 = s.scalar(select(Decision.id).where(Decision.decision_id == "D-2"))
    assert (rm["notice_owed"], rm["notice_missing"]) == (3, 2)
    lead = token_for("lead")
    proof = client.get(f"/api/v1/decisions/{pk1}/proof", headers=lead).json()
    assert proof["item"]["notice"] == {"given": True, "method": "letter"}
    assert proof["verified"] and verifier.verify(proof, head["public_key"]) == []
    forged = json.loads(json.dumps(proof))
    forged["item"]["notice"]["given"] = False
    assert "item_hash" in verifier.verify(forged, head["public_key"])
    proof2 = client.get(f"/api/v1/decisions/{pk2}/proof", headers=lead).json()
    assert "notice" not in proof2["item"] and verifier.verify(proof2, head["public_key"]) == []


def test_the_notice_page(db, client, people, use_cases, make_user, sign_in):
    low = use_cases["low"]
    make_user("writer", "submitter@CBP")
    assert sign_in("writer").status_code == 303
    page = client.get(f"/oversight/use-cases/{low}/notice")
    assert page.status_code == 200 and "Save the notice" in page.text
    r = client.post(f"/oversight/use-cases/{low}/notice", data={**NOTICE, "human_review": "",
                                                                 "csrf_token": csrf_from(page.text)})
    assert r.status_code == 422 and "human_review-error" in r.text and NOTICE["what_ai_does"] in r.text
    r = client.post(f"/oversight/use-cases/{low}/notice", data={**NOTICE, "csrf_token": csrf_from(page.text)},
                    follow_redirects=False)
    assert r.status_code == 303
    assert NOTICE["appeal"] in client.get(f"/oversight/use-cases/{low}/notice").text


def test_the_pack_in_force_says_which_decisions_owe_a_notice(db, client, people, use_cases, token_for, tmp_path,
                                                             monkeypatch):
    """The shipped dhs-139-08 1.2.0 owes a notice after every adverse kind; an agency's newer version of the pack
    (here: after enforcement actions and favourable decisions only) changes what is counted, with no code."""
    from raigov.policy import packs as P
    from tests.oversight.test_rules import NOTICE_PACK

    assert remedies().notice_source == "dhs-139-08@1.2.0 D139-08.Decision.Notice"
    d = tmp_path / "policy"
    d.mkdir()
    (d / "dhs-139-08-9.0.0.yaml").write_text(NOTICE_PACK, encoding="utf-8")
    monkeypatch.setattr(P, "_current", P.load_registry([d]))
    r = remedies()
    assert r.notice_source == "dhs-139-08@9.0.0 X.Notice" and "benefit_denial" not in r.notice_kinds
    assert r.notice_methods == ("letter",)
    low, h = use_cases["low"], token_for("cbp-sys")
    for n, kind in ((1, "benefit_denial"), (2, "favourable"), (3, "favourable")):
        assert client.post("/api/v1/decisions", json=decision(low, n, kind=kind), headers=h).status_code == 201
    r = client.post("/api/v1/decisions", json=decision(low, 4, notice={"given": True, "method": "email"}), headers=h)
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "notice.method"  # the rule's methods
    with db.transaction() as s:
        rm = oversight.stats(s, people["lead"], low)["remedies"]
    assert (rm["notice_owed"], rm["notice_missing"]) == (2, 2)
    notice = client.get(f"/api/v1/use-cases/{low}/notice", headers=token_for("lead")).json()
    assert notice["notice_kinds"] == ["arrest", "citation", "civil_fine", "favourable", "injunction", "search",
                                      "seizure"] and notice["notice_rule"] == "dhs-139-08@9.0.0 X.Notice"
