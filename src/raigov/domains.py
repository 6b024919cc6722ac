"""The one list of domains, and what each contributes.

Every domain says what it adds to the house in one light module of its package, ``<domain>/register.py``,
defining ``CONTRIBUTES = Contribution(...)``: its API and page routers, its CLI groups, its navigation
entries, its home and dashboard panels, its tasks (the home page's "Your tasks") and its clocks for
``raigov jobs run``. The web app (web/app.py),
the CLI (cli/main.py) and the jobs (jobs/service.py) read :data:`DOMAINS` through :func:`contributions`;
none of them lists routers, groups, links or clocks of its own. Adding a domain is its folder plus one
line here (docs/architecture.md, "Adding a domain").

Code is named by dotted strings (``"module:attr"``) and imported only by whoever needs it, so reading the
registrations imports nothing heavy: ``raigov --help`` lists the CLI groups from the registrations alone.
This module and the register modules import only the standard library.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType

# One line per domain (a package with a register.py); the order is the order of routers and CLI groups.
DOMAINS: list[str] = [
    "raigov.identity",
    "raigov.audit",
    "raigov.inventory",
    "raigov.policy",
    "raigov.governance",
    "raigov.datacall",
    "raigov.disclosure.feedback",  # before the public site: its /public/use-cases/{id}/feedback is more specific
    "raigov.disclosure",
    "raigov.disclosure.reports",
    "raigov.bodies",
    "raigov.evaluation",
    "raigov.monitoring",
    "raigov.genai",
    "raigov.training",
    "raigov.oversight",
    "raigov.acquisition",
    "raigov.datasets",
    "raigov.jobs",
    "raigov.demo",
    "raigov.db",
    "raigov.web",
]

Action = str | tuple[str, ...] | None  # an action of permissions.yaml, any of several, or None: every signed-in person


@dataclass(frozen=True)
class Link:
    """A link shown only to who may take `action` somewhere (``can(actor, action)``); None: to every
    signed-in person. `key` is the page's ``nav`` name (marks the current entry); `order` places it in the
    navigation bar (lower first); ``more=True`` lists it on the More page instead (the bar shows "More" when
    the person may open any such link)."""

    path: str
    label: str
    action: Action = None
    key: str = ""
    order: int = 100
    more: bool = False  # listed on the More page (/more), not in the bar: the bar holds one line at 1366 px

    def __post_init__(self) -> None:
        if not self.key:
            object.__setattr__(self, "key", self.path.strip("/").split("/")[0] or "home")


@dataclass(frozen=True)
class CliGroup:
    """``raigov <name> ...``: `module` exposes a Typer ``app``, imported only when the group runs; `help`
    is the one line ``raigov --help`` shows without importing it (a test keeps it equal to the group's)."""

    name: str
    module: str
    help: str


@dataclass(frozen=True)
class HomePanel:
    """The home page's card for a role: what the role does here, and links (each shown when allowed)."""

    role: str
    title: str
    text: str
    links: tuple[Link, ...] = ()


@dataclass(frozen=True)
class DashboardPanel:
    """A panel on /dashboard for who may take `action`: ``data`` ("module:func") takes (session, actor) and
    returns the template's context; ``template`` is included with it as ``panel``."""

    title: str
    action: Action
    data: str
    template: str


@dataclass(frozen=True)
class TaskItem:
    """One thing waiting for someone: what (`label`), where to act (`href`), by when (`due`, the agency's date;
    None: no date) and whether that date has passed (`overdue`)."""

    label: str
    href: str
    due: object = None  # a datetime.date (kept untyped here: this module imports only the standard library)
    overdue: bool = False


@dataclass(frozen=True)
class Task:
    """A line of the home page's "Your tasks", for who may take `action` (``can(actor, action)``; None: every
    signed-in person). `items` ("module:func") takes (session, actor, today) (today: the agency's date) and
    returns the :class:`TaskItem`s waiting for the actor, read with the services' read scope; the home page
    shows how many and how many are overdue, each a link to ``/tasks/<key>`` (the items, each a link where to
    act; ``?overdue=1`` the overdue ones). `link` is the domain's own full list, shown on that page."""

    key: str
    label: str
    action: Action
    items: str
    link: str = ""
    order: int = 100


@dataclass(frozen=True)
class HistoryEntry:
    """One dated line of a use case's History that another domain adds beside the inventory's revisions (an
    incident opened, a use case suspended): ``at`` a timezone-aware datetime, ``href`` where to read more."""

    at: object  # a datetime.datetime (kept untyped here: this module imports only the standard library)
    text: str
    href: str = ""


@dataclass(frozen=True)
class Clock:
    """A clock of ``raigov jobs run``.

    `due` ("module:func") takes (session, today, settings) (today: the agency's date) and returns the
    notices due (``raigov.jobs.clocks.DueNotice``). `objects` maps each ``object_type`` of its notices to a
    "module:func" returning a SELECT of two columns (the object's id, its use case's id), which is how the
    Notices page finds a notice's use case and component; `component_objects` lists object types whose
    ``object_id`` ends in ``:<component code>`` (about a component, not a use case)."""

    name: str
    due: str
    objects: Mapping[str, str] = field(default_factory=dict)
    component_objects: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        object.__setattr__(self, "objects", MappingProxyType(dict(self.objects)))


@dataclass(frozen=True)
class Contribution:
    api: tuple[str, ...] = ()  # "module:attr" of FastAPI APIRouters (JSON under /api/v1, in the OpenAPI)
    # those of `api` that operational systems call at a high rate (decisions, the gate): the app includes them
    # before every other router, since a request's route is found by trying the routers in order (about 0.1 ms
    # for the fifteenth). Their paths overlap no other router's (tests/web/test_routes.py): no answer changes.
    hot: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()  # "module:attr" of page routers
    cli: tuple[CliGroup, ...] = ()
    nav: tuple[Link, ...] = ()
    home: tuple[HomePanel, ...] = ()
    dashboard: tuple[DashboardPanel, ...] = ()
    clocks: tuple[Clock, ...] = ()
    tasks: tuple[Task, ...] = ()
    # "module:func"(session, actor, settings, today) -> list: writes that `raigov jobs run` makes (not on a dry run)
    chores: tuple[str, ...] = ()
    # "module:func"(session, actor, use_case) -> list[HistoryEntry]: lines of a use case's History (the function
    # answers [] for a person who may not read them)
    history: tuple[str, ...] = ()


def load(ref: str):
    """The object a "module:attr" string names (a module for a bare "module")."""
    module, _, attr = ref.partition(":")
    obj = importlib.import_module(module)
    for part in filter(None, attr.split(".")):
        obj = getattr(obj, part)
    return obj


def contribution(domain: str) -> Contribution:
    mod = importlib.import_module(f"{domain}.register")
    found = getattr(mod, "CONTRIBUTES", None)
    if not isinstance(found, Contribution):
        raise TypeError(f"{domain}.register must define CONTRIBUTES = Contribution(...)")
    return found


def contributions(domains: Iterable[str] | None = None) -> list[tuple[str, Contribution]]:
    """(domain, its contribution) for every domain of :data:`DOMAINS`, in order."""
    return [(d, contribution(d)) for d in (DOMAINS if domains is None else domains)]


def api_routers() -> list[str]:
    """The API routers, the `hot` ones first (each domain's in its order), then the others in the domains' order."""
    found = contributions()
    for d, c in found:
        if stray := set(c.hot) - set(c.api):
            raise ValueError(f"{d}: hot routers must be among its api routers: {sorted(stray)}")
    hot = [r for _, c in found for r in c.hot]
    return hot + [r for _, c in found for r in c.api if r not in c.hot]


def page_routers() -> list[str]:
    return [r for _, c in contributions() for r in c.pages]


def cli_groups() -> dict[str, CliGroup]:
    out: dict[str, CliGroup] = {}
    for d, c in contributions():
        for g in c.cli:
            if g.name in out:
                raise ValueError(f"CLI group {g.name!r} is registered twice (again by {d})")
            out[g.name] = g
    return out


def nav() -> list[Link]:
    entries = [(link.order, i, link) for i, link in enumerate(x for _, c in contributions() for x in c.nav)]
    return [link for _, _, link in sorted(entries, key=lambda t: (t[0], t[1]))]


def home_panels() -> dict[str, HomePanel]:
    out: dict[str, HomePanel] = {}
    for _, c in contributions():
        for p in c.home:
            out.setdefault(p.role, p)
    return out


def dashboard_panels() -> list[DashboardPanel]:
    return [p for _, c in contributions() for p in c.dashboard]


def tasks() -> list[Task]:
    """Every registered task, by `order` then registration; a key registered twice is an error."""
    entries = [x for _, c in contributions() for x in c.tasks]
    keys = [t.key for t in entries]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ValueError(f"task keys registered twice: {twice}")
    return [t for _, t in sorted(enumerate(entries), key=lambda it: (it[1].order, it[0]))]


def clocks() -> list[Clock]:
    return [k for _, c in contributions() for k in c.clocks]


def chores() -> list[str]:
    return [k for _, c in contributions() for k in c.chores]


def history_sources() -> list[str]:
    return [k for _, c in contributions() for k in c.history]


def template_dirs() -> list[str]:
    """The ``templates`` folders of the domains that have one (the web app's Jinja loader reads them)."""
    import importlib.util
    from pathlib import Path

    out = []
    for d in DOMAINS:
        spec = importlib.util.find_spec(d)
        for loc in (spec.submodule_search_locations or []) if spec else []:
            if (Path(loc) / "templates").is_dir():
                out.append(str(Path(loc) / "templates"))
    return out


def allowed(actor, action: Action) -> bool:
    """May `actor` see an entry guarded by `action` (None: any signed-in person)?"""
    if actor is None:
        return False
    if action is None:
        return True
    from raigov.identity.permissions import can

    return any(can(actor, a) for a in ((action,) if isinstance(action, str) else action))
