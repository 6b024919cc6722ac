"""The Notices page: the jobs' outbox (what was sent, to whom, what is pending or failing) and "retry now"
for a failed notice. Who sees which notices, and who may retry, is the jobs service's (list_notices,
retry_notice); this page only asks."""

from __future__ import annotations

import datetime as dt
from urllib.parse import urlencode

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from raigov.errors import Conflict, NotFound
from raigov.identity.permissions import can
from raigov.jobs import service as jobs
from raigov.jobs.notices import STATUS_WORDS, kind_words
from raigov.web.deps import CSRF_FIELD, check_csrf, db_of, require_page_actor, settings_of, uow
from raigov.web.params import PageNo, RowId
from raigov.web.templating import render

router = APIRouter(prefix="/notices", include_in_schema=False)
PAGE = 50
MESSAGES = {"sent": "The notice was sent.", "queued": "The notice will be sent by the next jobs run (no SMTP server "
            "is configured here).", "busy": "Another host is sending the notice right now."}


def _date(value: str, field: str, errors: dict) -> dt.date | None:
    if not value:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        errors[field] = "use a date as YYYY-MM-DD"
        return None


def _page(request: Request, status: str = "", kind: str = "", recipient: str = "", since: str = "", until: str = "",
          page: int = 1, message: str | None = None, error: str | None = None, code: int = 200):
    actor = require_page_actor(request)
    errors: dict[str, str] = {}
    if status and status not in jobs.STATUSES:
        errors["status"] = "choose pending, sent or failed"
    flt = jobs.NoticeFilter(status=status if status in jobs.STATUSES else None, kind=kind or None,
                            recipient=recipient.strip() or None, created_from=_date(since, "since", errors),
                            created_to=_date(until, "until", errors), page=max(page, 1), per_page=PAGE)
    with uow(request) as s:
        result = jobs.list_notices(s, actor, flt, settings_of(request).agency_timezone)
    filters = {"status": status, "kind": kind, "recipient": recipient, "since": since, "until": until}
    query = urlencode({k: v for k, v in filters.items() if v})
    return render(request, "notices/index.html", {
        "nav": "notices", "result": result, "filters": filters, "query": query, "errors": errors,
        "statuses": jobs.STATUSES, "status_words": STATUS_WORDS,
        "kind_words": kind_words, "can_retry": can(actor, "jobs.notice.retry"), "message": message, "error": error,
        "digest": settings_of(request).notice_digest}, status_code=code)


@router.get("")
def index(request: Request, status: str = "", kind: str = "", recipient: str = "", since: str = "", until: str = "",
          page: PageNo = 1, done: str = ""):
    return _page(request, status, kind, recipient, since, until, page, message=MESSAGES.get(done))


@router.post("/{notice_id}/retry")
async def retry(request: Request, notice_id: RowId):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    back = str(form.get("back") or "")
    try:
        res = jobs.retry_notice(db_of(request), actor, settings_of(request), notice_id)
    except (Conflict, NotFound) as exc:
        return _page(request, error=exc.detail, code=exc.status)
    if res.result == "failed":
        return _page(request, error=f"The notice {res.key} could not be sent: {res.error}", code=502)
    sep = "&" if back else ""
    return RedirectResponse(f"/notices?{back}{sep}done={res.result}", status_code=303)
