"""`raigov genai tools|rules|access ...`: the tool catalog, the rules of behavior and access (docs/genai.md).

    raigov genai tools list [--json]
    raigov genai tools add ID NAME --class public|internal [--course C]... [--rules-version N] [--upstream URL]
                                  [--tos TEXT] [--state approved|conditional|revoked] [--conditions TEXT]
    raigov genai tools state ID approved|conditional|revoked --reason TEXT [--from YYYY-MM-DD]
    raigov genai rules show [--json] | raigov genai rules publish FILE --title TEXT
    raigov genai rules acknowledge --as USER                  (the password is asked: the signature)
    raigov genai access mine --as USER [--json]
    raigov genai access request TOOL --purpose TEXT --as USER
    raigov genai access waiting --as SUPERVISOR [--json]
    raigov genai access decide ID approve|decline [--note TEXT] --as SUPERVISOR
    raigov genai access renew GRANT --as SUPERVISOR
    raigov genai access grants [--tool ID] [--component CODE] [--json]
    raigov genai access suspend-lapsed [--json]

The shell acts as `system` (the catalog, the rules' publication, the grants' list and suspensions); a person's
own acts (asking, deciding, acknowledging) take `--as USER` and their password.
"""

from __future__ import annotations

from pathlib import Path

import typer

from raigov.cli.common import AsOption, PasswordStdin, console, handle_errors, print_json

tools_app = typer.Typer(help="The GenAI tool catalog", no_args_is_help=True)
rules_app = typer.Typer(help="The GenAI rules of behavior", no_args_is_help=True)
access_app = typer.Typer(help="GenAI access requests and grants", no_args_is_help=True)


def _today():
    from raigov.cli.common import settings
    from raigov.clock import agency_today

    return agency_today(settings())


def _person(as_: str | None, password_stdin: bool):
    from raigov.cli.common import person_actor, ready_database

    db = ready_database()
    return db, person_actor(db, as_, password_stdin)


def _out(data, as_json: bool, line) -> None:
    if as_json:
        print_json(data)
        return
    for row in data:
        console.print(line(row), highlight=False, markup=False)


@tools_app.command("list")
@handle_errors
def tools_list(as_json: bool = typer.Option(False, "--json")):
    """The catalog: each tool, its data class and its state today."""
    from raigov.cli.common import ready_database
    from raigov.genai import catalog

    with ready_database().transaction() as s:
        rows = catalog.list_tools(s, _today())
    _out(rows, as_json, lambda t: f"{t['id']}: {t['name']} ({t['data_class']}) {t['state_words']}")


@tools_app.command("add")
@handle_errors
def tools_add(tool_id: str, name: str, data_class: str = typer.Option(..., "--class"),
              course: list[str] = typer.Option([], "--course"), rules_version: int = typer.Option(None, "--rules-version"),
              upstream: str = typer.Option(None, "--upstream"), tos: str = typer.Option("", "--tos"),
              state: str = typer.Option("approved", "--state"), conditions: str = typer.Option("", "--conditions")):
    """Add a tool to the catalog."""
    from raigov.cli.common import ready_database, system_actor
    from raigov.genai import catalog

    with ready_database().transaction() as s:
        catalog.create_tool(s, system_actor(), tool_id, name, data_class, today=_today(), tos_amendment=tos,
                            course_ids=course, rules_version=rules_version, upstream_url=upstream, state=state,
                            conditions=conditions)
    console.print(f"added {tool_id}", highlight=False)


@tools_app.command("state")
@handle_errors
def tools_state(tool_id: str, state: str, reason: str = typer.Option("", "--reason"),
                effective: str = typer.Option(None, "--from", help="YYYY-MM-DD (default: today)"),
                as_json: bool = typer.Option(False, "--json")):
    """Change a tool's state from a date; revoking suspends every grant and notifies the holders."""
    import datetime as dt

    from raigov.cli.common import ready_database, settings, system_actor
    from raigov.errors import ValidationFailed
    from raigov.genai import catalog

    today = _today()
    try:
        day = dt.date.fromisoformat(effective) if effective else today
    except ValueError:
        raise ValidationFailed.one("from", f"{effective!r} is not a date (YYYY-MM-DD)") from None
    with ready_database().transaction() as s:
        out = catalog.set_state(s, system_actor(), tool_id, state, day, reason, today, settings().base_url)
    if as_json:
        print_json(out)
    else:
        console.print(f"{tool_id}: {state} from {day.isoformat()}; grants suspended: {len(out['suspended'])}",
                      highlight=False)


@rules_app.command("show")
@handle_errors
def rules_show(as_json: bool = typer.Option(False, "--json")):
    """The current rules of behavior."""
    from raigov.cli.common import ready_database
    from raigov.genai import rules

    with ready_database().transaction() as s:
        cur = rules.current_rules(s)
        data = None if cur is None else {"version": cur.version, "title": cur.title, "text": cur.text}
    if as_json:
        print_json(data)
    else:
        console.print("no rules published" if data is None else f"version {data['version']}: {data['title']}\n\n"
                      f"{data['text']}", highlight=False, markup=False)


