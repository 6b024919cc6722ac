"""Oversight pages: the use cases whose decisions the person may read, with their counts (from the daily
counts), a use case's newest decisions and statistics, and one decision with its proof checked. Read only:
decisions are recorded by operational systems through the API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path, Request

from raigov.identity.permissions import can, require
from raigov.oversight import service as oversight
from raigov.web.deps import require_page_actor, uow
from raigov.web.params import INT64_MAX
from raigov.web.templating import render

router = APIRouter(prefix="/oversight", include_in_schema=False)


@router.get("")
def index(request: Request):
    actor = require_page_actor(request)
    require(actor, "oversight.decision.read")
    with uow(request) as s:
        rows = oversight.overview(s, actor)
        alerts = oversight.visible_alerts(s, actor)
    return render(request, "oversight/index.html", {"nav": "oversight", "rows": rows, "alerts": alerts})


@router.get("/use-cases/{business_id}")
def use_case(request: Request, business_id: str):
    actor = require_page_actor(request)
    with uow(request) as s:
        st = oversight.stats(s, actor, business_id)
        decisions = oversight.list_decisions(s, actor, business_id, limit=50)
        alerts = oversight.visible_alerts(s, actor, business_id)
    return render(request, "oversight/use_case.html", {"nav": "oversight", "stats": st, "decisions": decisions,
                                                       "alerts": alerts})


@router.get("/decisions/{decision_id}")
def decision(request: Request, decision_id: Annotated[int, Path(ge=1, le=INT64_MAX)]):
    actor = require_page_actor(request)
    with uow(request) as s:
        proof = oversight.prove(s, actor, decision_id)
    return render(request, "oversight/decision.html", {"nav": "oversight", "p": proof,
                                                       "may_appeal": can(actor, "oversight.appeal.file")})
