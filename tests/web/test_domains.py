"""The domains register what they contribute (raigov/domains.py, <domain>/register.py) and the app, the CLI
and the jobs read the one list: a throw-away domain built here shows its page, API, CLI command, navigation
entry, home task, dashboard panel and clock; the navigation follows the permission matrix; `raigov --help` imports no
command group."""

from __future__ import annotations

import datetime as dt
import json
import re
import subprocess
import sys
import textwrap

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from raigov import domains
from tests.conftest import PASSWORD
from tests.web.conftest import csrf_from

DUMMY = {
    "__init__.py": '"""A throw-away domain, built by tests/test_domains.py."""\n',
    "register.py": """
        from raigov.domains import CliGroup, Clock, Contribution, DashboardPanel, Link, Task

        CONTRIBUTES = Contribution(
            api=("tests_dummy_domain.web:api",),
            pages=("tests_dummy_domain.web:pages",),
            cli=(CliGroup("dummy", "tests_dummy_domain.cli", "The throw-away domain"),),
            nav=(Link("/dummy", "Dummy things", "eval.read", order=65),),
            dashboard=(DashboardPanel("Dummy panel", "usecase.read", "tests_dummy_domain.web:panel",
                                      "dummy/panel.html"),),
            clocks=(Clock("dummy", "tests_dummy_domain.clock:due",
                          objects={"dummy_thing": "tests_dummy_domain.clock:objects"}),),
            tasks=(Task("dummy", "Dummy things to file", "eval.read", "tests_dummy_domain.web:tasks", order=35),),
        )
    """,
    "web.py": """
        from fastapi import APIRouter, Request

        from raigov.web.app import render
        from raigov.web.deps import require_page_actor

        api = APIRouter(prefix="/api/v1/dummy", tags=["dummy"])
        pages = APIRouter(prefix="/dummy", include_in_schema=False)


        @api.get("/things")
        def things():
            return [{"id": 1, "name": "the first dummy thing"}]


        @pages.get("")
        def page(request: Request):
            require_page_actor(request)
            return render(request, "dummy/page.html", {"nav": "dummy"})


        def panel(session, actor):
            return {"count": 7}


        def tasks(session, actor, today):
            from raigov.domains import TaskItem

            return [TaskItem("File the first dummy thing", "/dummy", today, False),
                    TaskItem("File the second dummy thing", "/dummy", today.replace(year=today.year - 1), True)]
    """,
    "cli.py": """
        import typer

        app = typer.Typer(help="The throw-away domain", no_args_is_help=True)


        @app.command()
        def hello(name: str = typer.Option("world", "--name")) -> None:
            \"\"\"Say hello.\"\"\"
            typer.echo(f"hello {name} from the dummy domain")


        @app.command()
        def other() -> None:
            \"\"\"A second command.\"\"\"
    """,
    "clock.py": """
        from sqlalchemy import select

        from raigov.inventory.models import UseCase
        from raigov.jobs.clocks import REMINDER, DueNotice, Recipient


        def due(session, today, settings):
            return [DueNotice(f"dummy_thing:1:due:{today.isoformat()}", "dummy_due", REMINDER,
                              (Recipient("dummy.lead", "owner"),), "[raigov] a dummy thing is due",
                              "The dummy thing is due.\\n", "dummy_thing", "1", today)]


        def objects():  # dummy thing n belongs to use case n
            return select(UseCase.id.label("object_id"), UseCase.id.label("use_case_id"))
    """,
    "templates/dummy/page.html": """
        {% extends "base.html" %}
        {% block title %}Dummy things{% endblock %}
        {% block content %}<h1>Dummy things</h1>{% endblock %}
    """,
    "templates/dummy/panel.html": """
        <section id="dummy-panel"><h2>{{ panel_title }}</h2><p>{{ panel.count }} dummy things</p></section>
    """,
}


