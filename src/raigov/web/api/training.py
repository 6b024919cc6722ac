"""JSON API of the training ledger (docs/training.md): the courses, a person's record, the workforce's completion
by component and course, and recording a completion. Thin: the rules are in raigov.training.service. The LMS
import is `raigov training import` (a file: the shell)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, ConfigDict, Field

from raigov.clock import agency_today
from raigov.errors import PermissionDenied
from raigov.identity import service as identity
from raigov.identity.permissions import Actor, can
from raigov.training import service as training
from raigov.training.courses import courses
from raigov.web.api.v1 import ERRORS
from raigov.web.deps import api_actor, may, settings_of, uow

router = APIRouter(prefix="/api/v1/training", tags=["training"])
ActorDep = Annotated[Actor, Depends(api_actor)]


class CompletionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=64)
    course: str = Field(min_length=1, max_length=40, description="a course id (GET /api/v1/training/courses)")
    completed_on: dt.date


@router.get("/courses", responses=ERRORS, summary="The courses: id, title, audience, validity in months")
def list_courses(actor: ActorDep):
    return [{"id": c.id, "title": c.title, "audience": c.audience, "validity_months": c.validity_months}
            for c in courses().values()]


@router.get("/people/{username}", responses=ERRORS,
            summary="A person's courses and their state (the person, or who may read the ledger for their component)")
def person(request: Request, username: str, actor: ActorDep):
    with uow(request, read=True) as s:
        user = identity.get_user(s, username)
        if user.id != actor.user_id and not can(actor, "training.ledger.read", training.unit_code(user)):
            raise PermissionDenied("training: you may read your own training record only")
        return training.person_record(s, user.id, agency_today(settings_of(request)))


@router.get("/workforce", responses=ERRORS, dependencies=[may("training.ledger.read")],
            summary="Completion by component and course: people with a current completion, of the active people")
def workforce(request: Request, actor: ActorDep):
    with uow(request, read=True) as s:
        return training.workforce(s, actor, agency_today(settings_of(request)))


@router.post("/completions", status_code=201, responses=ERRORS, dependencies=[may("training.completion.record")],
             summary="Record that a person completed a course on a date")
def record_completion(request: Request, body: CompletionIn, actor: ActorDep):
    with uow(request) as s:
        row = training.record_completion(s, actor, body.username, body.course, body.completed_on,
                                         agency_today(settings_of(request)))
        return {"username": body.username.strip().lower(), "course": row.course_id,
                "completed_on": row.completed_on, "expires_on": row.expires_on}
