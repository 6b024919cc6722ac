"""Self-contained, accessible HTML report: no external resources (no CDN, no scripts), tables with
captions and ``th scope``, every chart an inline SVG (``role="img"`` with title and description)
with the data table it was drawn from beside it."""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np

from raigov.evaluation.vocab import metric_label

# Okabe-Ito colour-blind-safe palette, plus dash patterns so lines differ without colour
COLOURS = ["#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442"]
DASHES = ["", "6 3", "2 3", "8 3 2 3", "1 2", "10 4", "4 4", "12 2 2 2"]

CSS = """
body{font-family:system-ui,-apple-system,"Segoe UI",Roboto,Arial,sans-serif;color:#1b1b1b;max-width:72rem;
margin:2rem auto;padding:0 1rem;line-height:1.5}
h1{font-size:1.8rem}h2{font-size:1.35rem;margin-top:2rem;border-bottom:1px solid #dfe1e2}
table{border-collapse:collapse;margin:0.5rem 0 1.5rem;font-size:0.9rem}
caption{text-align:left;font-weight:600;padding:0.25rem 0}
th,td{border:1px solid #a9aeb1;padding:0.25rem 0.5rem;text-align:right}
th[scope=row],td.l,th.l{text-align:left}thead th{background:#f0f0f0}
.pass{color:#00612e;font-weight:700}.fail{color:#b50909;font-weight:700}.na{color:#5c5c5c;font-weight:700}
.figure{display:flex;flex-wrap:wrap;gap:1.5rem;align-items:flex-start}
figure{margin:0}figcaption{font-size:0.9rem;color:#3d4551;max-width:34rem}
code{background:#f0f0f0;padding:0 0.2rem}dl{display:grid;grid-template-columns:max-content auto;gap:0.2rem 1rem}
dt{font-weight:600}dd{margin:0}
"""


def esc(x: Any) -> str:
    return html.escape(str(x), quote=True)


def _bootstrap_title(conv: dict) -> str:
    if conv.get("bootstrap_design") == "crossed":
        return "Crossed (probe x reference) bootstrap intervals"
    return "Subject-clustered bootstrap intervals"


def fmt(x, digits: int = 4) -> str:
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if isinstance(x, bool):
        return "yes" if x else "no"
    if isinstance(x, (int, np.integer)):
        return f"{int(x):,}"
    x = float(x)
    if x == 0:
        return "0"
    if abs(x) < 1e-3 or abs(x) >= 1e6:
        return f"{x:.{digits - 1}e}"
    return f"{x:.{digits}g}"


def group_label(g: dict) -> str:
    return ", ".join(f"{k}={v}" for k, v in g.items()) or "(all)"


def table(caption: str, headers: list[str], rows: list[list[Any]], row_header: bool = True, cls: str = "") -> str:
    out = [f'<table{f" class={esc(cls)}" if cls else ""}><caption>{esc(caption)}</caption><thead><tr>']
    for i, h in enumerate(headers):
        out.append(f'<th scope="col"{" class=l" if i == 0 else ""}>{esc(h)}</th>')
    out.append("</tr></thead><tbody>")
    for r in rows:
        out.append("<tr>")
        for i, v in enumerate(r):
            cell = v if isinstance(v, _Raw) else esc(v)
            if i == 0 and row_header:
                out.append(f'<th scope="row">{cell}</th>')
            else:
                out.append(f"<td>{cell}</td>")
        out.append("</tr>")
    out.append("</tbody></table>")
    return "".join(out)


class _Raw(str):
    """Trusted markup (built here from escaped parts)."""


