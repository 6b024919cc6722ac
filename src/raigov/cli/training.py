"""`raigov training`: the training ledger (docs/training.md).

    raigov training courses [--json]                         the courses (id, title, audience, validity)
    raigov training record USER COURSE DATE                   record a completion
    raigov training import FILE [--dry-run] [--json]          an LMS CSV export (username,course,completed_on)
    raigov training person USER [--json]                      a person's courses and their state
    raigov training workforce [--json]                        completion by component and course

The shell acts as `system`. Exit codes: 0 done, 2 bad input (the import names each bad line and column and
writes nothing).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import typer

from raigov.cli.common import EXIT_BAD_INPUT, console, err_console, handle_errors, print_json

app = typer.Typer(help="Training ledger: record and import course completions", no_args_is_help=True)


@app.callback()
def main() -> None:
    """Training ledger: record and import course completions"""


def _today():
    from raigov.cli.common import settings
    from raigov.clock import agency_today

    return agency_today(settings())


@app.command("courses")
@handle_errors
def list_courses(as_json: bool = typer.Option(False, "--json")):
    """The courses of the ledger."""
    from raigov.training.courses import courses

    rows = [{"id": c.id, "title": c.title, "audience": c.audience, "validity_months": c.validity_months}
            for c in courses().values()]
    if as_json:
        print_json(rows)
        return
    for r in rows:
        console.print(f"{r['id']}: {r['title']} ({r['audience']}, {r['validity_months']} months)", highlight=False)


@app.command("record")
@handle_errors
def record(user: str, course: str, completed_on: str = typer.Argument(..., help="YYYY-MM-DD")):
    """Record that USER completed COURSE on a date."""
    from raigov.cli.common import ready_database, system_actor
    from raigov.errors import ValidationFailed
    from raigov.training import service as training

    try:
        day = dt.date.fromisoformat(completed_on)
    except ValueError:
        raise ValidationFailed.one("completed_on", f"{completed_on!r} is not a date (YYYY-MM-DD)") from None
    with ready_database().transaction() as s:
        row = training.record_completion(s, system_actor(), user, course, day, _today())
        until = row.expires_on.isoformat() if row.expires_on else "no expiry"
    console.print(f"recorded: {user} completed {course} on {day.isoformat()} (counts until {until})", highlight=False)


@app.command("import")
@handle_errors
def import_file(
    file: Path = typer.Argument(..., help="the LMS export: CSV with username,course,completed_on"),
    dry_run: bool = typer.Option(False, "--dry-run", help="check every line and count, write nothing"),
    as_json: bool = typer.Option(False, "--json"),
):
    """Import completions from a CSV export, in one transaction (nothing is written if any line is bad)."""
    from raigov.cli.common import ready_database, system_actor
    from raigov.training import service as training

    if not file.is_file():
        err_console.print(f"[red]error:[/red] {file}: no such file", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    with ready_database().transaction() as s:
        result = training.import_completions(s, system_actor(), file.read_bytes(), _today(), dry_run=dry_run)
    if as_json:
        print_json(result.as_dict())
        return
    verb = "would add" if dry_run else "added"
    console.print(f"{result.lines} line(s): {verb} {result.added}, already recorded {result.already}", highlight=False)


@app.command("person")
@handle_errors
def person(user: str, as_json: bool = typer.Option(False, "--json")):
    """A person's courses: completed, expiring, expired or not taken."""
    from raigov.cli.common import ready_database
    from raigov.identity import service as identity
    from raigov.training import service as training

    with ready_database().transaction() as s:
        rows = training.person_record(s, identity.get_user(s, user).id, _today())
    if as_json:
        print_json(rows)
        return
    for r in rows:
        until = r["expires_on"].isoformat() if r["expires_on"] else "-"
        console.print(f"{r['course']}: {r['state']} (until {until})", highlight=False)


@app.command("workforce")
@handle_errors
def workforce(as_json: bool = typer.Option(False, "--json")):
    """Completion by component and course (people holding a current completion, of the active people)."""
    from raigov.cli.common import ready_database, system_actor
    from raigov.training import service as training

    with ready_database().transaction() as s:
        data = training.workforce(s, system_actor(), _today())
    if as_json:
        print_json(data)
        return
    for row in data["rows"]:
        cells = ", ".join(f"{c}: {v['current']}/{row['people']}" for c, v in row["courses"].items())
        console.print(f"{row['component']}: {cells}", highlight=False)
