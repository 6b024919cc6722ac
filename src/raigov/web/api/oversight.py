"""JSON API of the decision ledger (docs/oversight.md): operational systems record AI-assisted decisions, one or
a batch; readers get a decision, its proof and a use case's statistics; the operator roster; FR opt-outs.
Thin: every rule is in raigov.oversight.service. Bodies are read as they came (async), then validated and
recorded in the thread pool (so that the event loop never waits on the database), after the permission check
of the route (``may``)."""

from __future__ import annotations

import datetime as dt
import functools
import logging
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from raigov.errors import AuthenticationFailed, PermissionDenied, problem_type
from raigov.identity.permissions import Actor, require
from raigov.oversight import service as oversight
from raigov.oversight.combine import Combiner
from raigov.oversight.schemas import BatchIn, DecisionIn, OperatorIn, OptOutIn
from raigov.web.api.v1 import ERRORS, parse_body
from raigov.web.deps import actor_of_token, api_actor, bearer, bearer_token, may, note_token_use, settings_of, uow
from raigov.web.errors import PROBLEM_JSON
from raigov.web.params import INT64_MAX
from raigov.web.uploads import upload_limit

log = logging.getLogger(__name__)
router = APIRouter(prefix="/api/v1")
ActorDep = Annotated[Actor, Depends(api_actor)]
DecisionPk = Annotated[int, Path(ge=1, le=INT64_MAX, description="a decision's ledger id")]
Limit = Annotated[int, Query(ge=1, le=500)]
Before = Annotated[int | None, Query(ge=1, le=INT64_MAX, description="only decisions with a smaller id (next page)")]
SUBJECT_HEADER = "X-Raigov-Subject"


def _body(model) -> dict:
    return {"requestBody": {"required": True, "content": {"application/json": {"schema": model.model_json_schema()}}}}


def _refused(request: Request, result: oversight.LedgerResult, batch: bool) -> JSONResponse:
    first = result.refusals[0]
    n = len(result.refusals)
    detail = (f"{n} decision(s) refused: nothing was recorded; first: row {first['index']}, {first['code']}"
              if batch else f"{first['code']}: {first['refusals'][0]['message']}")
    body = {"type": problem_type("decision-refused"), "title": "The decision is refused by a decision rule",
            "status": 422, "detail": detail, "instance": request.url.path,
            "code": first["code"], "citation": first["citation"]}
    if batch:
        body["errors"] = [{"field": f"decisions.{r['index']}", "message": r["refusals"][0]["message"], "code": r["code"]}
                          for r in result.refusals[:100]]
        body["refused"] = result.refusals[:1000]
    else:
        body["refusals"] = first["refusals"]
    return JSONResponse(body, status_code=422, media_type=PROBLEM_JSON)


def _answer(request: Request, result: oversight.LedgerResult, batch: bool) -> JSONResponse:
    if result.refusals:
        return _refused(request, result, batch)
    status = 201 if result.created else 200
    if not batch:
        return JSONResponse({**result.rows[0], "batch_seq": result.batch_seq}, status_code=status)
    return JSONResponse({"created": result.created, "existing": len(result.rows) - result.created,
                         "batch_seq": result.batch_seq, "merkle_root": result.merkle_root, "decisions": result.rows},
                        status_code=status)


def _record_batch(request: Request, actor: Actor, raw: bytes) -> JSONResponse:
    """A batch, recorded and its answer encoded in the thread pool (up to 10,000 rows: not on the event loop)."""
    with uow(request) as s:
        decisions = oversight.parse_batch(raw)
        settings = settings_of(request)
        key = oversight.load_key(settings.ensure_data_dir())
        result = oversight.record_decisions(s, actor, key, decisions, batch=True,
                                            gate_ttl=settings.oversight_gate_cache_seconds, final=True)
    return _answer(request, result, batch=True)


_COMBINER = Combiner()


def _alone(request: Request, token: str, raw: bytes) -> oversight.LedgerResult:
    """One decision in a transaction of its own: the token resolved (401 and 403 before the body is validated, as
    ``ActorDep`` and ``may`` give), the body validated, the decision recorded or refused."""
    with uow(request) as s:
        actor = actor_of_token(s, token)
        require(actor, "oversight.decision.record")
        decisions = [oversight.parse_decision(raw)]
        settings = settings_of(request)
        key = oversight.load_key(settings.ensure_data_dir())
        return oversight.record_decisions(s, actor, key, decisions, batch=False,
                                          gate_ttl=settings.oversight_gate_cache_seconds, final=True)


