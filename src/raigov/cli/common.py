"""What every command group shares: the database, the acting identity, JSON output and the one
place where domain errors become exit codes (0 success, 1 a check found a problem, 2 bad input)."""

from __future__ import annotations

import functools
import json
import sys
from typing import Any

import typer
from rich.console import Console

from raigov.errors import RaigovError

console = Console()
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
                err_console.print(f"  {e.field}: {e.message}", highlight=False)
            raise typer.Exit(EXIT_BAD_INPUT) from None

    return wrapper


def database():
    from raigov.db import get_database

    return get_database()
