"""What every command group shares: the database, the acting identity, JSON output and the one
place where domain errors become exit codes (0 success, 1 a check found a problem, 2 bad input)."""

from __future__ import annotations

import contextlib
import functools
import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

from raigov.errors import RaigovError

console = Console(soft_wrap=True)
err_console = Console(stderr=True)

EXIT_OK, EXIT_PROBLEM, EXIT_BAD_INPUT = 0, 1, 2


def print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, indent=2, default=str, ensure_ascii=False) + "\n")


def handle_errors(fn):
    """Map domain errors to a message on stderr and exit code 2."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except RaigovError as exc:
            err_console.print(f"[red]error:[/red] {exc.detail}", highlight=False)
            for e in exc.errors:
                if f"{e.field}: {e.message}" != exc.detail:  # not said twice
                    err_console.print(f"  {e.field}: {e.message}", highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None
        except Exception as exc:
            from pydantic import ValidationError  # here, not at import: `raigov --help` stays quick

            if not isinstance(exc, ValidationError):
                raise
            err_console.print("[red]error:[/red] the input is not valid", highlight=False)
            for e in exc.errors():
                field = ".".join(str(x) for x in e["loc"]) or "input"
                err_console.print(f"  {field}: {e['msg']}", highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None

    return wrapper


def database():
    from raigov.db import get_database

    return get_database()


def settings():
    from raigov.config import get_settings

    return get_settings()


def ready_database():
    """The database, refusing to run on one whose schema is not migrated to the current head."""
    from raigov.db.migrate import current_revision, head_revision

    db = database()
    cur, head = current_revision(db), head_revision(db)
    if cur != head:
        err_console.print(
            f"[red]error:[/red] the database is at migration {cur or 'none'}, the code needs {head}: "
            "run `raigov db upgrade` first", highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    return db


def system_actor():
    import getpass

    from raigov.identity.permissions import Actor

    try:
        who = getpass.getuser()
    except Exception:  # noqa: BLE001 - no login name in some containers
        who = "operator"
    return Actor.system(f"cli/{who}")


AS_HELP = "Act as this person (their password is asked, or read from stdin with --password-stdin)"
# the two options of a command done by a named person: `as_: AsOption = None, password_stdin: PasswordStdin = False`
AsOption = Annotated[str | None, typer.Option("--as", help=AS_HELP)]
PasswordStdin = Annotated[bool, typer.Option("--password-stdin")]


def read_password(from_stdin: bool, prompt: str = "Password", confirm: bool = False) -> str:
    """A password: one line of standard input with ``--password-stdin``, else asked without echo (twice with
    `confirm`, for a new password)."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=confirm)


def person_actor(db, username: str | None, password_stdin: bool, what: str = "this is done by a named person"):
    """The Actor of a person who proves who they are with their password (prompted, or one line on standard
    input with ``--password-stdin``), checked like a sign-in (failures counted, lockout). For acts the
    permission matrix does not give the shell (``system``)."""
    from raigov.errors import AuthenticationFailed, LockedOut
    from raigov.identity import service as identity

    if not username:
        err_console.print(f"[red]error:[/red] as: {what}; give --as USERNAME (the shell itself may not)",
                          highlight=False)
        raise typer.Exit(EXIT_BAD_INPUT)
    password = read_password(password_stdin, f"Password of {username}")
    failure = None
    with db.transaction() as s:  # a failed attempt is kept (lockout), so the error is raised after commit
        try:
            user = identity.authenticate_password(s, username, password, settings())
            actor = identity.actor_for(s, user)
        except (AuthenticationFailed, LockedOut) as exc:
            failure = exc
    if failure is not None:
        raise failure
    return actor


@contextlib.contextmanager
def progress_bar(label: str, enabled: bool = True):
    """A rich progress bar on stderr (never on stdout); silent when stderr is not a terminal or not `enabled`.
    Yields ``update(done, total)`` (the evaluation backends' ``progress``) or None."""
    if not enabled or not err_console.is_terminal:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("[bold]{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
                  console=err_console, transient=True) as prog:
        task = prog.add_task(label, total=None)

        def update(done: int, total: int | None):
            prog.update(task, completed=done, total=total)

        yield update
