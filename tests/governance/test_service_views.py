"""The public read services the adapters call (the governance page's view, a review's use case, the gate
answer for the use case page, the waiver list of ``raigov review waivers``): each checks authorization
itself, on both databases; and the CLI keeps its output."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from raigov.clock import agency_today
from raigov.db.base import utcnow
from tests.governance.test_dashboard import build_agency


def test_cli_waivers_output(db, cli_env):
    from typer.testing import CliRunner

    from raigov.cli.review import app

    now = utcnow()
    today = agency_today(now=now)  # the services compare with the agency's date
    ids = build_agency(db, now)
    runner = CliRunner()
    res = runner.invoke(app, ["waivers", "--json"])
    assert res.exit_code == 0, res.output
    rows = json.loads(res.stdout)
    assert [r["use_case"] for r in rows] == [ids["CBP-1"], ids["TSA-1"], ids["CBP-2"], ids["CBP-3"]]
    assert set(rows[0]) == {"id", "use_case", "practice", "status", "expires_on", "certified_on", "omb_report_due",
                            "omb_reported_on", "public_summary"}
    assert [r["status"] for r in rows] == ["active", "active", "revoked", "active"]
    assert rows[0]["practice"] == "P6" and rows[0]["public_summary"] == "p"
    assert rows[1]["omb_reported_on"] is None and rows[0]["omb_reported_on"] is not None
    assert rows[0]["expires_on"] == (today + dt.timedelta(days=30)).isoformat()
    res = runner.invoke(app, ["waivers"])
    assert res.exit_code == 0, res.output
    out = res.stdout
    assert out.splitlines()[0].strip() == "Waivers"
    for header in ("id", "use case", "practice", "status", "expires", "certified", "OMB report"):
        assert header in out
    for key in ("CBP-1", "TSA-1", "CBP-2", "CBP-3"):
        assert ids[key] in out
    assert out.count("reported") == 2 and out.count("due") == 2


# ---------------------------------------------------------------- authorization in the service

def _fr_use_case(db, settings, people):
    from tests.governance.test_governance_service import _use_case

    return _use_case(db, settings, people)


def test_governance_view_checks_read(db, settings, people):
    from raigov.errors import NotFound, PermissionDenied
    from raigov.governance import service as gov

    bid = _fr_use_case(db, settings, people)
    with db.transaction() as s:
        for who in ("tsa.lead", "admin"):
            with pytest.raises(PermissionDenied):
                gov.governance_view(s, people[who], bid)
        with pytest.raises(NotFound):
            gov.governance_view(s, people["lead"], "DHS-9999")
        v = gov.governance_view(s, people["lead"], bid)
        assert v.use_case.business_id == bid and v.component == "CBP"
        assert [ln.lane for ln in v.lanes][:len(v.requirements.lanes)] == list(v.requirements.lanes)
        assert all(ln.review is not None and ln.status == "open" for ln in v.lanes)
        answer = gov.authorization(s, people["lead"], bid).as_dict()
        assert {k: v.answer[k] for k in ("authorized", "reasons")} == {k: answer[k] for k in ("authorized", "reasons")}
        assert {p.item for p in v.practices} == {p["item"] for p in v.requirements.practices}
        # what the lead may do: assign reviews, sync, accept risk (no package yet); not decide the Privacy lane
        lanes = {ln.lane: ln for ln in v.lanes}
        assert lanes["privacy"].refusal and not lanes["privacy"].can_decide and lanes["privacy"].can_assign
        assert v.can_sync and not v.is_caio and not v.can_accept and not v.can_submit
        # the owner is a person of the use case: may comment, never review
        o = gov.governance_view(s, people["owner"], bid)
        assert o.is_person and o.can_comment and not any(ln.can_decide for ln in o.lanes)
        p = gov.governance_view(s, people["privacy"], bid)
        assert {ln.lane: ln.can_decide for ln in p.lanes}["privacy"] is True


def test_review_use_case_and_gate_check_read(db, settings, people):
    from raigov.errors import NotFound, PermissionDenied
    from raigov.governance import service as gov
    from raigov.inventory import service as inventory

    bid = _fr_use_case(db, settings, people)
    with db.transaction() as s:
        rid = next(r.id for r in gov.reviews_of(s, people["lead"], bid) if r.lane == "privacy")
        assert gov.review_use_case(s, people["privacy"], rid).business_id == bid
        for who in ("tsa.lead", "admin"):
            with pytest.raises(PermissionDenied):
                gov.review_use_case(s, people[who], rid)
        with pytest.raises(NotFound):
            gov.review_use_case(s, people["privacy"], 10**9)
        uc = inventory.get_use_case(s, people["lead"], bid)
        assert gov.use_case_gate(s, people["tsa.lead"], uc) is None  # neither gate.query nor read for CBP
        assert gov.use_case_gate(s, people["admin"], uc) is None
        ans = gov.use_case_gate(s, people["lead"], uc)
        assert ans["authorized"] is False and {"review_open"} <= {r["code"] for r in ans["reasons"]}
        assert ans["reasons"] == gov.authorization(s, people["gate"], bid).as_dict()["reasons"]


def test_list_waivers_scoped_and_checked(db, make_user, actor_of):
    from raigov.errors import PermissionDenied, ValidationFailed
    from raigov.governance import service as gov
    from raigov.identity.permissions import Actor

    now = utcnow()
    today = agency_today(now=now)  # the services compare with the agency's date
    ids = build_agency(db, now)
    for name, role in {"caio": "caio", "cbp.lead": "component_ai_lead@CBP", "employee": "employee",
                       "admin": "admin"}.items():
        make_user(name, role, password=False)
    a = {n: actor_of(n) for n in ("caio", "cbp.lead", "employee", "admin")}
    with db.transaction() as s:
        for who in ("employee", "admin"):
            with pytest.raises(PermissionDenied):
                gov.list_waivers(s, a[who])
        with pytest.raises(ValidationFailed):
            gov.list_waivers(s, a["caio"], status="lapsed")

        def bids(actor, **kw):
            return [e.business_id for e in gov.list_waivers(s, actor, **kw)]

        everyone = [ids["CBP-1"], ids["TSA-1"], ids["CBP-2"], ids["CBP-3"]]
        assert bids(a["caio"]) == everyone and bids(Actor.system("t")) == everyone
        assert bids(a["cbp.lead"]) == [ids["CBP-1"], ids["CBP-2"], ids["CBP-3"]]  # never TSA's
        assert {e.component for e in gov.list_waivers(s, a["cbp.lead"])} == {"CBP"}
        assert bids(a["caio"], status="revoked") == [ids["CBP-2"]]
        assert bids(a["caio"], status="active") == [ids["CBP-1"], ids["TSA-1"], ids["CBP-3"]]
        assert bids(a["caio"], expiring_within_days=60) == [ids["CBP-1"]]
        assert bids(a["caio"], expiring_within_days=61) == [ids["CBP-1"], ids["CBP-3"]]
        assert bids(a["caio"], status="expired") == []
        assert bids(a["caio"], status="expired", today=today + dt.timedelta(days=31)) == [ids["CBP-1"]]
        # waivers_of (what GET /api/v1/waivers serves) without a use case is the same scoped list
        assert [w.id for w in gov.waivers_of(s, a["cbp.lead"])] == [e.waiver.id for e in gov.list_waivers(s, a["cbp.lead"])]
        assert len(gov.waivers_of(s, a["caio"])) == 4
        with pytest.raises(PermissionDenied):
            gov.waivers_of(s, a["employee"])



def test_sync_if_allowed(db, settings, people):
    """What the page and POST /determinations run after a determination: sync when the actor may, else nothing."""
    from raigov.governance import service as gov
    from raigov.inventory import service as inventory
    from raigov.policy import service as policy
    from tests.governance.test_governance_service import FR

    with db.transaction() as s:
        bid = inventory.create_use_case(s, people["owner"], component="CBP", values=FR, reason="new",
                                        settings=settings).business_id
        inventory.submit_use_case(s, people["owner"], bid)
        policy.screen_use_case(s, people["owner"], bid)
        policy.decide(s, people["caio"], bid, "high-impact", "matches face recognition presumption")
    with db.transaction() as s:
        assert gov.sync_if_allowed(s, people["privacy"], bid) is None  # reads it, may not sync
        assert gov.reviews_of(s, people["lead"], bid) == []  # and nothing was opened
        added = gov.sync_if_allowed(s, people["lead"], bid)
        # a high-impact face-recognition use: the affirmative route and D026-11's Privacy, CRCL, OCIO lanes
        assert {"privacy", "crcl", "ocio", "legal"} <= set(added["reviews"]) and added["practices"]
        assert gov.sync_if_allowed(s, people["lead"], bid) == {"reviews": [], "practices": []}  # idempotent
