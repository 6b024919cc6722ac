"""The policy library: packs, their items with citations and verification status, and the use cases
whose screen and determination disagree."""

from __future__ import annotations

import datetime as dt
import json

from fastapi import APIRouter, Request

from raigov.errors import NotFound
from raigov.identity.permissions import require
from raigov.web.app import render
from raigov.web.deps import require_page_actor, uow

router = APIRouter(prefix="/policy", include_in_schema=False)
KIND_ORDER = ["definition", "principle", "prohibition", "exclusion", "presumption", "practice", "review", "clock"]


def _registry():
    from raigov.policy.packs import current_registry

    return current_registry()


@router.get("")
def library(request: Request):
    require_page_actor(request)
    reg = _registry()
    today = dt.date.today()
    packs = [{**p.summary(), "in_force": p.in_force(today)} for p in sorted(reg.packs(), key=lambda p: (p.id, p.version))]
    return render(request, "policy/library.html", {"nav": "policy", "packs": packs})


@router.get("/disagreements")
def disagreements(request: Request):
    from raigov.policy import service as policy

    actor = require_page_actor(request)
    require(actor, "usecase.read")
    with uow(request) as s:
        rows = policy.disagreements(s, actor)
    return render(request, "policy/disagreements.html", {"nav": "policy", "rows": rows})


@router.get("/{ref}")
def pack_page(request: Request, ref: str):
    require_page_actor(request)
    reg = _registry()
    try:
        pack = reg.get(ref)
    except (KeyError, LookupError):
        raise NotFound(f"no policy pack {ref}") from None
    groups = []
    for kind in KIND_ORDER:
        items = pack.items_of(kind)
        if items:
            groups.append((kind, [{"id": i.id, "title": i.title, "citation": i.citation, "status": i.status,
                                   "text": i.text, "impact": ", ".join(i.impact), "reviewers": ", ".join(i.reviewers),
                                   "when": json.dumps(i.when, indent=1, ensure_ascii=False) if i.when else ""}
                                  for i in items]))
    versions = [p.version for p in reg.versions(pack.id)]
    return render(request, "policy/pack.html", {"nav": "policy", "pack": pack.summary(), "groups": groups,
                                                "versions": versions, "notes": pack.data.get("notes")})
