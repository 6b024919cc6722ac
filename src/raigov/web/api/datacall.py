"""JSON API of a component lead's data call work (the pages' /datacall/{year}/{component}): the failing reporting
checks grouped by kind, one answer given to a field for many use cases at once, and one explanation saved for a
chosen set of checks of a kind. Thin: the same service calls as the pages (raigov.datacall.worklist)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Path, Request
from pydantic import BaseModel, ConfigDict, Field

from raigov.datacall import service as datacall
from raigov.datacall.worklist import MAX_EXPLANATION
from raigov.identity.permissions import Actor
from raigov.web.api.v1 import ERRORS
from raigov.web.deps import api_actor, uow
from raigov.web.params import YearPath

router = APIRouter(prefix="/api/v1/datacall", tags=["data call"])
ActorDep = Annotated[Actor, Depends(api_actor)]
Component = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_.\-]+$",
                                description="a component's code, e.g. CBP")]
MAX_USE_CASES = 5000
UseCaseIds = Annotated[list[Annotated[str, Field(min_length=1, max_length=64)]],
                       Field(min_length=1, max_length=MAX_USE_CASES, description="the use cases' ids, e.g. DHS-101")]
Kind = Annotated[str, Field(min_length=1, max_length=200,
                            description="a kind of failing check, as GET .../checks lists it (its `kind`)")]


class FixIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind
    use_cases: UseCaseIds
    value: Annotated[str, Field(max_length=4000)] | Annotated[list[Annotated[str, Field(max_length=400)]],
                                                              Field(max_length=100)] = Field(
        description="the answer: one of OMB's values for a choice, several for a multiple choice, a date "
                    "(YYYY-MM-DD) or text, as the kind's `answer` says")
    reason: str = Field(default="", max_length=500, description="why (kept on each new revision); a default names the data call")


class ExplainIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    kind: Kind
    use_cases: UseCaseIds
    explanation: str = Field(min_length=1, max_length=MAX_EXPLANATION,
                             description="why these checks are acceptable; the certification reads it")


def _group(g) -> dict:
    answer = None
    if g.answer is not None:
        answer = {"field": g.answer.field, "label": g.answer.label, "type": g.answer.type, "options": list(g.answer.options)}
    return {"kind": g.kind, "title": g.title, "field_label": g.field_label, "count": g.count, "explained": g.explained,
            "open": g.open, "answer": answer,
            "checks": [{"use_case": c.business_id, "name": c.name, "message": c.message, "explanation": c.explanation}
                       for c in g.checks]}


@router.get("/{year}/components/{component}/checks", responses=ERRORS,
            summary="A component's failing reporting checks of the year, grouped by kind (largest first)")
def checks(request: Request, year: YearPath, component: Component, actor: ActorDep):
    with uow(request, read=True) as s:
        comp, groups = datacall.check_groups(s, actor, year, component.upper())
        return {"year": year, "component": comp.component, "name": comp.name, "active": comp.active,
                "failing": len(comp.failing), "kinds": [_group(g) for g in groups]}


@router.post("/{year}/components/{component}/checks/fix", responses=ERRORS,
             summary="Give one answer to a kind's field for the chosen use cases (a new revision of each; all or nothing)")
def fix(request: Request, year: YearPath, component: Component, body: FixIn, actor: ActorDep):
    with uow(request) as s:
        ids = datacall.fix_checks(s, actor, year, component.upper(), body.kind, body.use_cases, body.value, body.reason)
    return {"year": year, "component": component.upper(), "kind": body.kind, "changed": ids}


@router.post("/{year}/components/{component}/checks/explain", responses=ERRORS,
             summary="Save one explanation for the chosen use cases' checks of a kind (saving again replaces it)")
def explain(request: Request, year: YearPath, component: Component, body: ExplainIn, actor: ActorDep):
    with uow(request) as s:
        n = datacall.explain_checks(s, actor, year, component.upper(), body.kind, body.use_cases, body.explanation)
    return {"year": year, "component": component.upper(), "kind": body.kind, "explained": n}
