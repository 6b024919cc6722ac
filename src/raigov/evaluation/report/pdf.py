"""PDF report: fpdf2 for layout, matplotlib (Agg) for the charts (PNG embedded in the PDF).

Uses only fpdf2's built-in core fonts, so text is limited to Latin-1; other characters are replaced.
"""

from __future__ import annotations

import io
import math

import numpy as np

from raigov.evaluation.report.html import COLOURS, fmt, group_label

_DASHES = ["-", "--", ":", "-.", (0, (1, 2)), (0, (5, 1)), (0, (3, 3)), (0, (8, 2, 2, 2))]


def latin1(text) -> str:
    s = str(text).replace("\u2013", "-").replace("\u2014", "-").replace("\u00b1", "+/-").replace("\u2264", "<=")
    return s.encode("latin-1", "replace").decode("latin-1")


def _png(fig) -> io.BytesIO:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=150, bbox_inches="tight")
    buf.seek(0)
    return buf


def _bar_png(labels, values, cis, title):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 0.45 * len(labels) + 1.2))
    y = np.arange(len(labels))
    v = np.array([np.nan if x is None else x for x in values], float)
    lo = np.array([np.nan if c[0] is None else c[0] for c in cis], float)
    hi = np.array([np.nan if c[1] is None else c[1] for c in cis], float)
    ax.barh(y, np.nan_to_num(v), color=[COLOURS[i % len(COLOURS)] for i in range(len(labels))])
    err = np.vstack([np.nan_to_num(v - lo), np.nan_to_num(hi - v)])
    ax.errorbar(np.nan_to_num(v), y, xerr=err, fmt="none", ecolor="black", capsize=3)
    ax.set_yticks(y, labels)
    ax.invert_yaxis()
    ax.set_title(title)
    fig.tight_layout()
    out = _png(fig)
    plt.close(fig)
    return out


def _det_png(curves, points, km, kn):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(6.5, 5))
    plotted = 0
    for i, g in enumerate(curves["groups"]):
        x, y = np.asarray(g["fmr"], float), np.asarray(g["fnmr"], float)
        ok = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
        plotted += int(ok.sum())
        ax.plot(x[ok], y[ok], color=COLOURS[i % len(COLOURS)], linestyle=_DASHES[i % len(_DASHES)],
                label=group_label(g["group"]))
        a, b = points[i]
        if a and b and a > 0 and b > 0:
            ax.plot([a], [b], "o", color=COLOURS[i % len(COLOURS)], markeredgecolor="black")
    if not plotted:  # a small or perfectly separated sample: no point with both rates above zero
        ax.set_xlim(1e-6, 1)
        ax.set_ylim(1e-6, 1)
        ax.text(1e-3, 1e-3, "no threshold with both error rates above zero", ha="center", fontsize=9)
    ax.set_xscale("log")
    ax.set_yscale("log")
    ax.set_xlabel(f"{km.upper()} (log)")
    ax.set_ylabel(f"{kn.upper()} (log)")
    ax.grid(True, which="major", alpha=0.4)
    ax.legend(fontsize=8)
    ax.set_title("DET curves by group (dots: operating threshold)")
    fig.tight_layout()
    out = _png(fig)
    plt.close(fig)
    return out


