"""`raigov db ...`: migrations."""

import typer

from raigov.cli.common import EXIT_PROBLEM, console, database, handle_errors, print_json, settings

app = typer.Typer(help="Database: migrate and inspect", no_args_is_help=True)


@app.command()
@handle_errors
def upgrade(revision: str = typer.Argument("head", help="Target revision")) -> None:
    """Migrate the database to the latest schema (idempotent). With RAIGOV_MIGRATION_DATABASE_URL set
    (PostgreSQL), connect as that owner and then re-grant the runtime role exactly what it needs."""
    from raigov.db.engine import Database
    from raigov.db.migrate import current_revision
    from raigov.db.migrate import upgrade as do_upgrade
    from raigov.db.privileges import ROLE_SETTING, runtime_role_name
    from raigov.errors import ValidationFailed

    s = settings()
    if not s.migration_database_url:
        db = database()
        before = current_revision(db)
        do_upgrade(db, revision)
        after = current_revision(db)
        console.print(f"database {db.engine.url.render_as_string(hide_password=True)}: {before or 'empty'} -> {after}")
        return
    db = Database(s.migration_database_url)  # the owner: not kept for the runtime
    try:
        role = runtime_role_name(s)
        if role is None and db.dialect == "postgresql":
            raise ValidationFailed.one(ROLE_SETTING, "not set, and RAIGOV_DATABASE_URL names no user: with "
                                       "RAIGOV_MIGRATION_DATABASE_URL set, say which role the runtime uses")
        before = current_revision(db)
        granted = do_upgrade(db, revision, runtime_role=role)
        after = current_revision(db)
        console.print(f"database {db.engine.url.render_as_string(hide_password=True)} (as the migration owner): "
                      f"{before or 'empty'} -> {after}")
        if granted:
            console.print(f"runtime role {granted['role']}: SELECT, INSERT, UPDATE, DELETE on the tables of schema "
                          f"{granted['schema']}, SELECT, INSERT only on {', '.join(granted['append_only'])}, "
                          "SELECT on alembic_version, USAGE on its sequences; nothing else")
        else:
            console.print("runtime role: the same role as the owner (no separate runtime role to grant)")
    finally:
        db.dispose()


@app.command("check-privileges")
@handle_errors
def check_privileges(json_: bool = typer.Option(False, "--json", help="Machine-readable output")) -> None:
    """PostgreSQL: check, as the runtime role (RAIGOV_DATABASE_URL), that it cannot alter the tables,
    disable their triggers, truncate them or change the audit trail. Exit 1 lists what it could do."""
    from raigov.db.privileges import check_privileges as check

    db = database()
    if db.dialect != "postgresql":
        data = {"applicable": False, "ok": True, "problems": [],
                "note": f"{db.dialect}: one file, no roles; the audit triggers guard the trail"}
    else:
        with db.engine.connect() as conn:
            data = {"applicable": True, **check(conn).as_dict()}
    if json_:
        print_json(data)
    elif not data["applicable"]:
        console.print(f"not applicable: {data['note']}")
    elif data["ok"]:
        console.print(f"[green]ok[/green]: role {data['role']} holds only the runtime privileges on schema {data['schema']}")
    else:
        console.print(f"[red]too many privileges[/red]: role {data['role']} on schema {data['schema']}")
        for p in data["problems"]:
            console.print(f"  {p}", highlight=False)
    if not data["ok"]:
        raise typer.Exit(EXIT_PROBLEM)


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
        console.print(
            f"database at {data['database']}, code at {data['code']} ({'current' if data['current'] else 'needs upgrade'})"
        )
