"""`raigov eval ...` commands."""

import typer

app = typer.Typer(help="Test and evaluation: classifier fairness and biometric differentials", no_args_is_help=True)
