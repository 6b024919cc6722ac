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
        from raigov.datacall.worklist import group_checks

        _print_groups(group_checks(p.components[0].failing))


def _print_groups(groups) -> None:
    """The failing checks by kind, numbered (the number is what `fix` and `explain` take), in plain words."""
    if not groups:
        console.print("  no failing check", highlight=False)
    for i, g in enumerate(groups, 1):
        ids = [c.business_id for c in g.checks]
        shown = ", ".join(ids[:10]) + (f" and {len(ids) - 10} more" if len(ids) > 10 else "")
        console.print(f"  kind {i}. {g.title}: {g.count} use case{'s' if g.count != 1 else ''} ({shown}); "
                      f"{g.explained} explained", highlight=False, soft_wrap=True)
        if g.answer is not None:
            how = (f"one of: {'; '.join(g.answer.options)}" if g.answer.options
                   else "a date (YYYY-MM-DD)" if g.answer.type == "date" else "text")
            console.print(f"     answer for many at once with `fix --kind {i} --value ...`: {how}", highlight=False,
                          soft_wrap=True)


def _kind_of(db, year: int, component: str, number: int):
    """The group of failing checks numbered `number` in `status YEAR --component COMPONENT`."""
    from raigov.datacall import service as datacall

    with db.transaction(read=True) as s:
        _, groups = datacall.check_groups(s, system_actor(), year, component)
    if not 1 <= number <= len(groups):
        err_console.print(f"[red]error:[/red] kind: {component} has {len(groups)} kind(s) of failing check; "
                          f"`raigov datacall status {year} --component {component}` numbers them", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    return groups[number - 1]


KindOption = Annotated[int, typer.Option("--kind", min=1, max=10_000,
                                         help="the kind's number in `status YEAR --component COMPONENT`")]
UseCaseOption = Annotated[list[str] | None, typer.Option(
    "--use-case", help="a use case's id (repeatable); every use case of the kind when left out")]


@app.command()
@handle_errors
def fix(year: int, component: str, kind: KindOption,
        value: Annotated[list[str], typer.Option("--value", help="the answer (repeat for a multiple choice)")],
        use_case: UseCaseOption = None, reason: str = typer.Option("", "--reason", help="why (kept on each revision)"),
        as_: AsOption = None, password_stdin: PasswordStdin = False) -> None:
    """The component AI lead gives one answer to the field of a kind of failing check for many use cases at
    once (a new revision of each; all or nothing), as the certification page does."""
    from raigov.datacall import service as datacall

    component = component.strip().upper()
    db = ready_database()
    group = _kind_of(db, year, component, kind)
    actor = _person(db, as_, password_stdin)
    ids = use_case or [c.business_id for c in group.checks]
    with db.transaction() as s:
        changed = datacall.fix_checks(s, actor, year, component, group.kind, ids, value[0] if len(value) == 1 else value,
                                      reason)
    console.print(f"“{group.title}”: answered for {len(changed)} use case{'s' if len(changed) != 1 else ''} "
                  f"({', '.join(changed)})", highlight=False, soft_wrap=True)


@app.command()
@handle_errors
def explain(year: int, component: str, kind: KindOption,
            text: str = typer.Option(..., "--text", help="why these checks are acceptable"),
            use_case: UseCaseOption = None, as_: AsOption = None, password_stdin: PasswordStdin = False) -> None:
    """The component AI lead explains a kind of failing check once for the chosen use cases (saving again
    replaces it); the certification reads the explanations."""
    from raigov.datacall import service as datacall

    component = component.strip().upper()
    db = ready_database()
    group = _kind_of(db, year, component, kind)
    actor = _person(db, as_, password_stdin)
    ids = use_case or [c.business_id for c in group.checks]
    with db.transaction() as s:
        n = datacall.explain_checks(s, actor, year, component, group.kind, ids, text)
    console.print(f"“{group.title}”: explained for {n} use case{'s' if n != 1 else ''}", highlight=False, soft_wrap=True)


@app.command("certify-component")
@handle_errors
def certify_component(
    year: int,
    component: str,
    statement: str = typer.Option(..., "--statement", help="The certification statement"),
    explain: Annotated[list[str] | None, typer.Option(
        "--explain", help="KEY=TEXT (`status --json` keys): why a check is acceptable; repeatable")] = None,
    as_: AsOption = None,
    password_stdin: PasswordStdin = False,
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """The component AI lead certifies COMPONENT's use cases (every failing check fixed or explained:
    `raigov datacall status YEAR --component X` lists them by kind, `fix` and `explain` work on a kind;
    `--explain KEY=TEXT` takes a check's key from `status --json`)."""
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
