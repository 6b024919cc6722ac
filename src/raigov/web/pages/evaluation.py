"""T&E pages: the list of evaluation runs, a form that starts a small run from an upload (run in the
request; larger files belong to `raigov eval` in the shell), a run's result drawn by our own template
from the stored result JSON, its PDF report, and a form to attach the report to a use case. Every rule
(who may run, limits, what is stored as evidence) is the service's (evaluation/service.py)."""

from __future__ import annotations

from urllib.parse import quote

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from raigov.errors import NotFound, PermissionDenied, RaigovError, ValidationFailed
from raigov.evaluation import service as ev
from raigov.evaluation.report.html import fmt, group_label
from raigov.evaluation.vocab import RunStatus
from raigov.governance import service as gov
from raigov.identity.permissions import components_visible
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, settings_of, uow
from raigov.web.params import RowId
from raigov.web.templating import render
from raigov.web.uploads import upload_limit

router = APIRouter(prefix="/evaluation", include_in_schema=False)
FIELDS = ("kind", "y_true", "y_pred", "score", "genuine", "groups", "subject", "threshold", "target_fmr",
          "business_id", "max_fmr", "max_fnmr", "max_fmr_ratio", "max_fnmr_ratio", "criteria_pack")
OUTCOME_LABELS = {"pass": "Pass", "fail": "Fail", "none": "No criteria"}


def _limits(request: Request) -> tuple[int, int]:
    return ev.WEB_MAX_ROWS, min(ev.WEB_MAX_BYTES, settings_of(request).upload_limit_bytes)


def _index(request: Request, actor, *, error: str | None = None, field: str | None = None, ok: str | None = None,
           form: dict | None = None, status: int = 200):
    max_rows, max_bytes = _limits(request)
    with uow(request) as s:
        found = ev.runs(s, actor)  # PermissionDenied for someone who may read no run
        bids = ev.business_ids(s, found)
        rows = [{"r": r, "business_id": bids.get(r.use_case_id)} for r in found]
        return render(request, "evaluation/index.html", {
            "nav": "evaluation", "runs": rows, "can_run": components_visible(actor, "evaluation.run.execute") != set(),
            "error": error, "error_field": field, "ok": ok, "form": form or {"kind": "biometric"},
            "max_rows": max_rows, "max_mb": max_bytes // (1024 * 1024), "outcome_labels": OUTCOME_LABELS,
            "criteria_packs": ev.criteria_packs(),
        }, status_code=status)


@router.get("")
def index(request: Request, error: str | None = None, ok: str | None = None):
    actor = require_page_actor(request)
    return _index(request, actor, error=error, ok=ok)


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
        return _index(request, actor, error=exc.detail, field=field, form=values,
                      status=403 if isinstance(exc, PermissionDenied) else 422)
    ok = "The run finished" + (" and its report is attached to the use case." if attached else ".")
    return RedirectResponse(f"/evaluation/runs/{run_id}?ok={quote(ok)}", status_code=303)


def _group_rows(result: dict, keys: list[str]) -> list[dict]:
    return [{"label": group_label(g["group"]), **{k: g.get(k) for k in keys}} for g in result.get("groups", [])]


@router.get("/runs/{run_id}")
def run_page(request: Request, run_id: RowId, error: str | None = None, ok: str | None = None):
    actor = require_page_actor(request)
    with uow(request) as s:
        run = ev.get_run(s, actor, run_id)
        bid = ev.business_ids(s, [run]).get(run.use_case_id)
        res = run.result or {}
        ident = (res.get("conventions") or {}).get("mode") == "identification"
        km, kn = ("fpir", "fnir") if ident else ("fmr", "fnmr")
        return render(request, "evaluation/run.html", {
            "nav": "evaluation", "run": run, "business_id": bid, "res": res, "km": km, "kn": kn, "fmt": fmt,
            "group_label": group_label, "outcome_labels": OUTCOME_LABELS, "error": error, "ok": ok,
            "can_attach": run.status == RunStatus.DONE and components_visible(actor, "evaluation.run.execute") != set(),
            "classifier_cols": ("n", "selection_rate", "tpr", "fpr", "fnr", "precision", "accuracy"),
        })


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
        return RedirectResponse(f"/evaluation/runs/{run_id}?error={quote(exc.detail[:400])}#attach", status_code=303)
    return RedirectResponse(f"/evaluation/runs/{run_id}?ok={quote(f'The report is attached to {bid}.')}",
                            status_code=303)
