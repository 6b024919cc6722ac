"""`raigov inventory ...`: import OMB inventory files, export OMB's formats, list, show, check."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from raigov.cli.common import (
    EXIT_BAD_INPUT,
    EXIT_PROBLEM,
    console,
    err_console,
    handle_errors,
    print_json,
    ready_database,
    settings,
    system_actor,
)

app = typer.Typer(help="The AI use case inventory: import, export, checks", no_args_is_help=True)


@app.command("import")
@handle_errors
def import_(
    file: Path = typer.Argument(..., help="Any published inventory file: OMB 2023/2024/2025 CSV, XLS, XLSX, DHS XLSX, COTS"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Report what would happen; write nothing"),
    agency: str = typer.Option(None, "--agency", help="Import only this agency's rows (e.g. DHS)"),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Import a file in one transaction (all or nothing). Re-importing the same file changes nothing."""
    from rich.progress import Progress

    from raigov.inventory import service
    from raigov.inventory.formats import read_inventory

    st = settings()
    if not file.is_file():
        err_console.print(f"[red]error:[/red] file: {file} does not exist")
        raise typer.Exit(EXIT_BAD_INPUT)
    db = ready_database()
    with Progress(transient=True, console=err_console, disable=json_) as p:
        p.add_task(f"reading {file.name}", total=None)
        parsed = read_inventory(file, max_bytes=st.upload_limit_bytes)
        with db.transaction() as s:
            report = service.import_inventory(s, system_actor(), parsed, st, dry_run=dry_run, agency=agency)
    if json_:
        print_json(report.as_dict(with_rows=False))
        return
    verb = "would be" if dry_run else "were"
    console.print(f"{file.name}: {parsed.form} ({parsed.year}), {report.rows_read} rows read: "
                  f"{report.created} {verb} created, {report.updated} updated, {report.unchanged} unchanged, "
                  f"{report.skipped} skipped" + (" [yellow](dry run: nothing written)[/yellow]" if dry_run else ""))
    if report.problems:
        t = Table("row", "column", "raw value", "severity", "problem", "what was done", title=f"{len(report.problems)} problems")
        for pr in report.problems[:200]:
            t.add_row(str(pr["row"] or ""), pr["column"] or "", (pr["raw"] or "")[:40], pr["severity"], pr["message"],
                      pr["action"])
        console.print(t)
        if len(report.problems) > 200:
            console.print(f"… and {len(report.problems) - 200} more (use --json for all)")


