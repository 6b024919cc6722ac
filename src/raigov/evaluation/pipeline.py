"""One evaluation pipeline, used by the evaluation service (the page, the API) and by `raigov eval` alike:
run the runner on a file, turn the result into its JSON form, judge a biometric result against its criteria
(given, or a policy pack's), and render the PDF report. Reads files, writes none but the PDF it is asked for;
no database (storing a run is :mod:`raigov.evaluation.service`'s).

NumPy, pyarrow, Dask and the PDF libraries are imported inside the functions that need them, so that importing
this module stays cheap."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

from raigov.errors import ValidationFailed
from raigov.policy.packs import current_registry

OUTCOMES = {True: "pass", False: "fail", None: "none"}  # a report's `passed` -> a run's outcome


def classifier(path, spec, *, zero_division: float = 0.0, backend: str = "local", scheduler: str | None = None,
               progress=None) -> dict[str, Any]:
    """The classifier metrics of the file as JSON-ready values (with ``data``: the file's hash, format, rows)."""
    from raigov.evaluation.runner import run_classifier

    result, data = run_classifier(path, spec, backend=backend, scheduler=scheduler, progress=progress,
                                  zero_division=zero_division)
    out = result.to_dict()
    out["data"] = data
    return out


def biometric(path, spec, *, curves: bool = False, **options) -> tuple[Any, dict[str, Any]]:
    """(the result, its JSON form with ``data`` and, with `curves`, the DET curve points of each observed
    group). `options` are the runner's (threshold, target_fmr, grid_points, alpha, zero_rule, ci_method, ...)."""
    from raigov.evaluation.runner import run_biometric

    result, data = run_biometric(path, spec, **options)
    out = result.to_dict()
    out["data"] = data
    if curves:
        cv = result.curves()
        out["curves"] = {"thresholds": cv["thresholds"], "groups": [
            {"group": lab, "fmr": cv["fmr"][i], "fnmr": cv["fnmr"][i]}
            for i, lab in enumerate(result.labels) if result.observed()[i]]}
    return result, out


def criteria(given: dict[str, float | None], pack_ref: str | None = None, item: str | None = None,
             field: str = "criteria_pack"):
    """(Criteria, source or None): the limits given, or a policy pack's limits on a practice with the given ones
    taking precedence. An unknown pack is a ValidationFailed naming `field`."""
    from raigov.evaluation.report import Criteria

    if not pack_ref:
        return Criteria(**given), None
    try:
        pack = current_registry().get(pack_ref)
    except KeyError:
        raise ValidationFailed.one(field, f"no policy pack {pack_ref!r}") from None
    return Criteria.from_pack(pack, item, **given)


def report(result, data: dict, crit, title: str, source: str | None = None):
    """The biometric report (its checks against `crit`, pass or fail)."""
    from raigov.evaluation.report import build_report

    rep = build_report(result, data, crit, title=title)
    if source:
        rep.extra["criteria_source"] = source
    return rep


def checks_of(rep) -> list[dict]:
    return [dataclasses.asdict(c) for c in rep.checks]


def _fmt(x) -> str:
    from raigov.evaluation.report.html import fmt

    return fmt(x)


def classifier_pdf(result: dict[str, Any], title: str, path: Path) -> None:
    """A short PDF for a classifier run (the biometric report has its own renderer)."""
    from fpdf import FPDF

    from raigov.evaluation.report.pdf import latin1

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(latin1(title))
    pdf.set_author("raigov")
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def para(text, size=9, style=""):
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(width, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")

    para(title, 15, "B")
    d = result["data"]
    para(f"File: {d.get('file')}\nSHA-256: {d.get('sha256')}\nFormat: {d.get('format')}; rows: {d.get('rows')}")
    para("Metrics by group", 12, "B")
    cols = ("n", "selection_rate", "tpr", "fpr", "fnr", "precision", "accuracy")
    pdf.set_font("Helvetica", "", 7.5)
    with pdf.table(text_align="LEFT", line_height=4, first_row_as_headings=True) as t:
        row = t.row()
        for h in ("group", *cols):
            row.cell(h)
        for label, g in [("overall", result["overall"])] + [
                (", ".join(f"{k}={v}" for k, v in g["group"].items()), g) for g in result["groups"]]:
            row = t.row()
            row.cell(latin1(label))
            for c in cols:
                row.cell(latin1(_fmt(g.get(c))))
    s = result["summary"]["between_groups"]
    ff = result["four_fifths"]
    para("Between groups", 12, "B")
    para(f"Demographic parity difference {_fmt(s['demographic_parity_difference'])}, ratio "
         f"{_fmt(s['demographic_parity_ratio'])}; equalized odds difference {_fmt(s['equalized_odds_difference'])}, "
         f"ratio {_fmt(s['equalized_odds_ratio'])}. Four-fifths rule: "
         f"{ {True: 'passes', False: 'fails', None: 'undefined'}[ff.get('passes')] }.")
    para("Conventions", 12, "B")
    for k, v in result["conventions"].items():
        para(f"{k}: {v}", 8)
    pdf.output(str(path))


def render_report_pdf(rep, path: Path) -> None:
    """The biometric PDF report; without the DET chart when matplotlib cannot log-scale it (a small file
    whose curves have no non-zero rates)."""
    from raigov.evaluation.report import render_pdf

    try:
        render_pdf(rep, path)
    except ValueError:
        rep.curves = None
        render_pdf(rep, path)


def pdf_bytes(render, *args) -> bytes:
    """The bytes of a PDF written by ``render(*args, path)`` into a temporary folder (then removed)."""
    with tempfile.TemporaryDirectory() as d:
        tmp = Path(d) / "report.pdf"
        render(*args, tmp)
        return tmp.read_bytes()