@pytest.fixture
def dummy_domain(tmp_path, monkeypatch):
    root = tmp_path / "pkgs"
    for name, text in DUMMY.items():
        path = root / "tests_dummy_domain" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text).lstrip())
    monkeypatch.syspath_prepend(str(root))
    monkeypatch.setattr(domains, "DOMAINS", [*domains.DOMAINS, "tests_dummy_domain"])  # the one line
    yield "tests_dummy_domain"
    for mod in [m for m in sys.modules if m == "tests_dummy_domain" or m.startswith("tests_dummy_domain.")]:
        del sys.modules[mod]


NAV_LINK = re.compile(r'<a class="usa-nav-link( usa-current)?" href="([^"]+)"(?: aria-current="page")?><span>([^<]+)</span>')


def nav_of(html: str) -> list[tuple[str, str]]:
    return [(href, label.replace("&amp;", "&")) for _, href, label in NAV_LINK.findall(html)]


def signed_in(app, username: str) -> TestClient:
    c = TestClient(app, base_url="http://testserver")
    page = c.get("/sign-in")
    r = c.post("/sign-in", data={"username": username, "password": PASSWORD, "next": "/home",
                                 "csrf_token": csrf_from(page.text)}, follow_redirects=False)
    assert r.status_code == 303, r.text
    return c


def test_a_throw_away_domain_shows_its_page_api_cli_nav_panel_and_clock(
        dummy_domain, backend, db, settings, make_user, actor_of, cli_env, token_for):
    from raigov.identity.permissions import Actor
    from raigov.inventory import service as inventory
    from raigov.jobs import service as jobs
    from raigov.web.app import create_app

    make_user("dummy.lead", "component_ai_lead@CBP")  # holds eval.read, usecase.read and the dashboard
    make_user("an.admin", "admin")  # holds none of them
    with db.transaction() as s:
        bid = inventory.create_use_case(s, actor_of("dummy.lead"), component="CBP", reason="new", settings=settings,
                                        values={"use_case_name": "Dummy", "development_stage": "Pilot"}).business_id
    app = create_app(settings, db)

    # its page, with its navigation entry (current) for who may take the entry's action
    with signed_in(app, "dummy.lead") as c:
        page = c.get("/dummy")
        assert page.status_code == 200 and "<h1>Dummy things</h1>" in page.text
        assert ('<a class="usa-nav-link usa-current" href="/dummy" aria-current="page"><span>Dummy things</span>'
                in page.text)
        nav = nav_of(c.get("/home").text)
        assert ("/dummy", "Dummy things") in nav
        assert nav.index(("/evaluation", "T&E")) + 1 == nav.index(("/dummy", "Dummy things"))  # order=65
        # its task on the home page ("Your tasks"): how many, how many overdue, each a link to the list of them
        home = c.get("/home").text
        assert '<li id="task-dummy" data-count="2" data-overdue="1">' in home
        assert home.index('id="task-practices"') < home.index('id="task-dummy"') < home.index('id="task-certifications"')
        listed = c.get("/tasks/dummy?overdue=1").text
        assert "File the second dummy thing" in listed and "File the first dummy thing" not in listed
        dash = c.get("/dashboard")
        assert dash.status_code == 200 and '<section id="dummy-panel"><h2>Dummy panel</h2><p>7 dummy things' in dash.text
    with signed_in(app, "an.admin") as c:
        assert ("/dummy", "Dummy things") not in nav_of(c.get("/home").text)
        assert 'id="task-dummy"' not in c.get("/home").text and c.get("/tasks/dummy").status_code == 404

    # its API, in the OpenAPI document
    with TestClient(app, base_url="http://testserver") as c:
        r = c.get("/api/v1/dummy/things", headers=token_for("dummy.lead"))
        assert r.status_code == 200 and r.json() == [{"id": 1, "name": "the first dummy thing"}]
        assert "/api/v1/dummy/things" in c.get("/api/openapi.json").json()["paths"]

    # its CLI group: listed by `raigov --help`, and its command runs
    from raigov.cli.main import app as cli

    runner = CliRunner()
    listed = runner.invoke(cli, ["--help"], env={"COLUMNS": "200"})
    assert listed.exit_code == 0 and re.search(r"dummy\s+The throw-away domain", listed.output)
    ran = runner.invoke(cli, ["dummy", "hello", "--name", "Ada"])
    assert ran.exit_code == 0, ran.output
    assert ran.output == "hello Ada from the dummy domain\n"

    # its clock: its notice is due in `raigov jobs run`, kept in the outbox, and found under its use case
    today = dt.date(2030, 1, 15)
    out = runner.invoke(cli, ["jobs", "run", "--json", "--today", today.isoformat()])
    assert out.exit_code == 0, out.output
    due = {n["key"]: n for n in json.loads(out.output)["due"]}
    key = f"dummy_thing:1:due:{today.isoformat()}"
    assert due[key]["recipients"] == [{"username": "dummy.lead", "role": "owner"}]
    assert due[key]["object"] == "dummy_thing:1" and due[key]["kind"] == "dummy_due"
    again = jobs.run(db, Actor.system("jobs"), settings, today=today)
    assert key in {n.key for n in again.due} and f"{key}:to:dummy.lead" not in again.created  # created once
    with db.transaction() as s:
        page = jobs.list_notices(s, actor_of("dummy.lead"), jobs.NoticeFilter(kind="dummy_due"))
    assert [(r.key, r.use_cases) for r in page.rows] == [(f"{key}:to:dummy.lead", [bid])]
    assert page.scope == "component"  # the lead sees it as a notice about a use case of CBP


