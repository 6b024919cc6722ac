"""The prompt guard's page: a signed-in person pastes a prompt, picks a tool, and sees the decision, the
findings and the redacted text. Thin: raigov.genai.service screens and audits."""

from __future__ import annotations

from fastapi import APIRouter, Request

from raigov.clock import agency_today
from raigov.errors import RaigovError
from raigov.genai import service as genai
from raigov.identity.permissions import require
from raigov.web.deps import CSRF_FIELD, check_csrf, require_page_actor, settings_of, uow
from raigov.web.pages.forms import field_errors
from raigov.web.templating import render

router = APIRouter(prefix="/genai", include_in_schema=False)


def _page(request: Request, extra: dict | None = None, status: int = 200):
    with uow(request, read=True) as s:
        tools = genai.list_tools(s, agency_today(settings_of(request)))
    ctx = {"tools": tools, "errors": {}, "result": None, "text": "", "tool": "",
           "limit": settings_of(request).genai_max_prompt_chars}
    ctx.update(extra or {})
    return render(request, "genai/screen.html", ctx, status)


@router.get("/screen")
def screen_page(request: Request):
    actor = require_page_actor(request)
    require(actor, "genai.prompt.screen")
    return _page(request)


@router.post("/screen")
async def screen(request: Request):
    actor = require_page_actor(request)
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    text = str(form.get("text") or "")
    tool = str(form.get("tool") or "") or None
    try:
        with uow(request) as s:
            result = genai.screen(s, actor, text, tool, settings_of(request))
    except RaigovError as exc:
        kept = "" if exc.status == 413 else text  # an oversize prompt is not echoed back (nor cut)
        return _page(request, {"errors": field_errors(exc), "text": kept, "tool": tool or ""}, exc.status)
    return _page(request, {"result": result, "tool": tool or ""})
