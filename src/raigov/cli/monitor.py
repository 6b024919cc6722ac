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
    table = Table("column", "kind", "N / M", "PSI (critical)", "JS", "W1/sd", "chi2 p", "KS (p)", "drift")
    for col in table.columns:
        col.overflow = "fold"
    for f in report["features"]:
        table.add_row(f["name"], f["kind"], f"{f['n_reference']} / {f['n_current']}",
                      f"{_fmt(f['psi'])} ({_fmt(f['psi_critical'])})", _fmt(f["js_distance"]),
                      _fmt(f["wasserstein_std"]), _fmt(f["chi2_p"]),
                      f"{_fmt(f['ks'])} ({_fmt(f['ks_p'])})" if f["ks"] is not None else "-", _fmt(f["drift"]))
    console.print(table)
