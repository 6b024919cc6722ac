"""Public feedback's pages: the public form (no account, works without JavaScript; a honeypot field, the CSRF
token and the service's per-client rate limit) under /public/use-cases/{id}/feedback, and the staff's queue and
message pages under /feedback. The rules are the feedback service's (raigov.disclosure.feedback.service)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from raigov.disclosure import site as sites
from raigov.disclosure.feedback import service as feedback
from raigov.disclosure.feedback.clock import RESPONSE_DAYS
from raigov.disclosure.feedback.text import MAX_CHARS, clean, mask, masked_words
from raigov.errors import Conflict, NotFound, ValidationFailed
from raigov.web import flash
from raigov.web.deps import CSRF_FIELD, check_csrf, client_ip, require_page_actor, settings_of, uow
from raigov.web.pages.forms import field_errors
from raigov.web.params import RowId
from raigov.web.templating import render

router = APIRouter(prefix="/feedback", include_in_schema=False)
public_router = APIRouter(prefix="/public", include_in_schema=False)
flash.register({"feedback.triaged": "Triage saved.", "feedback.responded": "Response saved.",
                "feedback.closed": "The feedback is closed."})


def _published(request: Request, business_id: str) -> dict:
    """What the public may read of the use case: its page in the latest public build. A use case withheld whole,
    not yet certified or not active is not found, and a withheld name is not shown (docs/feedback.md)."""
    with uow(request, read=True) as s:
        page = sites.published_use_case(s, settings_of(request), business_id)
        uc = feedback.public_use_case(s, business_id)
    if page is None:
        raise NotFound("no public use case has this id")
    return {"business_id": uc.business_id, "name": page.get("use_case_name") or "", "year": page.get("year")}


def _public(request: Request, business_id: str, *, text: str = "", errors: dict | None = None, error: str = "",
            sent: bool = False, masked: list[str] | None = None, code: int = 200, headers: dict | None = None,
            found: list[str] | None = None):
    uc = _published(request, business_id)
    with uow(request, read=True) as s:
        responses = feedback.published(s, business_id)
    resp = render(request, "feedback/public_form.html", {
        "uc": uc, "responses": responses, "text": text, "errors": errors or {}, "error": error, "sent": sent,
        "masked": masked or [], "found": found or [], "max_chars": MAX_CHARS}, status_code=code)
    resp.headers.update(headers or {})
    resp.headers["Cache-Control"] = "no-store"  # a CSRF token and the responses of the moment: never kept
    return resp


@public_router.get("/use-cases/{business_id}/feedback")
def public_form(request: Request, business_id: str):
    return _public(request, business_id)


@public_router.post("/use-cases/{business_id}/feedback")
async def public_submit(request: Request, business_id: str):
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    _published(request, business_id)  # only a published use case takes feedback
    raw = form.get("text")
    text = raw if isinstance(raw, str) else ""
    if form.get("website"):  # the honeypot: people do not see the field, so only a robot fills it
        return _public(request, business_id, text=text, error="The message could not be accepted. If you are a "
                       "person, leave the field named 'Leave this field empty' empty and send again.", code=422)
    if isinstance(raw, str) and form.get("pii_ack") != "1":  # warn before sending: nothing is stored yet
        try:
            _, kinds = mask(clean(raw))
        except ValidationFailed as exc:
            return _public(request, business_id, text=text, errors=field_errors(exc), code=422)
        if kinds:
            return _public(request, business_id, text=text, found=masked_words(kinds))
    try:
        with uow(request) as s:
            row = feedback.submit(s, settings_of(request).secret(), business_id,
                                  raw if isinstance(raw, str) else b"" if raw is None else b"\x00",
                                  client_ip(request) or "unknown")
            masked = masked_words(row.masked)
    except ValidationFailed as exc:
        return _public(request, business_id, text=text, errors=field_errors(exc), code=422)
    except feedback.TooMany as exc:
        return _public(request, business_id, text=text, error=exc.detail, code=429,
                       headers={"Retry-After": str(exc.retry_after)})
    return _public(request, business_id, sent=True, masked=masked)


@router.get("")
def queue(request: Request, status: str = ""):
    actor = require_page_actor(request)
    with uow(request) as s:
        rows = feedback.queue(s, actor, status if status in feedback.STATUSES else None)
    return render(request, "feedback/queue.html", {"nav": "feedback", "rows": rows, "status": status,
                                                   "statuses": feedback.STATUSES, "days": RESPONSE_DAYS})


def _detail(request: Request, feedback_id: int, errors: dict | None = None, response_text: str = "", code: int = 200):
    actor = require_page_actor(request)
    with uow(request) as s:
        f, uc = feedback.get(s, actor, feedback_id)
    return render(request, "feedback/detail.html", {
        "nav": "feedback", "f": f, "uc": uc, "masked": masked_words(f.masked), "topics": feedback.TOPICS,
        "errors": errors or {}, "response_text": response_text, "flash": flash.banner(request)}, status_code=code)


@router.get("/{feedback_id}")
def detail(request: Request, feedback_id: RowId):
    return _detail(request, feedback_id)


async def _act(request: Request, feedback_id: int, act, done: str):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    try:
        version = int(str(form.get("version") or "0"))
        with uow(request) as s:
            act(s, actor, form, version)
    except ValidationFailed as exc:
        return _detail(request, feedback_id, field_errors(exc), str(form.get("response") or ""), 422)
    except (Conflict, ValueError) as exc:
        return _detail(request, feedback_id, {"form": getattr(exc, "detail", "reload the page and try again")},
                       code=409)
    return RedirectResponse(flash.done_url(f"/feedback/{feedback_id}", done), status_code=303)


@router.post("/{feedback_id}/triage")
async def triage(request: Request, feedback_id: RowId):
    return await _act(request, feedback_id, lambda s, a, f, v: feedback.triage(
        s, a, feedback_id, str(f.get("topic") or ""), str(f.get("note") or ""), v), "feedback.triaged")


@router.post("/{feedback_id}/respond")
async def respond(request: Request, feedback_id: RowId):
    return await _act(request, feedback_id, lambda s, a, f, v: feedback.respond(
        s, a, feedback_id, str(f.get("response") or ""), f.get("publish") == "1", v, settings_of(request)),
        "feedback.responded")


@router.post("/{feedback_id}/close")
async def close(request: Request, feedback_id: RowId):
    return await _act(request, feedback_id, lambda s, a, f, v: feedback.close(s, a, feedback_id, v), "feedback.closed")
