"""JSON API, version 1. Bearer tokens only; errors are RFC 9457 problem+json (web/errors.py)."""

from __future__ import annotations

import re
from typing import Annotated

from fastapi import APIRouter, Depends, Header, Path, Query, Request, Response
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from raigov.audit import service as audit
from raigov.errors import FieldError, ValidationFailed
from raigov.identity import service as identity
from raigov.identity.permissions import Actor, require
from raigov.identity.roles import ROLES
from raigov.identity.schemas import (
    GrantDecline,
    PendingGrantOut,
    RoleGrantIn,
    RoleName,
    TokenCreate,
    TokenCreated,
    TokenOut,
    UserCreate,
    UserOut,
)
from raigov.inventory import service as inventory
from raigov.web.deps import api_actor, may, settings_of, uow
from raigov.web.params import Offset, OptTreeSize, PageNo, RowId, Seq, TreeSize

router = APIRouter(prefix="/api/v1")
ActorDep = Annotated[Actor, Depends(api_actor)]

PROBLEM = {"model": dict, "content": {"application/problem+json": {}}, "description": "RFC 9457 problem details"}
ERRORS = {400: PROBLEM, 401: PROBLEM, 403: PROBLEM, 404: PROBLEM, 409: PROBLEM, 413: PROBLEM, 422: PROBLEM}


class MyRole(BaseModel):
    """A role the caller holds now (pending grants give nothing and are not listed)."""

    role: RoleName
    component: str | None


class Me(BaseModel):
    username: str
    kind: str
    roles: list[MyRole]


class OrgUnitOut(BaseModel):
    code: str
    name: str
    kind: str
    parent: str | None


@router.get("/me", response_model=Me, tags=["identity"], responses=ERRORS)
def me(actor: ActorDep):
    return Me(username=actor.username, kind=actor.kind, roles=[{"role": g.role, "component": g.org_unit} for g in actor.grants])


@router.get("/org-units", response_model=list[OrgUnitOut], tags=["identity"], responses=ERRORS)
def org_units(request: Request, actor: ActorDep):
    with uow(request) as s:
        units = identity.org_units(s)
        by_id = {u.id: u.code for u in units}
        return [OrgUnitOut(code=u.code, name=u.name, kind=u.kind, parent=by_id.get(u.parent_id)) for u in units]


@router.get("/users", response_model=list[UserOut], tags=["identity"], responses=ERRORS)
def list_users(request: Request, actor: ActorDep):
    with uow(request) as s:
        return [identity.user_out(u) for u in identity.list_users(s, actor)]


@router.post("/users", response_model=UserOut, status_code=201, tags=["identity"], responses=ERRORS,
             dependencies=[may("identity.user.manage")])
def create_user(request: Request, actor: ActorDep, body: UserCreate):
    with uow(request) as s:
        return identity.user_out(identity.create_user(s, actor, body, settings_of(request)))


@router.get("/users/{username}", response_model=UserOut, tags=["identity"], responses=ERRORS)
def get_user(request: Request, actor: ActorDep, username: str):
    require(actor, "identity.user.read")
    with uow(request) as s:
        return identity.user_out(identity.get_user(s, username))


@router.post("/users/{username}/roles", response_model=UserOut, tags=["identity"], responses=ERRORS,
             dependencies=[may("identity.role.manage")])
def grant_role(request: Request, actor: ActorDep, username: str, body: RoleGrantIn):
    with uow(request) as s:
        return identity.user_out(identity.grant_role(s, actor, username, body))


@router.post("/users/{username}/roles/{pending_id}/confirm", response_model=UserOut, tags=["identity"], responses=ERRORS)
def confirm_role(request: Request, actor: ActorDep, username: str, pending_id: RowId):
    """The second person confirms a pending grant of a deciding role (the CAIO's office; the caio role by
    another CAIO; never the person who asked, never the grantee)."""
    with uow(request) as s:
        return identity.user_out(identity.confirm_grant(s, actor, username, pending_id))


@router.post("/users/{username}/roles/{pending_id}/decline", response_model=UserOut, tags=["identity"], responses=ERRORS)
def decline_role(request: Request, actor: ActorDep, username: str, pending_id: RowId, body: GrantDecline | None = None):
    with uow(request) as s:
        return identity.user_out(identity.decline_grant(s, actor, username, pending_id, body.reason if body else None))


