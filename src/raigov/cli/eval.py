"""`raigov eval ...` commands: a thin adapter over raigov.evaluation (no metric logic here)."""

from __future__ import annotations

import contextlib
from pathlib import Path
from typing import Optional

import typer
from rich.table import Table

from raigov.cli.common import console, err_console, handle_errors, print_json

app = typer.Typer(help="Test and evaluation: classifier fairness and biometric differentials", no_args_is_help=True)

BACKEND_HELP = "local (streaming, in-process) or dask (a Dask graph; LocalCluster unless --scheduler)"


@contextlib.contextmanager
def _progress(label: str, enabled: bool = True):
    """A rich progress bar on stderr (never on stdout); silent when stderr is not a terminal."""
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


def _fmt(x, digits: int = 6) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        if x != x:
            return "—"
        if x != 0 and abs(x) < 1e-3:
            return f"{x:.3e}"
        return f"{x:.{digits}g}"
    return str(x)


def _group_label(g: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in g.items()) or "(all)"


def _check_backend(backend: str):
    from raigov.errors import ValidationFailed

    if backend not in ("local", "dask"):
        raise ValidationFailed.one("--backend", f"unknown backend {backend!r} (local or dask)")


@app.command("classifier")
@handle_errors
def classifier(
    file: Path = typer.Argument(..., help="CSV or Parquet file, one row per decision"),
    y_true: str = typer.Option(..., "--y-true", help="Column with the true label (0/1)"),
    y_pred: str = typer.Option(..., "--y-pred", help="Column with the predicted label (0/1)"),
    group: list[str] = typer.Option(..., "--group", help="Group column; repeat for intersections"),
    weight: Optional[str] = typer.Option(None, "--weight", help="Column with sample weights"),
    nan_zero_division: bool = typer.Option(
        False, "--nan-zero-division", help="NaN instead of Fairlearn's 0.0 for 0/0 rates (e.g. TPR with no positives)"
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output"),
    backend: str = typer.Option("local", "--backend", help=BACKEND_HELP),
    scheduler: Optional[str] = typer.Option(None, "--scheduler", help="Dask scheduler address (with --backend dask)"),
) -> None:
    """Per-group and intersectional fairness metrics with Fairlearn semantics."""
    from raigov.evaluation.classifier import ClassifierSpec
    from raigov.evaluation.runner import json_safe, run_classifier

    _check_backend(backend)
    spec = ClassifierSpec(y_true=y_true, y_pred=y_pred, groups=tuple(group), weight=weight)
    with _progress("classifier") as prog:
        result, data = run_classifier(file, spec, backend=backend, scheduler=scheduler, progress=prog,
                                      zero_division=float("nan") if nan_zero_division else 0.0)
    out = result.to_dict()
    out["data"] = data
    if as_json:
        print_json(json_safe(out))
        return
    t = Table(title=f"Classifier metrics by group ({data['rows']} rows)", title_justify="left")
    for col in ("group", "n", "selection_rate", "tpr", "fpr", "fnr", "precision", "accuracy"):
        t.add_column(col, justify="left" if col == "group" else "right")
    ov = out["overall"]
    t.add_row("overall", *[_fmt(ov[c]) for c in ("n", "selection_rate", "tpr", "fpr", "fnr", "precision", "accuracy")],
              style="bold")
    for g in out["groups"]:
        t.add_row(_group_label(g["group"]),
                  *[_fmt(g[c]) for c in ("n", "selection_rate", "tpr", "fpr", "fnr", "precision", "accuracy")])
    console.print(t)
    s = out["summary"]["between_groups"]
    console.print(
        f"demographic parity difference {_fmt(s['demographic_parity_difference'])}, "
        f"ratio {_fmt(s['demographic_parity_ratio'])}; equalized odds difference "
        f"{_fmt(s['equalized_odds_difference'])}, ratio {_fmt(s['equalized_odds_ratio'])}"
    )
    ff = out["four_fifths"]
    verdict = {True: "[green]passes[/green]", False: "[red]fails[/red]", None: "undefined"}[ff["passes"]]
    console.print(f"four-fifths rule (reference {_group_label(ff['reference'] or {})}): {verdict}")