@app.command()
@handle_errors
def export(
    format: str = typer.Option(..., "--format", help="omb-2025-csv | omb-2025-xlsx | omb-2025-cots-csv"),
    output: Path = typer.Option(..., "-o", "--output", help="File to write"),
    component: str = typer.Option(None, "--component", help="Only this component's use cases"),
    public: bool = typer.Option(False, "--public", help="Leave out contact_email (a public copy)"),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Write OMB's exact format (byte-exact: cells that a spreadsheet would read as formulas are counted and
    warned of on stderr, not changed)."""
    from raigov.inventory import service

    db = ready_database()
    with db.transaction() as s:
        report = service.export_inventory(s, system_actor(), format, output, component,
                                          omit=("contact_email",) if public else ())
    if report.formula_cells:
        err_console.print(f"[yellow]warning:[/yellow] {report.formula_cells} cells start with = + - @ tab or CR: "
                          "they are written exactly as OMB's format wants them, but a spreadsheet opening this CSV "
                          "reads them as formulas. Send the file to OMB as it is; to look at it, open the XLSX "
                          "(--format omb-2025-xlsx) or the page's download (spreadsheet-safe)", highlight=False)
    if json_:
        print_json(report.__dict__)
        return
    console.print(f"wrote {report.rows} rows to {output} ({format})")
    for w in report.warnings[:20]:
        err_console.print(f"[yellow]warning:[/yellow] {w}")
    if len(report.warnings) > 20:
        err_console.print(f"… and {len(report.warnings) - 20} more warnings")


@app.command("list")
@handle_errors
def list_(
    q: str = typer.Option(None, "--q", help="Full-text search"),
    component: str = typer.Option(None, "--component"),
    stage: str = typer.Option(None, "--stage"),
    impact: str = typer.Option(None, "--impact"),
    agency: str = typer.Option(None, "--agency"),
    limit: int = typer.Option(50, "--limit"),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """List use cases (newest revision's answers)."""
    from raigov.inventory import service

    db = ready_database()
    with db.transaction() as s:
        rows, total, _ = service.list_use_cases(s, system_actor(), service.UseCaseQuery(
            q=q, component=component, stage=stage, impact=impact, agency=agency, per_page=limit,
            sort="relevance" if q else "business_id"))
        data = [{"id": u.business_id, "name": u.name, "agency": u.agency, "component": u.org_unit.code if u.org_unit else None,
                 "stage": u.stage, "impact": u.impact, "status": u.status, "revisions": u.revision_count} for u in rows]
    if json_:
        print_json({"total": total, "use_cases": data})
        return
    t = Table("id", "name", "component", "stage", "impact", "rev", title=f"{total} use cases")
    for d in data:
        t.add_row(d["id"], d["name"][:60], d["component"] or d["agency"], d["stage"] or "", d["impact"] or "",
                  str(d["revisions"]))
    console.print(t)


@app.command()
@handle_errors
def show(business_id: str, json_: bool = typer.Option(False, "--json")) -> None:
    """A use case's current answers and its revision history."""
    from raigov.inventory import service

    db = ready_database()
    with db.transaction() as s:
        uc = service.get_use_case(s, system_actor(), business_id)
        rev = uc.revisions[-1]
        data = {"id": uc.business_id, "name": uc.name, "status": uc.status, "agency": uc.agency,
                "component": uc.org_unit.code if uc.org_unit else None, "schema": rev.schema, "values": rev.values,
                "revisions": [{"number": r.number, "at": r.created_at.isoformat(), "by": r.created_by, "reason": r.reason,
                               "source": r.source} for r in uc.revisions]}
    if json_:
        print_json(data)
        return
    console.print(f"[bold]{data['id']}[/bold] {data['name']} ({data['status']}, {data['component'] or data['agency']})")
    for k, v in data["values"].items():
        if v not in (None, "", []):
            console.print(f"  {k}: {v}")
    for r in data["revisions"]:
        console.print(f"  revision {r['number']}: {r['at']} by {r['by']}: {r['reason']}")


@app.command()
@handle_errors
def prove(business_id: str, revision: int = typer.Option(None, "--revision", help="Default: the current revision"),
          json_: bool = typer.Option(False, "--json")) -> None:
    """Prove a revision's audit record: its own event, or (a big import's revision) its item in the
    import's batch event: item hash -> batch Merkle root -> batch event -> the trail's root.
    Exit 1 when a step does not check out."""
    from raigov.inventory import service

    db = ready_database()
    with db.transaction(read=True) as s:
        p = service.prove_revision(s, system_actor(), business_id, revision)
    if json_:
        print_json(p)
    else:
        console.print(f"{p['business_id']} revision {p['revision']} ({p['source']})")
        b = p["batch"]
        if b is not None:
            console.print(f"  item {b['leaf_index'] + 1} of {b['tree_size']} of a batch, item hash {b['item_hash']}")
            console.print(f"  batch Merkle root {b['merkle_root']} ({len(b['inclusion_path'])} hashes in the path)")
        e = p["event"]
        console.print(f"  audit event {e['seq']} ({e['action']}), leaf of the trail's tree of size "
                      f"{p['event_proof']['tree_size']}, root {p['event_proof']['root_hash']}")
        console.print("[green]verified[/green]" if p["verified"] else "[red]NOT VERIFIED[/red]")
    if not p["verified"]:
        raise typer.Exit(EXIT_PROBLEM)


@app.command()
@handle_errors
def check(business_id: str = typer.Argument(None), json_: bool = typer.Option(False, "--json")) -> None:
    """OMB's pre-submission checks, for one use case or all (exit 1 when an error is found)."""
    from raigov.inventory import service

    db = ready_database()
    with db.transaction() as s:
        results = service.run_checks(s, system_actor(), business_id)
    if json_:
        print_json(results)
    else:
        for bid, items in results.items():
            for c in items:
                colour = "red" if c["severity"] == "error" else "yellow"
                console.print(f"{bid}: [{colour}]{c['severity']}[/] {c['field']}: {c['message']} ({c['rule']})")
        console.print(f"{sum(len(v) for v in results.values())} findings over {len(results)} use cases")
    if any(c["severity"] == "error" for items in results.values() for c in items):
        raise typer.Exit(EXIT_PROBLEM)
