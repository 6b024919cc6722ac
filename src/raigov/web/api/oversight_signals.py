"""The oversight settings a review sets (authorized scale, protected characteristics among the model's inputs and
their CRCL justification) and the oversight alerts (docs/oversight.md §8)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from raigov.identity.permissions import Actor
from raigov.oversight import service as oversight
from raigov.web.api.v1 import ERRORS, parse_body
from raigov.web.deps import api_actor, may, uow

router = APIRouter(prefix="/api/v1")
ActorDep = Annotated[Actor, Depends(api_actor)]


class ScaleIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    authorized_scale: int | None = Field(ge=1, le=1_000_000_000, description="distinct subjects per agency day; null clears it")


class ProtectedIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    characteristics: list[str] = Field(max_length=50, description="keys of oversight/signals.yaml; [] for none")


class JustificationIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    justification: str = Field(min_length=1, max_length=10_000)


def _body(model) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


@router.get("/use-cases/{business_id}/oversight-settings", tags=["oversight"], responses=ERRORS,
            summary="The use case's authorized scale and declared protected characteristics")
def get_settings(request: Request, actor: ActorDep, business_id: str):
    with uow(request) as s:
        return oversight.get_settings(s, actor, business_id)


@router.put("/use-cases/{business_id}/oversight-settings/scale", tags=["oversight"], responses=ERRORS,
            dependencies=[may("oversight.scale.set")], openapi_extra=_body(ScaleIn),
            summary="Set the authorized scale (distinct subjects per day; more opens a scale alert)")
async def set_scale(request: Request, actor: ActorDep, business_id: str):
    raw = await request.body()

    def work():
        with uow(request) as s:
            return oversight.set_scale(s, actor, business_id, parse_body(ScaleIn, raw).authorized_scale)

    return await run_in_threadpool(work)


@router.put("/use-cases/{business_id}/oversight-settings/protected-inputs", tags=["oversight"], responses=ERRORS,
            dependencies=[may("oversight.protected.declare")], openapi_extra=_body(ProtectedIn),
            summary="Declare the protected characteristics the model takes as inputs")
async def declare_protected(request: Request, actor: ActorDep, business_id: str):
    raw = await request.body()

    def work():
        with uow(request) as s:
            return oversight.declare_protected(s, actor, business_id, parse_body(ProtectedIn, raw).characteristics)

    return await run_in_threadpool(work)


@router.post("/use-cases/{business_id}/oversight-settings/justification", tags=["oversight"], responses=ERRORS,
             dependencies=[may("oversight.protected.justify")], openapi_extra=_body(JustificationIn),
             summary="CRCL: approve the justification for the declared protected characteristics")
async def justify_protected(request: Request, actor: ActorDep, business_id: str):
    raw = await request.body()

    def work():
        with uow(request) as s:
            return oversight.justify_protected(s, actor, business_id, parse_body(JustificationIn, raw).justification)

    return await run_in_threadpool(work)


@router.get("/oversight/alerts", tags=["oversight"], responses=ERRORS,
            dependencies=[may("oversight.decision.read")], summary="Oversight alerts in your scope, newest first")
def alerts(request: Request, actor: ActorDep, use_case: str | None = None, open_only: bool = False):
    with uow(request) as s:
        return oversight.visible_alerts(s, actor, use_case, open_only=open_only)
