"""JSON API of appeals and notices (docs/oversight.md §8, §9): an operational system (or staff) files an appeal
against a recorded decision; the component's appeals officers list and decide appeals; a use case's
plain-language notice is read (by its systems too) and written by its owner or AI lead. Thin: the rules are in
raigov.oversight (appeals.py, notices.py)."""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.encoders import jsonable_encoder
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from raigov.identity.permissions import Actor
from raigov.oversight import service as oversight
from raigov.oversight.appeals import appeal_view
from raigov.oversight.remedy_schemas import AppealDecisionIn, AppealIn, UseCaseNoticeIn
from raigov.web.api.v1 import ERRORS, parse_body
from raigov.web.deps import api_actor, may, uow
from raigov.web.params import INT64_MAX, RowId

router = APIRouter(prefix="/api/v1")
ActorDep = Annotated[Actor, Depends(api_actor)]
DecisionPk = Annotated[int, Path(ge=1, le=INT64_MAX, description="a decision's ledger id")]
Status = Annotated[Literal["open", "decided", "all"], Query(description="open (by due date), decided, or all")]


def _body(model) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


@router.post("/decisions/{decision_id}/appeals", tags=["oversight"], responses=ERRORS, status_code=201,
             dependencies=[may("oversight.appeal.file")], openapi_extra=_body(AppealIn),
             summary="File an appeal against a recorded decision (201; 200 when the same filer sent the same grounds)")
async def file_appeal(request: Request, actor: ActorDep, decision_id: DecisionPk):
    """It goes to the appeals officers of the use case's component, due in the clock's days (remedies.yaml). 409
    when the decision already has an open appeal filed by someone else or with other grounds."""
    raw = await request.body()

    def work():
        with uow(request) as s:
            body = parse_body(AppealIn, raw)
            a, new = oversight.file_appeal(s, actor, decision_id, body.grounds)
            return appeal_view(s, a), new

    out, new = await run_in_threadpool(work)
    return JSONResponse(jsonable_encoder(out), status_code=201 if new else 200)


@router.get("/appeals", tags=["oversight"], responses=ERRORS, summary="The appeals you may read (open: by due date)")
def list_appeals(request: Request, actor: ActorDep, status: Status = "open"):
    with uow(request) as s:
        return oversight.list_appeals(s, actor, status)


@router.get("/appeals/{appeal_id}", tags=["oversight"], responses=ERRORS, summary="One appeal and the decision it contests")
def get_appeal(request: Request, actor: ActorDep, appeal_id: RowId):
    with uow(request) as s:
        return oversight.get_appeal(s, actor, appeal_id)


@router.post("/appeals/{appeal_id}/decision", tags=["oversight"], responses=ERRORS,
             dependencies=[may("oversight.appeal.decide")], openapi_extra=_body(AppealDecisionIn),
             summary="Decide an open appeal: upheld, modified or reversed, with a rationale")
async def decide_appeal(request: Request, actor: ActorDep, appeal_id: RowId):
    raw = await request.body()

    def work():
        with uow(request) as s:
            body = parse_body(AppealDecisionIn, raw)
            oversight.decide_appeal(s, actor, appeal_id, body.outcome, body.rationale)
            return oversight.get_appeal(s, actor, appeal_id)

    return await run_in_threadpool(work)


@router.get("/use-cases/{business_id}/notice", tags=["oversight"], responses=ERRORS,
            summary="The use case's plain-language notice (what the AI does, human review, appeal, opt-out)")
def get_notice(request: Request, actor: ActorDep, business_id: str):
    with uow(request) as s:
        return oversight.get_notice(s, actor, business_id)


@router.put("/use-cases/{business_id}/notice", tags=["oversight"], responses=ERRORS,
            dependencies=[may("oversight.notice.manage")], openapi_extra=_body(UseCaseNoticeIn),
            summary="Write or rewrite the use case's plain-language notice")
async def put_notice(request: Request, actor: ActorDep, business_id: str):
    raw = await request.body()

    def work():
        with uow(request) as s:
            return oversight.set_notice(s, actor, business_id, parse_body(UseCaseNoticeIn, raw))

    return await run_in_threadpool(work)
