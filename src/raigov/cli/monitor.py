"""`raigov monitor ...` commands: a thin adapter over raigov.monitoring (no metric logic here)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from raigov.cli.common import console, handle_errors, print_json

app = typer.Typer(help="Monitoring: data drift between a reference and a current file", no_args_is_help=True)


def _fmt(v) -> str:
    if v is None:
        return "-"
    if isinstance(v, bool):
        return "DRIFT" if v else "ok"
    if isinstance(v, float):
        return f"{v:.4g}"
    return str(v)


@app.command("drift")
@handle_errors
def drift(
    reference: Path = typer.Argument(..., help="Reference file (CSV or Parquet): fixes the bins"),
    current: Path = typer.Argument(..., help="Current file (CSV or Parquet), compared with the reference"),
    numeric: list[str] = typer.Option([], "--numeric", help="A numeric column (repeat); none given: all, inferred"),
    categorical: list[str] = typer.Option([], "--categorical", help="A categorical column (repeat)"),
    bins: int = typer.Option(10, "--bins", help="Reference-quantile bins per numeric column (1-1000)"),
    top_k: int = typer.Option(20, "--top-k", help="Reference categories kept per categorical column"),
    as_json: bool = typer.Option(False, "--json", help="JSON on stdout (the contract in docs/monitoring.md)"),
):
    """Drift of each column: PSI (sample-size-aware critical value), JS distance, Wasserstein/std, chi-square,
    KS, with Benjamini-Hochberg across columns."""
    from raigov.monitoring.compare import drift_report

    report = drift_report(str(reference), str(current), numeric, categorical, bins=bins, top_k=top_k)
    if as_json:
        print_json(report)
        return
    cols = ("name", "kind", "n_reference", "n_current", "psi", "psi_critical", "js_distance", "wasserstein_std",
            "chi2_p", "ks", "ks_p", "drift")
    table = Table(*cols)
    for f in report["features"]:
        table.add_row(*(_fmt(f[c]) for c in cols))
    console.print(table)
