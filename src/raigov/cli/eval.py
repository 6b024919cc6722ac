"""`raigov eval ...` commands: a thin adapter over raigov.evaluation (no metric logic here)."""

from __future__ import annotations

import math
from pathlib import Path

import typer
from rich.table import Table

from raigov.cli.common import (
    AsOption,
    PasswordStdin,
    console,
    handle_errors,
    person_actor,
    print_json,
    progress_bar,
)

app = typer.Typer(help="Test and evaluation: classifier fairness and biometric differentials", no_args_is_help=True)

BACKEND_HELP = "local (streaming, in-process) or dask (a Dask graph; LocalCluster unless --scheduler)"
DESIGN_HELP = ("Bootstrap design: probe (resample the row's --subject) | crossed (impostor comparisons weigh "
               "w(probe)*w(reference); needs --ref-subject)")
REF_SUBJECT_HELP = "Reference subject id column (the crossed bootstrap; same ids as --subject)"
AU_FDR_RANGE_HELP = ("AU-FDR: area under FDR over FMR targets from LO to HI (each target's threshold set on the "
                     "calibration population); uses --alpha")
AU_FDR_POINTS_HELP = "AU-FDR: number of FMR targets, log-spaced from LO to HI (0 = one per decade)"


def _fmt(x, digits: int = 6) -> str:
    if x is None:
        return "—"
    if isinstance(x, float):
        if math.isnan(x) or math.isinf(x):
            return "—"
        if x != 0 and abs(x) < 1e-3:
            return f"{x:.{max(digits - 4, 1)}e}"
        return f"{x:.{digits}g}"
    return str(x)


def _group_label(g: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in g.items()) or "(all)"


def _check_backend(backend: str):
    from raigov.errors import ValidationFailed

    if backend not in ("local", "dask"):
        raise ValidationFailed.one("--backend", f"unknown backend {backend!r} (local or dask)")


def _check_bootstrap(bootstrap: int, subject: str | None, design: str, need_subject: bool = True):
    from raigov.errors import ValidationFailed

    if need_subject and bootstrap and not subject:
        raise ValidationFailed.one("--bootstrap", "the subject-clustered bootstrap needs --subject")
    if design not in ("probe", "crossed"):
        raise ValidationFailed.one("--bootstrap-design", "use probe or crossed")
    if design == "crossed" and not bootstrap:
        raise ValidationFailed.one("--bootstrap-design", "the crossed bootstrap needs --bootstrap B")


