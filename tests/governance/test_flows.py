"""Workflows across domains (``raigov.flows``), on both databases: submit → screen → sync and decide → sync
in one transaction (all or nothing), called alike by the page, the API and the CLI; the M-24-10 "CAIO only"
rule answered by the policy service."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from raigov import flows
from raigov.audit.models import AuditEvent
from raigov.errors import PermissionDenied
from raigov.governance import service as gov
from raigov.governance.models import Practice, Review
from raigov.identity import service as identity
from raigov.identity.permissions import Actor
from raigov.inventory import service as inventory
from raigov.policy import service as policy
from raigov.policy.models import Determination, Screening
from tests.conftest import PASSWORD
from tests.governance.test_governance_service import FR


def _draft(db, settings, owner) -> str:
    with db.transaction() as s:
        return inventory.create_use_case(s, owner, component="CBP", values=FR, reason="new",
                                         settings=settings).business_id


def _actions(db, bid) -> list[str]:
    with db.transaction() as s:
        return list(s.scalars(select(AuditEvent.action).where(AuditEvent.object_id == bid).order_by(AuditEvent.seq)))


def _counts(db, bid) -> tuple[str, int, int, int]:
    with db.transaction() as s:
        uc = inventory.get_use_case(s, Actor.system("test"), bid)
        n = [len(list(s.scalars(select(m.id).where(m.use_case_id == uc.id)))) for m in (Screening, Review, Practice)]
        return (uc.status, *n)


def test_submit_screens_and_syncs_in_one_go(db, settings, people):
    bid = _draft(db, settings, people["owner"])
    with db.transaction() as s:
        added = flows.submit(s, people["owner"], bid)
    status, screenings, reviews, practices = _counts(db, bid)
    assert (status, screenings) == ("active", 1)
    assert reviews == len(added["reviews"]) > 0 and practices == len(added["practices"]) > 0
    acts = _actions(db, bid)
    assert acts.index("inventory.use_case.submit") < acts.index("policy.use_case.screen")
    with db.transaction() as s:  # the same as asking sync again: nothing more to add
        assert not any(gov.sync(s, people["owner"], bid).values())


def test_a_flow_that_fails_half_way_writes_nothing(db, settings, people, monkeypatch):
    bid = _draft(db, settings, people["owner"])
    before = _actions(db, bid)

    def broken(*_a, **_k):
        raise PermissionDenied("the sync refused")

    monkeypatch.setattr(gov, "sync", broken)
    with pytest.raises(PermissionDenied), db.transaction() as s:
        flows.submit(s, people["owner"], bid)
    assert _counts(db, bid) == ("draft", 0, 0, 0)
    assert _actions(db, bid) == before
    with pytest.raises(PermissionDenied), db.transaction() as s:  # a T&E engineer may not submit at all
        flows.submit(s, people["tester"], bid)


def test_decide_then_sync(db, settings, people):
    bid = _draft(db, settings, people["owner"])
    with db.transaction() as s:
        inventory.submit_use_case(s, people["owner"], bid)
        policy.screen_use_case(s, people["owner"], bid)
    with db.transaction() as s:
        d = flows.decide(s, people["delegate"], bid, "high-impact", "face recognition presumption")
        assert (d.decision, d.status) == ("high-impact", "in_force")
    _status, _sc, reviews, practices = _counts(db, bid)
    assert reviews > 0 and practices > 0, "the delegate may sync, so the lanes were opened"
    with db.transaction() as s, pytest.raises(PermissionDenied):
        flows.decide(s, people["lead"], bid, "not-high-impact", "no")
    with db.transaction() as s:
        assert len(list(s.scalars(select(Determination.id)))) == 1


def test_m2410_is_the_caios_alone(people):
    assert policy.may_decide(people["caio"], "M-24-10") and policy.may_decide(people["caio"], "M-25-21")
    assert not policy.may_decide(people["delegate"], "M-24-10")
    assert policy.may_decide(people["delegate"], "M-25-21")
    for who in ("lead", "owner", "admin", "privacy"):
        assert not policy.may_decide(people[who], "M-25-21") and not policy.may_decide(people[who], "M-24-10")


def test_the_cli_runs_the_same_flows(db, settings, people, make_user, cli_env):
    from raigov.cli.policy import app as policy_app
    from raigov.cli.review import app as review_app

    make_user("cli.owner", "submitter@CBP")
    make_user("cli.caio", "caio")
    with db.transaction() as s:
        owner = identity.actor_for(s, identity.get_user(s, "cli.owner"))
    bid = _draft(db, settings, owner)
    res = CliRunner().invoke(review_app, ["submit", bid, "--as", "cli.owner", "--password-stdin", "--json"],
                             input=PASSWORD + "\n")
    assert res.exit_code == 0, res.output
    out = json.loads(res.output)
    _status, screenings, reviews, practices = _counts(db, bid)
    assert (out["id"], len(out["reviews"]), len(out["practices"]), screenings) == (bid, reviews, practices, 1)

    res = CliRunner().invoke(policy_app, ["determine", bid, "--decision", "high-impact", "--reason", "presumed",
                                          "--as", "cli.owner", "--password-stdin"], input=PASSWORD + "\n")
    assert res.exit_code != 0 and "may not" in res.output, res.output
    res = CliRunner().invoke(policy_app, ["determine", bid, "--decision", "high-impact", "--reason", "presumed",
                                          "--as", "cli.caio", "--password-stdin", "--json"], input=PASSWORD + "\n")
    assert res.exit_code == 0, res.output
    assert json.loads(res.output)["decision"] == "high-impact"
    assert _actions(db, bid).count("policy.determination.decide") == 1
