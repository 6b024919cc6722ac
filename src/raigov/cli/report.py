"""`raigov report`: the accountability reports from the operator's shell, generated from the platform's data,
stored with their SHA-256 (and an audit event) and written to a file. Service imports are inside the commands
so that `raigov report --help` stays quick."""

from __future__ import annotations

from pathlib import Path

import typer

from raigov.cli.common import console, handle_errors, ready_database, settings, system_actor

app = typer.Typer(help="Accountability reports: face recognition, compliance plan, inventory summary",
                  no_args_is_help=True)

FORMAT = typer.Option("html", "--format", help="html, pdf or docx")
OUT = typer.Option(..., "-o", "--output", help="the file to write", dir_okay=False, writable=True)


def _run(kind: str, year: int, fmt: str, out: Path) -> None:
    from raigov.disclosure.reports import service

    db = ready_database()
    with db.transaction() as s:
        row, data = service.generate(s, system_actor(), settings(), kind, year, fmt)
        sha, rid = row.sha256, row.id
    out.write_bytes(data)
    console.print(f"{out}: {len(data):,} bytes, SHA-256 {sha} (stored as report {rid})", highlight=False)


@app.command("fr-fc")
@handle_errors
def fr_fc(year: int = typer.Argument(..., help="the report's year"), fmt: str = FORMAT, out: Path = OUT) -> None:
    """The Directive 026-11 face recognition and face capture report."""
    _run("fr-fc", year, fmt, out)


@app.command("compliance-plan")
@handle_errors
def compliance_plan(year: int = typer.Argument(..., help="the plan's year"), fmt: str = FORMAT, out: Path = OUT) -> None:
    """The M-25-21 compliance plan: the platform's draft with the sections the CAIO's office edited."""
    _run("compliance-plan", year, fmt, out)


@app.command("inventory-summary")
@handle_errors
def inventory_summary(year: int = typer.Argument(..., help="the inventory's year"), fmt: str = FORMAT,
                      out: Path = OUT) -> None:
    """The annual inventory summary: counts by component, stage and determination, practices, waivers."""
    _run("inventory-summary", year, fmt, out)
