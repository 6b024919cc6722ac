"""`raigov serve`: the web app (production: put it behind an HTTPS reverse proxy)."""

from __future__ import annotations

import typer

app = typer.Typer(help="Serve the web app", invoke_without_command=True)


@app.callback()
def serve(host: str = typer.Option("127.0.0.1", "--host"), port: int = typer.Option(8000, "--port"),
          workers: int = typer.Option(1, "--workers")) -> None:
    """Serve the web app and API (the database must be migrated: `raigov db upgrade`)."""
    import uvicorn

    from raigov.cli.common import ready_database

    ready_database()
    uvicorn.run("raigov.web.asgi:app", host=host, port=port, workers=workers, proxy_headers=True, log_level="info")