def test_the_app_the_cli_and_the_jobs_read_the_one_list():
    """Every registered router, CLI module and clock function exists; the CLI groups' registered one-line help
    is the group's own (so `raigov --help` may show it without importing the group)."""
    from raigov.cli.main import load_group

    groups = domains.cli_groups()
    assert set(groups) == {"db", "users", "tokens", "audit", "demo", "serve", "inventory", "policy", "eval",
                           "review", "jobs", "datacall", "genai", "oversight", "monitor", "training", "public",
                           "report", "bodies", "acquisition", "datasets"}
    for g in groups.values():
        cmd = load_group(g.name, g.module)
        assert cmd.get_short_help_str(limit=1000) == g.help, g.name
    for ref in domains.api_routers() + domains.page_routers():
        assert domains.load(ref).routes
    for clock in domains.clocks():
        assert callable(domains.load(clock.due))
        assert all(callable(domains.load(ref)) for ref in clock.objects.values())
    labels = [(link.path, link.label) for link in domains.nav() if not link.more]
    assert labels == [("/home", "Home"), ("/inventory", "Inventory"), ("/policy", "Policy"),
                      ("/dashboard", "Dashboard"), ("/reviews", "Reviews"), ("/datacall", "Data call"),
                      ("/evaluation", "T&E"), ("/genai/tools", "GenAI"), ("/oversight", "Oversight"),
                      ("/admin/users", "Users"), ("/audit", "Audit trail"), ("/notices", "Notices"),
                      ("/account", "My account")]
    assert [(link.path, link.label) for link in domains.nav() if link.more] == [
        ("/bodies", "Bodies"), ("/training", "Training"), ("/acquisition", "Acquisition"), ("/reports", "Reports"),
        ("/datasets", "Datasets")]


def _imports_after(args: list[str]) -> list[str]:
    code = textwrap.dedent(f"""
        import sys
        from typer.testing import CliRunner
        from raigov.cli.main import app
        r = CliRunner().invoke(app, {args!r})
        assert r.exit_code == 0, r.output
        print("\\n".join(sorted(sys.modules)))
    """)
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return done.stdout.split()


def test_cli_help_imports_no_command_group_nor_the_database_layer():
    """`raigov --help` and `raigov audit --help` (≤ 1 s, docs/architecture.md) import no command group beyond
    the one asked for, no SQLAlchemy, no settings, no FastAPI."""
    heavy = ("sqlalchemy", "pydantic_settings", "fastapi", "numpy", "raigov.config", "raigov.db.engine")
    top = _imports_after(["--help"])
    assert not [m for m in top if m.startswith(heavy)]
    assert [m for m in top if m.startswith("raigov.cli.")] == ["raigov.cli.main"]
    audit = _imports_after(["audit", "--help"])
    assert not [m for m in audit if m.startswith(heavy)]
    assert [m for m in audit if m.startswith("raigov.cli.")] == ["raigov.cli.audit", "raigov.cli.common",
                                                                 "raigov.cli.main"]