# ------------------------------------------------------------------------------------------- charts
def bar_chart_svg(chart_id: str, title: str, desc: str, labels: list[str], values: list[float | None],
                  cis: list[list[float | None]], width: int = 520) -> str:
    bar_h, gap, left, right, top = 22, 10, 170, 70, 30
    n = len(labels)
    height = top + n * (bar_h + gap) + 40
    hi_vals = [c[1] for c in cis if c and c[1] is not None] + [v for v in values if v is not None]
    vmax = max(hi_vals) if hi_vals and max(hi_vals) > 0 else 1.0
    scale = (width - left - right) / vmax
    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
              f'role="img" aria-labelledby="{chart_id}-t {chart_id}-d">'),
             f'<title id="{chart_id}-t">{esc(title)}</title><desc id="{chart_id}-d">{esc(desc)}</desc>',
             f'<line x1="{left}" y1="{top - 5}" x2="{left}" y2="{height - 35}" stroke="#1b1b1b"/>']
    for i, (lab, v, ci) in enumerate(zip(labels, values, cis)):
        y = top + i * (bar_h + gap)
        parts.append(f'<text x="{left - 6}" y="{y + bar_h * 0.7}" text-anchor="end" font-size="12">{esc(lab)}</text>')
        if v is None:
            parts.append(f'<text x="{left + 4}" y="{y + bar_h * 0.7}" font-size="12">n/a</text>')
            continue
        w = max(v * scale, 0.5)
        parts.append(f'<rect x="{left}" y="{y}" width="{w:.2f}" height="{bar_h}" fill="{COLOURS[i % len(COLOURS)]}"/>')
        if ci and ci[0] is not None and ci[1] is not None:
            x0, x1, ym = left + ci[0] * scale, left + ci[1] * scale, y + bar_h / 2
            parts.append(f'<line x1="{x0:.2f}" y1="{ym}" x2="{x1:.2f}" y2="{ym}" stroke="#1b1b1b" stroke-width="1.5"/>'
                         f'<line x1="{x0:.2f}" y1="{ym - 6}" x2="{x0:.2f}" y2="{ym + 6}" stroke="#1b1b1b"/>'
                         f'<line x1="{x1:.2f}" y1="{ym - 6}" x2="{x1:.2f}" y2="{ym + 6}" stroke="#1b1b1b"/>')
        parts.append(f'<text x="{left + max(w, (ci[1] or 0) * scale) + 6:.2f}" y="{y + bar_h * 0.7}" '
                     f'font-size="11">{esc(fmt(v, 3))}</text>')
    yb = height - 20
    for k in range(5):
        val = vmax * k / 4
        x = left + val * scale
        parts.append(f'<line x1="{x:.2f}" y1="{yb - 15}" x2="{x:.2f}" y2="{yb - 10}" stroke="#1b1b1b"/>'
                     f'<text x="{x:.2f}" y="{yb + 2}" text-anchor="middle" font-size="10">{esc(fmt(val, 2))}</text>')
    parts.append("</svg>")
    return "".join(parts)


