"""Pages of appeals and notices: the appeals queue (scoped to the components where the person may read appeals),
staff intake of an appeal against a recorded decision, one appeal with the decide form for the component's
appeals officers (errors at the field), and a use case's plain-language notice (its owner or AI lead edits
it). The rules live in raigov.oversight (appeals.py, notices.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Query, Request
from fastapi.responses import RedirectResponse
from pydantic import ValidationError

from raigov.errors import RaigovError
from raigov.identity.permissions import can, require
from raigov.oversight import service as oversight
from raigov.oversight.remedies import remedies
from raigov.oversight.remedy_schemas import AppealDecisionIn, UseCaseNoticeIn
from raigov.web import flash
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, uow
from raigov.web.pages.forms import field_errors
from raigov.web.params import INT64_MAX, RowId
from raigov.web.templating import render

router = APIRouter(prefix="/oversight", include_in_schema=False)
flash.register({"oversight.appeal_filed": "Appeal filed: it is with the component's appeals officers.",
                "oversight.appeal_decided": "Appeal decided.", "oversight.notice_saved": "Notice saved."})
STATUS_WORDS = {"open": "Open", "decided": "Decided", "all": "All"}
OUTCOME_WORDS = {"upheld": "Upheld (the decision stands)", "modified": "Modified (the decision is changed in part)",
                 "reversed": "Reversed (the decision is undone)"}


def _keep(exc: Exception) -> None:
    """Permission and not-found errors are the app's pages, not field errors."""
    if isinstance(exc, RaigovError) and exc.status in (403, 404):
        raise exc


@router.get("/appeals")
def queue(request: Request, status: Annotated[Literal["open", "decided", "all"], Query()] = "open"):
    actor = require_page_actor(request)
    with uow(request) as s:
        rows = oversight.list_appeals(s, actor, status)
    return render(request, "oversight/appeals.html",
                  {"nav": "oversight", "rows": rows, "status": status, "statuses": STATUS_WORDS,
                   "outcomes": OUTCOME_WORDS, "may_file": can(actor, "oversight.appeal.file"),
                   "clock_days": remedies().clock_days, "flash": flash.banner(request)})


def _intake(request: Request, values: dict | None = None, errors: dict | None = None, status: int = 200):
    actor = require_page_actor(request)
    require(actor, "oversight.appeal.file")
    return render(request, "oversight/appeal_new.html",
                  {"nav": "oversight", "values": values or {}, "errors": errors or {},
                   "clock_days": remedies().clock_days}, status)


@router.get("/appeals/new")
def intake(request: Request, decision: Annotated[int | None, Query(ge=1, le=INT64_MAX)] = None):
    return _intake(request, {"decision": str(decision) if decision else "", "grounds": ""})


@router.post("/appeals/new")
async def file_appeal(request: Request):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    values = {k: str(form.get(k) or "").strip() for k in ("decision", "grounds")}
    if not values["decision"].isdigit() or not 1 <= int(values["decision"]) <= INT64_MAX:
        return _intake(request, values, {"decision": "give the decision's ledger number (shown on its page)"}, 422)
    try:
        with uow(request) as s:
            a, _ = oversight.file_appeal(s, actor, int(values["decision"]), values["grounds"])
            appeal_id = a.id
    except RaigovError as exc:
        if exc.status == 404:
            return _intake(request, values, {"decision": exc.detail}, 422)
        _keep(exc)
        return _intake(request, values, field_errors(exc), 422)
    return RedirectResponse(flash.done_url(f"/oversight/appeals/{appeal_id}", "oversight.appeal_filed"), status_code=303)


def _appeal_page(request: Request, appeal_id: int, values: dict | None = None, errors: dict | None = None,
                 status: int = 200):
    actor = require_page_actor(request)
    with uow(request) as s:
        a = oversight.get_appeal(s, actor, appeal_id)
    return render(request, "oversight/appeal.html",
                  {"nav": "oversight", "a": a, "outcomes": OUTCOME_WORDS, "values": values or {}, "errors": errors or {},
                   "flash": flash.banner(request)}, status)


@router.get("/appeals/{appeal_id}")
def appeal(request: Request, appeal_id: RowId):
    return _appeal_page(request, appeal_id)


@router.post("/appeals/{appeal_id}/decide")
async def decide(request: Request, appeal_id: RowId):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    values = {k: str(form.get(k) or "") for k in ("outcome", "rationale")}
    try:
        data = AppealDecisionIn(**values)
        with uow(request) as s:
            oversight.decide_appeal(s, actor, appeal_id, data.outcome, data.rationale)
    except (ValidationError, RaigovError) as exc:
        _keep(exc)
        return _appeal_page(request, appeal_id, values, field_errors(exc), 422)
    return RedirectResponse(flash.done_url(f"/oversight/appeals/{appeal_id}", "oversight.appeal_decided"),
                            status_code=303)


def _notice_page(request: Request, business_id: str, values: dict | None = None, errors: dict | None = None,
                 status: int = 200):
    actor = require_page_actor(request)
    with uow(request) as s:
        n = oversight.get_notice(s, actor, business_id)
    return render(request, "oversight/notice.html",
                  {"nav": "oversight", "n": n, "values": values or n, "errors": errors or {},
                   "flash": flash.banner(request)}, status)


@router.get("/use-cases/{business_id}/notice")
def notice(request: Request, business_id: str):
    return _notice_page(request, business_id)


@router.post("/use-cases/{business_id}/notice")
async def save_notice(request: Request, business_id: str):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    values = {k: str(form.get(k) or "") for k in ("what_ai_does", "human_review", "appeal", "opt_out")}
    try:
        data = UseCaseNoticeIn(**values)
        with uow(request) as s:
            out = oversight.set_notice(s, actor, business_id, data)
    except (ValidationError, RaigovError) as exc:
        _keep(exc)
        return _notice_page(request, business_id, values, field_errors(exc), 422)
    return RedirectResponse(flash.done_url(f"/oversight/use-cases/{out['use_case']}/notice", "oversight.notice_saved"),
                            status_code=303)
