"""JSON API for governance: the authorization gate for operational systems, reviews, practices, evidence,
waivers. Thin: every rule is in raigov.governance.service."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query, Request, UploadFile
from fastapi.responses import Response
from pydantic import BaseModel, ConfigDict, Field

from raigov.errors import PayloadTooLarge, ValidationFailed
from raigov.governance import service as gov
from raigov.governance.store import filename_for
from raigov.identity.permissions import Actor
from raigov.web.api.v1 import ERRORS
from raigov.web.deps import api_actor, may, settings_of, uow
from raigov.web.params import INT32_MAX, RowId
from raigov.web.uploads import UploadLimit

router = APIRouter(prefix="/api/v1")
ActorDep = Annotated[Actor, Depends(api_actor)]


class Reason(BaseModel):
    code: str
    message: str
    model_config = ConfigDict(extra="allow")


class Authorization(BaseModel):
    authorized: bool
    reasons: list[Reason]
    as_of: str


@router.get("/use-cases/{business_id}/authorization", response_model=Authorization, tags=["governance"],
            responses=ERRORS, summary="Is this use case authorized now? (operational systems)")
def authorization(request: Request, actor: ActorDep, business_id: str):
    with uow(request) as s:
        return gov.authorization(s, actor, business_id).as_dict()


def _review_out(r) -> dict:
    return {"id": r.id, "lane": r.lane, "cycle": r.cycle, "status": r.status, "version": r.version,
            "required_by": r.required_by, "opened_at": r.opened_at, "decided_at": r.decided_at,
            "decided_by": r.decided_by, "assignee": r.assignee.username if r.assignee else None,
            "comments": [{"kind": c.kind, "decision": c.decision, "body": c.body, "author": c.author,
                          "at": c.created_at} for c in r.comments],
            "conditions": [{"id": c.id, "text": c.text, "due_on": c.due_on, "status": c.status,
                            "closed_by": c.closed_by} for c in r.conditions]}


@router.get("/use-cases/{business_id}/reviews", tags=["governance"], responses=ERRORS)
def reviews(request: Request, actor: ActorDep, business_id: str):
    with uow(request) as s:
        return [_review_out(r) for r in gov.reviews_of(s, actor, business_id)]


class DecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    decision: Literal["approved", "approved_with_conditions", "denied", "changes_requested"]
    reason: str = Field(min_length=1, max_length=20000)
    conditions: list[str] = Field(default_factory=list, max_length=50)
    expected_version: int | None = Field(default=None, ge=0, le=INT32_MAX)


@router.post("/reviews/{review_id}/decision", tags=["governance"], responses=ERRORS,
             dependencies=[may("governance.review.decide")])
def decide(request: Request, actor: ActorDep, review_id: RowId, body: DecisionIn):
    with uow(request) as s:
        return _review_out(gov.decide(s, actor, review_id, body.decision, body.reason, body.conditions,
                                      body.expected_version))


class CommentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    body: str = Field(min_length=1, max_length=20000)


@router.post("/reviews/{review_id}/comments", status_code=201, tags=["governance"], responses=ERRORS)
def comment(request: Request, actor: ActorDep, review_id: RowId, body: CommentIn):
    with uow(request) as s:
        c = gov.comment(s, actor, review_id, body.body)
        return {"id": c.id, "author": c.author, "body": c.body}


@router.get("/reviews", tags=["governance"], responses=ERRORS, summary="The review queue (open reviews, oldest first)")
def review_queue(request: Request, actor: ActorDep,
                 lane: Annotated[str | None, Query(json_schema_extra={"x-raigov-enum": "lanes"})] = None,
                 all: bool = False):
    """`all=true`: every lane, for those who assign reviews (403 for others)."""
    with uow(request) as s:
        return [{"review": q.review.id, "use_case": q.business_id, "name": q.name, "component": q.component,
                 "lane": q.review.lane, "status": q.review.status, "age_days": q.age_days, "overdue": q.overdue,
                 "assignee": q.assignee} for q in gov.queue(s, actor, lane, include_all=all)]


def _practice_out(p) -> dict:
    return {"item": p.item, "pack": p.pack, "title": p.title, "citation": p.citation, "timing": p.timing,
            "required": p.required, "status": p.status, "status_reason": p.status_reason,
            "owner": p.owner.username if p.owner else None, "due_on": p.due_on, "version": p.version}


@router.get("/use-cases/{business_id}/practices", tags=["governance"], responses=ERRORS)
def practices(request: Request, actor: ActorDep, business_id: str):
    with uow(request) as s:
        return [_practice_out(p) for p in gov.practices_of(s, actor, business_id)]


class PracticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    status: Literal["not_started", "in_progress", "done", "not_applicable"] | None = None
    reason: str | None = Field(default=None, max_length=20000)
    owner: str | None = None
    due_on: dt.date | None = None
    expected_version: int | None = Field(default=None, ge=0, le=INT32_MAX)


@router.patch("/use-cases/{business_id}/practices/{item}", tags=["governance"], responses=ERRORS,
              dependencies=[may("governance.practice.update")])
def update_practice(request: Request, actor: ActorDep, business_id: str, item: str, body: PracticeIn):
    with uow(request) as s:
        return _practice_out(gov.update_practice(s, actor, business_id, item, status=body.status, reason=body.reason,
                                                 owner=body.owner, due_on=body.due_on,
                                                 expected_version=body.expected_version))


def _evidence_out(ev, link=None) -> dict:
    return {"id": ev.id, "kind": ev.kind, "category": ev.category, "title": ev.title, "sha256": ev.sha256,
            "filename": ev.filename, "media_type": ev.media_type, "size": ev.size, "url": ev.url,
            "dated_on": ev.dated_on, "expires_on": ev.expires_on, "owner": ev.owner,
            "practice_id": link.practice_id if link else None}


@router.get("/use-cases/{business_id}/evidence", tags=["governance"], responses=ERRORS)
def evidence(request: Request, actor: ActorDep, business_id: str):
    with uow(request) as s:
        return [_evidence_out(ev, link) for link, ev in gov.evidence_of(s, actor, business_id)]


async def read_limited(upload: UploadFile, limit: int) -> bytes:
    data = await upload.read(limit + 1)
    if len(data) > limit:
        raise PayloadTooLarge(f"file: the evidence file is larger than the limit of {limit:,} bytes")
    return data


_EVIDENCE_FORM = {"type": "object", "required": ["title", "category"], "properties": {
    "title": {"type": "string", "maxLength": 500}, "category": {"type": "string", "enum": list(gov.EVIDENCE_CATEGORIES)},
    "file": {"type": "string", "format": "binary"}, "url": {"type": "string"}, "practice": {"type": "string"},
    "dated_on": {"type": "string", "format": "date"}, "expires_on": {"type": "string", "format": "date"}}}


def _form_date(form, name: str) -> dt.date | None:
    v = str(form.get(name) or "").strip()
    if not v:
        return None
    try:
        return dt.date.fromisoformat(v)
    except ValueError:
        raise ValidationFailed.one(name, "a date as YYYY-MM-DD") from None


def _form_text(form, name: str, max_length: int | None = None, required: bool = False) -> str | None:
    v = form.get(name)
    if v is not None and not isinstance(v, str):
        raise ValidationFailed.one(name, "text, not a file")
    if required and not (v or "").strip():
        raise ValidationFailed.one(name, "this field is required", "missing")
    if v is not None and max_length is not None and len(v) > max_length:
        raise ValidationFailed.one(name, f"at most {max_length} characters", "string_too_long")
    return v


@router.post("/use-cases/{business_id}/evidence", status_code=201, tags=["governance"], responses=ERRORS,
             summary="Upload a file (multipart) or give a link as evidence",
             openapi_extra={"requestBody": {"required": True, "content": {"multipart/form-data": {
                 "schema": _EVIDENCE_FORM}}}})
async def add_evidence(request: Request, actor: ActorDep, business_id: str, limit: UploadLimit):
    """Who may attach evidence to the use case is asked before the body is read: a refused caller gets
    403 (never a 422 saying what the form would accept) and nothing of theirs is parsed or stored."""
    settings = settings_of(request)
    with uow(request) as s:
        gov.check_attach(s, actor, business_id)
    form = await request.form(max_files=1, max_fields=20)
    try:
        title = _form_text(form, "title", 500, required=True)
        category = _form_text(form, "category", 30, required=True)
        url, practice = _form_text(form, "url", 2000), _form_text(form, "practice", 200) or None
        dated_on, expires_on = _form_date(form, "dated_on"), _form_date(form, "expires_on")
        file = form.get("file")
        if file is not None and isinstance(file, str):
            if file:
                raise ValidationFailed.one("file", "a file (multipart upload), not text")
            file = None
        data = await read_limited(file, limit) if file is not None else None
        with uow(request) as s:
            if data is not None:
                ev = gov.add_file(s, actor, settings, business_id, data, filename=file.filename or "", title=title,
                                  category=category, dated_on=dated_on, expires_on=expires_on, practice=practice)
            else:
                ev = gov.add_link(s, actor, business_id, url=url or "", title=title, category=category,
                                  dated_on=dated_on, expires_on=expires_on, practice=practice)
            return _evidence_out(ev)
    finally:
        await form.close()  # the spooled upload goes now, not when the request object is collected


FILE_RESPONSES = {
    200: {"description": "The file, as a download (Content-Disposition: attachment), with the media type it was "
                         "stored with", "content": {"application/octet-stream": {"schema": {"type": "string",
                                                                                            "format": "binary"}}}},
    204: {"description": "The evidence is a link, not a file (see its `url`)"},
}


@router.get("/evidence/{evidence_id}/file", tags=["governance"], response_class=Response,
            responses={**ERRORS, **FILE_RESPONSES}, summary="Download an evidence file")
def evidence_file(request: Request, actor: ActorDep, evidence_id: RowId):
    with uow(request) as s:
        ev = gov.get_evidence(s, actor, evidence_id)
        if ev.kind != "file":
            return Response(status_code=204)
        data = gov.evidence_store(settings_of(request)).get(ev.sha256)
        return evidence_response(data, ev)


def evidence_response(data: bytes, ev) -> Response:
    """Always a download, never rendered in the browser, under a name with the sniffed type's extension (rows
    stored before the name followed the type, e.g. text kept as ``x.html``, are served as ``x.txt``)."""
    name = filename_for(ev.filename or ev.sha256, ev.media_type)
    safe = "".join(ch if ch.isalnum() or ch in "._-" else "_" for ch in name)[-150:]
    return Response(data, media_type=ev.media_type or "application/octet-stream",
                    headers={"Content-Disposition": f'attachment; filename="{safe}"', "X-Content-Type-Options": "nosniff",
                             "Content-Security-Policy": "sandbox", "Cache-Control": "private, no-store"})


@router.get("/waivers", tags=["governance"], responses=ERRORS)
def waivers(request: Request, actor: ActorDep, use_case: str | None = None):
    with uow(request) as s:
        return [{"id": w.id, "practice": w.practice_item, "status": w.status, "grounds": w.grounds,
                 "public_summary": w.public_summary, "granted_by": w.granted_by, "granted_at": w.granted_at,
                 "expires_on": w.expires_on, "certified_on": w.certified_on, "omb_report_due": w.omb_report_due,
                 "omb_reported_on": w.omb_reported_on} for w in gov.waivers_of(s, actor, use_case)]


def _pilot_out(p) -> dict:
    return {"id": p.id, "status": p.status, "scale": p.scale, "max_participants": p.max_participants,
            "starts_on": p.starts_on, "ends_on": p.ends_on, "opt_in_out": p.opt_in_out,
            "practices_applied": p.practices_applied, "certified_by": p.certified_by, "certified_at": p.certified_at,
            "ended_at": p.ended_at, "end_reason": p.end_reason}


@router.get("/use-cases/{business_id}/pilots", tags=["governance"], responses=ERRORS,
            summary="The use case's certified pilots")
def pilots(request: Request, actor: ActorDep, business_id: str):
    with uow(request) as s:
        return [_pilot_out(p) for p in gov.pilots_of(s, actor, business_id)]


class PilotEndIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reason: str = Field(min_length=1, max_length=20000, description="why the pilot ends")


@router.post("/pilots/{pilot_id}/end", tags=["governance"], responses=ERRORS,
             summary="The Chief AI Officer ends an active pilot (not delegable)")
def end_pilot(request: Request, actor: ActorDep, pilot_id: RowId, body: PilotEndIn):
    with uow(request) as s:
        return _pilot_out(gov.end_pilot(s, actor, pilot_id, body.reason))