def render_pdf(report, path) -> None:
    """The report as a PDF. Long because it is a template in code: one section after the other, in the
    order the document shows them."""
    from fpdf import FPDF

    r = report.result
    ident = report.mode == "identification"
    km, kn = ("fpir", "fnir") if ident else ("fmr", "fnmr")
    conv = r["conventions"]
    rule = conv["threshold_rule"]
    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(latin1(report.title))
    pdf.set_author("raigov")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def h1(text):
        pdf.set_font("Helvetica", "B", 16)
        pdf.multi_cell(width, 8, latin1(text), new_x="LMARGIN", new_y="NEXT")

    def h2(text):
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 12)
        pdf.multi_cell(width, 7, latin1(text), new_x="LMARGIN", new_y="NEXT")

    def para(text, size=9):
        pdf.set_font("Helvetica", "", size)
        pdf.multi_cell(width, 4.5, latin1(text), new_x="LMARGIN", new_y="NEXT")

    def grid(headers, rows, widths=None, size=7.5):
        pdf.set_font("Helvetica", "", size)
        with pdf.table(col_widths=widths, text_align="LEFT", line_height=4, first_row_as_headings=True) as t:
            row = t.row()
            for h in headers:
                row.cell(latin1(h))
            for rr in rows:
                row = t.row()
                for c in rr:
                    row.cell(latin1(c))

    h1(report.title)
    verdict = {True: "PASS", False: "FAIL", None: "NOT EVALUATED"}[report.passed]
    thr = f"Threshold {fmt(report.threshold, 10)}"
    if rule.get("rule") == "target-fmr":
        thr += f" set at target {km.upper()} {fmt(rule.get('target_fmr'))} (achieved {fmt(rule.get('achieved_fmr'))})"
    para(f"Result against the criteria: {verdict}. {thr}. Created {report.created}.", 10)

    h2("Criteria")
    if report.extra.get("criteria_source"):
        para(f"Limits set by the policy pack {report.extra['criteria_source']}.")
    if report.checks:
        grid(["criterion", "limit", "value", "result", "detail"],
             [[c.name, fmt(c.limit), fmt(c.value), {True: "pass", False: "FAIL", None: "not evaluable"}[c.passed],
               c.detail] for c in report.checks])
    else:
        para("No criteria were given; the report is descriptive only.")

    h2("Data")
    d = report.data
    ov = r["overall"]
    para(f"File: {d.get('file')}\nSHA-256: {d.get('sha256')}\nFormat: {d.get('format')}; rows: {fmt(d.get('rows'))}; "
         f"groups observed: {d.get('groups')}; group columns: {', '.join(d.get('group_columns') or [])}; "
         f"backend: {d.get('backend')}\nGenuine / impostor comparisons: {fmt(ov['genuine'])} / {fmt(ov['impostor'])}")

    h2("Error rates by group")
    rows = [["overall", fmt(ov["genuine"]), fmt(ov["impostor"]), fmt(ov[km]),
             f"{fmt(ov[f'{km}_ci'][0])} - {fmt(ov[f'{km}_ci'][1])}", fmt(ov[kn]),
             f"{fmt(ov[f'{kn}_ci'][0])} - {fmt(ov[f'{kn}_ci'][1])}"]]
    for g in r["groups"]:
        rows.append([group_label(g["group"]), fmt(g["genuine"]), fmt(g["impostor"]), fmt(g[km]),
                     f"{fmt(g[f'{km}_ci'][0])} - {fmt(g[f'{km}_ci'][1])}", fmt(g[kn]),
                     f"{fmt(g[f'{kn}_ci'][0])} - {fmt(g[f'{kn}_ci'][1])}"])
    grid(["group", "genuine", "impostor", km.upper(), "interval", kn.upper(), "interval"], rows)
    para(f"Intervals: {conv['intervals']}.", 7.5)

    labels = [group_label(g["group"]) for g in r["groups"]]
    for key in (km, kn):
        png = _bar_png(labels, [g[key] for g in r["groups"]], [g[f"{key}_ci"] for g in r["groups"]],
                       f"{key.upper()} by group (whiskers: interval)")
        pdf.image(png, w=width * 0.8)
    if report.curves:
        png = _det_png(report.curves, [(g[km], g[kn]) for g in r["groups"]], km, kn)
        pdf.image(png, w=width * 0.8)
        para("The same DET data are tabulated at selected thresholds in the HTML report.", 7.5)

    h2("Differential summaries")
    dd = r["differentials"]
    grid(["measure", "value"], [[k, v if isinstance(v, str) else fmt(v)] for k, v in dd.items()], size=8)
    if "differentials_ci_bootstrap" in r:
        design = "crossed bootstrap" if conv.get("bootstrap_design") == "crossed" else "bootstrap"
        grid([f"measure ({design})", "lower", "upper"],
             [[k, fmt(v[0]), fmt(v[1])] for k, v in r["differentials_ci_bootstrap"].items()], size=8)

    h2("Conventions")
    for k, v in conv.items():
        if isinstance(v, dict):
            v = "; ".join(f"{a}: {fmt(b) if isinstance(b, float) and not math.isnan(b) else b}" for a, b in v.items())
        para(f"{k}: {v}", 8)
    pdf.output(str(path))
