"""`raigov demo ...`: the demo agency."""

from __future__ import annotations

import os

import typer
from rich.table import Table

from raigov.cli.common import (
    console,
    database,
    handle_errors,
    print_json,
    ready_database,
    settings,
    system_actor,
)

app = typer.Typer(help="The demo agency", no_args_is_help=True)


def _print_sign_ins(creds: dict, base_url: str) -> None:
    t = Table("username", "password", "roles", title="Demo sign-ins (DEMO ONLY: random passwords, local use)")
    for username, info in creds.get("people", {}).items():
        t.add_row(username, info["password"], ", ".join(info["roles"]))
    console.print(t)
    svc = creds.get("service_token")
    if svc:
        console.print(f"service token for {svc['username']} (API only, the authorization gate: "
                      f"GET /api/v1/use-cases/{{id}}/authorization; it lists nothing): {svc['token']}")
    try_first = creds.get("try_first") or {}
    if try_first:
        from raigov.demo.agency import TRY_FIRST

        console.print("\nUse cases to try first (sign in as caio, cbp.lead, privacy or an owner):")
        for key, what in TRY_FIRST.items():
            ids = try_first.get(key)
            for bid in ([ids] if isinstance(ids, str) else (ids or [])[:2]):
                console.print(f"  {base_url}/inventory/{bid}/governance  {what}")
    console.print(f"\n[bold]raigov is at {base_url}[/bold]  (API docs: {base_url}/api/docs)\n")


@app.command()
@handle_errors
def load(json_: bool = typer.Option(False, "--json")) -> None:
    """Create the demo agency's accounts (one per role) and content. Idempotent."""
    from raigov.demo import agency

    db = ready_database()
    st = settings()
    with db.transaction() as s:
        creds = agency.load(s, st, system_actor())
    if json_:
        print_json(creds)
    else:
        _print_sign_ins(creds, st.base_url)


@app.command()
@handle_errors
def run(host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port")) -> None:
    """Migrate, load the demo agency if the database is empty, and serve the web app."""
    import uvicorn

    from raigov.audit import service as audit
    from raigov.db.migrate import upgrade
    from raigov.demo import agency
    from raigov.disclosure.fastpath import front
    from raigov.web.app import create_app

    st = settings()
    db = database()
    upgrade(db)
    with db.transaction() as s:
        if agency.is_empty(s):
            console.print("loading the demo agency …")
            agency.load(s, st, system_actor())
            audit.sign_head(s, system_actor(), st.ensure_data_dir())
    creds = agency.read_credentials(st) or {}
    _print_sign_ins(creds, f"http://{host}:{port}")
    interval = float(os.environ.get("RAIGOV_JOBS_INTERVAL_SECONDS") or 300)
    if interval > 0:  # the scheduled checks on a timer (production runs `raigov jobs run` from cron)
        from raigov.jobs.service import start_timer

        start_timer(db, st, interval)
    uvicorn.run(front(create_app(st, db)), host=host, port=port, log_level="info", proxy_headers=True)
