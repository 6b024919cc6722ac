"""T&E runs as records and evidence: the only code that writes ``evaluation_runs``.

:func:`run_and_store` hashes the input (SHA-256), runs the existing runner on it (CSV or Parquet only,
read column-wise by pyarrow: nothing is executed or unpickled), renders the PDF report, keeps the PDF in
the content-addressed evidence store and, when a use case is given, attaches it as evidence through the
governance service (``bias_test`` for biometric runs, ``test_report`` for classifier runs) with the input's
and the report's SHA-256 in the evidence details. A run that fails on bad input (a missing column, a bad
value) is kept as a failed run with its message, in a transaction of its own, and the error is raised.
:func:`attach_report` links an existing run's report to (another) use case: the same evidence, a new link.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import io
import os
import re
import secrets
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.clock import agency_today
from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.errors import RaigovError, ValidationFailed
from raigov.evaluation import pipeline
from raigov.evaluation.access import RUN_READERS, get_run, may_read_run, runs  # noqa: F401 - re-exported
from raigov.evaluation.models import RUN_KINDS, EvaluationRun
from raigov.evaluation.vocab import RunStatus
from raigov.governance import service as gov
from raigov.governance.lanes import config
from raigov.identity.permissions import ANYWHERE, Actor, require
from raigov.inventory import service as inventory
from raigov.inventory.models import UseCase
from raigov.policy.packs import current_registry

# The web page runs small files synchronously in the request; larger ones belong to the CLI.
WEB_MAX_ROWS = 200_000
WEB_MAX_BYTES = 20 * 1024 * 1024
BIOMETRIC_CRITERIA = ("max_fmr", "max_fnmr", "max_fmr_ratio", "max_fnmr_ratio", "max_garbe", "min_fdr",
                      "max_gini_fmr", "max_gini_fnmr")


def _sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 22), b""):
            h.update(chunk)
    return h.hexdigest()


def _safe_name(filename: str) -> str:
    name = os.path.basename(str(filename or "").replace("\\", "/")).strip() or "input"
    return re.sub(r"[^\w.\-]+", "_", name)[-200:]


def _format_of(head: bytes, filename: str) -> str:
    if head[:4] == b"PAR1":
        return "parquet"
    low = filename.lower()
    if low.endswith((".parquet", ".pq", ".parq")):
        raise ValidationFailed.one("file", "the file is named Parquet but is not a Parquet file")
    return "csv"


def count_rows(data: bytes, fmt: str) -> int:
    """Rows of an uploaded file without running anything (Parquet: footer; CSV: lines after the header)."""
    if fmt == "parquet":
        import pyarrow.parquet as pq

        try:
            return int(pq.ParquetFile(io.BytesIO(data)).metadata.num_rows)
        except Exception as exc:  # noqa: BLE001 - pyarrow raises several kinds for a damaged file
            raise ValidationFailed.one("file", f"cannot read the file as Parquet: {exc}") from None
    n = data.count(b"\n")
    if data and not data.endswith(b"\n"):
        n += 1
    return max(n - 1, 0)


def _clean_params(kind: str, params: dict[str, Any]) -> dict[str, Any]:
    """The parameters kept with the run: column names, threshold rule, groups, criteria (plain JSON)."""
    def col(key: str, required: bool = True) -> str | None:
        v = params.get(key)
        v = str(v).strip() if v is not None else ""
        if not v:
            if required:
                raise ValidationFailed.one(key, "give the column name")
            return None
        return v[:200]

    groups = params.get("groups") or params.get("group") or []
    if isinstance(groups, str):
        groups = [g for g in re.split(r"[,\s]+", groups) if g]
    groups = [str(g).strip()[:200] for g in groups if str(g).strip()]
    if not groups:
        raise ValidationFailed.one("groups", "give at least one group column")
    out: dict[str, Any] = {"groups": groups}
    if kind == "classifier":
        out.update(y_true=col("y_true"), y_pred=col("y_pred"))
        return out
    out.update(score=col("score"), genuine=col("genuine"), subject=col("subject", required=False))

    def num(key: str) -> float | None:
        v = params.get(key)
        if v is None or v == "":
            return None
        try:
            return float(v)
        except (TypeError, ValueError):
            raise ValidationFailed.one(key, "a number") from None

    out["threshold"], out["target_fmr"] = num("threshold"), num("target_fmr")
    if (out["threshold"] is None) == (out["target_fmr"] is None):
        raise ValidationFailed.one("threshold", "give exactly one of a threshold or a target FMR")
    out["grid"] = int(params.get("grid") or 51)
    crit = params.get("criteria") or {}
    out["criteria"] = {k: num_v for k in BIOMETRIC_CRITERIA
                       if (num_v := (None if crit.get(k) in (None, "") else _num(crit[k], k))) is not None}
    ref = str(params.get("criteria_pack") or "").strip()
    if ref:  # the limits a policy pack sets on a practice; limits given explicitly win
        try:
            c, source = pipeline.criteria(out["criteria"], ref, params.get("criteria_item") or None)
        except ValidationFailed as exc:
            raise ValidationFailed.one("criteria_pack", exc.errors[0].message) from None
        out["criteria"] = {k: v for k, v in c.as_dict().items() if v is not None}
        out["criteria_source"] = source
    return out


def criteria_packs() -> list[tuple[str, str]]:
    """(pack@version, item) of every practice in the newest pack versions that sets test criteria."""
    reg = current_registry()
    out = []
    for pid in sorted({p.id for p in reg.packs()}):
        p = reg.get(pid)
        out += [(p.key, i.id) for i in p.items if i.criteria]
    return out


def _num(v, key: str) -> float:
    try:
        return float(v)
    except (TypeError, ValueError):
        raise ValidationFailed.one(key, "a number") from None


# ---------------------------------------------------------------- running


def _run_biometric(path: Path, p: dict[str, Any], title: str):
    from raigov.evaluation.biometric import BiometricSpec
    from raigov.evaluation.runner import json_safe

    spec = BiometricSpec(score=p["score"], genuine=p["genuine"], groups=tuple(p["groups"]), subject=p["subject"])
    result, out = pipeline.biometric(path, spec, threshold=p["threshold"], target_fmr=p["target_fmr"],
                                     grid_points=p["grid"])
    crit, _ = pipeline.criteria(p["criteria"])
    rep = pipeline.report(result, out["data"], crit, title, p.get("criteria_source"))
    return json_safe(out), rep, json_safe(pipeline.checks_of(rep)), pipeline.OUTCOMES[rep.passed], int(out["data"]["rows"])


def _run_classifier(path: Path, p: dict[str, Any]):
    from raigov.evaluation.classifier import ClassifierSpec
    from raigov.evaluation.runner import json_safe

    spec = ClassifierSpec(y_true=p["y_true"], y_pred=p["y_pred"], groups=tuple(p["groups"]))
    out = pipeline.classifier(path, spec)
    return json_safe(out), None, [], "none", int(out["data"]["rows"])


def check_may_run(session: Session, actor: Actor, business_id: str | None = None) -> str | None:
    """Raise PermissionDenied unless ``actor`` may run evaluations (for the use case's component); returns
    the component. The CLI asks before a long run."""
    _uc, component = _uc_and_component(session, actor, business_id)
    require(actor, "evaluation.run.execute", component if business_id else ANYWHERE)
    return component


def _tmp_dir(settings: Settings) -> Path:
    d = settings.data_dir / "tmp"
    d.mkdir(parents=True, exist_ok=True)
    return d


def _uc_and_component(session: Session, actor: Actor, business_id: str | None):
    if not business_id:
        return None, None

    uc = inventory.get_use_case(session, actor, business_id)
    return uc, inventory.component_of(uc)


def _store_failed(session: Session, actor: Actor, run_fields: dict[str, Any], message: str) -> int:
    """Keep a failed run although the error is raised: the failed run and its audit event are committed in
    the caller's session (a second connection cannot write while this one holds SQLite's write lock).
    Nothing else has been written by then: the run reads the use case and checks permissions only, and
    callers start a run in a unit of work of its own."""
    run = EvaluationRun(**run_fields, status=RunStatus.FAILED, error=message[:4000], finished_at=utcnow())
    session.add(run)
    session.flush()
    record(session, actor, "evaluation.run.execute", "evaluation_run", run.id, None,
           {"kind": run.kind, "status": RunStatus.FAILED, "input_sha256": run.input_sha256, "error": message[:200]})
    session.commit()
    return run.id


def require_may_run(actor: Actor) -> None:
    """May ``actor`` run evaluations at all (in some component)? Asked before an upload is read;
    :func:`run_and_store` checks the use case's component."""
    require(actor, "evaluation.run.execute")


