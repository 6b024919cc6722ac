"""The GenAI access pages (docs/genai.md, "Access"): /genai/tools (my tools, and asking for one),
/genai/rules (the rules of behavior; acknowledging re-enters the password), /genai/requests (the supervisor:
requests to decide, grants to re-attest), /genai/grants (the CAIO's office: every grant by tool and component,
and the catalog's states). Thin: raigov.genai.access, .catalog and .rules."""

from __future__ import annotations

import datetime as dt

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from raigov.clock import agency_today
from raigov.errors import RaigovError, ValidationFailed
from raigov.genai import access, catalog, rules
from raigov.identity import service as identity
from raigov.identity.permissions import can, require
from raigov.identity.roles import ORG_UNITS
from raigov.web import flash
from raigov.web.deps import CSRF_FIELD, check_csrf, client_ip, require_page_actor, settings_of, uow
from raigov.web.pages.forms import field_errors
from raigov.web.params import RowId
from raigov.web.templating import render

router = APIRouter(prefix="/genai", include_in_schema=False)
flash.register({"genai.requested": "Request sent to your supervisor.", "genai.acknowledged": "Rules of behavior acknowledged.",
                "genai.approved": "Request approved: the grant runs a year.", "genai.declined": "Request declined.",
                "genai.renewed": "Grant renewed for a year.", "genai.state_changed": "The tool's state is changed."})
CLASS_WORDS = {"public": "publicly available information only",
               "internal": "Department data, including PII and CUI (never classified)"}


def _today(request: Request) -> dt.date:
    return agency_today(settings_of(request))


def _may(actor) -> dict:
    return {"grants": can(actor, "genai.grant.read"), "manage": can(actor, "genai.tool.manage"),
            "acknowledge": can(actor, "genai.rules.acknowledge"),
            "request": can(actor, "genai.access.request"), "approve": can(actor, "genai.access.approve"),
            "screen": can(actor, "genai.prompt.screen")}


async def _form(request: Request) -> dict:
    form = await request.form()
    check_csrf(request, form.get(CSRF_FIELD))
    return {k: str(v) for k, v in form.items() if k != CSRF_FIELD}


def _tools(request: Request, actor, extra: dict | None = None, status: int = 200):
    with uow(request, read=True) as s:
        tools = access.my_tools(s, actor, _today(request))
    ctx = {"tools": tools, "errors": {}, "form_tool": "", "form_purpose": "", "may": _may(actor),
           "class_words": CLASS_WORDS, "flash": flash.banner(request)}
    ctx.update(extra or {})
    return render(request, "genai/tools.html", ctx, status)


@router.get("/tools")
def tools_page(request: Request):
    actor = require_page_actor(request)
    if not can(actor, "genai.grant.read"):  # the CAIO's office and auditors read the catalog here too
        require(actor, "genai.access.request")
    return _tools(request, actor)


@router.post("/requests")
async def ask(request: Request):
    actor = require_page_actor(request)
    form = await _form(request)
    try:
        with uow(request) as s:
            access.request_access(s, actor, form.get("tool", ""), form.get("purpose", ""), _today(request))
    except RaigovError as exc:
        return _tools(request, actor, {"errors": field_errors(exc), "form_tool": form.get("tool", ""),
                                       "form_purpose": form.get("purpose", "")}, exc.status)
    return RedirectResponse(flash.done_url("/genai/tools", "genai.requested"), status_code=303)


def _rules(request: Request, actor, extra: dict | None = None, status: int = 200):
    with uow(request, read=True) as s:
        cur = rules.current_rules(s)
        mine = rules.acknowledged_version(s, actor.user_id) if actor.user_id else None
        ctx = {"rules": cur, "mine": mine, "errors": {}, "may": _may(actor), "flash": flash.banner(request)}
        ctx.update(extra or {})
        return render(request, "genai/rules.html", ctx, status)


@router.get("/rules")
def rules_page(request: Request):
    return _rules(request, require_page_actor(request))


