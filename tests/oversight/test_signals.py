"""Oversight signals on both databases: the automation-bias alert (high-impact use cases only, over a window of at
least N reviewed decisions, opened and closed once per change, noticed through the jobs' outbox, shown on the
pages), the scale alert (distinct subjects per day above the authorized scale; an alert, never a refusal), and the
protected characteristics the gate refuses without a CRCL-approved justification."""

from __future__ import annotations

import datetime as dt
import json
from collections import Counter

import pytest
from sqlalchemy import func, select

from raigov.audit.models import AuditEvent
from raigov.clock import agency_today
from raigov.errors import PermissionDenied, ValidationFailed
from raigov.governance import service as gov
from raigov.inventory.models import UseCase
from raigov.jobs import service as jobs
from raigov.jobs.models import Notice
from raigov.oversight import counts
from raigov.oversight import service as oversight
from raigov.oversight import signals as S
from raigov.oversight.models import Alert
from tests.oversight.conftest import decision

TODAY = agency_today()


def test_wilson_and_the_rule_are_pure():
    assert S.wilson_upper(0, 200, 1.96) == pytest.approx(1.96 ** 2 / (200 + 1.96 ** 2))
    assert 0.05 < S.wilson_upper(10, 100, 1.96) < 0.2
    rule = S.rules()["automation_bias"]
    n = rule["min_decisions"]
    assert S.automation_bias({"accepted": n - 1}) is None  # too few to say
    fired = S.automation_bias({"accepted": n, "none": 50})
    assert fired["reviewed"] == n and fired["interventions"] == 0
    assert S.automation_bias({"accepted": n, "overrode": n // 10}) is None  # reviewers intervene
    assert S.automation_bias({"accepted": 100_000, "modified": 1}) is not None  # upper bound below the floor
    assert set(S.rules()["protected_characteristics"]) == {
        "race", "ethnicity", "gender", "national_origin", "religion", "sexual_orientation", "gender_identity", "age",
        "nationality", "medical_condition", "disability", "emotional_state"}


def _ids(db, use_cases) -> dict[str, int]:
    with db.transaction() as s:
        return {k: s.scalar(select(UseCase.id).where(UseCase.business_id == v)) for k, v in use_cases.items()}


def _add(db, uc_id: int, action: str, n: int, day: dt.date = TODAY, kind: str = "benefit_denial") -> None:
    with db.transaction() as s:
        counts.add(s, Counter({(uc_id, day, kind, action, "recorded"): n}))


def test_automation_bias_alert_opens_once_is_noticed_shown_and_closes(db, settings, people, use_cases, client,
                                                                     sign_in, make_user, system, token_for):
    make_user("lead2", "component_ai_lead@CBP")
    ids = _ids(db, use_cases)
    n = S.rules()["automation_bias"]["min_decisions"]
    _add(db, ids["fr"], "accepted", n - 1, TODAY - dt.timedelta(days=3))
    _add(db, ids["low"], "accepted", n * 2)  # not high-impact: no alert however many
    with db.transaction() as s:
        assert S.evaluate(s, TODAY) == []
    _add(db, ids["fr"], "accepted", 1)
    _add(db, ids["fr"], "accepted", n, TODAY - dt.timedelta(days=40))  # outside the window: not counted
    dry = jobs.run(db, system, settings, today=TODAY, dry_run=True)  # a dry run opens no alert
    assert not [k for k in dry.created if k.startswith("oversight_alert:")]
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(Alert)) == 0
        opened = S.evaluate(s, TODAY)
        assert [(a.kind, a.status, a.details["reviewed"]) for a in opened] == [("automation_bias", "open", n)]
    with db.transaction() as s:
        assert S.evaluate(s, TODAY) == []  # once per change
    summary = jobs.run(db, system, settings, today=TODAY)
    keys = [k for k in summary.created if k.startswith("oversight_alert:")]
    assert len(keys) == 3  # the owner and the CBP leads
    with db.transaction() as s:
        to = set(s.scalars(select(Notice.key).where(Notice.kind == "oversight_automation_bias")))
        assert {k.rsplit(":", 1)[-1] for k in to} == {"owner", "lead", "lead2"}
    again = jobs.run(db, system, settings, today=TODAY)
    assert not [k for k in again.created if k.startswith("oversight_alert:")]
    sign_in("lead2")
    r = client.get("/oversight")
    assert r.status_code == 200 and "possible automation bias" in r.text and use_cases["fr"] in r.text
    r = client.get(f"/oversight/use-cases/{use_cases['fr']}")
    assert r.status_code == 200 and "possible automation bias" in r.text
    r = client.get("/api/v1/oversight/alerts?open_only=true", headers=token_for("lead"))
    assert r.status_code == 200 and [a["kind"] for a in r.json()] == ["automation_bias"]
    _add(db, ids["fr"], "overrode", n // 5)
    with db.transaction() as s:
        closed = S.evaluate(s, TODAY)
        assert [(a.kind, a.status) for a in closed] == [("automation_bias", "closed")]
        actions = list(s.scalars(select(AuditEvent.action).where(AuditEvent.action.like("oversight.alert.%"))
                                 .order_by(AuditEvent.seq)))
        assert actions == ["oversight.alert.open", "oversight.alert.close"]
    closed_run = jobs.run(db, system, settings, today=TODAY)
    assert {k for k in closed_run.created if ":closed" in k} == {f"oversight_alert:{opened[0].id}:closed:to:{u}"
                                                                for u in ("owner", "lead", "lead2")}


def test_scale_alert_counts_distinct_subjects_and_never_refuses(db, settings, people, use_cases, key):
    low = use_cases["low"]
    now = dt.datetime.now(dt.UTC)
    at = now.replace(microsecond=0).isoformat().replace("+00:00", "Z")
    with db.transaction() as s:
        oversight.set_scale(s, people["lead"], low, 2)
    with pytest.raises(PermissionDenied), db.transaction() as s:
        oversight.set_scale(s, people["owner"], low, 5)
    with pytest.raises(ValidationFailed), db.transaction() as s:
        oversight.set_scale(s, people["lead"], low, 0)
    same = [decision(low, n, subject="A1", decided_at=at) for n in range(1, 4)]  # three decisions, one subject
    with db.transaction() as s:
        res = oversight.record_decisions(s, people["cbp-sys"], key, _batch(same))
        assert res.created == 3
    with db.transaction() as s:
        assert S.evaluate(s, agency_today(now=now)) == []
    more = [decision(low, n, subject=f"B{n}", decided_at=at) for n in range(4, 6)]  # three subjects now: over 2
    with db.transaction() as s:
        res = oversight.record_decisions(s, people["cbp-sys"], key, _batch(more))
        assert res.created == 2 and not res.refusals  # an alert, not a refusal
    with db.transaction() as s:
        fired = S.evaluate(s, agency_today(now=now))
        assert [(a.kind, a.details["subjects"], a.details["authorized_scale"]) for a in fired] == [("scale", 3, 2)]
    with db.transaction() as s:
        assert S.evaluate(s, agency_today(now=now)) == []  # once a day
        assert s.scalar(select(func.count()).select_from(Alert)) == 1
        assert oversight.get_settings(s, people["auditor"], low)["authorized_scale"] == 2


def _batch(rows: list[dict]):
    return oversight.parse_batch(json.dumps({"decisions": rows}).encode())


def _gate(db, people, bid):
    with db.transaction() as s:
        return gov.authorization(s, people["cbp-sys"], bid)


def test_protected_characteristics_need_a_crcl_justification(db, people, use_cases, client, token_for):
    low = use_cases["low"]
    assert _gate(db, people, low).authorized
    with db.transaction() as s:
        out = oversight.declare_protected(s, people["lead"], low, ["age", "race"])
        assert out["protected_inputs"] == ["race", "age"] and out["unjustified"] == ["race", "age"]
    answer = _gate(db, people, low)
    assert not answer.authorized
    assert [(r["code"], r["characteristics"]) for r in answer.reasons] == [
        ("protected_characteristics_unjustified", ["race", "age"])]
    with pytest.raises(ValidationFailed), db.transaction() as s:
        oversight.declare_protected(s, people["lead"], low, ["shoe_size"])
    with pytest.raises(PermissionDenied), db.transaction() as s:  # only CRCL approves
        oversight.justify_protected(s, people["lead"], low, "needed to measure disparities across groups")
    with pytest.raises(ValidationFailed), db.transaction() as s:
        oversight.justify_protected(s, people["crcl"], low, "because")
    with db.transaction() as s:
        oversight.justify_protected(s, people["crcl"], low, "age and race are used only to measure disparities, never to decide")
    assert _gate(db, people, low).authorized
    r = client.put(f"/api/v1/use-cases/{low}/oversight-settings/protected-inputs",
                   json={"characteristics": ["race", "age", "religion"]}, headers=token_for("lead"))
    assert r.status_code == 200 and r.json()["unjustified"] == ["religion"]
    r = client.get(f"/api/v1/use-cases/{low}/authorization", headers=token_for("cbp-sys"))
    assert r.status_code == 200 and r.json()["authorized"] is False
    assert [x["code"] for x in r.json()["reasons"]] == ["protected_characteristics_unjustified"]
    r = client.post(f"/api/v1/use-cases/{low}/oversight-settings/justification",
                    json={"justification": "religion"}, headers=token_for("lead"))
    assert r.status_code == 403
    r = client.post(f"/api/v1/use-cases/{low}/oversight-settings/justification",
                    json={"justification": "the three are used to measure disparities across groups"},
                    headers=token_for("crcl"))
    assert r.status_code == 200 and r.json()["unjustified"] == []
    r = client.put(f"/api/v1/use-cases/{low}/oversight-settings/scale", json={"authorized_scale": "10"},
                   headers=token_for("lead"))
    assert r.status_code == 422 and r.json()["errors"][0]["field"] == "authorized_scale"
    r = client.put(f"/api/v1/use-cases/{low}/oversight-settings/scale", json={"authorized_scale": 10},
                   headers=token_for("crcl"))
    assert r.status_code == 200 and r.json()["authorized_scale"] == 10
    # the refused decision names the gate's reason once the declaration is unjustified again
    with db.transaction() as s:
        oversight.declare_protected(s, people["lead"], low, ["emotional_state"])
    r = client.post("/api/v1/decisions", json=decision(low), headers=token_for("cbp-sys"))
    assert r.status_code == 422 and r.json()["code"] == "use_case_not_authorized"
    assert [x["code"] for x in r.json()["refusals"][0]["reasons"]] == ["protected_characteristics_unjustified"]


def test_the_gate_input_cache_sees_every_governance_change_at_once(db, people, use_cases, key):
    """settings.oversight_gate_cache_seconds: the gate's input is reused while the audit trail's epoch is the same,
    so a change of the use case's governance (here: protected inputs declared, then justified) is seen by the very
    next decision, cache on or off; decisions themselves (ledger events) keep the cached input valid."""
    from raigov.oversight import facts

    low = use_cases["low"]
    at = dt.datetime.now(dt.UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")
    reads = []
    real = facts.gate_input

    def counting(session, uc, *a, **k):
        reads.append(uc.business_id)
        return real(session, uc, *a, **k)

    def post(n: int, ttl: float):
        with db.transaction() as s:
            return oversight.record_decisions(s, people["cbp-sys"], key, _batch([decision(low, n, decided_at=at)]),
                                              gate_ttl=ttl)

    facts.gate_input = counting
    try:
        assert post(1, 60).created == 1
        assert post(2, 60).created == 1
        assert post(3, 60).created == 1
        assert len(reads) == 1  # read once: recorded decisions change nothing the gate reads
        with db.transaction() as s:
            oversight.declare_protected(s, people["lead"], low, ["age"])
        assert post(4, 60).refusals[0]["code"] == "use_case_not_authorized"  # the change, seen at once
        assert post(5, 0).refusals[0]["code"] == "use_case_not_authorized"  # 0: read every time, same answer
        assert len(reads) == 3
        with db.transaction() as s:
            oversight.justify_protected(s, people["crcl"], low, "age is needed to route minors to a specialist")
        assert post(6, 60).created == 1
    finally:
        facts.gate_input = real