def det_svg(chart_id: str, title: str, desc: str, curves: dict, threshold_points: list[tuple[float, float]],
            width: int = 520, height: int = 420) -> str:
    left, right, top, bottom = 60, 20, 20, 50
    groups = curves["groups"]
    xs_all = np.concatenate([np.asarray(g["fmr"], float) for g in groups])
    ys_all = np.concatenate([np.asarray(g["fnmr"], float) for g in groups])
    pos_x = xs_all[(xs_all > 0) & np.isfinite(xs_all)]
    pos_y = ys_all[(ys_all > 0) & np.isfinite(ys_all)]
    x_lo = math.floor(math.log10(pos_x.min())) if pos_x.size else -6
    y_lo = math.floor(math.log10(pos_y.min())) if pos_y.size else -4
    x_lo, y_lo = max(x_lo, -8), max(y_lo, -8)
    pw, ph = width - left - right, height - top - bottom

    def px(v):
        return left + (math.log10(v) - x_lo) / (0 - x_lo) * pw

    def py(v):
        return top + ph - (math.log10(v) - y_lo) / (0 - y_lo) * ph

    parts = [(f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" viewBox="0 0 {width} {height}" '
              f'role="img" aria-labelledby="{chart_id}-t {chart_id}-d">'),
             f'<title id="{chart_id}-t">{esc(title)}</title><desc id="{chart_id}-d">{esc(desc)}</desc>',
             f'<rect x="{left}" y="{top}" width="{pw}" height="{ph}" fill="none" stroke="#1b1b1b"/>']
    for e in range(x_lo, 1):
        x = px(10.0**e)
        parts.append(f'<line x1="{x:.1f}" y1="{top}" x2="{x:.1f}" y2="{top + ph}" stroke="#dfe1e2"/>'
                     f'<text x="{x:.1f}" y="{top + ph + 16}" text-anchor="middle" font-size="10">1e{e}</text>')
    for e in range(y_lo, 1):
        y = py(10.0**e)
        parts.append(f'<line x1="{left}" y1="{y:.1f}" x2="{left + pw}" y2="{y:.1f}" stroke="#dfe1e2"/>'
                     f'<text x="{left - 6}" y="{y + 3:.1f}" text-anchor="end" font-size="10">1e{e}</text>')
    parts.append(f'<text x="{left + pw / 2}" y="{height - 12}" text-anchor="middle" font-size="12">FMR (log)</text>'
                 f'<text x="14" y="{top + ph / 2}" text-anchor="middle" font-size="12" '
                 f'transform="rotate(-90 14 {top + ph / 2})">FNMR (log)</text>')
    for i, g in enumerate(groups):
        x = np.asarray(g["fmr"], float)
        y = np.asarray(g["fnmr"], float)
        ok = (x > 0) & (y > 0) & np.isfinite(x) & np.isfinite(y)
        pts = " ".join(f"{px(a):.1f},{py(b):.1f}" for a, b in zip(x[ok], y[ok]))
        dash = f' stroke-dasharray="{DASHES[i % len(DASHES)]}"' if DASHES[i % len(DASHES)] else ""
        colour = COLOURS[i % len(COLOURS)]
        if pts:
            parts.append(f'<polyline points="{pts}" fill="none" stroke="{colour}" stroke-width="2"{dash}/>')
        ly = top + 14 + i * 16
        parts.append(f'<line x1="{left + pw - 150}" y1="{ly - 4}" x2="{left + pw - 125}" y2="{ly - 4}" '
                     f'stroke="{colour}" stroke-width="2"{dash}/>'
                     f'<text x="{left + pw - 120}" y="{ly}" font-size="11">{esc(group_label(g["group"]))}</text>')
    for i, (a, b) in enumerate(threshold_points):
        if a and b and a > 0 and b > 0:
            parts.append(f'<circle cx="{px(a):.1f}" cy="{py(b):.1f}" r="4" fill="{COLOURS[i % len(COLOURS)]}" '
                         f'stroke="#1b1b1b"/>')
    parts.append("</svg>")
    return "".join(parts)


def _det_table_rows(curves: dict, op: float, max_rows: int = 12) -> tuple[list[str], list[list[Any]]]:
    t = np.asarray(curves["thresholds"], float)
    ofmr = np.asarray(curves["overall_fmr"], float)
    # thresholds nearest overall FMR 1e-1 ... 1e-6, plus the operating threshold
    picks = set()
    for target in (1e-1, 1e-2, 1e-3, 1e-4, 1e-5, 1e-6):
        ok = np.flatnonzero(ofmr <= target)
        if ok.size:
            picks.add(int(ok[0]))
    j = int(np.searchsorted(t, op))
    if j < t.size:
        picks.add(j)
    idx = sorted(picks)[:max_rows]
    headers = ["threshold"] + [f"{group_label(g['group'])} {k}" for g in curves["groups"] for k in ("FMR", "FNMR")]
    rows = []
    for k in idx:
        row = [fmt(t[k], 6)]
        for g in curves["groups"]:
            row += [fmt(g["fmr"][k], 3), fmt(g["fnmr"][k], 3)]
        rows.append(row)
    return headers, rows


