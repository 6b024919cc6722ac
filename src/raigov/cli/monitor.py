"""`raigov monitor ...` commands: a thin adapter over raigov.monitoring (no metric logic here). `drift` needs no
database; `create`, `ingest`, `status` and `report` act as the operator's shell (the system actor)."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from raigov.cli.common import console, handle_errors, print_json, progress_bar, ready_database, system_actor
from raigov.cli.eval import BACKEND_HELP

app = typer.Typer(help="Monitoring: monitors, windows, alerts and incidents; data drift between two files",
                  no_args_is_help=True)


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


def _day(value: str | None, name: str):
    import datetime as dt

    from raigov.errors import ValidationFailed

    try:
        return dt.date.fromisoformat(value) if value else None
    except ValueError:
        raise ValidationFailed.one(name, "a date, YYYY-MM-DD") from None


@app.command("create")
@handle_errors
def create(
    use_case: str = typer.Argument(..., help="The use case's id (e.g. DHS-0001)"),
    name: str = typer.Option(..., "--name", help="The monitor's name"),
    reference: Path = typer.Option(..., "--reference", help="Reference file (CSV or Parquet): fixes the bins once"),
    numeric: list[str] = typer.Option([], "--numeric", help="A numeric feature (repeat)"),
    categorical: list[str] = typer.Option([], "--categorical", help="A categorical feature (repeat)"),
    cadence: str = typer.Option("weekly", "--cadence", help="daily, weekly or monthly"),
    grace_days: int = typer.Option(0, "--grace-days", help="Days a window may be late before it is overdue"),
    bins: int = typer.Option(10, "--bins", help="Reference-quantile bins per numeric feature"),
    top_k: int = typer.Option(20, "--top-k", help="Reference categories kept per categorical feature"),
    group: str = typer.Option(None, "--group", help="Group column for fairness"),
    label: str = typer.Option(None, "--label", help="Label column (0/1)"),
    prediction: str = typer.Option(None, "--prediction", help="Prediction column (0/1)"),
    score: str = typer.Option(None, "--score", help="Score column (in [0, 1]): AUC and calibration by score bin"),
    record_id: str = typer.Option(None, "--record-id",
                                  help="Record-id column: labels that arrive later are joined by it (monitor labels)"),
    starts_on: str = typer.Option(None, "--starts-on", help="YYYY-MM-DD: the first window is due a cadence after"),
    biometric_threshold: float = typer.Option(None, "--biometric-threshold",
                                              help="Face recognition: the match threshold of the windows' FMR/FNMR counts"),
    biometric_pack: str = typer.Option("dhs-026-11", "--biometric-pack", help="The pack whose criteria bound FMR/FNMR"),
    as_json: bool = typer.Option(False, "--json"),
):
    """Create a monitor of a use case, its reference profile counted from the reference file."""
    from raigov.monitoring import service

    db = ready_database()
    with db.transaction() as s:
        mon = service.create_monitor(s, system_actor(), use_case, name=name, reference=str(reference), numeric=numeric,
                                     categorical=categorical, cadence=cadence, grace_days=grace_days, bins=bins,
                                     top_k=top_k, group=group, label=label, prediction=prediction,
                                     starts_on=_day(starts_on, "--starts-on"), biometric_threshold=biometric_threshold,
                                     biometric_pack=biometric_pack, score=score, record_id=record_id)
        out = {"id": mon.id, "name": mon.name, "use_case": use_case, "reference_rows": mon.reference_rows}
    if as_json:
        print_json(out)
    else:
        console.print(f"monitor {out['id']} '{out['name']}' of {use_case}: reference of {out['reference_rows']} rows")


def _window_out(win, alerts) -> dict:
    out = {"window": win.id, "period_start": win.period_start.isoformat(), "period_end": win.period_end.isoformat(),
           "rows": win.rows, "drift": win.drift,
           "labels": ((win.counts or {}).get("file") or {}).get("labels"),
           "alerts": [{"id": a.id, "feature": a.feature, "metric": a.metric, "value": a.value,
                       "threshold": a.threshold, "severity": a.severity} for a in alerts]}
    if (win.results or {}).get("performance"):
        out["performance"] = win.results["performance"]
    bio = (win.results or {}).get("biometric")
    if bio:
        out["biometric"] = {"threshold": bio["threshold"],
                            "groups": {g: {k: v[k] for k in ("n_gen", "fnm", "n_imp", "fm", "fmr", "fnmr")}
                                       for g, v in bio["groups"].items()},
                            "fmr_max_min_ratio": bio["differentials"].get("fmr_max_min_ratio"),
                            "fnmr_max_min_ratio": bio["differentials"].get("fnmr_max_min_ratio")}
    return out


def _print_window(out: dict) -> None:
    console.print(f"window {out['window']} ({out['period_start']} to {out['period_end']}): {out['rows']} rows, "
                  f"{'drift' if out['drift'] else 'no drift'}{', labels to come' if out['labels'] == 'later' else ''}")
    perf = out.get("performance")
    if perf:
        console.print(f"  accuracy {_fmt(perf['accuracy'])}, TPR {_fmt(perf['tpr'])}, FPR {_fmt(perf['fpr'])}, "
                      f"precision {_fmt(perf['precision'])}, AUC {_fmt(perf['auc'])} ({perf['n']} labelled rows)")
    for g, v in out.get("biometric", {}).get("groups", {}).items():
        console.print(f"  {g}: FMR {_fmt(v['fmr'])} ({v['fm']}/{v['n_imp']}), FNMR {_fmt(v['fnmr'])} "
                      f"({v['fnm']}/{v['n_gen']})")
    for a in out["alerts"]:
        console.print(f"  {a['severity']} alert: {a['metric']} of {a['feature']} {a['value']:.4g} (threshold "
                      f"{a['threshold']:.4g})")


@app.command("ingest")
@handle_errors
def ingest(
    monitor: int = typer.Argument(..., min=1, help="The monitor's number"),
    file: Path = typer.Argument(..., help="The window's rows (CSV or Parquet), streamed"),
    start: str = typer.Option(None, "--start", help="First day of the window, YYYY-MM-DD (not with --time-column)"),
    end: str = typer.Option(None, "--end", help="Last day of the window, YYYY-MM-DD (not with --time-column)"),
    time_column: str = typer.Option(None, "--time-column",
                                    help="Split the file into windows by this column's day, on the monitor's cadence "
                                         "(daily, weekly from its start day, monthly), instead of --start/--end"),
    record_id: str = typer.Option(None, "--record-id",
                                  help="This file's record-id column, when not the monitor's (labels join by it)"),
    comparisons: Path = typer.Option(None, "--comparisons",
                                     help="Face recognition: the window's raw comparisons (CSV or Parquet), counted "
                                          "into FMR/FNMR per group at the monitor's threshold"),
    score: str = typer.Option(None, "--score",
                              help="The score column: of the comparisons on a face-recognition monitor (default "
                                   "score); otherwise of the window's file, when not the monitor's"),
    genuine: str = typer.Option("genuine", "--genuine", help="Comparisons: the mated (1) / non-mated (0) column"),
    group: list[str] = typer.Option(["group"], "--group", help="Comparisons: a demographic group column (repeat)"),
    backend: str = typer.Option("local", "--backend", help=BACKEND_HELP),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address (with --backend dask)"),
    as_json: bool = typer.Option(False, "--json"),
):
    """Count a window on the monitor's bins, compare it with the reference and raise alerts."""
    from raigov.errors import ValidationFailed
    from raigov.monitoring import service

    db = ready_database()
    with db.transaction(read=True) as s:
        bio = service.get_monitor(s, system_actor(), monitor)[0].config.get("biometric") is not None
    cols = {"score": score or "score", "genuine": genuine, "groups": group}
    if comparisons is None and (genuine != "genuine" or group != ["group"] or (bio and score is not None)):
        raise ValidationFailed.one("--comparisons", "--score, --genuine and --group name the columns of the "
                                   "comparisons file: give it with --comparisons")
    window_score = None if bio else score
    if time_column is not None:
        if start or end or comparisons is not None:
            raise ValidationFailed.one("--time-column", "the windows come from the time column: no --start, --end "
                                       "or --comparisons with it")
        with progress_bar("counting the windows") as prog, db.transaction() as s:
            done = service.ingest_by_time(s, system_actor(), monitor, str(file), time_column, backend=backend,
                                          scheduler=scheduler, record_id=record_id, score=window_score,
                                          progress=prog)
            outs = [_window_out(w, a) for w, a in done]
        if as_json:
            print_json({"windows": outs})
            return
        for out in outs:
            _print_window(out)
        return
    if not start or not end:
        raise ValidationFailed.one("--start" if not start else "--end", "give the window's first and last day "
                                   "(--start, --end) or split the file by --time-column")
    with progress_bar("counting the window") as prog, db.transaction() as s:
        win, alerts = service.ingest_file(s, system_actor(), monitor, str(file), _day(start, "--start"),
                                          _day(end, "--end"), backend=backend, scheduler=scheduler,
                                          comparisons=str(comparisons) if comparisons else None, columns=cols,
                                          record_id=record_id, score=window_score, progress=prog)
        out = _window_out(win, alerts)
    if as_json:
        print_json(out)
        return
    _print_window(out)


