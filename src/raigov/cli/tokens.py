"""`raigov tokens ...`: API tokens (personal access tokens and service accounts' tokens)."""

from __future__ import annotations

import typer
from rich.table import Table

from raigov.cli.common import console, handle_errors, print_json, ready_database, settings, system_actor
from raigov.identity import service

app = typer.Typer(help="API tokens: shown once, stored hashed, expiring, revocable", no_args_is_help=True)


@app.command()
@handle_errors
def create(
    username: str = typer.Argument(..., help="The account the token acts as"),
    name: str = typer.Option("cli", "--name", help="What the token is for"),
    expires_days: int = typer.Option(None, "--expires-days", help="Lifetime in days (default from settings)"),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Create a token; it is printed once and only its hash is kept."""
    db = ready_database()
    with db.transaction() as s:
        token, t = service.create_token(s, system_actor(), username, name, settings(), expires_days)
        info = service.token_out(t).model_dump(mode="json")
    if json_:
        print_json({"token": token, **info, "username": username})
    else:
        console.print(f"token {t.id} for {username}, expires {info['expires_at']} (shown once):")
        typer.echo(token)


@app.command()
@handle_errors
def revoke(token_id: int = typer.Argument(..., help="The token's id (see `raigov tokens list`)")) -> None:
    """Revoke a token at once."""
    db = ready_database()
    with db.transaction() as s:
        service.revoke_token(s, system_actor(), token_id)
    console.print(f"revoked token {token_id}")


@app.command("list")
@handle_errors
def list_(username: str, json_: bool = typer.Option(False, "--json")) -> None:
    """List an account's tokens (never the tokens themselves)."""
    db = ready_database()
    with db.transaction() as s:
        rows = [service.token_out(t).model_dump(mode="json") for t in service.list_tokens(s, system_actor(), username)]
    if json_:
        print_json(rows)
        return
    t = Table("id", "name", "prefix", "expires", "revoked", "last used")
    for r in rows:
        t.add_row(str(r["id"]), r["name"], r["prefix"], r["expires_at"], r["revoked_at"] or "", r["last_used_at"] or "")
    console.print(t)