def _outcome(fn, *args):
    try:
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - the request it belongs to raises it (its error handler answers)
        return exc


def _combined(request: Request, token: str, raws: list[bytes]) -> list:
    """The outcomes of single decisions sent with one token at the same time (oversight/combine.py): recorded as one
    batch when each is answered as it would be alone (``oversight.record_group``), otherwise each alone. A bad token
    is every request's answer. The token's use is noted once a group, after its transaction (as ``api_actor``
    does), when the token was good; a failure to note it changes no answer."""
    if len(raws) == 1:
        out = [_outcome(_alone, request, token, raws[0])]
    else:
        try:
            with uow(request) as s:
                actor = actor_of_token(s, token)
                require(actor, "oversight.decision.record")
                settings = settings_of(request)
                out = oversight.record_group(s, actor, oversight.load_key(settings.ensure_data_dir()), raws,
                                             gate_ttl=settings.oversight_gate_cache_seconds, final=True)
        except (AuthenticationFailed, PermissionDenied):
            raise  # the same token: every request of the group gets the same answer
        except Exception:  # noqa: BLE001 - a refusal, a 409, a row an error names, a busy database: each alone
            out = [_outcome(_alone, request, token, raw) for raw in raws]
    if not isinstance(out[0], AuthenticationFailed | PermissionDenied):
        try:
            note_token_use(request, token)
        except Exception:  # noqa: BLE001 - best effort: the group's decisions are recorded, their answers stand
            log.warning("the last use of an API token was not noted", exc_info=True)
    return out


@router.post("/decisions", tags=["oversight"], responses=ERRORS, dependencies=[Depends(bearer)],
             status_code=201, openapi_extra=_body(DecisionIn),
             summary="Record one AI-assisted decision (201; 200 when the same key and body were recorded before)")
async def record_decision(request: Request):
    """409 when the decision_id was recorded before with another body; 422 problem+json with `code` and
    `citation` when a decision rule refuses it (the refused attempt is recorded, the decision is not)."""
    # the hot path of an operational system: requests of one token that come while one of theirs is being written
    # wait on the event loop and are written together (one hop to the thread pool and one transaction a group,
    # the token resolved in it with the same 401 and 403 as ActorDep and ``may`` give, before the bodies are
    # validated); each gets its own answer
    raw = await request.body()
    token = bearer_token(request)
    result = await _COMBINER.submit(token, raw, functools.partial(_combined, request, token), run_in_threadpool,
                                    max_group=settings_of(request).oversight_group_max)
    return _answer(request, result, batch=False)


@router.post("/decisions/batch", tags=["oversight"], responses=ERRORS, status_code=201, openapi_extra=_body(BatchIn),
             dependencies=[may("oversight.decision.record"), upload_limit("oversight_batch_limit_bytes")],
             summary="Record up to 10,000 decisions, all or nothing")
async def record_batch(request: Request, actor: ActorDep):
    """`{"decisions": [...]}`. Errors name the row (`decisions.<i>.<field>`); more than 10,000 is 413; when a rule
    refuses any row nothing but the refused attempts is recorded (422 with `refused`)."""
    return await run_in_threadpool(_record_batch, request, actor, await request.body())


@router.get("/decisions/{decision_id}", tags=["oversight"], responses=ERRORS, summary="One decision of the ledger")
def get_decision(request: Request, actor: ActorDep, decision_id: DecisionPk):
    with uow(request) as s:
        d, uc = oversight.get_decision(s, actor, decision_id)
        return oversight.decision_out(d, uc.business_id)


@router.get("/decisions/{decision_id}/proof", tags=["oversight"], responses=ERRORS,
            summary="decision -> batch Merkle root -> audit event -> signed tree head, each step checked")
def decision_proof(request: Request, actor: ActorDep, decision_id: DecisionPk):
    with uow(request) as s:
        return oversight.prove(s, actor, decision_id)


@router.get("/use-cases/{business_id}/decisions", tags=["oversight"], responses=ERRORS,
            summary="A use case's decisions, newest first")
def use_case_decisions(request: Request, actor: ActorDep, business_id: str, limit: Limit = 50, before: Before = None):
    with uow(request) as s:
        return oversight.list_decisions(s, actor, business_id, limit=limit, before=before)


