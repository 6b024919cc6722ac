"""The policy library: packs, their items with citations and verification status, the use cases
whose screen and determination disagree, and which use cases a pack change would change."""

from __future__ import annotations

import json

from fastapi import APIRouter, Request

from raigov.clock import agency_today
from raigov.errors import NotFound, ValidationFailed
from raigov.identity.permissions import require
from raigov.policy import service as policy
from raigov.policy.packs import current_registry
from raigov.policy.vocab import determination_words
from raigov.web.deps import require_page_actor, settings_of, uow
from raigov.web.pages.forms import field_errors
from raigov.web.templating import render

router = APIRouter(prefix="/policy", include_in_schema=False)
KIND_ORDER = ["definition", "principle", "prohibition", "exclusion", "presumption", "practice", "review", "clock",
              "decision_rule"]


def _registry():
    return current_registry()


@router.get("")
def library(request: Request):
    require_page_actor(request)
    reg = _registry()
    today = agency_today(settings_of(request))
    # in force: the latest version of each pack whose dates include today (the registry's rule, the one the
    # screen applies); an earlier version whose dates include today too is superseded by it
    current = {p.id: p for p in reg.in_force(today)}
    packs = []
    for p in sorted(reg.packs(), key=lambda p: (p.id, p.version)):
        now = current.get(p.id)
        superseded = now.key if now is not None and now.key != p.key and p.in_force(today) else None
        packs.append({**p.summary(), "in_force": now is not None and now.key == p.key, "superseded_by": superseded})
    return render(request, "policy/library.html", {"nav": "policy", "packs": packs})


@router.get("/disagreements")
def disagreements(request: Request):
    actor = require_page_actor(request)
    require(actor, "inventory.use_case.read")
    with uow(request) as s:
        rows = policy.disagreements(s, actor)
    return render(request, "policy/disagreements.html", {"nav": "policy", "rows": rows,
                                                         "determination_words": determination_words})


@router.get("/diff")
def diff(request: Request, old: str = "", new: str = ""):
    """Which use cases in the inventory a change of pack (version) would change; writes nothing."""
    actor = require_page_actor(request)
    require(actor, "inventory.use_case.read")
    reg = _registry()
    groups = [(pid, [p.key for p in reg.versions(pid)]) for pid in sorted({p.id for p in reg.packs()})]
    if not old and not new:  # preselect the last two versions of the first pack that has two
        pair = next((keys[-2:] for _, keys in groups if len(keys) > 1), None)
        result, errors = None, {}
        selected = {"old": pair[0] if pair else "", "new": pair[1] if pair else ""}
    else:
        selected = {"old": old, "new": new}
        try:
            with uow(request) as s:
                result, errors = policy.diff_database(s, actor, old, new), {}
        except ValidationFailed as exc:
            result, errors = None, field_errors(exc)
    return render(request, "policy/diff.html", {"nav": "policy", "groups": groups, "selected": selected,
                                                "result": result, "errors": errors},
                  status_code=422 if errors else 200)


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
    keys = [p.key for p in reg.versions(pack.id)]
    versions = [p.version for p in reg.versions(pack.id)]
    compare = None  # this version against the one before it (the first version: against the second)
    if len(keys) > 1:
        i = max(keys.index(pack.key), 1)
        compare = (keys[i - 1], keys[i])
    return render(request, "policy/pack.html", {"nav": "policy", "pack": pack.summary(), "groups": groups,
                                                "versions": versions, "compare": compare,
                                                "notes": pack.data.get("notes")})