@rules_app.command("publish")
@handle_errors
def rules_publish(file: Path, title: str = typer.Option(..., "--title")):
    """Publish the text of FILE as the next version (everybody acknowledges it again)."""
    from raigov.cli.common import ready_database, system_actor
    from raigov.genai import rules

    with ready_database().transaction() as s:
        v = rules.publish_rules(s, system_actor(), title, file.read_text(encoding="utf-8")).version
    console.print(f"published version {v}", highlight=False)


@rules_app.command("acknowledge")
@handle_errors
def rules_acknowledge(as_: AsOption = None, password_stdin: PasswordStdin = False):
    """Acknowledge the current rules of behavior (your password is the signature)."""
    from raigov.errors import NotFound
    from raigov.genai import rules

    db, actor = _person(as_, password_stdin)
    with db.transaction() as s:
        cur = rules.current_rules(s)
        if cur is None:
            raise NotFound("no rules of behavior are published yet")
        rules.acknowledge(s, actor, cur.version)
        v = cur.version
    console.print(f"acknowledged version {v}", highlight=False)


@access_app.command("mine")
@handle_errors
def mine(as_: AsOption = None, password_stdin: PasswordStdin = False, as_json: bool = typer.Option(False, "--json")):
    """Your tools: grant, latest request and what stands before a grant."""
    from raigov.genai import access

    db, actor = _person(as_, password_stdin)
    with db.transaction() as s:
        rows = access.my_tools(s, actor, _today())
    _out(rows, as_json, lambda t: f"{t['id']}: {t['state_words']}; grant "
         f"{'usable' if t['grant'] and t['grant']['usable'] else 'none or not usable'}"
         + (f"; missing: {'; '.join(t['blockers'])}" if t["blockers"] else ""))


@access_app.command("request")
@handle_errors
def ask(tool: str, purpose: str = typer.Option(..., "--purpose"), as_: AsOption = None,
        password_stdin: PasswordStdin = False):
    """Ask for a tool; your supervisor decides."""
    from raigov.genai import access

    db, actor = _person(as_, password_stdin)
    with db.transaction() as s:
        rid = access.request_access(s, actor, tool, purpose, _today()).id
    console.print(f"request {rid} sent to your supervisor", highlight=False)


@access_app.command("waiting")
@handle_errors
def waiting(as_: AsOption = None, password_stdin: PasswordStdin = False, as_json: bool = typer.Option(False, "--json")):
    """The requests waiting for your decision."""
    from raigov.genai import access

    db, actor = _person(as_, password_stdin)
    with db.transaction() as s:
        rows = access.waiting_for(s, actor, _today())
    _out(rows, as_json, lambda r: f"{r['id']}: {r['user']} asks for {r['tool']}: {r['purpose']}")


@access_app.command("decide")
@handle_errors
def decide(request_id: int, decision: str = typer.Argument(..., help="approve or decline"),
           note: str = typer.Option("", "--note"), as_: AsOption = None, password_stdin: PasswordStdin = False):
    """Approve or decline a request (you are the requester's supervisor)."""
    from raigov.errors import ValidationFailed
    from raigov.genai import access

    if decision not in ("approve", "decline"):
        raise ValidationFailed.one("decision", "approve or decline")
    db, actor = _person(as_, password_stdin)
    with db.transaction() as s:
        status = access.decide(s, actor, request_id, decision == "approve", note, _today()).status
    console.print(f"request {request_id}: {status}", highlight=False)


@access_app.command("renew")
@handle_errors
def renew(grant_id: int, as_: AsOption = None, password_stdin: PasswordStdin = False):
    """Re-attest a grant for another year (you are the holder's supervisor)."""
    from raigov.genai import access

    db, actor = _person(as_, password_stdin)
    with db.transaction() as s:
        until = access.renew(s, actor, grant_id, _today()).expires_on
    console.print(f"grant {grant_id} renewed until {until.isoformat()}", highlight=False)


@access_app.command("grants")
@handle_errors
def grants(tool: str = typer.Option(None, "--tool"), component: str = typer.Option(None, "--component"),
           as_json: bool = typer.Option(False, "--json")):
    """Every grant, by tool and component, with whether it is usable today and why not."""
    from raigov.cli.common import ready_database, system_actor
    from raigov.genai import access

    with ready_database().transaction() as s:
        rows = access.all_grants(s, system_actor(), _today(), tool, component)
    _out(rows, as_json, lambda g: f"{g['tool']} {g['user']} ({g['component'] or 'DHS'}): "
         f"{'usable' if g['usable'] else 'not usable: ' + '; '.join(g['reasons'])} until {g['expires_on']}")


@access_app.command("suspend-lapsed")
@handle_errors
def suspend_lapsed(as_json: bool = typer.Option(False, "--json")):
    """Record the suspension of every grant whose conditions lapsed (expired, revoked, course, rules)."""
    from raigov.cli.common import ready_database, system_actor
    from raigov.genai import access

    with ready_database().transaction() as s:
        rows = access.suspend_lapsed(s, system_actor(), _today())
    _out(rows, as_json, lambda r: f"{r['tool']} {r['user']}: {'; '.join(r['reasons'])}")