@router.get("/pending-role-grants", response_model=list[PendingGrantOut], tags=["identity"], responses=ERRORS)
def pending_role_grants(request: Request, actor: ActorDep):
    """Grants of deciding roles waiting for a second person, oldest first."""
    with uow(request) as s:
        return identity.list_pending_grants(s, actor)


@router.delete("/users/{username}/roles/{role}", response_model=UserOut, tags=["identity"], responses=ERRORS)
def revoke_role(request: Request, actor: ActorDep, username: str,
                role: Annotated[str, Path(json_schema_extra={"enum": list(ROLES)})], component: str | None = None):
    with uow(request) as s:
        return identity.user_out(identity.revoke_role(s, actor, username, role, component))


@router.get("/tokens", response_model=list[TokenOut], tags=["identity"], responses=ERRORS)
def my_tokens(request: Request, actor: ActorDep):
    with uow(request) as s:
        return [identity.token_out(t) for t in identity.list_tokens(s, actor, actor.username)]


@router.post("/tokens", response_model=TokenCreated, status_code=201, tags=["identity"], responses=ERRORS)
def create_token(request: Request, actor: ActorDep, body: TokenCreate):
    with uow(request) as s:
        token, t = identity.create_token(s, actor, actor.username, body.name, settings_of(request), body.expires_in_days)
        return TokenCreated(token=token, **identity.token_out(t).model_dump())


@router.delete("/tokens/{token_id}", status_code=204, tags=["identity"], responses=ERRORS)
def revoke_token(request: Request, actor: ActorDep, token_id: RowId):
    with uow(request) as s:
        identity.revoke_token(s, actor, token_id)
    return Response(status_code=204)


# ---------------------------------------------------------------- audit

@router.get("/audit/events", tags=["audit"], responses=ERRORS)
def audit_events(
    request: Request,
    actor: ActorDep,
    actor_filter: Annotated[str | None, Query(alias="actor")] = None,
    action: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
    offset: Offset = 0,
):
    with uow(request) as s:
        rows, total = audit.list_events(s, actor, audit.EventFilter(actor_filter, action, object_type, object_id),
                                        limit=limit, offset=offset)
        return {"total": total, "events": [audit.event_as_dict(e) for e in rows]}


@router.get("/audit/events/{seq}", tags=["audit"], responses=ERRORS)
def audit_event(request: Request, actor: ActorDep, seq: Seq):
    with uow(request) as s:
        return audit.event_as_dict(audit.get_event(s, actor, seq))


@router.get("/audit/verify", tags=["audit"], responses=ERRORS)
def audit_verify(request: Request, actor: ActorDep):
    with uow(request) as s:
        return audit.verify(s, actor).as_dict()


@router.post("/audit/heads", status_code=201, tags=["audit"], responses=ERRORS)
def audit_sign_head(request: Request, actor: ActorDep):
    with uow(request) as s:
        return audit.sign_head(s, actor, settings_of(request).data_dir)


@router.get("/audit/proofs/inclusion/{seq}", tags=["audit"], responses=ERRORS)
def audit_inclusion(request: Request, actor: ActorDep, seq: Seq, tree_size: OptTreeSize = None):
    with uow(request) as s:
        return audit.inclusion(s, actor, seq, tree_size)


@router.get("/audit/proofs/consistency", tags=["audit"], responses=ERRORS)
def audit_consistency(request: Request, actor: ActorDep, old: TreeSize, new: TreeSize):
    with uow(request) as s:
        return audit.consistency(s, actor, old, new)


# ---------------------------------------------------------------- inventory

class UseCaseSummary(BaseModel):
    id: str
    name: str
    agency: str
    component: str | None
    status: str
    stage: str | None
    impact: str | None
    topic: str | None
    face_recognition: bool
    genai: bool
    cots: bool
    revisions: int


class UseCasePage(BaseModel):
    total: int
    page: int
    per_page: int
    use_cases: list[UseCaseSummary]


def _summary(u) -> UseCaseSummary:
    return UseCaseSummary(id=u.business_id, name=u.name, agency=u.agency, component=u.org_unit.code if u.org_unit else None,
                          status=u.status, stage=u.stage, impact=u.impact, topic=u.topic, face_recognition=u.is_face_recognition,
                          genai=u.is_genai, cots=u.is_cots, revisions=u.revision_count)


