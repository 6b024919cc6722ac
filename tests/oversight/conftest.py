"""Oversight fixtures: the people of the permission rules (an operational system of CBP and one of TSA, the
CBP lead, the CAIO, Privacy and CRCL reviewers, an auditor, a submitter), two CBP use cases (LOW: authorized by
the gate; FR: face recognition, not authorized yet) and a roster with one trained operator on each."""

from __future__ import annotations

import datetime as dt

import pytest

from raigov.clock import agency_today
from raigov.governance import service as gov
from raigov.inventory import service as inventory
from raigov.oversight import service as oversight
from raigov.policy import service as policy
from tests.governance.test_governance_service import FR, LOW
from tests.web.conftest import app, client, sign_in, token_for  # noqa: F401  (the web fixtures, for the API tests)

NOW = dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC)


@pytest.fixture
def people(db, make_user, actor_of):
    names = {"owner": ["submitter@CBP"], "lead": ["component_ai_lead@CBP"], "tsa.lead": ["component_ai_lead@TSA"],
             "caio": ["caio"], "privacy": ["privacy_reviewer"], "crcl": ["crcl_reviewer"], "auditor": ["auditor"],
             "legal": ["legal_reviewer"]}
    for u, roles in names.items():
        make_user(u, *roles, password=False)
    make_user("cbp-sys", "service@CBP", kind="service")
    make_user("tsa-sys", "service@TSA", kind="service")
    return {u: actor_of(u) for u in [*names, "cbp-sys", "tsa-sys"]}


@pytest.fixture
def use_cases(db, settings, people):
    """{"low": an authorized CBP use case, "fr": a CBP face-recognition use case the gate does not authorize}."""
    out = {}
    with db.transaction() as s:
        for name, values in (("low", LOW), ("fr", FR)):
            out[name] = inventory.create_use_case(s, people["owner"], component="CBP", values=values, reason="new",
                                                  settings=settings).business_id
    for bid in out.values():
        with db.transaction() as s:
            inventory.submit_use_case(s, people["owner"], bid)
        with db.transaction() as s:
            policy.screen_use_case(s, people["owner"], bid)
    with db.transaction() as s:
        policy.decide(s, people["caio"], out["low"], "not-high-impact", "translation of public pages")
        gov.sync(s, people["owner"], out["low"])
        policy.decide(s, people["caio"], out["fr"], "high-impact", "face recognition")
        gov.sync(s, people["owner"], out["fr"])
    today = agency_today(now=NOW)
    with db.transaction() as s:
        for bid in out.values():
            oversight.record_operator(s, people["lead"], bid, "officer.ng", today - dt.timedelta(days=30),
                                      today + dt.timedelta(days=335))
    return out


@pytest.fixture
def key(settings):
    return oversight.load_key(settings.ensure_data_dir())


def decision(bid: str, n: int = 1, **over) -> dict:
    """A decision's JSON as an operational system sends it: reviewed, accepted, with a basis besides the AI."""
    d = {"decision_id": f"D-{n}", "use_case": bid, "ai_version": "model-3.1", "kind": "benefit_denial",
         "subject": f"A{n:09d}", "ai_output": {"score": 0.91, "label": "ineligible"}, "reviewer": "officer.ng",
         "human_action": "accepted", "rationale": "income above the limit on the pay stubs",
         "other_bases": ["pay stubs checked by the officer"], "decided_at": "2026-12-04T14:00:00Z"}
    d.update(over)
    return d