def run_and_store(session: Session, actor: Actor, settings: Settings, data: bytes | str | os.PathLike, filename: str,
                  kind: str, params: dict[str, Any], business_id: str | None = None, attach: bool = True, *,
                  practice: str | None = None, title: str | None = None, max_rows: int | None = None,
                  max_bytes: int | None = None) -> EvaluationRun:
    """Run an evaluation on ``data`` (uploaded bytes, or a path from the CLI), keep the run and its PDF
    report, and attach the report to the use case ``business_id`` (when given and ``attach``)."""
    if kind not in RUN_KINDS:
        raise ValidationFailed.one("kind", f"one of {', '.join(RUN_KINDS)}")
    uc, component = _uc_and_component(session, actor, business_id)
    require(actor, "evaluation.run.execute", component if business_id else ANYWHERE)
    p = _clean_params(kind, params)
    fname = _safe_name(filename)
    tmp = _tmp_dir(settings)
    own_input: Path | None = None
    if isinstance(data, (bytes, bytearray)):
        data = bytes(data)
        limit = max_bytes or settings.upload_limit_bytes
        if len(data) > limit:
            raise ValidationFailed.one("file", f"the file is {len(data):,} bytes; runs here take at most {limit:,} "
                                       "(run larger files with `raigov eval` from the shell)", "too-large")
        if not data:
            raise ValidationFailed.one("file", "the file is empty")
        fmt = _format_of(data[:4], fname)
        if max_rows is not None and (n := count_rows(data, fmt)) > max_rows:
            raise ValidationFailed.one("file", f"the file has {n:,} rows; runs here take at most {max_rows:,} "
                                       "(run larger files with `raigov eval` from the shell)", "too-many-rows")
        input_sha = _sha256_bytes(data)
        own_input = tmp / f"in-{secrets.token_hex(8)}.{fmt}"
        with os.fdopen(os.open(own_input, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600), "wb") as fh:
            fh.write(data)  # the uploaded rows: readable by raigov only, deleted below
        path = own_input
    else:
        path = Path(data)
        if not path.is_file():
            raise ValidationFailed.one("file", f"no such file: {path}", "not-found")
        with open(path, "rb") as fh:
            fmt = _format_of(fh.read(4), str(path))
        input_sha = _sha256_file(path)
    title = (title or ("Biometric demographic differential evaluation" if kind == "biometric"
                       else "Classifier fairness evaluation"))[:300]
    fields = {"use_case_id": uc.id if uc else None, "kind": kind, "parameters": p, "input_filename": fname,
              "input_sha256": input_sha, "created_by": actor.label[:200], "created_by_id": actor.user_id,
              "component": component}
    pdf_path = tmp / f"report-{secrets.token_hex(8)}.pdf"
    try:
        try:
            if kind == "biometric":
                result, rep, checks, outcome, rows = _run_biometric(path, p, title)
            else:
                result, rep, checks, outcome, rows = _run_classifier(path, p)
        except RaigovError as exc:
            _store_failed(session, actor, fields, exc.detail)
            raise
        except Exception as exc:  # noqa: BLE001 - pyarrow/numpy errors on malformed content
            msg = f"cannot evaluate the file: {type(exc).__name__}: {exc}"[:1000]
            _store_failed(session, actor, fields, msg)
            raise ValidationFailed.one("file", msg) from None
        result["data"]["file"] = fname
        if rep is not None:
            rep.data["file"] = fname
            pipeline.render_report_pdf(rep, pdf_path)
        else:
            pipeline.classifier_pdf(result, title, pdf_path)
        pdf = pdf_path.read_bytes()
    finally:
        if own_input is not None:
            own_input.unlink(missing_ok=True)
        pdf_path.unlink(missing_ok=True)

    return _store_done(session, actor, settings, fields, uc, result=result, checks=checks, outcome=outcome, rows=rows,
                       pdf=pdf, attach=attach, practice=practice)


