"""`raigov jobs run`: the scheduled checks (due dates, expiries, re-tests, reviews, the data call) and
their e-mail notices, each sent once. Safe to run from cron on several hosts at once."""

from __future__ import annotations

import datetime as dt

import typer
from rich.table import Table

from raigov.cli.common import (
    EXIT_BAD_INPUT,
    console,
    err_console,
    handle_errors,
    print_json,
    ready_database,
    settings,
)

app = typer.Typer(help="Scheduled checks and e-mail notices", no_args_is_help=True)


@app.callback()
def _group() -> None:
    """Scheduled checks and e-mail notices."""


def _date(value: str | None) -> dt.date | None:
    if value is None:
        return None
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        err_console.print(f"[red]error:[/red] --today: not a date (YYYY-MM-DD): {value!r}", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT) from None


@app.command()
@handle_errors
def run(
    today: str = typer.Option(None, "--today", help="Compute as of this date (YYYY-MM-DD); default: today in "
                                                    "the agency's time zone"),
    dry_run: bool = typer.Option(False, "--dry-run", help="Compute and show what would be created; write nothing"),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Compute what is due or overdue, create each notice once, and send the unsent ones by e-mail
    (RAIGOV_SMTP_HOST; without it they stay in the outbox and are listed here)."""
    from raigov.identity.permissions import Actor
    from raigov.jobs import service

    day = _date(today)
    db = ready_database()
    st = settings()
    summary = service.run(db, Actor.system("jobs"), st, today=day, dry_run=dry_run)
    if json_:
        print_json(summary.as_dict())
        return
    verb = "would create" if dry_run else "created"
    console.print(f"jobs as of {summary.today.isoformat()}: {len(summary.due)} notices due "
                  f"({summary.rows} with their recipients), {verb} {len(summary.created)}", highlight=False)
    if summary.due:
        t = Table("level", "kind", "due", "subject", "to")
        for n in summary.due:
            t.add_row(n.level, n.kind, n.due_on.isoformat(), n.subject, ", ".join(r.username for r in n.recipients))
        console.print(t)
    if dry_run:
        return
    if summary.smtp:
        console.print(f"sent {len(summary.sent)}, failed {len(summary.failed)}", highlight=False)
        for f in summary.failed:
            console.print(f"  [red]not sent[/red] {f['key']} to {f['recipient']}: {f['error']}", highlight=False)
    else:
        console.print("no RAIGOV_SMTP_HOST: notices are kept in the outbox", highlight=False)
    if summary.uploads_removed:
        console.print(f"removed {len(summary.uploads_removed)} inventory upload(s) older than "
                      f"{st.upload_retention_hours} h that were never imported", highlight=False)
    if summary.pending_total:
        t = Table("to", "subject", "attempts", "last error", title=f"outbox: {summary.pending_total} unsent")
        for p in summary.pending[:50]:
            t.add_row(p["recipient"], p["subject"], str(p["attempts"]), p["last_error"] or "")
        console.print(t)
        if summary.pending_total > 50:
            console.print(f"… and {summary.pending_total - 50} more (--json lists up to 200)", highlight=False)
