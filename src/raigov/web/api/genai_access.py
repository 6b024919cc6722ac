"""JSON API of the GenAI tool catalog, rules of behavior, access requests and grants (docs/genai.md). Thin: the
rules are in raigov.genai.catalog, .rules and .access. Acknowledging the rules re-checks the password (as a risk
acceptance does) before anything is recorded."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request
from pydantic import BaseModel, ConfigDict, Field

from raigov.clock import agency_today
from raigov.errors import RaigovError, ValidationFailed
from raigov.genai import access, catalog, rules
from raigov.identity import service as identity
from raigov.identity.permissions import Actor
from raigov.web.api.v1 import ERRORS
from raigov.web.deps import api_actor, client_ip, may, settings_of, uow
from raigov.web.params import RowId

router = APIRouter(prefix="/api/v1/genai", tags=["genai"])
ActorDep = Annotated[Actor, Depends(api_actor)]


def _today(request: Request) -> dt.date:
    return agency_today(settings_of(request))


class ToolIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str = Field(max_length=40)
    name: str = Field(max_length=200)
    data_class: str = Field(max_length=40, description="a data class of the guard's policy: public or internal")
    tos_amendment: str = Field(default="", max_length=20000)
    courses: list[str] = Field(default_factory=list, max_length=20)
    rules_version: int | None = Field(default=None, ge=1)
    upstream_url: str | None = Field(default=None, max_length=500)
    state: Literal["approved", "conditional", "revoked"] = "approved"
    conditions: str = Field(default="", max_length=5000)


class StateIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    state: Literal["approved", "conditional", "revoked"]
    effective_on: dt.date | None = Field(default=None, description="default: today")
    reason: str = Field(default="", max_length=5000)


class RulesIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str = Field(max_length=200)
    text: str = Field(max_length=rules.MAX_TEXT)


class AckIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    version: int = Field(ge=1)
    password: str = Field(max_length=1000, description="the person's password, re-entered to sign")


class RequestIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    tool: str = Field(max_length=40)
    purpose: str = Field(max_length=access.MAX_PURPOSE)


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approve", "decline"]
    note: str = Field(default="", max_length=2000)


@router.get("/catalog", responses=ERRORS, summary="The tool catalog: each tool, its state today and its history")
def list_catalog(request: Request, actor: ActorDep):
    with uow(request, read=True) as s:
        return catalog.list_tools(s, _today(request))


@router.post("/catalog", status_code=201, responses=ERRORS, dependencies=[may("genai.tool.manage")],
             summary="Add a tool to the catalog (the CAIO's office)")
def create_tool(request: Request, body: ToolIn, actor: ActorDep):
    today = _today(request)
    with uow(request) as s:
        t = catalog.create_tool(s, actor, body.id, body.name, body.data_class, today=today,
                                tos_amendment=body.tos_amendment, course_ids=body.courses,
                                rules_version=body.rules_version, upstream_url=body.upstream_url, state=body.state,
                                conditions=body.conditions)
        return catalog.tool_out(t, today)


@router.post("/catalog/{tool}/state", responses=ERRORS, dependencies=[may("genai.tool.manage")],
             summary="Change a tool's state from a date; revoking suspends every grant and notifies the holders")
def set_state(request: Request, tool: str, body: StateIn, actor: ActorDep):
    today = _today(request)
    with uow(request) as s:
        return catalog.set_state(s, actor, tool, body.state, body.effective_on or today, body.reason, today,
                                 settings_of(request).base_url)


@router.get("/rules", responses=ERRORS, summary="The current rules of behavior, and the version you acknowledged")
def current(request: Request, actor: ActorDep):
    with uow(request, read=True) as s:
        cur = rules.current_rules(s)
        mine = rules.acknowledged_version(s, actor.user_id) if actor.user_id else None
        return {"version": cur.version if cur else None, "title": cur.title if cur else None,
                "text": cur.text if cur else None, "published_at": cur.published_at if cur else None,
                "acknowledged_version": mine}


@router.post("/rules", status_code=201, responses=ERRORS, dependencies=[may("genai.rules.publish")],
             summary="Publish a new version of the rules of behavior (everybody acknowledges it again)")
def publish(request: Request, body: RulesIn, actor: ActorDep):
    with uow(request) as s:
        r = rules.publish_rules(s, actor, body.title, body.text)
        return {"version": r.version, "title": r.title}


@router.post("/rules/acknowledge", status_code=201, responses=ERRORS, dependencies=[may("genai.rules.acknowledge")],
             summary="Acknowledge the current rules of behavior, re-entering your password")
def acknowledge(request: Request, body: AckIn, actor: ActorDep):
    failed = None
    with uow(request) as s:  # a failed attempt is kept (throttle), so the error is raised after the commit
        try:
            identity.authenticate_password(s, actor.username, body.password, settings_of(request), client_ip(request))
        except RaigovError:
            failed = ValidationFailed.one("password", "the password did not match: nothing was acknowledged")
    if failed is not None:
        raise failed
    with uow(request) as s:
        row = rules.acknowledge(s, actor, body.version)
        return {"version": row.version, "acknowledged_at": row.acknowledged_at}


@router.get("/my-tools", responses=ERRORS, dependencies=[may("genai.access.request")],
            summary="Every tool with your grant, your latest request and what stands before a grant")
def my_tools(request: Request, actor: ActorDep):
    with uow(request, read=True) as s:
        return access.my_tools(s, actor, _today(request))


@router.post("/requests", status_code=201, responses=ERRORS, dependencies=[may("genai.access.request")],
             summary="Ask for a tool with a purpose; your supervisor decides")
def ask(request: Request, body: RequestIn, actor: ActorDep):
    with uow(request) as s:
        r = access.request_access(s, actor, body.tool, body.purpose, _today(request))
        return {"id": r.id, "status": r.status}


@router.get("/requests/waiting", responses=ERRORS, dependencies=[may("genai.access.approve")],
            summary="The requests waiting for your decision (you are the requester's supervisor)")
def waiting(request: Request, actor: ActorDep):
    with uow(request, read=True) as s:
        return access.waiting_for(s, actor, _today(request))


@router.post("/requests/{request_id}/decision", responses=ERRORS, dependencies=[may("genai.access.approve")],
             summary="Approve (a grant for a year) or decline a request; approving needs the prerequisites met")
def decide(request: Request, request_id: RowId, body: DecisionIn, actor: ActorDep):
    with uow(request) as s:
        r = access.decide(s, actor, request_id, body.decision == "approve", body.note, _today(request))
        return {"id": r.id, "status": r.status}


@router.post("/grants/{grant_id}/renew", responses=ERRORS, dependencies=[may("genai.access.approve")],
             summary="The yearly re-attestation of a grant by the holder's supervisor")
def renew(request: Request, grant_id: RowId, actor: ActorDep):
    with uow(request) as s:
        g = access.renew(s, actor, grant_id, _today(request))
        return {"id": g.id, "status": g.status, "expires_on": g.expires_on}


@router.get("/grants", responses=ERRORS, dependencies=[may("genai.grant.read")],
            summary="Every grant you may read, with whether it is usable today and why not")
def grants(request: Request, actor: ActorDep, tool: Annotated[str | None, Query(max_length=40)] = None,
           component: Annotated[str | None, Query(max_length=20)] = None):
    with uow(request, read=True) as s:
        return access.all_grants(s, actor, _today(request), tool, component)
