"""T&E pages: the list of evaluation runs, a form that starts a small run from an upload (run in the
request; larger files belong to `raigov eval` in the shell), a run's result drawn by our own template
from the stored result JSON, its PDF report, and a form to attach the report to a use case. Every rule
(who may run, limits, what is stored as evidence) is the service's (evaluation/service.py)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from raigov.errors import NotFound, PermissionDenied, RaigovError, ValidationFailed
from raigov.evaluation import service as ev
from raigov.evaluation.report.html import bar_chart_svg, fmt, group_label
from raigov.evaluation.vocab import RUN_KIND_WORDS, RunStatus, metric_label
from raigov.governance import service as gov
from raigov.identity.permissions import components_visible
from raigov.web import flash
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, settings_of, uow
from raigov.web.form_state import form_states, refusal_errors, said_back
from raigov.web.params import RowId
from raigov.web.templating import render
from raigov.web.uploads import upload_limit

router = APIRouter(prefix="/evaluation", include_in_schema=False)
flash.register({
    "eval.stored": "The run is stored.",
    "eval.stored_attached": "The run is stored and its report is attached to the use case.",
    "eval.attached": "The report is attached to the use case.",
}, kind="info")
FIELDS = ("kind", "y_true", "y_pred", "score", "genuine", "groups", "subject", "threshold", "target_fmr",
          "business_id", "max_fmr", "max_fnmr", "max_fmr_ratio", "max_fnmr_ratio", "criteria_pack")
OUTCOME_LABELS = {"pass": "Pass", "fail": "Fail", "none": "No criteria"}
KINDS = ("biometric", "classifier")
# the form field of each column option the evaluation names in a missing-column error
FLAG_FIELDS = {"--score": "score", "--genuine": "genuine", "--group": "groups", "--subject": "subject",
               "--y-true": "y_true", "--y-pred": "y_pred"}
FIELD_WORDS = {"score": "Score column", "genuine": "Genuine column", "groups": "Group column(s)",
               "subject": "Subject id column", "y_true": "True label column", "y_pred": "Predicted label column"}


def missing_columns(exc: RaigovError) -> tuple[str, str] | None:
    """(message, form field) for a file that lacks a column the form named: which column, which field named
    it, and the columns the file has. None for any other error."""
    missing = [e for e in exc.errors if getattr(e, "code", None) == "missing-column"]
    if not missing:
        return None
    parts, field = [], ""
    for e in missing:
        flag = e.message.split("(given by ", 1)[-1].split(")", 1)[0]
        f = FLAG_FIELDS.get(flag, "")
        field = field or f
        parts.append(f"“{e.field}” (the {FIELD_WORDS.get(f, 'column you gave')})")
    has = missing[0].message.split("the file has: ", 1)[-1]
    return (f"The file has no column {' or '.join(parts)}. The file's columns are: {has}.", field or "file")


def _limits(request: Request) -> tuple[int, int]:
    return ev.WEB_MAX_ROWS, min(ev.WEB_MAX_BYTES, settings_of(request).upload_limit_bytes)


def _index(request: Request, actor, *, error: str | None = None, field: str | None = None,
           form: dict | None = None, status: int = 200):
    max_rows, max_bytes = _limits(request)
    with uow(request) as s:
        found = ev.runs(s, actor)  # PermissionDenied for someone who may read no run
        bids = ev.business_ids(s, found)
        rows = [{"r": r, "business_id": bids.get(r.use_case_id)} for r in found]
        return render(request, "evaluation/index.html", {
            "nav": "evaluation", "runs": rows, "can_run": components_visible(actor, "evaluation.run.execute") != set(),
            "error": error, "error_field": field, "flash": flash.banner(request), "form": form or {"kind": "biometric"},
            "kind_words": RUN_KIND_WORDS, "kinds": KINDS,
            "max_rows": max_rows, "max_mb": max_bytes // (1024 * 1024), "outcome_labels": OUTCOME_LABELS,
            "criteria_packs": ev.criteria_packs(),
        }, status_code=status)


@router.get("")
def index(request: Request, kind: str = "biometric"):
    """The runs and the form of one kind of run (chosen first: the form shows only that kind's fields)."""
    actor = require_page_actor(request)
    return _index(request, actor, form={"kind": kind if kind in KINDS else "biometric"})


@router.post("/runs", dependencies=[upload_limit()])
async def start_run(request: Request):
    actor = require_page_actor(request)
    settings = settings_of(request)
    ev.require_may_run(actor)  # before the upload is read (the service checks the component again)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    values = {k: str(form.get(k) or "").strip() for k in FIELDS}
    upload = form.get("file")
    max_rows, max_bytes = _limits(request)
    kind = values["kind"]
    params = {k: values[k] for k in ("y_true", "y_pred", "score", "genuine", "groups", "subject", "threshold",
                                     "target_fmr")}
    params["criteria"] = {k: values[k] for k in ("max_fmr", "max_fnmr", "max_fmr_ratio", "max_fnmr_ratio")}
    params["criteria_pack"] = values["criteria_pack"]
    try:
        if upload is None or not getattr(upload, "filename", ""):
            raise ValidationFailed.one("file", "choose a CSV or Parquet file to evaluate")
        data = await upload.read(max_bytes + 1)
        with uow(request) as s:
            run = ev.run_and_store(s, actor, settings, data, upload.filename, kind, params,
                                   business_id=values["business_id"] or None, max_rows=max_rows, max_bytes=max_bytes)
            run_id, attached = run.id, run.report_pdf_evidence_id is not None
    except RaigovError as exc:
        field = exc.errors[0].field if exc.errors else ""
        detail = exc.detail
        columns = missing_columns(exc)
        if columns:
            detail, field = columns
        return _index(request, actor, error=detail, field=field, form=values,
                      status=403 if isinstance(exc, PermissionDenied) else 422)
    return RedirectResponse(flash.done_url(f"/evaluation/runs/{run_id}", "eval.stored_attached" if attached else "eval.stored"),
                            status_code=303)


def _group_rows(result: dict, keys: list[str]) -> list[dict]:
    return [{"label": group_label(g["group"]), **{k: g.get(k) for k in keys}} for g in result.get("groups", [])]


def outcome_banner(run) -> dict:
    """The run's outcome, shown first: {tone, heading, lines}. A run that failed its criteria is never green:
    the heading says so and each line names the criterion, its value and its limit."""
    if run.status == "failed":
        return {"tone": "error", "heading": "The run could not finish", "lines": [run.error or "no reason was kept"]}
    if run.status != "done":
        return {"tone": "info", "heading": "The run has not finished", "lines": []}
    checks = run.criteria or []

    def line(c: dict) -> str:
        if c.get("passed") is None:
            return f"{c['name']}: could not be computed (limit {fmt(c.get('limit'))})"
        verb = "within its limit" if c["passed"] else "outside its limit"
        return f"{c['name']}: {fmt(c.get('value'))}, {verb} of {fmt(c.get('limit'))}"

    if run.outcome == "fail":
        failed = [c for c in checks if c.get("passed") is not True]
        return {"tone": "error", "heading": f"Failed its criteria: {len(failed)} of {len(checks)} not met",
                "failed": True,
                "lines": [line(c) for c in failed]}
    if run.outcome == "pass":
        return {"tone": "success", "heading": f"Passed its criteria: {len(checks)} of {len(checks)} met",
                "lines": [line(c) for c in checks]}
    return {"tone": "info", "heading": "Finished, with no criteria to pass or fail",
            "lines": ["The result is descriptive only: no limit was given for this run."]}


def charts(run, km: str, kn: str) -> list[dict]:
    """Server-drawn SVG bar charts of the run's main rates by group (the same numbers are in the tables
    beside them): FMR and FNMR (or FPIR and FNIR) with their intervals; a classifier's selection rate."""
    res = run.result or {}
    groups = res.get("groups") or []
    if not groups:
        return []
    labels = [group_label(g["group"]) for g in groups]
    keys = (km, kn) if run.kind == "biometric" else ("selection_rate", "tpr")
    out = []
    for key in keys:
        vals = [g.get(key) for g in groups]
        cis = [g.get(f"{key}_ci") or [None, None] for g in groups]
        title = f"{metric_label(key)} by group"
        svg = bar_chart_svg(f"chart-{key}", title, f"Bars of {metric_label(key)} per group"
                            + (", with interval whiskers" if any(c[0] is not None for c in cis) else "")
                            + "; the numbers are in the table beside the chart.", labels, vals, cis)
        rows = [{"label": lab, "value": v, "ci": c} for lab, v, c in zip(labels, vals, cis)]
        out.append({"key": key, "title": title, "svg": svg, "rows": rows})
    return out


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: RowId):
    return _run_page(request, run_id)


