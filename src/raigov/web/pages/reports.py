"""The CAIO office's reports pages: generate an accountability report (HTML, PDF, DOCX), download the stored files
(checked against their SHA-256), and edit then finalise the year's compliance plan. The rules are the reports
service's (raigov.disclosure.reports.service); this module only asks."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from raigov.clock import agency_today
from raigov.disclosure.reports import service as reports
from raigov.errors import Conflict, RaigovError, ValidationFailed
from raigov.identity.permissions import can
from raigov.web import flash
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, settings_of, uow
from raigov.web.pages.forms import field_errors
from raigov.web.params import RowId, YearPath
from raigov.web.templating import render

router = APIRouter(prefix="/reports", include_in_schema=False)
flash.register({"reports.generated": "The report was generated and stored with its SHA-256.",
                "reports.plan_saved": "The section was saved.",
                "reports.plan_final": "The compliance plan is final."})
FORMAT_WORDS = {"html": "Web page (HTML)", "pdf": "PDF", "docx": "Word (DOCX)"}


def _year(value: object) -> int:
    try:
        return reports.check_year(int(str(value).strip()))
    except ValueError:
        raise ValidationFailed.one("year", "a year, for example 2026") from None


def _index(request: Request, errors: dict | None = None, form: dict | None = None, code: int = 200):
    actor = require_page_actor(request)
    with uow(request) as s:
        rows = reports.list_reports(s, actor)
    today = agency_today(settings_of(request))
    return render(request, "reports/index.html", {
        "nav": "reports", "rows": rows, "kinds": reports.KINDS, "formats": FORMAT_WORDS, "errors": errors or {},
        "form": form or {"kind": "fr-fc", "year": str(today.year), "fmt": "pdf"}, "year": today.year,
        "can_generate": can(actor, reports.GENERATE), "flash": flash.banner(request)}, status_code=code)


@router.get("")
def index(request: Request):
    return _index(request)


@router.post("/generate")
async def generate(request: Request):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    given = {k: str(form.get(k) or "") for k in ("kind", "year", "fmt")}
    try:
        with uow(request) as s:
            reports.generate(s, actor, settings_of(request), given["kind"], _year(given["year"]), given["fmt"],
                             today=agency_today(settings_of(request)))
    except ValidationFailed as exc:
        errors = {{"format": "fmt"}.get(k, k): v for k, v in field_errors(exc).items()}
        return _index(request, errors, given, 422)
    return RedirectResponse(flash.done_url("/reports", "reports.generated"), status_code=303)


@router.get("/files/{report_id}")
def download(request: Request, report_id: RowId):
    actor = require_page_actor(request)
    with uow(request) as s:
        row, data = reports.report_file(s, actor, settings_of(request), report_id)
        name = f"{row.kind}-{row.year}.{row.fmt}"
        sha = row.sha256
    return Response(data, media_type=reports.FORMATS[row.fmt], headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff",
        "Digest": f"sha-256={sha}", "Content-Security-Policy": "default-src 'none'; style-src 'unsafe-inline'"})


def _plan_page(request: Request, year: int, errors: dict | None = None, texts: dict | None = None, code: int = 200):
    actor = require_page_actor(request)
    with uow(request) as s:
        plan = reports.plan(s, actor, year, today=agency_today(settings_of(request)))
    return render(request, "reports/plan.html", {
        "nav": "reports", "plan": plan, "errors": errors or {}, "texts": texts or {},
        "can_edit": can(actor, reports.EDIT) and plan["status"] != "final",
        "can_finalise": can(actor, reports.FINALISE) and plan["status"] != "final", "flash": flash.banner(request)},
        status_code=code)


@router.get("/compliance-plan/{year}")
def plan_page(request: Request, year: YearPath):
    return _plan_page(request, _year(year))


@router.post("/compliance-plan/{year}/sections/{key}")
async def save_section(request: Request, year: YearPath, key: str):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    text = str(form.get("text") or "")
    try:
        version = int(str(form.get("version") or "0"))
        with uow(request) as s:
            reports.edit_plan(s, actor, _year(year), key, text, version)
    except (ValidationFailed, ValueError, Conflict) as exc:
        msg = exc.detail if isinstance(exc, RaigovError) else "reload the page and try again"
        return _plan_page(request, _year(year), {key: msg}, {key: text}, 409 if isinstance(exc, Conflict) else 422)
    return RedirectResponse(flash.done_url(f"/reports/compliance-plan/{year}#section-{key}", "reports.plan_saved"),
                            status_code=303)


@router.post("/compliance-plan/{year}/finalise")
async def finalise(request: Request, year: YearPath):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    try:
        with uow(request) as s:
            reports.finalise_plan(s, actor, _year(year))
    except Conflict as exc:
        return _plan_page(request, _year(year), {"finalise": exc.detail}, code=409)
    return RedirectResponse(flash.done_url(f"/reports/compliance-plan/{year}", "reports.plan_final"), status_code=303)
