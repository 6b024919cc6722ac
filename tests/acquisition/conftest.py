"""Acquisition and dataset fixtures: the people of the permission rules (CBP's lead and submitter, TSA's lead,
the CAIO, a Privacy reviewer, a T&E engineer, an auditor) and two CBP use cases (LOW: authorized by the gate;
FR: face recognition, not authorized yet)."""

from __future__ import annotations

import pytest

from raigov.governance import service as gov
from raigov.inventory import service as inventory
from raigov.policy import service as policy
from tests.governance.test_governance_service import FR, LOW
from tests.web.conftest import app, client, sign_in, token_for  # noqa: F401  (the web fixtures, for the adapters)

PEOPLE = {"owner": ["submitter@CBP"], "lead": ["component_ai_lead@CBP"], "tsa.lead": ["component_ai_lead@TSA"],
          "caio": ["caio"], "privacy": ["privacy_reviewer"], "te.cbp": ["te_engineer@CBP"], "auditor": ["auditor"]}


@pytest.fixture
def people(db, make_user, actor_of):
    for u, roles in PEOPLE.items():
        make_user(u, *roles, password=False)
    return {u: actor_of(u) for u in PEOPLE}


@pytest.fixture
def use_cases(db, settings, people):
    """{"low": an authorized CBP use case, "fr": a CBP face-recognition use case}."""
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
    return out