def _run_page(request: Request, run_id: int, errors: dict[str, str] | None = None, values: dict | None = None,
              status: int = 200):
    """A run's page; after a refused attachment, with its errors at their fields (never read from the URL), what
    was typed kept, and status 422."""
    actor = require_page_actor(request)
    form, _ = form_states("attach", errors or {}, values or {})
    with uow(request) as s:
        run = ev.get_run(s, actor, run_id)
        bid = ev.business_ids(s, [run]).get(run.use_case_id)
        res = run.result or {}
        if "overall" not in res:  # a run recorded with its report only (the demo's) keeps no measurements to show
            res = {}
        ident = (res.get("conventions") or {}).get("mode") == "identification"
        km, kn = ("fpir", "fnir") if ident else ("fmr", "fnmr")
        return render(request, "evaluation/run.html", {
            "nav": "evaluation", "run": run, "business_id": bid, "res": res, "km": km, "kn": kn, "fmt": fmt,
            "banner": outcome_banner(run), "charts": charts(run, km, kn), "metric_label": metric_label,
            "kind_words": RUN_KIND_WORDS,
            "group_label": group_label, "outcome_labels": OUTCOME_LABELS,
            "errors": errors or {}, "form": form, "flash": flash.banner(request),
            "can_attach": run.status == RunStatus.DONE and components_visible(actor, "evaluation.run.execute") != set(),
            "classifier_cols": ("n", "selection_rate", "tpr", "fpr", "fnr", "precision", "accuracy"),
        }, status)


