"""JSON API of the GenAI prompt guard: screen a prompt for a tool, list the tools (the tool catalog's). Thin:
the rules are in raigov.genai.guard and the audit in raigov.genai.service."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from raigov.clock import agency_today
from raigov.genai import service as genai
from raigov.identity.permissions import Actor
from raigov.web.api.v1 import ERRORS
from raigov.web.deps import api_actor, may, settings_of, uow

router = APIRouter(prefix="/api/v1/genai", tags=["genai"])
ActorDep = Annotated[Actor, Depends(api_actor)]


class ScreenIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    text: str = Field(description="the prompt (refused over the configured size, never truncated)")
    tool: str | None = Field(default=None, max_length=100,
                             description="the tool's id (GET /api/v1/genai/tools); none: the strictest class, public")


class FindingOut(BaseModel):
    type: str
    start: int = Field(description="code point offset, inclusive")
    end: int = Field(description="code point offset, exclusive")
    rule: str
    confidence: float


class ReasonOut(BaseModel):
    type: str
    count: int
    action: Literal["allow", "redact", "block"]


class ScreenOut(BaseModel):
    decision: Literal["allow", "redact", "block"]
    findings: list[FindingOut]
    redacted: str = Field(description="the text with every finding the policy redacts or blocks replaced by [TYPE]")
    tool: str | None
    data_class: str
    reasons: list[ReasonOut] = Field(description="each type found, how often, and the action the policy gives it")
    policy_version: int


class ToolOut(BaseModel):
    id: str
    name: str
    data_class: str
    state: str | None = Field(default=None, description="approved, conditional or revoked today (the catalog's)")


@router.post("/screen", response_model=ScreenOut, responses=ERRORS, dependencies=[may("genai.prompt.screen")],
             summary="Screen a prompt with the data guard: allow, redact or block, with the findings")
def screen(request: Request, body: ScreenIn, actor: ActorDep):
    with uow(request) as s:
        return genai.screen(s, actor, body.text, body.tool, settings_of(request))


@router.get("/tools", response_model=list[ToolOut], responses=ERRORS, dependencies=[may("genai.prompt.screen")],
            summary="The tools a prompt may be screened for (the catalog's), with the data class each is cleared for")
def tools(request: Request, actor: ActorDep):
    with uow(request, read=True) as s:
        return genai.list_tools(s, agency_today(settings_of(request)))
