"""`raigov acquisition`: solicitations and contracts that acquire AI, their AI contract requirements and
vendors, from the operator's shell (as the system; a waiver is given by a named person with --as).
Service imports are inside the commands so that `raigov acquisition --help` stays quick."""

from __future__ import annotations

import typer

from raigov.cli.common import AsOption, PasswordStdin, console, handle_errors, print_json, ready_database, system_actor

app = typer.Typer(help="AI acquisition: contracts, vendors and AI contract requirements", no_args_is_help=True)
JSON = typer.Option(False, "--json")


def _show(c: dict) -> None:
    console.print(f"{c['number']} ({c['kind']}): {c['title']}; vendor {c['vendor'] or '(none yet)'}; "
                  f"ends {c['ends_on'] or 'not set'}; use cases {', '.join(u['id'] for u in c['use_cases']) or 'none'}",
                  highlight=False)
    for r in c.get("requirements", []):
        extra = f": {r['clause']}" if r["status"] == "met" else f": {r['reason']}" if r["status"] == "waived" else ""
        console.print(f"  {r['status_label']:8} {r['title']}{extra}", highlight=False)
    if "requirements" not in c and c["missing"]:
        console.print(f"  missing: {'; '.join(c['missing_titles'])}", highlight=False)


@app.command()
@handle_errors
def requirements(json_: bool = JSON) -> None:
    """The AI contract requirements, with their citations."""
    from raigov.acquisition.requirements import catalogue

    c = catalogue()
    out = {"version": c.version, "requirements": [{"key": r.key, "title": r.title, "text": r.text,
                                                   "citations": list(r.citations)} for r in c.requirements]}
    if json_:
        print_json(out)
        return
    for r in out["requirements"]:
        console.print(f"{r['key']}: {r['title']} ({'; '.join(r['citations'])})", highlight=False)


@app.command("list")
@handle_errors
def list_(json_: bool = JSON) -> None:
    """Every solicitation and contract, with the requirements each misses."""
    from raigov.acquisition import reads

    with ready_database().transaction(read=True) as s:
        rows = reads.list_contracts(s, system_actor())
    if json_:
        print_json(rows)
        return
    for c in rows:
        _show(c)


@app.command()
@handle_errors
def show(number: str, json_: bool = JSON) -> None:
    """One solicitation or contract with the state of every requirement."""
    from raigov.acquisition import reads

    with ready_database().transaction(read=True) as s:
        c = reads.contract_view(s, system_actor(), number)
    print_json(c) if json_ else _show(c)


@app.command()
@handle_errors
def add(number: str = typer.Option(..., "--number"), title: str = typer.Option(..., "--title"),
        kind: str = typer.Option("contract", "--kind", help="solicitation or contract"),
        vendor: str = typer.Option("", "--vendor"), component: str = typer.Option(None, "--component"),
        awarded: str = typer.Option(None, "--awarded", help="YYYY-MM-DD"),
        starts: str = typer.Option(None, "--starts", help="YYYY-MM-DD"),
        ends: str = typer.Option(None, "--ends", help="YYYY-MM-DD"),
        option: list[str] = typer.Option([], "--option", help="an option date, YYYY-MM-DD (repeat)"),
        use_case: list[str] = typer.Option([], "--use-case", help="a use case it serves (repeat)"),
        met: list[str] = typer.Option([], "--met", help="KEY=the clause that meets it (repeat)"),
        json_: bool = JSON) -> None:
    """Record a solicitation or contract; every requirement not given with --met is missing."""
    from raigov.acquisition import reads
    from raigov.acquisition import service as acq
    from raigov.acquisition.schemas import ContractIn
    from raigov.errors import ValidationFailed

    reqs = {}
    for m in met:
        key, sep, clause = m.partition("=")
        if not sep:
            raise ValidationFailed.one("--met", f"KEY=CLAUSE, not {m!r}")
        reqs[key.strip()] = {"status": "met", "clause": clause}
    data = ContractIn(number=number, title=title, kind=kind, vendor=vendor, component=component, awarded_on=awarded,
                      starts_on=starts, ends_on=ends, option_dates=option, use_cases=use_case, requirements=reqs)
    with ready_database().transaction() as s:
        c = acq.create_contract(s, system_actor(), data)
        out = reads.contract_view(s, system_actor(), c.number)
    print_json(out) if json_ else _show(out)


@app.command()
@handle_errors
def requirement(number: str, key: str, status: str = typer.Option(..., "--status", help="met, missing or waived"),
                clause: str = typer.Option("", "--clause"), reason: str = typer.Option("", "--reason"),
                as_: AsOption = None, password_stdin: PasswordStdin = False, json_: bool = JSON) -> None:
    """Record one requirement of a contract: met (--clause), missing, or waived (--reason; by the CAIO's office,
    --as)."""
    from raigov.acquisition import reads
    from raigov.acquisition import service as acq
    from raigov.acquisition.schemas import RequirementIn
    from raigov.cli.common import person_actor

    db = ready_database()
    actor = person_actor(db, as_, password_stdin) if as_ else system_actor()
    with db.transaction() as s:
        acq.set_requirement(s, actor, number, key, RequirementIn(status=status, clause=clause, reason=reason))
        out = reads.contract_view(s, actor, number)
    print_json(out) if json_ else _show(out)


@app.command()
@handle_errors
def link(number: str, use_case: str, unlink: bool = typer.Option(False, "--unlink"), json_: bool = JSON) -> None:
    """The contract serves the use case (or, with --unlink, no longer does)."""
    from raigov.acquisition import reads
    from raigov.acquisition import service as acq

    with ready_database().transaction() as s:
        acq.link_use_case(s, system_actor(), number, use_case, unlink=unlink)
        out = reads.contract_view(s, system_actor(), number)
    print_json(out) if json_ else _show(out)


@app.command()
@handle_errors
def vendors(json_: bool = JSON) -> None:
    """The vendors, with their contracts and the use cases they touch."""
    from raigov.acquisition import reads

    with ready_database().transaction(read=True) as s:
        rows = [reads.vendor_view(s, system_actor(), v["id"]) for v in reads.list_vendors(s, system_actor())]
    if json_:
        print_json(rows)
        return
    for v in rows:
        console.print(f"{v['name']}: {', '.join(c['number'] for c in v['contracts'])}; use cases "
                      f"{', '.join(u['id'] for u in v['use_cases']) or 'none'}", highlight=False)