@router.get("/runs/{run_id}/report.pdf")
def report_pdf(request: Request, run_id: RowId):
    actor = require_page_actor(request)
    with uow(request) as s:
        run = ev.get_run(s, actor, run_id)
        if not run.report_sha256:
            raise NotFound(f"run {run_id} has no report")
        data = gov.evidence_store(settings_of(request)).get(run.report_sha256)
    return Response(data, media_type="application/pdf", headers={
        "Content-Disposition": f'attachment; filename="evaluation-run-{run_id}.pdf"',
        "X-Content-Type-Options": "nosniff"})


@router.post("/runs/{run_id}/attach")
async def attach(request: Request, run_id: RowId):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    bid = str(form.get("business_id") or "").strip()
    practice = str(form.get("practice") or "").strip() or None
    try:
        if not bid:
            raise ValidationFailed.one("business_id", "give the use case's id")
        with uow(request) as s:
            ev.attach_report(s, actor, settings_of(request), run_id, bid, practice)
    except RaigovError as exc:
        return _run_page(request, run_id, refusal_errors(exc), said_back(form),
                         status=exc.status if exc.status in (403, 404, 409) else 422)
    return RedirectResponse(flash.done_url(f"/evaluation/runs/{run_id}", "eval.attached"), status_code=303)
