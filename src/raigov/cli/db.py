"""`raigov db ...`: migrations."""

import typer

from raigov.cli.common import console, database, print_json

app = typer.Typer(help="Database: migrate and inspect", no_args_is_help=True)


@app.command()
def upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Migrate the database to the latest schema (idempotent)."""
    from raigov.db.migrate import current_revision, upgrade as do_upgrade

    db = database()
    before = current_revision(db)
    do_upgrade(db, revision)
    after = current_revision(db)
    console.print(f"database {db.engine.url.render_as_string(hide_password=True)}: {before or 'empty'} -> {after}")


@app.command()
def current(json_: bool = typer.Option(False, "--json", help="Machine-readable output")) -> None:
    """Show the schema revision of the database and of the code."""
    from raigov.db.migrate import current_revision, head_revision

    db = database()
    data = {"database": current_revision(db), "code": head_revision(db),
            "url": db.engine.url.render_as_string(hide_password=True)}
    data["current"] = data["database"] == data["code"]
    if json_:
        print_json(data)
    else:
        console.print(f"database at {data['database']}, code at {data['code']} ({'current' if data['current'] else 'needs upgrade'})")
