"""`raigov inventory ...` commands."""

import typer

app = typer.Typer(help="The AI use case inventory: import, export, checks", no_args_is_help=True)
