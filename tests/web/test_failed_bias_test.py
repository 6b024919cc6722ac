"""Issue #14, bug 1: a face-recognition T&E run whose criterion failed is not the bias test on record.

Attaching a failed run (FMR max/min ratio over the ``dhs-026-11`` limit of 3) must leave the gate's
``bias_test_missing`` reason and add ``bias_test_failed``, which names the failed criterion, its value and its
limit; a later passing run clears both; a newer failed run after a pass blocks again. Checked through the
service and through ``GET /api/v1/use-cases/{id}/authorization`` on both databases."""

from __future__ import annotations

from raigov.evaluation import service as ev_service
from raigov.evaluation.synth import SynthParams, generate
from raigov.governance import service as gov
from tests.evaluation.test_eval_service import BIO, _use_case, team  # noqa: F401  (team is a fixture)

FAILED = [{"name": "FMR max/min ratio", "limit": 3.0, "value": 4.016, "passed": False, "detail": ""},
          {"name": "FNMR max/min ratio", "limit": 3.0, "value": 1.2, "passed": True, "detail": ""}]
PASSED = [{"name": "FMR max/min ratio", "limit": 3.0, "value": 1.4, "passed": True, "detail": ""}]


def _reasons(db, actor, bid):
    with db.transaction() as s:
        return {r["code"]: r for r in gov.authorization(s, actor, bid).reasons}


def _record(db, settings, actor, tmp_path, bid, checks, outcome, name):
    f = tmp_path / name
    f.write_bytes(name.encode())
    with db.transaction() as s:
        run = ev_service.record_run(s, actor, settings, f, "biometric", {"criteria_pack": "dhs-026-11"},
                                    {"data": {"rows": 10}}, b"%PDF-1.4 " + name.encode(), checks=checks,
                                    outcome=outcome, business_id=bid)
        return run.id


def test_a_failed_bias_test_is_not_the_bias_test_on_record(db, settings, team, tmp_path, client, token_for,  # noqa: F811
                                                           make_user):
    make_user("gate", "service@CBP", kind="service")
    bid = _use_case(db, settings, team)
    assert "bias_test_missing" in _reasons(db, team["caio"], bid)
    run_id = _record(db, settings, team["tester"], tmp_path, bid, FAILED, "fail", "a.parquet")
    reasons = _reasons(db, team["caio"], bid)
    assert "bias_test_missing" in reasons
    failed = reasons["bias_test_failed"]
    assert failed["evidence"] and failed["run"] == run_id
    assert "FMR max/min ratio 4.016 > limit 3" in failed["message"] and f"run {run_id}" in failed["message"]
    assert "FNMR" not in failed["message"]  # only the criterion that failed
    api = client.get(f"/api/v1/use-cases/{bid}/authorization", headers=token_for("gate"))
    assert api.status_code == 200, api.text
    body = api.json()
    assert body["authorized"] is False
    codes = {r["code"]: r for r in body["reasons"]}
    assert "bias_test_missing" in codes and codes["bias_test_failed"]["message"] == failed["message"]

    _record(db, settings, team["tester"], tmp_path, bid, PASSED, "pass", "b.parquet")  # a later test passes
    reasons = _reasons(db, team["caio"], bid)
    assert "bias_test_missing" not in reasons and "bias_test_failed" not in reasons

    again = _record(db, settings, team["tester"], tmp_path, bid, FAILED, "fail", "c.parquet")  # then fails again
    reasons = _reasons(db, team["caio"], bid)
    assert "bias_test_missing" not in reasons and reasons["bias_test_failed"]["run"] == again
    codes = {r["code"] for r in client.get(f"/api/v1/use-cases/{bid}/authorization",
                                           headers=token_for("gate")).json()["reasons"]}
    assert "bias_test_failed" in codes


def test_a_run_over_the_packs_limit_leaves_the_gate_blocked(db, settings, team, tmp_path):  # noqa: F811
    """The issue's case end to end: a synthetic score file with a large FMR differential, judged against the
    pack's limits by the runner, attached by ``run_and_store``."""
    f = tmp_path / "skewed.parquet"
    generate(f, SynthParams(subjects=300, groups=2, genuine_per_subject=2, impostor_per_subject=10, seed=7,
                            rows_per_group=2000, imp_shift=0.15))
    bid = _use_case(db, settings, team)
    with db.transaction() as s:
        run = ev_service.run_and_store(s, team["tester"], settings, f.read_bytes(), "skewed.parquet", "biometric",
                                       {**BIO, "criteria": {}, "criteria_pack": "dhs-026-11"}, business_id=bid)
        assert run.outcome == "fail"
        bad = [c for c in run.criteria if c["passed"] is False]
        run_id = run.id
    assert bad
    reasons = _reasons(db, team["caio"], bid)
    assert "bias_test_missing" in reasons
    assert reasons["bias_test_failed"]["run"] == run_id
    assert bad[0]["name"] in reasons["bias_test_failed"]["message"]
