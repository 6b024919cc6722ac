"""`raigov policy ...` commands."""

import typer

app = typer.Typer(help="Policy packs: validate, screen, diff", no_args_is_help=True)