@router.get("/use-cases/{business_id}/decision-stats", tags=["oversight"], responses=ERRORS,
            summary="Counts by kind, human action, outcome and day (from the daily counts)")
def use_case_stats(request: Request, actor: ActorDep, business_id: str, since: dt.date | None = None,
                   until: dt.date | None = None):
    with uow(request) as s:
        return oversight.stats(s, actor, business_id, since, until)


@router.get("/use-cases/{business_id}/oversight/trends", tags=["oversight"], responses=ERRORS,
            summary="Oversight signals per agency day or week (from the daily and remedy counts)")
def use_case_trends(request: Request, actor: ActorDep, business_id: str,
                    since: Annotated[str | None, Query(description="first agency day, YYYY-MM-DD")] = None,
                    until: Annotated[str | None, Query(description="last agency day, YYYY-MM-DD; default today")] = None,
                    bucket: Annotated[str | None, Query(description="day (default) or week")] = None,
                    operator: Annotated[str | None, Query(max_length=200,
                                                          description="one reviewer's user name: only their series "
                                                          "in `operators`")] = None):
    with uow(request) as s:
        return oversight.trends(s, actor, business_id, since, until, bucket, operator=operator)


def _operator_out(o) -> dict:
    return {"username": o.username, "trained_on": o.trained_on, "expires_on": o.expires_on,
            "recorded_by": o.recorded_by, "recorded_at": o.recorded_at}


@router.get("/use-cases/{business_id}/operators", tags=["oversight"], responses=ERRORS,
            summary="The use case's operator roster")
def operators(request: Request, actor: ActorDep, business_id: str):
    with uow(request) as s:
        return [_operator_out(o) for o in oversight.operators(s, actor, business_id)]


@router.post("/use-cases/{business_id}/operators", tags=["oversight"], responses=ERRORS,
             dependencies=[may("oversight.operator.manage")], openapi_extra=_body(OperatorIn),
             summary="Put a person on the roster, or renew their training")
async def record_operator(request: Request, actor: ActorDep, business_id: str):
    raw = await request.body()

    def work():
        with uow(request) as s:
            body = parse_body(OperatorIn, raw)
            return _operator_out(oversight.record_operator(s, actor, business_id, body.username, body.trained_on,
                                                           body.expires_on))

    return await run_in_threadpool(work)


@router.delete("/use-cases/{business_id}/operators/{username}", tags=["oversight"], responses=ERRORS, status_code=204,
               dependencies=[may("oversight.operator.manage")], summary="Take a person off the roster")
def remove_operator(request: Request, actor: ActorDep, business_id: str, username: str):
    with uow(request) as s:
        oversight.remove_operator(s, actor, business_id, username)
    return JSONResponse(None, status_code=204)


@router.post("/use-cases/{business_id}/opt-outs", tags=["oversight"], responses=ERRORS, status_code=201,
             dependencies=[may("oversight.opt_out.record")], openapi_extra=_body(OptOutIn),
             summary="Record a U.S. citizen's opt-out of this face-recognition use (201; 200 if recorded before)")
async def record_opt_out(request: Request, actor: ActorDep, business_id: str):
    raw = await request.body()

    def work():
        with uow(request) as s:
            body = parse_body(OptOutIn, raw)
            return oversight.record_opt_out(s, actor, oversight.load_key(settings_of(request).ensure_data_dir()),
                                            business_id, body.subject)

    new = await run_in_threadpool(work)
    return JSONResponse({"recorded": True}, status_code=201 if new else 200)


@router.get("/use-cases/{business_id}/opt-outs/check", tags=["oversight"], responses=ERRORS,
            summary="Did this subject opt out of this use? (the identifier in the X-Raigov-Subject header)")
def check_opt_out(request: Request, actor: ActorDep, business_id: str,
                  x_raigov_subject: Annotated[str, Header(min_length=1, max_length=500,
                                                          description="the subject's identifier")]):
    """Answers `{"opted_out": true|false}` and nothing else. The identifier travels in a header, not the URL, so
    that it stays out of access logs."""
    with uow(request) as s:
        return {"opted_out": oversight.check_opt_out(s, actor, oversight.load_key(settings_of(request).ensure_data_dir()),
                                                     business_id, x_raigov_subject)}
