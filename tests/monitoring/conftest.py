"""Monitoring fixtures: people of CBP (owner, lead), the CAIO, a CRCL reviewer (who signs in), TSA's lead, CBP's
operational system; an authorized CBP use case with a weekly monitor on a seeded reference file."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest

from raigov.governance import service as gov
from raigov.inventory import service as inventory
from raigov.monitoring import service
from raigov.policy import service as policy
from tests.governance.test_governance_service import LOW
from tests.monitoring.test_monitor_cli import write_csv
from tests.web.conftest import app, client, sign_in, token_for  # noqa: F401  (the web fixtures, for the API tests)

NOW = dt.datetime(2026, 12, 4, 15, 0, tzinfo=dt.UTC)
EARLY = dt.datetime(2026, 11, 25, 15, tzinfo=dt.UTC)  # before the first window is due
START = dt.date(2026, 11, 21)  # the first window is due by 2026-11-28


@pytest.fixture
def people(db, make_user, actor_of):
    names = {"owner": ["submitter@CBP"], "lead": ["component_ai_lead@CBP"], "caio": ["caio"],
             "crcl": ["crcl_reviewer"], "tsa.lead": ["component_ai_lead@TSA"]}
    for u, roles in names.items():
        make_user(u, *roles, password=u == "crcl")
    make_user("cbp-sys", "service@CBP", kind="service")
    return {u: actor_of(u) for u in [*names, "cbp-sys"]}


def sample(g, n, shift=0.0):
    return {"age": (g.normal(40 + shift, 10, n)).tolist(), "channel": g.choice(["web", "mail", "phone"], n).tolist()}


@pytest.fixture
def case(db, settings, people, tmp_path):
    """An authorized CBP use case with a weekly monitor (age numeric, channel categorical) on a seeded reference."""
    with db.transaction() as s:
        bid = inventory.create_use_case(s, people["owner"], component="CBP", values=LOW, reason="new",
                                        settings=settings).business_id
    with db.transaction() as s:
        inventory.submit_use_case(s, people["owner"], bid)
    with db.transaction() as s:
        policy.screen_use_case(s, people["owner"], bid)
    with db.transaction() as s:
        policy.decide(s, people["caio"], bid, "not-high-impact", "translation of public pages")
        gov.sync(s, people["owner"], bid)
    g = np.random.default_rng(20261204)
    write_csv(tmp_path / "ref.csv", sample(g, 2000))
    write_csv(tmp_path / "same.csv", sample(g, 1000))
    write_csv(tmp_path / "drift.csv", sample(g, 1000, shift=8.0))
    write_csv(tmp_path / "wrong.csv", {"age": [1.0, 2.0], "canal": ["web", "mail"]})
    with db.transaction() as s:
        mon = service.create_monitor(s, people["owner"], bid, name="Intake model", reference=str(tmp_path / "ref.csv"),
                                     numeric=["age"], categorical=["channel"], cadence="weekly", starts_on=START)
        mid = mon.id
    return bid, mid, tmp_path


