"""The demo's oversight (issue #15): about 20,000 decisions of the demo CBP system over 90 days with overrides and
refused attempts, an automation-bias alert and a scale alert, a TSA face-recognition use with opt-outs, and
``demo-credentials.json``'s "oversight" entry, with which a decision really records through the API."""

import datetime as dt

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from raigov.clock import agency_today
from raigov.demo import agency
from raigov.identity.permissions import Actor
from raigov.oversight import appeals_clock
from raigov.oversight import service as oversight
from raigov.oversight.models import Alert, Decision, OptOut, Refusal
from raigov.oversight.remedy_models import Appeal
from raigov.web.app import create_app


def test_the_demo_oversight_and_its_credentials(db, settings, system):
    with db.transaction() as s:
        creds = agency.load(s, settings, system)
    o = creds["oversight"]
    assert set(o) == {"use_case", "reviewer", "token"}
    with db.transaction() as s:
        n = s.scalar(select(func.count()).select_from(Decision))
        actions = dict(s.execute(select(Decision.human_action, func.count()).group_by(Decision.human_action)).all())
        refused = s.scalar(select(func.count()).select_from(Refusal))
        alerts = sorted(s.scalars(select(Alert.kind).where(Alert.status == "open")))
        opt_outs = s.scalar(select(func.count()).select_from(OptOut))
    assert 19_000 <= n <= 21_000 and actions["overrode"] > 100 and actions["modified"] > 100
    assert refused == 24 and alerts == ["automation_bias", "scale"] and opt_outs == 5
    with db.transaction() as s:  # appeals: decided (upheld, modified, reversed) and one waiting for the officer
        appeals = s.execute(select(Appeal.status, Appeal.outcome, Appeal.decided_by, Appeal.channel)).all()
        outcomes = sorted(o for st, o, _, _ in appeals if st == "decided")
        waiting = [a for a in appeals if a.status == "open"]
        full = oversight.stats(s, Actor.system("test"), o["use_case"])
        stats = full["remedies"]
        due = appeals_clock.due(s, agency_today(settings), settings)
    assert outcomes.count("reversed") >= 3 and "upheld" in outcomes and "modified" in outcomes
    assert len(waiting) == 1 and {a.decided_by for a in appeals if a.status == "decided"} == {"user:cbp.appeals"}
    assert {a.channel for a in appeals} == {"system", "staff"}
    assert stats["appeal_filed"] == len(appeals) and stats["appeal_reversed"] == outcomes.count("reversed")
    # most adverse decisions were noticed; every 40th was not (demo/oversight.py NOTICE_GAP): a gap, not all of them
    assert stats["notice_owed"] > 3000 and 0.015 < stats["notice_missing"] / stats["notice_owed"] < 0.04
    assert stats["reversal_alert"] is True  # the reversals reach the threshold: the reviewers are asked to look again
    assert any(n.kind == "appeal_reversals" for n in due)
    ops = {r["reviewer"]: r for r in full["by_operator"]}  # the four officers, each with overrides before the quiet month
    assert set(ops) == {"cbp.officer.ali", "cbp.officer.baker", "cbp.officer.chen", "cbp.officer.diaz"}
    assert sum(r["decisions"] for r in ops.values()) == full["reviewed"] and all(r["overrode"] > 0 for r in ops.values())
    with TestClient(create_app(settings, db)) as client:
        h = {"Authorization": f"Bearer {o['token']}"}
        body = {"decision_id": "TRY-1", "use_case": o["use_case"], "ai_version": "targeting-model-4.2",
                "kind": "search", "subject": "T123456789", "ai_output": {"risk_score": 0.81, "label": "refer"},
                "reviewer": o["reviewer"], "human_action": "accepted", "rationale": "bag contents match the referral",
                "other_bases": ["document inspection"],
                "decided_at": dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat()}
        r = client.post("/api/v1/decisions", json=body, headers=h)
        assert r.status_code == 201, r.text
        assert client.post("/api/v1/decisions", json=body, headers=h).status_code == 200
    with db.transaction() as s:
        again = agency.load(s, settings, system)  # idempotent: nothing added
        assert s.scalar(select(func.count()).select_from(Decision)) == n + 1
    assert again["oversight"] == o