@app.command("labels")
@handle_errors
def labels(
    monitor: int = typer.Argument(..., min=1, help="The monitor's number"),
    window: str = typer.Argument(..., help="The window: its number or its first day (YYYY-MM-DD)"),
    labels_file: Path = typer.Argument(..., help="The labels (CSV or Parquet): a record id and a 0/1 label per row"),
    window_file: Path = typer.Option(..., "--window-file",
                                     help="The window's file again (checked by the SHA-256 kept at ingest)"),
    id_column: str = typer.Option(None, "--id", help="The labels file's record-id column (default: the window's)"),
    label_column: str = typer.Option(None, "--label", help="The labels file's label column (default: the monitor's)"),
    replace: bool = typer.Option(False, "--replace", help="Replace the outcomes the window has already"),
    as_json: bool = typer.Option(False, "--json"),
):
    """Join labels that arrived later to a window by record id: its outcomes, performance and fairness."""
    from raigov.monitoring import service

    db = ready_database()
    with console.status("joining the labels"), db.transaction() as s:
        win, alerts, joined = service.window_labels(s, system_actor(), monitor, window, str(labels_file),
                                                    str(window_file), id_column=id_column, label_column=label_column,
                                                    replace=replace)
        out = {**_window_out(win, alerts), "joined": joined, "fairness": (win.results or {}).get("fairness")}
    if as_json:
        print_json(out)
        return
    console.print(f"{joined['labelled']} labelled records joined ({joined['labels']} labels, {joined['records']} "
                  f"records in the window's file)")
    _print_window(out)


