"""The `raigov` command: one sub-application per command group, each a thin adapter over services.

The groups are those the domains register (raigov/domains.py, `<domain>/register.py`). A group's module is
imported only when that group runs: `raigov --help` lists the groups from their registered one-line help
and imports none of them (nor SQLAlchemy, nor the settings)."""

from __future__ import annotations

import typer
from typer.core import TyperGroup


class LazyGroup(TyperGroup):
    """The root group: registered command groups are loaded on demand."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._loaded: dict = {}
        self._listing = 0  # > 0 while help or completion lists the groups: no import needed

    def _registered(self) -> dict:
        from raigov.domains import cli_groups

        return cli_groups()

    def list_commands(self, ctx) -> list[str]:
        names = list(self.commands)
        return names + [n for n in self._registered() if n not in self.commands]

    def get_command(self, ctx, cmd_name: str):
        if cmd_name in self.commands:
            return self.commands[cmd_name]
        if cmd_name in self._loaded:
            return self._loaded[cmd_name]
        group = self._registered().get(cmd_name)
        if group is None:
            return None
        if self._listing:
            return TyperGroup(name=cmd_name, help=group.help)
        cmd = load_group(group.name, group.module)
        self._loaded[cmd_name] = cmd
        return cmd

    def format_help(self, ctx, formatter) -> None:
        self._listing += 1
        try:
            return super().format_help(ctx, formatter)
        finally:
            self._listing -= 1

    def resolve_command(self, ctx, args):
        from difflib import get_close_matches

        from typer._click.exceptions import UsageError

        try:
            return super().resolve_command(ctx, args)
        except UsageError as e:  # Typer suggests from the loaded commands only: suggest the registered groups
            matches = get_close_matches(args[0], self.list_commands(ctx)) if args and self.suggest_commands else []
            if matches and "Did you mean" not in e.message:
                e.message = f"{e.message.rstrip('.')}. Did you mean {', '.join(repr(m) for m in matches)}?"
            raise

    def shell_complete(self, ctx, incomplete: str):
        self._listing += 1  # completing a group's name needs its one-line help only
        try:
            return super().shell_complete(ctx, incomplete)
        finally:
            self._listing -= 1


def load_group(name: str, module: str):
    """The click command of the group `name` (module `module` exposing a Typer `app`), as `add_typer` made it."""
    import importlib

    mod = importlib.import_module(module)
    parent = typer.Typer()
    parent.add_typer(mod.app, name=name)
    return typer.main.get_group(parent).commands[name]


app = typer.Typer(
    name="raigov",
    cls=LazyGroup,
    help="raigov: govern every use the agency makes of artificial intelligence.",
    no_args_is_help=True,
    pretty_exceptions_show_locals=False,
)


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
