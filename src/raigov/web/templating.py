"""Templates and `render`: the one place pages turn a template and a context into a response.

Pages import `render` from here, never from web/app.py (which imports the pages' routers): that was the
one real import cycle of the code base."""

from __future__ import annotations

import re
from datetime import datetime
from importlib import resources
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates
from jinja2 import ChoiceLoader, FileSystemLoader

from raigov import __version__
from raigov.audit.actions import describe
from raigov.config import Settings
from raigov.domains import Link, allowed, template_dirs
from raigov.identity.roles import role_title
from raigov.web.deps import CSRF_COOKIE, csrf_token, page_user, set_cookie


def make_templates(settings: Settings) -> Jinja2Templates:
    path = resources.files("raigov.web").joinpath("templates")
    templates = Jinja2Templates(directory=str(path))
    # a domain may keep its own templates in <domain>/templates (raigov/domains.py)
    extra = [d for d in template_dirs() if d != str(path)]
    if extra:
        templates.env.loader = ChoiceLoader([templates.env.loader, *(FileSystemLoader(d) for d in extra)])
    tz = ZoneInfo(settings.agency_timezone)
    env = templates.env
    env.globals.update(agency_name=settings.agency_name, agency_code=settings.agency_code, version=__version__,
                       csrf_token=csrf_token, oidc_enabled=settings.oidc_enabled, oidc_name=settings.oidc_display_name)

    def localtime(value, fmt: str = "%Y-%m-%d %H:%M %Z"):
        if value is None:
            return ""
        if isinstance(value, str):
            try:
                value = datetime.fromisoformat(value)  # Python 3.11+ reads a trailing Z
            except ValueError:
                return value
        return value.astimezone(tz).strftime(fmt)

    env.filters["localtime"] = localtime
    env.filters["who"] = who
    env.filters["who_in_text"] = who_in_text
    env.filters["action_words"] = describe_action
    env.filters["role_title"] = role_title
    return templates


def who(label: str | None) -> str:
    """An actor label as stored (`user:cbp.lead`, `system:jobs`, `service:cbp.gate`) as a person reads it."""
    if not label:
        return ""
    kind, _, name = str(label).partition(":")
    if not name:
        return str(label)
    if kind == "user":
        return name
    if kind == "system":
        return f"the system ({name})"
    if kind == "service":
        return f"{name} (operational system)"
    return name


_LABEL = re.compile(r"\b(user|system|service):([A-Za-z0-9_.@\-]+)")


def who_in_text(text: str | None) -> str:
    """Stored free text that names people by their actor labels ('waiver granted by user:caio'), in words."""
    return _LABEL.sub(lambda m: who(m.group(0)), str(text or ""))


def describe_action(name: str | None) -> str:

    return describe(name or "")


MORE = Link("/more", "More", None, order=69)


def more_items(links: list[Link], actor) -> list[Link]:
    """The links of the More page the person may open."""
    return [link for link in links if link.more and allowed(actor, link.action)]


def nav_items(links: list[Link], actor) -> list[Link]:
    """The bar: the allowed links, with "More" at its place when the person may open a link of the More page."""
    bar = [link for link in links if not link.more and allowed(actor, link.action)]
    if more_items(links, actor):
        bar = sorted([*bar, MORE], key=lambda link: link.order)
    return bar


def render(request: Request, name: str, context: dict | None = None, status_code: int = 200):
    """Render a page with the signed-in user and a CSRF token (setting the CSRF cookie if new)."""
    templates: Jinja2Templates = request.app.state.templates
    found = page_user(request)
    ctx = {"actor": found[0] if found else None, "user_name": found[1] if found else None}
    if found:
        # the navigation the domains register, each entry shown to who may take its action (domains.py)
        ctx["nav_items"] = nav_items(request.app.state.nav, found[0])
    ctx.update(context or {})
    response = templates.TemplateResponse(request, name, ctx, status_code=status_code)
    new = getattr(request.state, "new_csrf_cookie", None)
    if new:
        set_cookie(request, response, CSRF_COOKIE, new)
    return response
