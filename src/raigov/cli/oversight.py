"""`raigov oversight`: the decision ledger's statistics and a decision's proof, from the operator's shell.
Service imports are inside the commands so that `raigov oversight --help` stays quick."""

from __future__ import annotations

import typer

from raigov.cli.common import EXIT_PROBLEM, console, handle_errors, print_json, ready_database, system_actor

app = typer.Typer(help="Human oversight: the decision ledger's statistics and proofs", no_args_is_help=True)


@app.command()
@handle_errors
def stats(use_case: str, json_: bool = typer.Option(False, "--json"),
          since: str = typer.Option(None, "--since", help="first agency day, YYYY-MM-DD"),
          until: str = typer.Option(None, "--until", help="last agency day, YYYY-MM-DD")) -> None:
    """Decisions recorded and refused, by kind and human action, and the override rate (from the daily counts)."""
    import datetime as dt

    from raigov.errors import ValidationFailed
    from raigov.oversight import service

    def day(value: str | None, name: str):
        try:
            return dt.date.fromisoformat(value) if value else None
        except ValueError:
            raise ValidationFailed.one(name, "a date, YYYY-MM-DD") from None

    db = ready_database()
    with db.transaction(read=True) as s:
        out = service.stats(s, system_actor(), use_case, day(since, "--since"), day(until, "--until"))
    if json_:
        print_json(out)
        return
    t = out["totals"]
    console.print(f"{out['use_case']}: {t['recorded']} recorded, {t['refused']} refused")
    for kind, n in sorted(out["by_kind"].items()):
        console.print(f"  {kind}: {n['recorded']} recorded, {n['refused']} refused")
    actions = ", ".join(f"{a} {n}" for a, n in out["by_human_action"].items())
    console.print(f"  human action (recorded): {actions}")
    rate = out["override_rate"]
    console.print(f"  override rate: {'n/a' if rate is None else f'{rate:.1%}'} of {out['reviewed']} reviewed")


@app.command()
@handle_errors
def prove(decision_id: int = typer.Argument(..., min=1, help="the decision's ledger id"),
          json_: bool = typer.Option(False, "--json")) -> None:
    """Prove a decision: item hash -> its batch's Merkle root -> the audit event carrying the root -> the signed
    tree head. Exit 1 when a step does not check out (or no signed head covers the event yet)."""
    from raigov.oversight import service

    db = ready_database()
    with db.transaction(read=True) as s:
        p = service.prove(s, system_actor(), decision_id)
    if json_:
        print_json(p)
    else:
        d, b, e = p["decision"], p["batch"], p["event"]
        console.print(f"decision {d['id']} ({d['use_case']} {d['decision_id']}), item hash {b['item_hash']}")
        console.print(f"  leaf {b['leaf_index']} of {b['tree_size']}, batch Merkle root {b['merkle_root']}")
        console.print(f"  audit event {e['seq']} ({e['action']}), in the trail's tree of size "
                      f"{p['event_proof']['tree_size']}, root {p['event_proof']['root_hash']}")
        head = p["signed_head"]
        console.print(f"  signed head: {head['timestamp']} size {head['tree_size']}" if head else
                      "  no signed head covers the event yet: raigov audit head")
        for step, ok in p["steps"].items():
            console.print(f"  {step}: {'ok' if ok else 'FAILED'}")
        console.print("[green]verified[/green]" if p["verified"] else "[red]NOT VERIFIED[/red]")
    if not p["verified"]:
        raise typer.Exit(EXIT_PROBLEM)
