"""`raigov datacall ...`: the annual data call from the shell.

Reading the progress needs no sign-in (the operator's shell may export every row anyway). Opening a cycle,
certifying and finishing a snapshot left pending by a crash are acts of named people (the CAIO, a component AI
lead; for `finish`, the CAIO's office or an administrator): the permission matrix does not let the shell
(`system`) do them, so these commands take `--as USERNAME` and that person's password (prompted,
or one line on standard input with `--password-stdin`), checked like a sign-in (failures counted, lockout),
and then act, and are recorded in the audit trail, as that person."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

import typer
from rich.table import Table

from raigov.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_PROBLEM,
    AsOption,
    PasswordStdin,
    console,
    err_console,
    handle_errors,
    person_actor,
    print_json,
    ready_database,
    settings,
    system_actor,
)

app = typer.Typer(help="The annual data call: open, progress, component and CAIO certification, finishing a snapshot",
                  no_args_is_help=True)



def _person(db, username: str | None, password_stdin: bool):
    return person_actor(db, username, password_stdin, "opening and certifying are done by a named person")


def _date(value: str, field: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        err_console.print(f"[red]error:[/red] {field}: {value!r} is not a date (YYYY-MM-DD)", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None


@app.command("open")
@handle_errors
def open_(
    year: int = typer.Argument(..., help="The reporting year"),
    due: str = typer.Option(..., "--due", help="Due date of the component certifications, YYYY-MM-DD"),
    title: str = typer.Option("", "--title"),
    as_: AsOption = None,
    password_stdin: PasswordStdin = False,
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Open the YEAR reporting cycle (CAIO or delegate; one per year)."""
    from raigov.datacall import service as datacall

    due_on = _date(due, "due")
    db = ready_database()
    actor = _person(db, as_, password_stdin)
    with db.transaction() as s:
        out = datacall.cycle_as_dict(datacall.open_cycle(s, actor, year, due_on, title))
    if json_:
        print_json(out)
    else:
        console.print(f"opened the {year} data call, due {due_on}, by {actor.label}")


@app.command()
@handle_errors
def status(year: int, json_: bool = typer.Option(False, "--json"),
           component: str = typer.Option(None, "--component", help="Only this component, with its failing checks")) -> None:
    """Progress of the YEAR data call: per component, active use cases, failing checks, certification."""
    from raigov.datacall import service as datacall

    db = ready_database()
    with db.transaction() as s:
        p = datacall.progress(s, system_actor(), year, component)
        out = p.as_dict()
    if json_:
        print_json(out)
        return
    c = out["cycle"]
    console.print(f"{c['title']}: {c['status']}, due {c['due_on']}; {out['certified']} of {out['required']} "
                  "components with active use cases certified"
                  + (f"; snapshot {c['snapshot_sha256']}" if c["snapshot_sha256"] else ""))
    t = Table("component", "active", "failing checks", "explained", "state", "certified by", "certified at")
    for r in out["components"]:
        t.add_row(r["component"], str(r["active"]), str(len(r["failing"])), str(r["explained"]), r["state"],
                  r["certified_by"] or "", (r["certified_at"] or "")[:19])
    console.print(t)
    if component:
        for f in out["components"][0]["failing"]:
            console.print(f"  {f['key']}: {f['message']}" + (f"\n    explained: {f['explanation']}" if f["explanation"] else ""))


@app.command("certify-component")
@handle_errors
def certify_component(
    year: int,
    component: str,
    statement: str = typer.Option(..., "--statement", help="The certification statement"),
    explain: Annotated[list[str] | None, typer.Option("--explain",
                                                      help="KEY=TEXT: why a failing check is acceptable; repeatable")] = None,
    as_: AsOption = None,
    password_stdin: PasswordStdin = False,
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """The component AI lead certifies COMPONENT's use cases (every failing check fixed or explained;
    `raigov datacall status YEAR --component X` lists the keys)."""
    from raigov.datacall import service as datacall

    explanations = {}
    for item in explain or []:
        key, sep, text = item.partition("=")
        if not sep or not key.strip():
            err_console.print(f"[red]error:[/red] explain: {item!r} is not KEY=TEXT", highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT)
        explanations[key.strip()] = text
    db = ready_database()
    actor = _person(db, as_, password_stdin)
    with db.transaction() as s:
        cert = datacall.certify_component(s, actor, year, component.strip().upper(), statement, explanations)
        out = {"year": year, "component": cert.component, "use_cases": cert.use_case_count,
               "content_sha256": cert.content_sha256, "explained": len(cert.explanations), "certified_by": cert.certified_by}
    if json_:
        print_json(out)
    else:
        console.print(f"{out['component']} certified for {year} by {out['certified_by']}: {out['use_cases']} active use cases, "
                      f"{out['explained']} checks explained, content {out['content_sha256']}")


@app.command()
@handle_errors
def certify(
    year: int,
    statement: str = typer.Option(..., "--statement", help="The CAIO's certification statement"),
    as_: AsOption = None,
    password_stdin: PasswordStdin = False,
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """The CAIO certifies the whole inventory: writes the snapshot (OMB 2025 CSV, full and public) under
    DATA_DIR/snapshots/YEAR, records its hashes in the audit trail and signs a tree head."""
    from raigov.datacall import service as datacall

    db = ready_database()
    actor = _person(db, as_, password_stdin)
    with db.transaction() as s:
        res = datacall.certify(s, actor, year, statement, settings())
    out = res.as_dict()
    if json_:
        print_json(out)
    else:
        console.print(f"the {year} inventory is certified: {res.rows} use cases ({res.public_rows} public)")
        for name, sha in res.files.items():
            console.print(f"  {res.directory}/{name}  sha256 {sha}")
        console.print(f"  audit event {res.event_seq}; signed head: size {res.head['tree_size']}, root {res.head['root_hash']}")


_FINISH_LINE = {
    "finished": "renamed {name}.pending into place (sha256 {actual})",
    "present": "{name} already in place (sha256 {actual})",
    "mismatch": "refused {name}.pending: its sha256 {actual} is not the recorded {expected}; left where it is",
    "missing": "{name} is missing and has no pending file",
    "tampered": "{name} is in place but its sha256 {actual} is not the recorded {expected}",
}


@app.command()
@handle_errors
def finish(
    year: int,
    as_: AsOption = None,
    password_stdin: PasswordStdin = False,
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Finish a certified snapshot after a crash between the certification's commit and its renames: each missing
    file whose pending file has the recorded hash is renamed into place (CAIO, delegate or administrator).
    Exit 0 when every file of the snapshot is in place with their recorded hashes, 1 otherwise."""
    from raigov.datacall import service as datacall

    db = ready_database()
    actor = person_actor(db, as_, password_stdin, "finishing a snapshot is done by a named person")
    with db.transaction() as s:
        res = datacall.finish(s, actor, settings(), year)
    if json_:
        print_json(res.as_dict())
    else:
        for f in res.files:
            line = _FINISH_LINE.get(f.state, "{name}: " + f.state)
            (console if f.ok else err_console).print(
                line.format(name=f"{res.directory}/{f.name}", actual=f.actual_sha256, expected=f.expected_sha256),
                highlight=False, soft_wrap=True)
        console.print(f"the {year} snapshot is complete" if res.complete else f"the {year} snapshot is NOT complete",
                      highlight=False, soft_wrap=True)
    if not res.complete:
        raise typer.Exit(EXIT_PROBLEM)
