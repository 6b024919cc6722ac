"""The training ledger's pages: /training (the workforce's completion by component and course; a coordinator
records a completion there) and /training/me (a person's own courses). Thin: raigov.training.service."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from raigov.clock import agency_today
from raigov.errors import RaigovError, ValidationFailed
from raigov.identity.permissions import can, require
from raigov.training import service as training
from raigov.training.courses import courses
from raigov.web import flash
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, settings_of, uow
from raigov.web.pages.forms import field_errors
from raigov.web.templating import render

router = APIRouter(prefix="/training", include_in_schema=False)
flash.register({"training.recorded": "Completion recorded."})

STATE_WORDS = {"current": "Current", "expiring": "Expires within 30 days", "expired": "Expired", "not taken": "Not taken"}


def _page(request: Request, actor, extra: dict | None = None, status: int = 200):
    with uow(request, read=True) as s:
        data = training.workforce(s, actor, agency_today(settings_of(request)))
    ctx = {"data": data, "courses": list(courses().values()), "errors": {}, "form": {},
           "may_record": can(actor, "training.completion.record"), "flash": flash.banner(request)}
    ctx.update(extra or {})
    return render(request, "training/workforce.html", ctx, status)


@router.get("")
def workforce_page(request: Request):
    actor = require_page_actor(request)
    require(actor, "training.ledger.read")
    return _page(request, actor)


@router.post("")
async def record(request: Request):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    values = {k: str(form.get(k) or "").strip() for k in ("username", "course", "completed_on")}
    try:
        try:
            day = dt.date.fromisoformat(values["completed_on"])
        except ValueError:
            raise ValidationFailed.one("completed_on", "give the date as YYYY-MM-DD") from None
        with uow(request) as s:
            training.record_completion(s, actor, values["username"], values["course"], day,
                                       agency_today(settings_of(request)))
    except RaigovError as exc:
        return _page(request, actor, {"errors": field_errors(exc), "form": values}, exc.status)
    return RedirectResponse(flash.done_url("/training", "training.recorded"), status_code=303)


@router.get("/me")
def my_training(request: Request):
    actor = require_page_actor(request)
    with uow(request, read=True) as s:
        rows = training.person_record(s, actor.user_id, agency_today(settings_of(request))) if actor.user_id else []
    return render(request, "training/me.html", {"rows": rows, "state_words": STATE_WORDS})
