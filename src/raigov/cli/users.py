"""`raigov users ...`: accounts and roles, run by the operator (the `system` actor). The operator's shell is the
bootstrap path: its grants take effect at once, deciding roles included. A grant of a deciding role asked for
by a person (an administrator on the pages or the API) waits for a second person, who confirms it here with
`confirm-grant --as THEM` (or on the pages, or the API)."""

from __future__ import annotations

import sys

import typer
from rich.table import Table

from raigov.cli.common import (
    AsOption,
    PasswordStdin,
    console,
    handle_errors,
    person_actor,
    print_json,
    read_password,
    ready_database,
    settings,
    system_actor,
)
from raigov.identity import service
from raigov.identity.schemas import RoleGrantIn, UserCreate

app = typer.Typer(help="User accounts and their roles", no_args_is_help=True)


def _parse_role(spec: str) -> RoleGrantIn:
    """ROLE or ROLE@COMPONENT."""
    role, _, comp = spec.partition("@")
    return RoleGrantIn(role=role.strip(), component=comp.strip() or None)


@app.command()
@handle_errors
def create(
    username: str = typer.Argument(..., help="Login name: lower-case letters, digits, . _ -"),
    name: str = typer.Option(..., "--name", help="Display name"),
    email: str = typer.Option(None, "--email"),
    kind: str = typer.Option("person", "--kind", help="person or service"),
    org_unit: str = typer.Option(None, "--org-unit", help="Home org unit code, e.g. CBP"),
    role: list[str] = typer.Option([], "--role", help="ROLE or ROLE@COMPONENT; repeatable"),
    password_stdin: bool = typer.Option(False, "--password-stdin", help="Read the password from standard input"),
    generate_password: bool = typer.Option(False, "--generate-password", help="Generate and print a password"),
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Create an account. A person gets a password (prompted, from stdin, or generated)."""
    password = None
    if kind == "person":
        if generate_password and not password_stdin:
            password = service.new_password(settings(), username)
        elif password_stdin or sys.stdin.isatty():
            password = read_password(password_stdin, confirm=True)
    data = UserCreate(username=username, display_name=name, email=email, kind=kind, org_unit=org_unit,
                      password=password, roles=[_parse_role(r) for r in role])
    db = ready_database()
    with db.transaction() as s:
        user = service.create_user(s, system_actor(), data, settings())
        out = service.user_out(user).model_dump(mode="json")
    if generate_password:
        out["password"] = password
    if json_:
        print_json(out)
    else:
        console.print(f"created {out['username']} with roles {', '.join(_fmt(r) for r in out['roles']) or 'none'}")
        if generate_password:
            console.print(f"password (shown once): {password}")


def _fmt(r: dict) -> str:
    return r["role"] + (f"@{r['component']}" if r["component"] else "") + (" (pending)" if r.get("status") == "pending" else "")


@app.command("list")
@handle_errors
def list_(json_: bool = typer.Option(False, "--json")) -> None:
    """List accounts with their roles."""
    db = ready_database()
    with db.transaction() as s:
        users = [service.user_out(u).model_dump(mode="json") for u in service.list_users(s, system_actor())]
    if json_:
        print_json(users)
        return
    t = Table("username", "name", "kind", "unit", "roles", "active", title=f"{len(users)} accounts")
    for u in users:
        t.add_row(u["username"], u["display_name"], u["kind"], u["org_unit"] or "",
                  ", ".join(_fmt(r) for r in u["roles"]), "yes" if u["is_active"] else "no")
    console.print(t)


@app.command()
@handle_errors
def grant(
    username: str, role: str, component: str = typer.Option(None, "--component", help="Org unit code; omit for department-wide")
) -> None:
    """Grant a role, department-wide or for one component."""
    db = ready_database()
    with db.transaction() as s:
        service.grant_role(s, system_actor(), username, RoleGrantIn(role=role, component=component))
    console.print(f"granted {role}{'@' + component if component else ''} to {username}")


@app.command()
@handle_errors
def revoke(username: str, role: str, component: str = typer.Option(None, "--component")) -> None:
    """Revoke a role."""
    db = ready_database()
    with db.transaction() as s:
        service.revoke_role(s, system_actor(), username, role, component)
    console.print(f"revoked {role}{'@' + component if component else ''} from {username}")


@app.command()
@handle_errors
def unlock(username: str) -> None:
    """Clear the failed sign-in attempts of a name (from every address) that slow its sign-ins down."""
    db = ready_database()
    with db.transaction() as s:
        service.unlock(s, system_actor(), username)
    console.print(f"unlocked {username}")


@app.command()
@handle_errors
def deactivate(username: str) -> None:
    """Deactivate an account (its sessions end; its tokens stop working)."""
    db = ready_database()
    with db.transaction() as s:
        service.set_active(s, system_actor(), username, False)
    console.print(f"deactivated {username}")


@app.command()
@handle_errors
def activate(username: str) -> None:
    db = ready_database()
    with db.transaction() as s:
        service.set_active(s, system_actor(), username, True)
    console.print(f"activated {username}")


@app.command("set-password")
@handle_errors
def set_password(username: str, password_stdin: PasswordStdin = False) -> None:
    """Set a person's password (ends their sessions)."""
    password = read_password(password_stdin, confirm=True)
    db = ready_database()
    with db.transaction() as s:
        service.set_password(s, system_actor(), username, password, settings())
    console.print(f"password set for {username}")


@app.command("pending")
@handle_errors
def pending(json_: bool = typer.Option(False, "--json")) -> None:
    """List the grants of deciding roles waiting for a second person."""
    db = ready_database()
    with db.transaction() as s:
        rows = [g.model_dump(mode="json") for g in service.list_pending_grants(s, system_actor())]
    if json_:
        print_json(rows)
        return
    t = Table("id", "username", "role", "scope", "asked by", "asked on", title=f"{len(rows)} grants waiting for a second person")
    for g in rows:
        t.add_row(
            str(g["id"]), g["username"], g["role"], g["component"] or "department-wide", g["requested_by"], g["requested_at"]
        )
    console.print(t)


@app.command("confirm-grant")
@handle_errors
def confirm_grant(
    username: str,
    role: str,
    component: str = typer.Option(None, "--component", help="Org unit code; omit for department-wide"),
    as_: AsOption = None,
    password_stdin: PasswordStdin = False,
    json_: bool = typer.Option(False, "--json"),
) -> None:
    """Confirm a pending grant of a deciding role, as the second person (the CAIO's office; the caio role by
    another CAIO)."""
    db = ready_database()
    actor = person_actor(db, as_, password_stdin, "a grant is confirmed by a named second person")
    with db.transaction() as s:
        pid = service.pending_grant_id(s, username, role, component)
        out = service.user_out(service.confirm_grant(s, actor, username, pid)).model_dump(mode="json")
    if json_:
        print_json(out)
    else:
        console.print(f"confirmed {role}{'@' + component if component else ''} for {username}")


@app.command("decline-grant")
@handle_errors
def decline_grant(
    username: str,
    role: str,
    component: str = typer.Option(None, "--component", help="Org unit code; omit for department-wide"),
    reason: str = typer.Option(None, "--reason", help="Why (kept in the audit trail)"),
    as_: AsOption = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Decline a pending grant of a deciding role (the CAIO's office)."""
    db = ready_database()
    actor = person_actor(db, as_, password_stdin, "a grant is declined by a named person")
    with db.transaction() as s:
        pid = service.pending_grant_id(s, username, role, component)
        service.decline_grant(s, actor, username, pid, reason)
    console.print(f"declined {role}{'@' + component if component else ''} for {username}")


@app.command("supervisor")
@handle_errors
def supervisor(username: str, supervisor_name: str = typer.Argument(None, metavar="SUPERVISOR",
                                                                  help="the supervisor (none: clear it)")):
    """Set (or clear) a person's supervisor: their GenAI access requests go to that person."""
    from raigov.identity.supervisors import set_supervisor

    with ready_database().transaction() as s:
        set_supervisor(s, system_actor(), username, supervisor_name)
    console.print(f"{username}: supervisor {supervisor_name or 'cleared'}", highlight=False)


@app.command("supervisors-import")
@handle_errors
def supervisors_import(file: str, dry_run: bool = typer.Option(False, "--dry-run"),
                       as_json: bool = typer.Option(False, "--json")):
    """Set supervisors from a CSV file (username,supervisor), in one transaction: a bad line writes nothing."""
    from pathlib import Path

    from raigov.identity.supervisors import import_supervisors

    with ready_database().transaction() as s:
        result = import_supervisors(s, system_actor(), Path(file).read_bytes(), dry_run=dry_run)
    if as_json:
        print_json(result)
    else:
        console.print(f"{result['lines']} line(s){' checked' if dry_run else ' imported'}", highlight=False)