def _store_done(session: Session, actor: Actor, settings: Settings, fields: dict[str, Any], uc, *, result, checks,
                outcome: str, rows: int, pdf: bytes, attach: bool, practice: str | None) -> EvaluationRun:
    report_sha = gov.evidence_store(settings).put(pdf, "evaluation-report.pdf")[0]
    run = EvaluationRun(**fields, status=RunStatus.DONE, input_rows=rows, result=result, outcome=outcome, criteria=checks,
                        report_sha256=report_sha, finished_at=utcnow())
    session.add(run)
    session.flush()
    input_sha = fields["input_sha256"]
    record(session, actor, "evaluation.run.execute", "evaluation_run", run.id,
           {"input_sha256": input_sha, "report_sha256": report_sha, "outcome": outcome},
           {"kind": run.kind, "status": RunStatus.DONE, "input_sha256": input_sha, "rows": rows, "outcome": outcome,
            "report_sha256": report_sha, "use_case": uc.business_id if uc else None})
    if uc is not None and attach:
        _attach_new(session, actor, settings, run, uc.business_id, pdf, practice)
    return run


def record_run(session: Session, actor: Actor, settings: Settings, path: str | os.PathLike, kind: str,
               parameters: dict[str, Any], result: dict[str, Any], pdf: bytes, *, checks: list | None = None,
               outcome: str = "none", business_id: str | None = None, attach: bool = True,
               practice: str | None = None) -> EvaluationRun:
    """Store a run computed by the caller (``raigov eval report --attach``, which has every option of the
    runner): the input file is hashed here, the PDF kept and attached like :func:`run_and_store`'s."""
    if kind not in RUN_KINDS:
        raise ValidationFailed.one("kind", f"one of {', '.join(RUN_KINDS)}")
    if outcome not in ("pass", "fail", "none"):
        raise ValidationFailed.one("outcome", "pass, fail or none")
    uc, component = _uc_and_component(session, actor, business_id)
    require(actor, "evaluation.run.execute", component if business_id else ANYWHERE)
    path = Path(path)
    if not path.is_file():
        raise ValidationFailed.one("file", f"no such file: {path}", "not-found")
    fname = _safe_name(path.name)
    from raigov.evaluation.runner import json_safe

    result = json_safe(result)
    if isinstance(result.get("data"), dict):
        result["data"]["file"] = fname
    fields = {"use_case_id": uc.id if uc else None, "kind": kind, "parameters": json_safe(parameters),
              "input_filename": fname, "input_sha256": _sha256_file(path), "created_by": actor.label[:200],
              "created_by_id": actor.user_id, "component": component}
    rows = int((result.get("data") or {}).get("rows") or 0)
    return _store_done(session, actor, settings, fields, uc, result=result, checks=json_safe(list(checks or [])),
                       outcome=outcome, rows=rows, pdf=pdf, attach=attach, practice=practice)