@router.post("/rules/acknowledge")
async def acknowledge(request: Request):
    """The signature: the person types their password again (as for a risk acceptance)."""
    actor = require_page_actor(request)
    form = await _form(request)
    try:
        with uow(request) as s:
            identity.authenticate_password(s, actor.username, form.get("password", ""), settings_of(request),
                                           client_ip(request))
    except RaigovError:
        err = ValidationFailed.one("password", "the password did not match: nothing was acknowledged")
        return _rules(request, actor, {"errors": field_errors(err)}, 422)
    try:
        version = int(form.get("version") or 0)
        with uow(request) as s:
            rules.acknowledge(s, actor, version)
    except (RaigovError, ValueError) as exc:
        err = exc if isinstance(exc, RaigovError) else ValidationFailed.one("version", "not a version number")
        return _rules(request, actor, {"errors": field_errors(err)}, getattr(err, "status", 422))
    return RedirectResponse(flash.done_url("/genai/rules", "genai.acknowledged"), status_code=303)


def _requests(request: Request, actor, extra: dict | None = None, status: int = 200):
    with uow(request, read=True) as s:
        today = _today(request)
        ctx = {"waiting": access.waiting_for(s, actor, today), "grants": access.reports_grants(s, actor, today),
               "errors": {}, "failed": None, "may": _may(actor), "flash": flash.banner(request)}
    ctx.update(extra or {})
    return render(request, "genai/requests.html", ctx, status)


@router.get("/requests")
def requests_page(request: Request):
    actor = require_page_actor(request)
    require(actor, "genai.access.approve")
    return _requests(request, actor)


@router.post("/requests/{request_id}/decide")
async def decide(request: Request, request_id: RowId):
    actor = require_page_actor(request)
    form = await _form(request)
    approve = form.get("decision") == "approve"
    try:
        with uow(request) as s:
            access.decide(s, actor, request_id, approve, form.get("note", ""), _today(request))
    except RaigovError as exc:
        errors = {"request": "; ".join(e.message for e in exc.errors) or exc.detail}
        return _requests(request, actor, {"errors": errors, "failed": request_id}, exc.status)
    return RedirectResponse(flash.done_url("/genai/requests", "genai.approved" if approve else "genai.declined"),
                            status_code=303)


@router.post("/grants/{grant_id}/renew")
async def renew(request: Request, grant_id: RowId):
    actor = require_page_actor(request)
    await _form(request)
    try:
        with uow(request) as s:
            access.renew(s, actor, grant_id, _today(request))
    except RaigovError as exc:
        return _requests(request, actor, {"errors": {"form": exc.detail}}, exc.status)
    return RedirectResponse(flash.done_url("/genai/requests", "genai.renewed"), status_code=303)


def _grants(request: Request, actor, extra: dict | None = None, status: int = 200):
    tool = request.query_params.get("tool") or None
    component = request.query_params.get("component") or None
    today = _today(request)
    with uow(request, read=True) as s:
        tools = catalog.list_tools(s, today)
        if tool not in {t["id"] for t in tools}:
            tool = None
        grants = access.all_grants(s, actor, today, tool, component)
    ctx = {"grants": grants, "tools": tools, "tool": tool, "component": component, "errors": {}, "form": {},
           "components": [code for code, _, kind, _ in ORG_UNITS if kind != "department"], "may": _may(actor),
           "class_words": CLASS_WORDS, "state_words": catalog.STATE_WORDS, "flash": flash.banner(request)}
    ctx.update(extra or {})
    return render(request, "genai/grants.html", ctx, status)


@router.get("/grants")
def grants_page(request: Request):
    actor = require_page_actor(request)
    require(actor, "genai.grant.read")
    return _grants(request, actor)


@router.post("/catalog/state")
async def change_state(request: Request):
    actor = require_page_actor(request)
    form = await _form(request)
    today = _today(request)
    try:
        raw = form.get("effective_on", "").strip()
        try:
            day = dt.date.fromisoformat(raw) if raw else today
        except ValueError:
            raise ValidationFailed.one("effective_on", "give the date as YYYY-MM-DD") from None
        with uow(request) as s:
            catalog.set_state(s, actor, form.get("tool", ""), form.get("state", ""), day, form.get("reason", ""), today,
                              settings_of(request).base_url)
    except RaigovError as exc:
        return _grants(request, actor, {"errors": field_errors(exc), "form": form}, exc.status)
    return RedirectResponse(flash.done_url("/genai/grants", "genai.state_changed"), status_code=303)