ROLE_NAV = {
    # the T&E link follows eval.read: a privacy reviewer and a use case owner may read runs (before: only the
    # T&E engineer and the CAIO's office saw the link); Users follows user.read (the CAIO and the auditor too);
    # More (/more) when the person may open one of the areas listed there (bodies, training, reports, ...)
    "the.caio": (["caio"], ["/home", "/inventory", "/policy", "/dashboard", "/reviews", "/datacall", "/evaluation",
                           "/genai/tools", "/oversight", "/more", "/admin/users", "/audit", "/notices", "/account"]),
    "a.privacy": (["privacy_reviewer"], ["/home", "/inventory", "/policy", "/dashboard", "/reviews", "/evaluation",
                                         "/genai/tools", "/oversight", "/more", "/notices", "/account"]),
    "cbp.owner": (["submitter@CBP"], ["/home", "/inventory", "/policy", "/evaluation", "/genai/tools", "/more",
                                      "/notices", "/account"]),
    "cbp.tester": (["te_engineer@CBP"], ["/home", "/inventory", "/policy", "/evaluation", "/genai/tools", "/more",
                                         "/notices", "/account"]),
    "an.auditor": (["auditor"], ["/home", "/inventory", "/policy", "/dashboard", "/evaluation", "/genai/tools",
                                 "/oversight", "/more", "/admin/users", "/audit", "/notices", "/account"]),
    "an.admin": (["admin"], ["/home", "/admin/users", "/notices", "/account"]),
    "an.employee": (["employee"], ["/home", "/genai/tools", "/notices", "/account"]),
}


def test_navigation_follows_the_permission_matrix_and_every_link_opens(backend, db, settings, make_user, app):
    for username, (roles, _) in ROLE_NAV.items():
        make_user(username, *roles)
    for username, (_, expected) in ROLE_NAV.items():
        with signed_in(app, username) as c:
            home = c.get("/home")
            assert [href for href, _ in nav_of(home.text)] == expected, username
            for href in expected:  # the navigation and the pages agree: every link shown opens
                assert c.get(href).status_code == 200, (username, href)
            if username == "an.employee":
                assert c.get("/evaluation").status_code == 403 and c.get("/dashboard").status_code == 403


def test_home_panels_link_where_the_role_may_go(backend, db, settings, make_user, app):
    """The T&E engineer's panel links to the T&E pages (before: nowhere); the other panels keep their links."""
    make_user("cbp.tester", "te_engineer@CBP")
    make_user("cbp.lead", "component_ai_lead@CBP")
    card_links = re.compile(r'<a class="usa-button" href="([^"]+)">([^<]+)</a>')
    with signed_in(app, "cbp.tester") as c:
        html = c.get("/home").text
    assert '<h2 class="usa-card__heading">Test and evaluation</h2>' in html
    assert card_links.findall(html) == [("/evaluation", "Test and evaluation")]
    with signed_in(app, "cbp.lead") as c:
        html = c.get("/home").text
    assert card_links.findall(html) == [("/dashboard", "Dashboard"), ("/datacall", "Data call"),
                                        ("/reviews", "Component reviews"), ("/inventory", "Inventory"),
                                        ("/inventory/import/file", "Import a file")]


def test_cli_groups_load_on_demand_and_keep_working():
    """A group runs as before (its options, its sub-commands), a mistyped group name is suggested from the
    registered groups, unknown ones are refused."""
    from raigov.cli.main import app as cli

    runner = CliRunner()
    r = runner.invoke(cli, ["audt"])
    assert r.exit_code == 2 and "Did you mean 'audit'?" in r.output
    assert runner.invoke(cli, ["nosuchgroup"]).exit_code == 2
    r = runner.invoke(cli, ["policy", "list", "--json"])
    assert r.exit_code == 0 and any(p["id"] == "omb-m-25-21" for p in json.loads(r.output))
    assert runner.invoke(cli, ["--version"]).output.strip() == __import__("raigov").__version__
