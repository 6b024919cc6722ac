"""`raigov audit ...`: verify the trail, sign and print tree heads, prove inclusion and consistency."""

from __future__ import annotations

import typer
from rich.table import Table

from raigov.cli.common import (
    EXIT_PROBLEM,
    console,
    handle_errors,
    print_json,
    ready_database,
    settings,
    system_actor,
)

app = typer.Typer(help="The tamper-evident audit trail", no_args_is_help=True)


def _show(data: dict, json_: bool) -> None:
    if json_:
        print_json(data)
        return
    width = max(map(len, data))
    for k, v in data.items():
        console.print(f"{k:>{width}}: {v}")


@app.command()
@handle_errors
def verify(json_: bool = typer.Option(False, "--json")) -> None:
    """Check the hash chain and the Merkle tree against every signed head. Exit 1 names the first
    event that was changed, deleted, inserted or reordered; exit 0 when intact."""
    from rich.progress import Progress

    from raigov.audit import service

    db = ready_database()
    with db.transaction() as s:
        if json_:
            result = service.verify(s, system_actor())
        else:
            with Progress(transient=True, console=console) as p:
                p.add_task("verifying the audit trail", total=None)
                result = service.verify(s, system_actor())
    if json_:
        print_json(result.as_dict())
    elif result.ok:
        console.print(
            f"[green]intact[/green]: {result.events} events, {result.heads_checked} signed heads, root {result.root_hash}"
        )
    else:
        f0 = result.findings[0]
        console.print(f"[red]TAMPERED[/red]: {f0.message}")
        for f in result.findings[1:]:
            console.print(f"  also: {f.message}")
    if not result.ok:
        raise typer.Exit(EXIT_PROBLEM)


@app.command()
@handle_errors
def head(json_: bool = typer.Option(False, "--json")) -> None:
    """Sign the current tree head with the audit key, keep it, and print it."""
    from raigov.audit import service

    db = ready_database()
    with db.transaction() as s:
        h = service.sign_head(s, system_actor(), settings().ensure_data_dir())
    _show(h, json_)


@app.command()
@handle_errors
def prove(
    seq: int,
    tree_size: int = typer.Option(None, "--tree-size", help="Prove against this earlier size"),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Inclusion proof of event SEQ (RFC 9162)."""
    from raigov.audit import service

    db = ready_database()
    with db.transaction() as s:
        p = service.inclusion(s, system_actor(), seq, tree_size)
    _show(p, json_)


@app.command("prove-consistency")
@handle_errors
def prove_consistency(old: int, new: int, json_: bool = typer.Option(False, "--json")) -> None:
    """Consistency proof between the trees of OLD and NEW events (RFC 9162)."""
    from raigov.audit import service

    db = ready_database()
    with db.transaction() as s:
        p = service.consistency(s, system_actor(), old, new)
    _show(p, json_)


@app.command("list")
@handle_errors
def list_(
    actor: str = typer.Option(None, "--actor"),
    action: str = typer.Option(None, "--action", help="Action or its prefix, e.g. identity."),
    object_type: str = typer.Option(None, "--object-type"),
    object_id: str = typer.Option(None, "--object-id"),
    limit: int = typer.Option(50, "--limit"),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """List events, newest first."""
    from raigov.audit import service

    db = ready_database()
    with db.transaction() as s:
        rows, total = service.list_events(
            s, system_actor(), service.EventFilter(actor, action, object_type, object_id), limit=limit
        )
        data = [service.event_as_dict(e) for e in rows]
    if json_:
        print_json({"total": total, "events": data})
        return
    t = Table("seq", "time", "actor", "action", "object", title=f"{total} events")
    for e in data:
        t.add_row(str(e["seq"]), e["time"], e["actor"], e["action"], f"{e['object_type']}:{e['object_id']}")
    console.print(t)