@app.command("classifier")
@handle_errors
def classifier(
    file: Path = typer.Argument(..., help="CSV or Parquet file, one row per decision"),
    y_true: str = typer.Option(..., "--y-true", help="Column with the true label (0/1)"),
    y_pred: str = typer.Option(..., "--y-pred", help="Column with the predicted label (0/1)"),
    group: list[str] = typer.Option(..., "--group", help="Group column; repeat for intersections"),
    weight: str | None = typer.Option(None, "--weight", help="Column with sample weights"),
    nan_zero_division: bool = typer.Option(
        False, "--nan-zero-division", help="NaN instead of Fairlearn's 0.0 for 0/0 rates (e.g. TPR with no positives)"
    ),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output"),
    backend: str = typer.Option("local", "--backend", help=BACKEND_HELP),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address (with --backend dask)"),
    attach: str | None = typer.Option(None, "--attach", help="Store the run and attach a PDF report to this use "
                                      "case as a test report (needs --as)"),
    practice: str | None = typer.Option(None, "--practice", help="With --attach: the practice the report evidences"),
    as_: AsOption = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Per-group and intersectional fairness metrics with Fairlearn semantics."""
    from raigov.evaluation import pipeline
    from raigov.evaluation.classifier import ClassifierSpec
    from raigov.evaluation.runner import json_safe

    _check_backend(backend)
    db, actor = _attacher(attach, practice, as_, password_stdin)
    spec = ClassifierSpec(y_true=y_true, y_pred=y_pred, groups=tuple(group), weight=weight)
    with progress_bar("classifier") as prog:
        out = pipeline.classifier(file, spec, backend=backend, scheduler=scheduler, progress=prog,
                                  zero_division=float("nan") if nan_zero_division else 0.0)
    data = out["data"]
    if attach:
        pdf = pipeline.pdf_bytes(pipeline.classifier_pdf, json_safe({**out, "data": {**data, "file": file.name}}),
                                 "Classifier fairness evaluation")
        params = {"y_true": y_true, "y_pred": y_pred, "groups": list(group), "weight": weight,
                  "zero_division": "nan" if nan_zero_division else 0.0, "source": "cli"}
        out["run"] = _record(db, actor, file, "classifier", params, out, pdf, [], "none", attach, practice)
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
    if attach:
        _print_stored(out["run"])


@app.command("biometric")
@handle_errors
def biometric(
    file: Path = typer.Argument(...,
                                help="CSV or Parquet file, one row per comparison (or per search with --mode identification)"),
    score: str = typer.Option(..., "--score", help="Similarity score column (higher = more similar)"),
    genuine: str = typer.Option(..., "--genuine", help="Column: 1 for mated (genuine) comparisons, 0 for impostors"),
    group: list[str] = typer.Option(..., "--group", help="Group column of the probe subject; repeat for intersections"),
    subject: str | None = typer.Option(None, "--subject", help="Subject id column (subject-level rates, bootstrap)"),
    ref_group: list[str] = typer.Option([], "--ref-group", help="Reference subject's group column, one per --group"),
    threshold: float | None = typer.Option(None, "--threshold", help="The one global decision threshold"),
    target_fmr: float | None = typer.Option(None, "--target-fmr", help="Set the threshold at this overall FMR"),
    impostor_pairing: str = typer.Option("all", "--impostor-pairing", help="all | same-group (needs --ref-group)"),
    alpha: float = typer.Option(0.5, "--alpha", help="Weight of FMR against FNMR in GARBE, FDR, IR"),
    zero_handling: str = typer.Option("upper-bound", "--zero-handling", help="upper-bound | epsilon | undefined"),
    ci: str = typer.Option("wilson", "--ci", help="wilson | clopper-pearson | jeffreys"),
    confidence: float = typer.Option(0.95, "--confidence"),
    bootstrap: int = typer.Option(0, "--bootstrap", help="Subject-clustered bootstrap replicates (needs --subject)"),
    seed: int = typer.Option(0, "--seed", help="Bootstrap seed"),
    bootstrap_design: str = typer.Option("probe", "--bootstrap-design", help=DESIGN_HELP),
    ref_subject: str | None = typer.Option(None, "--ref-subject", help=REF_SUBJECT_HELP),
    au_fdr_range: tuple[float, float] | None = typer.Option(None, "--au-fdr-range", help=AU_FDR_RANGE_HELP),
    au_fdr_points: int = typer.Option(0, "--au-fdr-points", help=AU_FDR_POINTS_HELP),
    failure: str | None = typer.Option(None, "--failure", help="Column: 1 where acquisition failed (FTA)"),
    failure_mode: str = typer.Option("algorithm-only", "--failure-mode", help="algorithm-only | end-to-end"),
    mode: str = typer.Option("verification", "--mode", help="verification (FMR/FNMR) | identification (FPIR/FNIR)"),
    rank: str | None = typer.Option(None, "--rank", help="Identification: rank of the mate in the candidate list"),
    max_rank: int | None = typer.Option(None, "--max-rank", help="Identification: mate must be at rank <= R"),
    grid: int = typer.Option(0, "--grid", help="Also count this many evenly spaced thresholds (DET curve data)"),
    as_json: bool = typer.Option(False, "--json", help="Machine-readable output"),
    backend: str = typer.Option("local", "--backend", help=BACKEND_HELP),
    scheduler: str | None = typer.Option(None, "--scheduler", help="Dask scheduler address (with --backend dask)"),
) -> None:
    """FMR/FNMR (or FPIR/FNIR) per group at one global threshold, with intervals and differentials.

    Long because it is a command's whole signature: one typer option per flag of the evaluation, each with
    its help text."""
    from raigov.errors import ValidationFailed
    from raigov.evaluation import pipeline
    from raigov.evaluation.biometric import ZERO_RULES, BiometricSpec
    from raigov.evaluation.runner import json_safe

    _check_backend(backend)
    if zero_handling not in ZERO_RULES:
        raise ValidationFailed.one("--zero-handling", f"use one of {', '.join(ZERO_RULES)}")
    if ci not in ("wilson", "clopper-pearson", "jeffreys"):
        raise ValidationFailed.one("--ci", "use wilson, clopper-pearson or jeffreys")
    _check_bootstrap(bootstrap, subject, bootstrap_design)
    spec = BiometricSpec(score=score, genuine=genuine, groups=tuple(group), subject=subject,
                         ref_groups=tuple(ref_group), failure=failure, failure_mode=failure_mode, mode=mode,
                         rank=rank, max_rank=max_rank, pairing=impostor_pairing, ref_subject=ref_subject,
                         bootstrap_design=bootstrap_design)
    with progress_bar("biometric") as prog:
        _result, out = pipeline.biometric(file, spec, curves=bool(grid), threshold=threshold, target_fmr=target_fmr,
                                          grid_points=grid, alpha=alpha, zero_rule=zero_handling, ci_method=ci,
                                          confidence=confidence, bootstrap=bootstrap, seed=seed,
                                          au_fdr_range=au_fdr_range, au_fdr_points=au_fdr_points, backend=backend,
                                          scheduler=scheduler, progress=prog)
    if as_json:
        print_json(json_safe(out))
        return
    ident = mode == "identification"
    km, kn = ("fpir", "fnir") if ident else ("fmr", "fnmr")
    rule = out["conventions"]["threshold_rule"]
    title = f"{km.upper()}/{kn.upper()} by group at threshold {_fmt(out['threshold'], 10)}"
    if rule["rule"] == "target-fmr":
        title += f" (target FMR {rule['target_fmr']:g}, achieved {_fmt(rule['achieved_fmr'])})"
    t = Table(title=title, title_justify="left")
    for col in ("group", "genuine", "impostor", km, f"{km} CI", kn, f"{kn} CI"):
        t.add_column(col, justify="left" if col == "group" else "right", overflow="fold")
    ov = out["overall"]
    t.add_row("overall", str(ov["genuine"]), str(ov["impostor"]), _fmt(ov[km]),
              f"{_fmt(ov[f'{km}_ci'][0], 3)}–{_fmt(ov[f'{km}_ci'][1], 3)}", _fmt(ov[kn]),
              f"{_fmt(ov[f'{kn}_ci'][0], 3)}–{_fmt(ov[f'{kn}_ci'][1], 3)}", style="bold")
    for g in out["groups"]:
        t.add_row(_group_label(g["group"]), str(g["genuine"]), str(g["impostor"]), _fmt(g[km]),
                  f"{_fmt(g[f'{km}_ci'][0], 3)}–{_fmt(g[f'{km}_ci'][1], 3)}", _fmt(g[kn]),
                  f"{_fmt(g[f'{kn}_ci'][0], 3)}–{_fmt(g[f'{kn}_ci'][1], 3)}")
    console.print(t)
    d = out["differentials"]
    dt = Table(title=f"Differentials (alpha={alpha}, zero handling: {zero_handling})", title_justify="left")
    dt.add_column("measure")
    dt.add_column("value", justify="right")
    for k, v in d.items():
        if k not in ("alpha", "zero_handling"):
            dt.add_row(k, _fmt(v))
    console.print(dt)


@app.command("synth-biometric")
@handle_errors
def synth_biometric(
    output: Path = typer.Option(..., "-o", "--output", help="Parquet file to write"),
    subjects: int = typer.Option(10_000, "--subjects", min=1),
    groups: int = typer.Option(4, "--groups", min=1),
    genuine_per_subject: int = typer.Option(2, "--genuine-per-subject", min=0),
    impostor_per_subject: int = typer.Option(20, "--impostor-per-subject", min=0),
    imp_shift: float = typer.Option(0.03, "--imp-shift", help="Impostor mean of the last group (first is 0)"),
    subject_sd: float = typer.Option(0.01, "--subject-sd", help="Per-subject random effect sd"),
    fta: float = typer.Option(0.0, "--fta", help="Failure-to-acquire rate of the last group (first is 0)"),
    seed: int = typer.Option(0, "--seed"),
    rows_per_group: int = typer.Option(1 << 20, "--rows-per-group", help="Rows per Parquet row group"),
    float64: bool = typer.Option(False, "--float64", help="Write float64 scores (default float32)"),
    as_json: bool = typer.Option(False, "--json"),
) -> None:
    """Generate seeded synthetic comparison scores with known group effects (research note §5)."""
    from raigov.evaluation.synth import SynthParams, generate

    params = SynthParams(subjects=subjects, groups=groups, genuine_per_subject=genuine_per_subject,
                         impostor_per_subject=impostor_per_subject, imp_shift=imp_shift, subject_sd=subject_sd,
                         failure_rate=(0.0, fta), seed=seed, rows_per_group=rows_per_group, float32=not float64)
    with progress_bar("synth") as prog:
        meta = generate(output, params, progress=prog)
    if as_json:
        print_json({"output": str(output), **meta})
    else:
        console.print(f"wrote {meta['rows']:,} rows for {subjects:,} subjects in {groups} groups to {output}")


def _store_report(db, actor, file: Path, rep, out: dict, pdf_out: Path | None, business_id: str,
                  practice: str | None, parameters: dict) -> dict:
    """Store the run and attach its PDF (written to a temporary file when --pdf was not given)."""
    from raigov.evaluation import pipeline
    from raigov.evaluation.runner import json_safe

    pdf = pdf_out.read_bytes() if pdf_out is not None else pipeline.pdf_bytes(pipeline.render_report_pdf, rep)
    return _record(db, actor, file, "biometric", parameters, json_safe(out), pdf, pipeline.checks_of(rep),
                   pipeline.OUTCOMES[rep.passed], business_id, practice)


def _attacher(attach: str | None, practice: str | None, as_: str | None, password_stdin: bool):
    """(database, person) for --attach, settled before the (possibly long) run; (None, None) without it."""
    from raigov.errors import ValidationFailed

    if practice and not attach:
        raise ValidationFailed.one("--practice", "only with --attach")
    if not attach:
        return None, None
    from raigov.cli.common import ready_database
    from raigov.evaluation.service import check_may_run

    db = ready_database()
    actor = person_actor(db, as_, password_stdin, "attaching is done by a named person")
    with db.transaction() as s:
        check_may_run(s, actor, attach)
    return db, actor


def _record(db, actor, file: Path, kind: str, parameters: dict, result: dict, pdf: bytes, checks: list,
            outcome: str, business_id: str, practice: str | None) -> dict:
    from raigov.cli.common import settings
    from raigov.evaluation import service

    with db.transaction() as s:
        run = service.record_run(s, actor, settings(), file, kind, parameters, result, pdf, checks=checks,
                                 outcome=outcome, business_id=business_id, practice=practice)
        return {"id": run.id, "evidence": run.report_pdf_evidence_id, "use_case": business_id,
                "input_sha256": run.input_sha256, "report_sha256": run.report_sha256, "outcome": outcome}


def _print_stored(r: dict) -> None:
    console.print(f"stored as run {r['id']}; report attached to {r['use_case']} as evidence {r['evidence']} "
                  f"(report SHA-256 {r['report_sha256']}, input SHA-256 {r['input_sha256']})")


@app.command("report")
@handle_errors
def report(
    file: Path = typer.Argument(..., help="CSV or Parquet comparison scores"),
    score: str = typer.Option(..., "--score"),
    genuine: str = typer.Option(..., "--genuine"),
    group: list[str] = typer.Option(..., "--group"),
    subject: str | None = typer.Option(None, "--subject"),
    ref_group: list[str] = typer.Option([], "--ref-group"),
    threshold: float | None = typer.Option(None, "--threshold"),
    target_fmr: float | None = typer.Option(None, "--target-fmr"),
    impostor_pairing: str = typer.Option("all", "--impostor-pairing"),
    alpha: float = typer.Option(0.5, "--alpha"),
    zero_handling: str = typer.Option("upper-bound", "--zero-handling"),
    ci: str = typer.Option("wilson", "--ci"),
    bootstrap: int = typer.Option(0, "--bootstrap"),
    seed: int = typer.Option(0, "--seed"),
    bootstrap_design: str = typer.Option("probe", "--bootstrap-design", help=DESIGN_HELP),
    ref_subject: str | None = typer.Option(None, "--ref-subject", help=REF_SUBJECT_HELP),
    au_fdr_range: tuple[float, float] | None = typer.Option(None, "--au-fdr-range", help=AU_FDR_RANGE_HELP),
    au_fdr_points: int = typer.Option(0, "--au-fdr-points", help=AU_FDR_POINTS_HELP),
    grid: int = typer.Option(201, "--grid", help="Evenly spaced thresholds for the DET curves"),
    html_out: Path | None = typer.Option(None, "--html", help="Write the HTML report here"),
    pdf_out: Path | None = typer.Option(None, "--pdf", help="Write the PDF report here"),
    title: str = typer.Option("Biometric demographic differential evaluation", "--title"),
    max_fmr: float | None = typer.Option(None, "--max-fmr", help="Limit on every group's FMR"),
    max_fnmr: float | None = typer.Option(None, "--max-fnmr", help="Limit on every group's FNMR"),
    max_fmr_ratio: float | None = typer.Option(None, "--max-fmr-ratio", help="Limit on FMR max/min"),
    max_fnmr_ratio: float | None = typer.Option(None, "--max-fnmr-ratio", help="Limit on FNMR max/min"),
    max_garbe: float | None = typer.Option(None, "--max-garbe"),
    min_fdr: float | None = typer.Option(None, "--min-fdr"),
    criteria_pack: str | None = typer.Option(None, "--criteria-pack", help="Take the limits from this policy pack "
                                             "(PACK or PACK@VERSION, e.g. dhs-026-11); explicit --max-* flags win"),
    criteria_item: str | None = typer.Option(None, "--criteria-item", help="The pack's practice whose criteria apply "
                                             "(when it sets several)"),
    as_json: bool = typer.Option(False, "--json", help="Print the pass/fail summary as JSON"),
    backend: str = typer.Option("local", "--backend", help=BACKEND_HELP),
    scheduler: str | None = typer.Option(None, "--scheduler"),
    attach: str | None = typer.Option(None, "--attach", help="Store the run and attach the PDF report to this use "
                                      "case as its bias test (needs --as)"),
    practice: str | None = typer.Option(None, "--practice", help="With --attach: the practice the report evidences"),
    as_: AsOption = None,
    password_stdin: PasswordStdin = False,
) -> None:
    """Write an HTML and/or PDF report; exit 1 if a criterion fails. With --attach, the run is stored and the
    PDF attached to the use case as evidence (its SHA-256 and the input file's kept), as the person --as.

    Long because it is a command's whole signature (one typer option per flag) and the attach step that
    stores the run and its PDF as evidence."""
    from raigov.errors import ValidationFailed
    from raigov.evaluation import pipeline
    from raigov.evaluation.biometric import BiometricSpec
    from raigov.evaluation.report import render_html, render_pdf

    _check_backend(backend)
    if not html_out and not pdf_out and not attach:
        raise ValidationFailed.one("--html", "give --html and/or --pdf (or --attach)")
    db, actor = _attacher(attach, practice, as_, password_stdin)
    _check_bootstrap(bootstrap, subject, bootstrap_design, need_subject=False)  # as before: ignored without it
    spec = BiometricSpec(score=score, genuine=genuine, groups=tuple(group), subject=subject,
                         ref_groups=tuple(ref_group), pairing=impostor_pairing, ref_subject=ref_subject,
                         bootstrap_design=bootstrap_design)
    with progress_bar("report") as prog:
        result, out = pipeline.biometric(file, spec, threshold=threshold, target_fmr=target_fmr, grid_points=grid,
                                         alpha=alpha, zero_rule=zero_handling, ci_method=ci, bootstrap=bootstrap,
                                         seed=seed, au_fdr_range=au_fdr_range, au_fdr_points=au_fdr_points,
                                         backend=backend, scheduler=scheduler, progress=prog)
    given = {"max_fmr": max_fmr, "max_fnmr": max_fnmr, "max_fmr_ratio": max_fmr_ratio, "max_fnmr_ratio": max_fnmr_ratio,
             "max_garbe": max_garbe, "min_fdr": min_fdr}
    crit, criteria_source = pipeline.criteria(given, criteria_pack, criteria_item, field="--criteria-pack")
    rep = pipeline.report(result, out["data"], crit, title, criteria_source)
    written = []
    if html_out:
        html_out.write_text(render_html(rep), encoding="utf-8")
        written.append(str(html_out))
    if pdf_out:
        if attach:
            pipeline.render_report_pdf(rep, pdf_out)
        else:
            render_pdf(rep, pdf_out)
        written.append(str(pdf_out))
    summary = rep.summary()
    summary["written"] = written
    summary["criteria"] = {**crit.as_dict(), "source": criteria_source or "command line"}
    if attach:
        summary["run"] = _store_report(db, actor, file, rep, out, pdf_out, attach, practice, {
            "score": score, "genuine": genuine, "groups": list(group), "subject": subject, "ref_groups": list(ref_group),
            "threshold": threshold, "target_fmr": target_fmr, "impostor_pairing": impostor_pairing, "alpha": alpha,
            "zero_handling": zero_handling, "ci": ci, "bootstrap": bootstrap, "seed": seed,
            "bootstrap_design": bootstrap_design, "ref_subject": ref_subject, "au_fdr_range": au_fdr_range,
            "au_fdr_points": au_fdr_points, "grid": grid, "criteria": crit.as_dict(), "title": title,
            "source": "cli"})
    if as_json:
        print_json(summary)
    else:
        verdict = {True: "[green]PASS[/green]", False: "[red]FAIL[/red]", None: "not evaluated"}[rep.passed]
        console.print(f"{verdict}; wrote {', '.join(written) or 'nothing'}")
        if attach:
            _print_stored(summary["run"])
        for c in rep.checks:
            console.print(f"  {c.name}: {_fmt(c.value)} (limit {_fmt(c.limit)}) "
                          f"{ {True: 'pass', False: 'FAIL', None: 'not evaluable'}[c.passed]}")
    if rep.passed is False:
        raise typer.Exit(1)
