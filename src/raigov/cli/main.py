"""The `raigov` command: one sub-application per command group, each a thin adapter over services."""

from __future__ import annotations

import importlib

import typer

app = typer.Typer(
    name="raigov",
    help="raigov: govern every use the agency makes of artificial intelligence.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)

# group name -> module under raigov.cli exposing `app`
GROUPS = {
    "db": "db",
    "users": "users",
    "tokens": "tokens",
    "audit": "audit",
    "demo": "demo",
    "serve": "serve",
    "inventory": "inventory",
    "policy": "policy",
    "eval": "eval",
    "review": "review",
    "jobs": "jobs",
    "datacall": "datacall",
}

for _name, _module in GROUPS.items():
    try:
        _mod = importlib.import_module(f"raigov.cli.{_module}")
    except ModuleNotFoundError as exc:  # a group not built yet
        if exc.name != f"raigov.cli.{_module}":
            raise
        continue
    app.add_typer(_mod.app, name=_name)


def _print_version(value: bool) -> None:
    if value:
        from raigov import __version__

        typer.echo(__version__)
        raise typer.Exit(0)


@app.callback()
def _root(
    version: bool = typer.Option(False, "--version", help="Print the version and exit", is_eager=True, callback=_print_version),
) -> None:
    """raigov: govern every use the agency makes of artificial intelligence."""


if __name__ == "__main__":
    app()
