"""The home page: the person's tasks (each domain registers its own, raigov/domains.py ``Task``: how many
are waiting, how many overdue, each a link to the list of them at /tasks/<key>), then one panel per role the
person holds, as the domains register them; a panel's links show only where the person may take their action."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse

from raigov.audit.service import latest_head, tree_size
from raigov.clock import agency_today
from raigov.domains import Task, allowed, load
from raigov.errors import NotFound
from raigov.identity.permissions import can
from raigov.identity.roles import ROLES
from raigov.web.deps import page_user, require_page_actor, settings_of, uow
from raigov.web.params import Flag
from raigov.web.templating import more_items, render

router = APIRouter(include_in_schema=False)


@router.get("/")
def root(request: Request):
    return RedirectResponse("/home" if page_user(request) else "/sign-in", status_code=303)


def _tasks_of(request: Request, s, actor) -> list[tuple[Task, list]]:
    """(task, its items) for each registered task the person may see, in order."""
    today = agency_today(settings=settings_of(request))
    return [(t, load(t.items)(s, actor, today)) for t in request.app.state.tasks if allowed(actor, t.action)]


def _panels(request: Request, actor) -> list[dict]:
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
    return panels


@router.get("/home")
def home(request: Request):
    actor = require_page_actor(request)
    stats = {}
    with uow(request, read=True) as s:
        tasks = [{"key": t.key, "label": t.label, "count": len(items), "overdue": sum(1 for i in items if i.overdue)}
                 for t, items in _tasks_of(request, s, actor)]
        if can(actor, "audit.event.read"):
            stats["audit_events"] = tree_size(s)
            stats["audit_head"] = latest_head(s)
    return render(request, "home.html", {"panels": _panels(request, actor), "tasks": tasks, "stats": stats,
                                         "role_names": ROLES})


@router.get("/tasks/{key}")
def task_list(request: Request, key: str, overdue: Flag = 0):
    """The items of one task: what, by when, each a link where to act (``overdue=1``: the overdue ones)."""
    actor = require_page_actor(request)
    task = next((t for t in request.app.state.tasks if t.key == key[:60]), None)
    if task is None or not allowed(actor, task.action):
        raise NotFound(f"no task {key[:60]!r} for you")
    today = agency_today(settings=settings_of(request))
    with uow(request, read=True) as s:
        items = load(task.items)(s, actor, today)
    shown = [i for i in items if i.overdue] if overdue else items
    return render(request, "tasks.html", {"task": task, "items": shown, "total": len(items), "overdue": bool(overdue),
                                          "overdue_count": sum(1 for i in items if i.overdue), "today": today})


@router.get("/more")
def more(request: Request):
    """The areas that do not fit in the navigation bar (domains register them with ``Link(..., more=True)``)."""
    actor = require_page_actor(request)
    return render(request, "more.html", {"nav": "more", "links": more_items(request.app.state.nav, actor)})