def _attach_new(session: Session, actor: Actor, settings: Settings, run: EvaluationRun, business_id: str, pdf: bytes,
                practice: str | None):
    today = agency_today(settings)
    if run.kind == "biometric":
        category, expires = "bias_test", today + dt.timedelta(days=config().bias_test_max_age_days)
    else:
        category, expires = "test_report", None
    verdict = {"pass": "pass", "fail": "FAIL", "none": "no criteria"}[run.outcome]
    title = f"T&E run {run.id}: {run.kind} evaluation of {run.input_filename} ({verdict})"
    ev = gov.add_file(session, actor, settings, business_id, pdf, filename=f"evaluation-run-{run.id}.pdf",
                      title=title, category=category, dated_on=today, expires_on=expires, practice=practice,
                      details={"input_sha256": run.input_sha256, "run": run.id, "report_sha256": run.report_sha256,
                               "input_filename": run.input_filename, "outcome": run.outcome})
    run.report_pdf_evidence_id = ev.id
    session.flush()
    return ev


def attach_report(session: Session, actor: Actor, settings: Settings, run_id: int, business_id: str,
                  practice: str | None = None):
    """Attach run ``run_id``'s report to ``business_id``: the same evidence linked (stored as evidence
    first when the run was made without a use case)."""
    run = get_run(session, actor, run_id)
    if run.status != RunStatus.DONE or not run.report_sha256:
        raise ValidationFailed.one("run", f"run {run_id} has no report (status {run.status})")
    _uc, component = _uc_and_component(session, actor, business_id)
    require(actor, "evaluation.run.execute", component if business_id else ANYWHERE)
    if run.report_pdf_evidence_id is None:
        pdf = gov.evidence_store(settings).get(run.report_sha256)
        return _attach_new(session, actor, settings, run, business_id, pdf, practice)
    link = gov.link_evidence(session, actor, run.report_pdf_evidence_id, business_id, practice)
    record(session, actor, "evaluation.run.attach", "evaluation_run", run.id, None,
           {"evidence": run.report_pdf_evidence_id, "use_case": business_id, "practice": practice})
    return link


# ---------------------------------------------------------------- reading


def business_ids(session: Session, runs_: list[EvaluationRun]) -> dict[int, str]:
    """The business id of each run's use case (runs already read through ``get_run``/``runs``), in one query."""
    ids = {r.use_case_id for r in runs_ if r.use_case_id is not None}
    if not ids:
        return {}
    return dict(session.execute(select(UseCase.id, UseCase.business_id).where(UseCase.id.in_(ids))).all())