@app.command("status")
@handle_errors
def status(use_case: str = typer.Argument(..., help="The use case's id"), as_json: bool = typer.Option(False, "--json")):
    """A use case's monitors (next window due, overdue), open alerts, incidents and the gate's monitoring reasons."""
    from raigov.monitoring import views

    db = ready_database()
    with db.transaction(read=True) as s:
        out = views.status(s, system_actor(), use_case)
    if as_json:
        print_json(out)
        return
    for m in out["monitors"]:
        console.print(f"{m['name']} ({m['cadence']}): last window {m['last_window_end'] or 'none'}, next due "
                      f"{m['next_due']}{' OVERDUE' if m['overdue'] else ''}, {m['open_alerts']} open alert(s)")
    for a in out["alerts"]:
        if a["status"] == "open":
            console.print(f"  {a['severity']} alert {a['id']}: {a['text']}")
    for i in out["incidents"]:
        console.print(f"incident {i['id']} ({i['severity']}, {i['status']}{', suspends' if i['suspended'] else ''}): "
                      f"{i['title']}")
    for r in out["gate_reasons"]:
        console.print(f"gate: {r['message']}")


@app.command("report")
@handle_errors
def report(monitor: int = typer.Argument(..., min=1, help="The monitor's number"),
           as_json: bool = typer.Option(False, "--json"),
           html: Path = typer.Option(None, "--html", help="Write the report as HTML to this file"),
           pdf: Path = typer.Option(None, "--pdf", help="Write the report as PDF to this file"),
           store: bool = typer.Option(False, "--store", help="Store the PDF as evidence of the monitoring practice")):
    """Every window of a monitor with each feature's PSI (critical value), JS distance and chi-square p."""
    from raigov.db.base import utcnow
    from raigov.monitoring import report as render
    from raigov.monitoring import views

    db = ready_database()
    with db.transaction(read=True) as s:
        out = views.report(s, system_actor(), monitor)
    now = utcnow()
    if html:
        html.write_text(render.render_html(out, now), encoding="utf-8")
    if pdf:
        pdf.write_bytes(render.render_pdf(out, now))
    if store:
        from raigov.cli.common import settings
        from raigov.monitoring.evidence import store_report

        with db.transaction() as s:
            ev = store_report(s, system_actor(), settings(), monitor)
            out["evidence"] = {"id": ev.id, "sha256": ev.sha256, "title": ev.title}
        if not as_json:
            console.print(f"stored as evidence {out['evidence']['id']}: {out['evidence']['title']}")
    if as_json:
        print_json(out)
        return
    table = Table("window", "rows", "feature", "PSI (critical)", "JS", "chi2 p (BH)", "drift")
    for w in out["windows"]:
        for f in w["features"]:
            table.add_row(f"{w['period_start']} to {w['period_end']}", str(w["rows"]), f["name"],
                          f"{_fmt(f['psi'])} ({_fmt(f['psi_critical'])})", _fmt(f["js_distance"]),
                          _fmt(f["chi2_p_adjusted"]), _fmt(w["drift"]))
    console.print(table)