@router.get("/use-cases", response_model=UseCasePage, tags=["inventory"], responses=ERRORS)
def list_use_cases(
    request: Request,
    actor: ActorDep,
    q: str | None = None,
    component: str | None = None,
    stage: str | None = None,
    impact: str | None = None,
    status: str | None = None,
    page: PageNo = 1,
    per_page: Annotated[int, Query(ge=1, le=500)] = 50,
):
    with uow(request) as s:
        rows, total, _ = inventory.list_use_cases(s, actor, inventory.UseCaseQuery(
            q=q, component=component, stage=stage, impact=impact, status=status, page=page, per_page=per_page,
            sort="relevance" if q else "business_id"))
        return UseCasePage(total=total, page=page, per_page=per_page, use_cases=[_summary(u) for u in rows])


def _use_case_out(uc) -> dict:
    rev = uc.revisions[-1]
    return {**_summary(uc).model_dump(), "schema": rev.schema, "values": rev.values,
            "revision_history": [{"number": r.number, "created_at": r.created_at, "created_by": r.created_by,
                                  "reason": r.reason, "source": r.source} for r in uc.revisions]}


def etag_of(uc) -> str:
    """A use case's ETag: its revision number (every edit is a new revision)."""
    return f'"r{uc.revision_count}"'


def revision_of_etag(value: str | None) -> int | None:
    """The revision an ``If-Match`` names (``"r3"``, ``W/"r3"`` or ``3``); None for absent or ``*``."""
    v = (value or "").strip()
    if v in ("", "*"):
        return None
    m = re.fullmatch(r'(?:W/)?"?r?(\d{1,9})"?', v)
    if m is None:
        raise ValidationFailed.one("If-Match", 'the ETag of the use case as GET returned it, e.g. "r3"')
    return int(m.group(1))


@router.get("/use-cases/{business_id}", tags=["inventory"], responses=ERRORS)
def get_use_case(request: Request, actor: ActorDep, business_id: str, response: Response):
    """The current answers and the revision history. The ``ETag`` header names the revision: send it back
    as ``If-Match`` with an edit, so that an edit made meanwhile by someone else is not overwritten."""
    with uow(request) as s:
        uc = inventory.get_use_case(s, actor, business_id)
        response.headers["ETag"] = etag_of(uc)
        return _use_case_out(uc)


class UseCaseEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")
    values: dict[str, str | list[str] | None] = Field(description="answers to change; null or empty clears one")
    reason: str = Field(max_length=2000, description="why the use case changes (required)")
    base_revision: int | None = Field(default=None, ge=1, description="the revision the edit started from "
                                                                      "(or the If-Match header)")


@router.patch("/use-cases/{business_id}", tags=["inventory"], responses=ERRORS,
              summary="Edit a use case's answers (a new revision); 409 when it changed since base_revision/If-Match",
              openapi_extra={"requestBody": {"required": True, "content": {"application/json": {
                  "schema": UseCaseEdit.model_json_schema()}}}})
async def edit_use_case(request: Request, actor: ActorDep, business_id: str, response: Response,
                        if_match: Annotated[str | None, Header()] = None):
    """The body is read as it came and validated only after the permission check (a caller who may not
    edit the use case gets 403 whatever they send, never a 422 describing what would be accepted)."""
    raw = await request.body()
    with uow(request) as s:
        inventory.get_use_case_for(s, actor, business_id, "inventory.use_case.revise")
        body = parse_body(UseCaseEdit, raw)
        base = body.base_revision
        etag_base = revision_of_etag(if_match)
        if base is not None and etag_base is not None and base != etag_base:
            raise ValidationFailed.one("base_revision", f"the body says revision {base}, If-Match says {etag_base}")
        uc = inventory.edit_use_case(s, actor, business_id, body.values, body.reason,
                                     base_revision=base if base is not None else etag_base)
        response.headers["ETag"] = etag_of(uc)
        return _use_case_out(uc)


def parse_body(model: type[BaseModel], raw: bytes) -> BaseModel:
    """Validate a JSON body with ``model`` after the caller's permission was checked; errors name the field
    like FastAPI's own (RFC 9457, 422)."""
    try:
        return model.model_validate_json(raw or b"")
    except ValidationError as exc:
        errors = []
        for e in exc.errors():
            loc = ".".join(str(x) for x in e.get("loc", ())) or "body"
            code = e.get("type", "invalid")
            msg = {"extra_forbidden": "unknown field", "missing": "this field is required",
                   "json_invalid": "the body is not valid JSON"}.get(code, e.get("msg", "invalid"))
            errors.append(FieldError(loc, msg, code))
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors[:5]), errors=errors) from None
