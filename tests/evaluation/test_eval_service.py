"""T&E runs stored as records and evidence (both backends): a biometric run on a small synthetic file is
attached to a face-recognition use case as a bias test whose details carry the input's SHA-256, and the
gate's ``bias_test_missing`` goes away; bad input is kept as a failed run and raised naming the column;
only people with ``eval.run`` may run; a report can be linked to another use case (no copy)."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from raigov.audit.models import AuditEvent
from raigov.errors import PermissionDenied, ValidationFailed
from raigov.evaluation import service as ev_service
from raigov.evaluation.models import EvaluationRun
from raigov.evaluation.synth import SynthParams, generate
from raigov.governance import service as gov
from raigov.governance.models import Evidence, EvidenceLink
from raigov.inventory import service as inventory
from raigov.policy import service as policy
from tests.governance.test_governance_service import FR

BIO = {"score": "score", "genuine": "genuine", "groups": ["group"], "subject": "subject", "target_fmr": 0.01,
       "criteria": {"max_fmr_ratio": 100.0}}


@pytest.fixture
def team(db, make_user, actor_of):
    names = {"owner": ["submitter@CBP"], "lead": ["component_ai_lead@CBP"], "caio": ["caio"],
             "privacy": ["privacy_reviewer"], "tester": ["te_engineer@CBP"], "tsa.tester": ["te_engineer@TSA"]}
    for u, roles in names.items():
        make_user(u, *roles)
    return {u: actor_of(u) for u in names}


def _use_case(db, settings, team, name=FR["use_case_name"]):
    with db.transaction() as s:
        bid = inventory.create_use_case(s, team["owner"], component="CBP", values={**FR, "use_case_name": name},
                                        reason="new", settings=settings).business_id
    with db.transaction() as s:
        inventory.submit_use_case(s, team["owner"], bid)
    with db.transaction() as s:
        policy.screen_use_case(s, team["owner"], bid)
        policy.decide(s, team["caio"], bid, "high-impact", "matches face recognition presumption")
        gov.sync(s, team["owner"], bid)
    return bid


def _codes(db, actor, bid):
    with db.transaction() as s:
        return {r["code"] for r in gov.authorization(s, actor, bid).reasons}


@pytest.fixture
def scores(tmp_path):
    f = tmp_path / "scores.parquet"
    generate(f, SynthParams(subjects=300, groups=2, genuine_per_subject=2, impostor_per_subject=10, seed=7,
                            rows_per_group=2000))
    return f


def test_biometric_run_becomes_a_bias_test_on_the_use_case(db, settings, team, scores):
    bid = _use_case(db, settings, team)
    assert "bias_test_missing" in _codes(db, team["caio"], bid)
    data = scores.read_bytes()
    input_sha = hashlib.sha256(data).hexdigest()
    with db.transaction() as s:
        run = ev_service.run_and_store(s, team["tester"], settings, data, "scores.parquet", "biometric", BIO,
                                       business_id=bid)
        run_id, ev_id = run.id, run.report_pdf_evidence_id
    assert ev_id is not None
    with db.transaction() as s:
        run = s.get(EvaluationRun, run_id)
        assert (run.status, run.kind, run.input_sha256, run.input_filename) == ("done", "biometric", input_sha,
                                                                                "scores.parquet")
        assert run.input_rows == 300 * 12
        assert ev_service.business_ids(s, [run]) == {run.use_case_id: bid}  # what the T&E pages link to
        assert ev_service.business_ids(s, []) == {}
        assert run.outcome == "pass" and run.criteria[0]["name"] == "FMR max/min ratio"
        assert run.result["data"]["sha256"] == input_sha and run.result["data"]["file"] == "scores.parquet"
        assert len(run.result["groups"]) == 2
        evid = s.get(Evidence, ev_id)
        assert evid.category == "bias_test" and evid.media_type == "application/pdf"
        stored = gov.evidence_store(settings).get(evid.sha256)
        assert hashlib.sha256(stored).hexdigest() == evid.sha256 == run.report_sha256
        assert stored.startswith(b"%PDF")
        assert evid.details["input_sha256"] == input_sha
        assert evid.details["run"] == run_id and evid.details["report_sha256"] == evid.sha256
        assert evid.expires_on is not None and evid.expires_on > evid.dated_on
        assert s.scalar(select(func.count()).select_from(AuditEvent)
                        .where(AuditEvent.action == "evaluation.run.execute", AuditEvent.object_id == str(run_id))) == 1
    assert "bias_test_missing" not in _codes(db, team["caio"], bid)
    assert not list(settings.data_dir.joinpath("tmp").iterdir())  # the uploaded copy and the PDF are gone


def test_bad_input_is_a_failed_run_naming_the_column(db, settings, team, scores):
    bid = _use_case(db, settings, team)
    with pytest.raises(ValidationFailed) as exc, db.transaction() as s:
        ev_service.run_and_store(s, team["tester"], settings, scores.read_bytes(), "scores.parquet", "biometric",
                                 {**BIO, "score": "similarity"}, business_id=bid)
    assert "similarity" in exc.value.detail and exc.value.errors[0].field == "similarity"
    with db.transaction() as s:
        run = s.scalars(select(EvaluationRun)).one()
        assert run.status == "failed" and "similarity" in run.error and run.report_pdf_evidence_id is None
        assert run.input_sha256 == hashlib.sha256(scores.read_bytes()).hexdigest()
        assert s.scalar(select(func.count()).select_from(Evidence)) == 0
    assert "bias_test_missing" in _codes(db, team["caio"], bid)
    # a CSV with a bad label value: the runner's message names the column
    csv = b"y,p,g\n1,0,a\n0,maybe,b\n"
    with pytest.raises(ValidationFailed) as exc, db.transaction() as s:
        ev_service.run_and_store(s, team["tester"], settings, csv, "d.csv", "classifier",
                                 {"y_true": "y", "y_pred": "p", "groups": "g"})
    assert exc.value.errors[0].field == "p"


def test_permissions_and_limits(db, settings, team, scores):
    bid = _use_case(db, settings, team)
    data = scores.read_bytes()
    with pytest.raises(PermissionDenied), db.transaction() as s:
        ev_service.run_and_store(s, team["privacy"], settings, data, "s.parquet", "biometric", BIO, business_id=bid)
    with pytest.raises(PermissionDenied), db.transaction() as s:  # a T&E engineer of another component
        ev_service.run_and_store(s, team["tsa.tester"], settings, data, "s.parquet", "biometric", BIO,
                                 business_id=bid)
    with pytest.raises(ValidationFailed) as exc, db.transaction() as s:
        ev_service.run_and_store(s, team["tester"], settings, data, "s.parquet", "biometric", BIO, max_rows=100)
    assert "at most 100" in exc.value.detail
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(EvaluationRun)) == 0
    with db.transaction() as s, pytest.raises(PermissionDenied):
        ev_service.runs(s, team["owner"].__class__.anonymous())


def test_classifier_run_and_attach_to_another_use_case(db, settings, team):
    bid1 = _use_case(db, settings, team)
    bid2 = _use_case(db, settings, team, "Second face matching system")
    rows = ["y,p,g"] + [f"{i % 2},{(i // 2) % 2},{'ab'[i % 3 == 0]}" for i in range(60)]
    csv = ("\n".join(rows) + "\n").encode()
    with db.transaction() as s:  # no use case: the run and its report are kept, nothing attached
        run = ev_service.run_and_store(s, team["lead"], settings, csv, "decisions.csv", "classifier",
                                       {"y_true": "y", "y_pred": "p", "groups": "g"})
        run_id = run.id
        assert run.report_pdf_evidence_id is None and run.report_sha256 and run.outcome == "none"
        assert run.result["overall"]["n"] == 60
    with db.transaction() as s:
        ev_service.attach_report(s, team["tester"], settings, run_id, bid1)
    with db.transaction() as s:
        ev_service.attach_report(s, team["tester"], settings, run_id, bid2, practice=None)
    with db.transaction() as s:
        run = s.get(EvaluationRun, run_id)
        evid = s.get(Evidence, run.report_pdf_evidence_id)
        assert evid.category == "test_report" and evid.sha256 == run.report_sha256
        assert s.scalar(select(func.count()).select_from(Evidence)) == 1  # linked, never copied
        assert s.scalar(select(func.count()).select_from(EvidenceLink)
                        .where(EvidenceLink.evidence_id == evid.id)) == 2
        assert [r.id for r in ev_service.runs(s, team["tester"])] == [run_id]
        assert ev_service.runs(s, team["privacy"])[0].id == run_id  # eval.read department-wide
    with db.transaction() as s, pytest.raises(PermissionDenied):
        ev_service.attach_report(s, team["privacy"], settings, run_id, bid1)


def test_cli_report_attach_as_a_person(db, settings, team, scores, tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import PASSWORD

    bid = _use_case(db, settings, team)
    env = {**os.environ, "RAIGOV_DATABASE_URL": db.url, "RAIGOV_DATA_DIR": str(settings.data_dir)}

    def cli(*args, password: str | None = None):
        return subprocess.run([sys.executable, "-m", "raigov.cli.main", "eval", "report", str(scores), "--score", "score",
                               "--genuine", "genuine", "--group", "group", "--target-fmr", "0.01", "--grid", "21",
                               *args], capture_output=True, text=True, check=False, env=env, timeout=300,
                              cwd=Path(__file__).resolve().parents[2],
                              input=None if password is None else password + "\n")

    res = cli("--attach", bid)  # the shell itself may not
    assert res.returncode == 2 and "--as USERNAME" in " ".join(res.stderr.split())
    res = cli("--attach", bid, "--as", "privacy", "--password-stdin", password=PASSWORD)
    assert res.returncode == 2 and "may not evaluation.run.execute" in " ".join(res.stderr.split())
    res = cli("--attach", bid, "--as", "tester", "--password-stdin", "--json", password=PASSWORD)
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)["run"]
    assert out["input_sha256"] == hashlib.sha256(scores.read_bytes()).hexdigest() and out["use_case"] == bid
    with db.transaction() as s:
        evid = s.get(Evidence, out["evidence"])
        assert evid.category == "bias_test" and evid.sha256 == out["report_sha256"]
        assert evid.details["input_sha256"] == out["input_sha256"]
        run = s.get(EvaluationRun, out["id"])
        assert run.created_by == "user:tester" and run.parameters["source"] == "cli"
    assert "bias_test_missing" not in _codes(db, team["caio"], bid)


def test_cli_classifier_attach(db, settings, team, tmp_path):
    import json
    import os
    import subprocess
    import sys
    from pathlib import Path

    from tests.conftest import PASSWORD

    bid = _use_case(db, settings, team)
    f = tmp_path / "decisions.csv"
    f.write_text("y,p,g\n" + "".join(f"{i % 2},{(i // 2) % 2},{'ab'[i % 3 == 0]}\n" for i in range(40)))
    env = {**os.environ, "RAIGOV_DATABASE_URL": db.url, "RAIGOV_DATA_DIR": str(settings.data_dir)}
    res = subprocess.run([sys.executable, "-m", "raigov.cli.main", "eval", "classifier", str(f), "--y-true", "y",
                          "--y-pred", "p", "--group", "g", "--attach", bid, "--as", "lead", "--password-stdin",
                          "--json"], capture_output=True, text=True, check=False, env=env, timeout=300,
                         cwd=Path(__file__).resolve().parents[2], input=PASSWORD + "\n")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)["run"]
    assert out["input_sha256"] == hashlib.sha256(f.read_bytes()).hexdigest()
    with db.transaction() as s:
        evid = s.get(Evidence, out["evidence"])
        assert evid.category == "test_report" and evid.media_type == "application/pdf"
        assert evid.details["input_sha256"] == out["input_sha256"]
        assert s.get(EvaluationRun, out["id"]).result["data"]["file"] == "decisions.csv"


def test_a_run_judged_against_the_packs_limits(db, settings, team, scores):
    from raigov.errors import ValidationFailed

    assert ("dhs-026-11@1.2.0", "D026-11.Testing") in ev_service.criteria_packs()
    params = {**BIO, "criteria": {}, "criteria_pack": "dhs-026-11"}
    with db.transaction() as s:
        run = ev_service.run_and_store(s, team["tester"], settings, scores.read_bytes(), "scores.parquet", "biometric",
                                       params)
        assert run.parameters["criteria_source"] == "dhs-026-11@1.2.0 D026-11.Testing"
        assert run.parameters["criteria"] == {"max_fmr_ratio": 3.0, "max_fnmr_ratio": 3.0, "max_garbe": 0.25}
        assert [c["name"] for c in run.criteria] == ["FMR max/min ratio", "FNMR max/min ratio", "GARBE"]
        assert [c["limit"] for c in run.criteria] == [3.0, 3.0, 0.25]
    with db.transaction() as s, pytest.raises(ValidationFailed) as e:
        ev_service.run_and_store(s, team["tester"], settings, scores.read_bytes(), "scores.parquet", "biometric",
                                 {**params, "criteria_pack": "dhs-026-11@1.0.0"})
    assert e.value.errors[0].field == "criteria_pack"
