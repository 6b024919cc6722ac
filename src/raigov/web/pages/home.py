"""The home page: one panel per role the person holds, as the domains register them (raigov/domains.py);
a panel's links show only where the person may take their action."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from raigov.audit.service import latest_head, tree_size
from raigov.domains import allowed
from raigov.identity.permissions import can
from raigov.identity.roles import ROLES
from raigov.web.deps import page_user, require_page_actor, uow
from raigov.web.templating import render

router = APIRouter(include_in_schema=False)


@router.get("/")
def root(request: Request):
    return RedirectResponse("/home" if page_user(request) else "/sign-in", status_code=303)


@router.get("/home")
def home(request: Request):
    actor = require_page_actor(request)
    panels = []
    seen = set()
    registered = request.app.state.home_panels  # each domain's, for the roles whose work it holds (domains.py)
    for g in actor.grants:
        if g.role in seen or g.role not in registered:
            continue
        seen.add(g.role)
        p = registered[g.role]
        links = [(link.path, link.label) for link in p.links if allowed(actor, link.action)]
        scopes = [x.org_unit or "department-wide" for x in actor.grants if x.role == g.role]
        panels.append({"role": g.role, "title": p.title, "text": p.text, "links": links, "scopes": scopes})
    stats = {}
    if can(actor, "audit.event.read"):
        with uow(request) as s:
            stats["audit_events"] = tree_size(s)
            stats["audit_head"] = latest_head(s)
    return render(request, "home.html", {"panels": panels, "stats": stats, "role_names": ROLES})