# ------------------------------------------------------------------------------------------- page
def render_html(report) -> str:
    """The report as one HTML page. Long because it is a template in code: one section after the other, in
    the order the page shows them."""
    r = report.result
    ident = report.mode == "identification"
    km, kn = ("fpir", "fnir") if ident else ("fmr", "fnmr")
    KM, KN = km.upper(), kn.upper()
    conv = r["conventions"]
    rule = conv["threshold_rule"]
    verdict = report.passed
    vclass, vtext = {True: ("pass", "PASS"), False: ("fail", "FAIL"), None: ("na", "NOT EVALUATED")}[verdict]
    body = [f"<h1>{esc(report.title)}</h1>",
            f'<p>Overall result against the criteria: <span class="{vclass}">{vtext}</span>. '
            f"Threshold {esc(fmt(report.threshold, 10))}"
            + (f" set at target {KM} {esc(fmt(rule.get('target_fmr')))} (achieved {esc(fmt(rule.get('achieved_fmr')))})"
               if rule.get("rule") == "target-fmr" else " (fixed)")
            + f". Created {esc(report.created)}.</p>"]

    # criteria
    body.append("<h2>Criteria</h2>")
    if report.extra.get("criteria_source"):
        body.append(f"<p>Limits set by the policy pack {esc(report.extra['criteria_source'])}.</p>")
    if report.checks:
        rows = []
        for c in report.checks:
            cls, txt = {True: ("pass", "pass"), False: ("fail", "fail"), None: ("na", "not evaluable")}[c.passed]
            rows.append([c.name, fmt(c.limit), fmt(c.value), _Raw(f'<span class="{cls}">{txt}</span>'), c.detail])
        body.append(table("Pass/fail against the limits", ["criterion", "limit", "value", "result", "detail"], rows))
    else:
        body.append("<p>No criteria were given; the report is descriptive only.</p>")

    # data summary
    d = report.data
    body.append("<h2>Data</h2><dl>")
    for k, label in (("file", "Input file"), ("sha256", "SHA-256"), ("format", "Format"), ("rows", "Rows"),
                     ("groups", "Groups observed"), ("group_columns", "Group columns"), ("backend", "Backend")):
        v = d.get(k)
        if isinstance(v, list):
            v = ", ".join(map(str, v))
        shown = "<code>" + esc(v) + "</code>" if k == "sha256" else esc(fmt(v) if isinstance(v, int) else v)
        body.append(f"<dt>{esc(label)}</dt><dd>{shown}</dd>")
    ov = r["overall"]
    body.append(f"<dt>Genuine / impostor comparisons</dt><dd>{esc(fmt(ov['genuine']))} / {esc(fmt(ov['impostor']))}</dd>")
    body.append("</dl>")

    # per-group table
    body.append("<h2>Error rates by group</h2>")
    rows = [["overall", fmt(ov["genuine"]), fmt(ov["impostor"]), fmt(ov[km]),
             f"{fmt(ov[f'{km}_ci'][0])} – {fmt(ov[f'{km}_ci'][1])}", fmt(ov[kn]),
             f"{fmt(ov[f'{kn}_ci'][0])} – {fmt(ov[f'{kn}_ci'][1])}", "", ""]]
    for g in r["groups"]:
        rows.append([group_label(g["group"]), fmt(g["genuine"]), fmt(g["impostor"]), fmt(g[km]),
                     f"{fmt(g[f'{km}_ci'][0])} – {fmt(g[f'{km}_ci'][1])}", fmt(g[kn]),
                     f"{fmt(g[f'{kn}_ci'][0])} – {fmt(g[f'{kn}_ci'][1])}", fmt(g["false_matches"]),
                     fmt(g["false_non_matches"])])
    body.append(table(f"{KM} and {KN} per group at threshold {fmt(report.threshold, 8)}, with {conv['intervals']}",
                      ["group", "genuine", "impostor", KM, f"{KM} interval", KN, f"{KN} interval",
                       "false matches", "false non-matches"], rows))
    thin = [group_label(g["group"]) for g in r["groups"] if g["false_matches"] < 30 or g["false_non_matches"] < 30]
    if thin:
        body.append(f"<p>Fewer than 30 errors (rule of 30; the rate is not known to ±30 %): {esc('; '.join(thin))}.</p>")

    # bar charts with their tables
    labels = [group_label(g["group"]) for g in r["groups"]]
    for key, KEY in ((km, KM), (kn, KN)):
        vals = [g[key] for g in r["groups"]]
        cis = [g[f"{key}_ci"] for g in r["groups"]]
        svg = bar_chart_svg(f"bar-{key}", f"{KEY} by group", f"Horizontal bars of {KEY} per group with "
                            f"interval whiskers at threshold {fmt(report.threshold, 8)}; values in the table beside.",
                            labels, vals, cis)
        tbl = table(f"Data for the {KEY} chart", ["group", KEY, "lower", "upper"],
                    [[lab, fmt(v), fmt(c[0]), fmt(c[1])] for lab, v, c in zip(labels, vals, cis)])
        body.append(f'<h3>{KEY} by group</h3><div class="figure"><figure>{svg}<figcaption>{KEY} per group; whiskers '
                    f"show the interval.</figcaption></figure>{tbl}</div>")

    # DET
    if report.curves:
        pts = [(g[km], g[kn]) for g in r["groups"]]
        svg = det_svg("det", f"DET curves by group ({KM} against {KN}, log axes)",
                      "One line per group over the counted thresholds; dots mark the operating threshold. "
                      "Points where either rate is zero cannot be drawn on log axes.", report.curves, pts)
        headers, rows = _det_table_rows(report.curves, report.threshold)
        tbl = table(f"DET data at selected thresholds ({len(report.curves['thresholds'])} counted in total)",
                    headers, rows)
        body.append(f'<h2>DET curves</h2><div class="figure"><figure>{svg}<figcaption>DET curves per group. '
                    "Lower-left is better.</figcaption></figure>" + tbl + "</div>")

    # differentials
    dd = r["differentials"]
    rows = [[metric_label(k), fmt(v) if not isinstance(v, str) else v] for k, v in dd.items()]
    body.append("<h2>Differential summaries</h2>")
    body.append(table(f"Summaries across groups (alpha = {dd.get('alpha')}, zero handling: {dd.get('zero_handling')})",
                      ["measure", "value"], rows))
    if "differentials_ci_bootstrap" in r:
        rows = [[metric_label(k), fmt(v[0]), fmt(v[1])] for k, v in r["differentials_ci_bootstrap"].items()]
        body.append(table(_bootstrap_title(conv), ["measure", "lower", "upper"], rows))
    if r.get("cross_group_fmr"):
        rows = [[group_label(c["probe"]), group_label(c["reference"]), fmt(c["impostor"]), fmt(c["false_matches"]),
                 fmt(c["fmr"])] for c in r["cross_group_fmr"]]
        body.append(table("Cross-group FMR (probe group x reference group)",
                          ["probe group", "reference group", "impostor", "false matches", "FMR"], rows))

    # conventions
    body.append("<h2>Conventions</h2><dl>")
    for k, v in conv.items():
        if isinstance(v, dict):
            v = "; ".join(f"{a}: {fmt(b) if isinstance(b, float) else b}" for a, b in v.items())
        body.append(f"<dt>{esc(k)}</dt><dd>{esc(v)}</dd>")
    body.append("</dl>")
    return ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">"
            f"<title>{esc(report.title)}</title><style>{CSS}</style></head><body><main>"
            + "".join(body) + "</main></body></html>\n")
