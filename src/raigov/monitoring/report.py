"""The monitoring report of one monitor (``views.report``'s dict): HTML (on demand: `raigov monitor report
--html`) and PDF (fpdf2, as evaluation/report does; the PDF is what is stored as evidence, because the evidence
store refuses markup by design). Both say, per feature, each window's PSI against its critical value, JS
distance and adjusted chi-square p, as a chart (SVG; drawn bars in the PDF) and the same numbers as a table;
then the fairness of each window with outcomes; for a face-recognition monitor, FMR and FNMR per group over the
windows as two line charts (SVG; drawn lines in the PDF) with the same numbers as tables, each window's counts
per group and the checks against the pack's limits (monitoring/biometric.py); the alerts and the formulas.
Pure: nothing here reads or writes the database."""

from __future__ import annotations

import datetime as dt
import itertools
from html import escape

FORMULAS = ("PSI = sum (p - q) ln(p / q), +0.5 per bin; its critical value (1/N + 1/M) chi2_0.95(B - 1); "
            "JS distance base 2; chi-square two-sample on the 2 x B table, Benjamini-Hochberg across the window's "
            "features; numeric bins at the reference quantiles with infinite outer edges (docs/monitoring.md).")


def _f(x, digits: int = 4) -> str:
    if x is None:
        return "-"
    return f"{x:.{digits}g}" if isinstance(x, float) else str(x)


def feature_rows(rep: dict) -> dict[str, list[list[str]]]:
    """Per feature, one row per window: window, rows, PSI, critical value, JS, adjusted chi-square p, above?"""
    out: dict[str, list[list[str]]] = {}
    for w in rep["windows"]:
        for f in w.get("features", []):
            out.setdefault(f["name"], []).append([
                f"{w['period_start']} to {w['period_end']}", str(w["rows"]), _f(f.get("psi")), _f(f.get("psi_critical")),
                _f(f.get("js_distance")), _f(f.get("chi2_p_adjusted")),
                "yes" if (f.get("psi") or 0) > (f.get("psi_critical") or float("inf")) else "no"])
    return out


def fairness_rows(rep: dict) -> list[list[str]]:
    rows = []
    for w in rep["windows"]:
        fair = w.get("fairness") or {}
        for g, v in sorted((fair.get("groups") or {}).items()):
            rows.append([f"{w['period_start']} to {w['period_end']}", g, str(v.get("n", "")),
                         _f(v.get("selection_rate")), _f(v.get("tpr")), _f(v.get("fpr")), str(v.get("status", ""))])
    return rows


def bio_windows(rep: dict) -> list[dict]:
    return [w for w in rep["windows"] if w.get("biometric")]


def biometric_series(rep: dict) -> tuple[list[str], dict[str, dict[str, list]]]:
    """(window labels, {"fmr"|"fnmr": {group: [rate or None per window]}}) of the windows with biometric counts;
    a group without comparisons of that kind in a window has None there."""
    wins = bio_windows(rep)
    groups = sorted({g for w in wins for g in w["biometric"]["groups"]})
    labels = [f"{w['period_start']} to {w['period_end']}" for w in wins]
    return labels, {k: {g: [(w["biometric"]["groups"].get(g) or {}).get(k) for w in wins] for g in groups}
                    for k in ("fmr", "fnmr")}


def _rate_ci(v: dict, key: str) -> str:
    if v.get(key) is None:
        return "-"
    lo, hi = v.get(f"{key}_ci") or (None, None)
    return f"{_f(v[key])} ({_f(lo, 3)} to {_f(hi, 3)})"


def biometric_rows(rep: dict) -> list[list[str]]:
    """Per window and group: comparisons, errors and rates (95 % Wilson) at the monitor's threshold."""
    rows = []
    for w in bio_windows(rep):
        for g, v in sorted(w["biometric"]["groups"].items()):
            rows.append([f"{w['period_start']} to {w['period_end']}", g, str(v["n_imp"]), str(v["fm"]),
                         _rate_ci(v, "fmr"), str(v["n_gen"]), str(v["fnm"]), _rate_ci(v, "fnmr")])
    return rows


def biometric_checks(rep: dict) -> list[list[str]]:
    """Per window, each criterion of the pack: value, limit and the verdict."""
    words = {True: "within", False: "above the limit", None: "not evaluable"}
    return [[f"{w['period_start']} to {w['period_end']}", c["name"], _f(c.get("value")), _f(c.get("limit")),
             words[c.get("passed")]] for w in bio_windows(rep) for c in w["biometric"].get("checks", [])]


def rate_table(labels: list[str], series: dict[str, list]) -> list[list[str]]:
    """Windows as rows, groups as columns: the numbers of a rate chart."""
    return [[lab, *(_f(series[g][i]) for g in series)] for i, lab in enumerate(labels)]


HEAD = ["window", "rows", "PSI", "critical value", "JS distance", "chi-square p (BH)", "PSI above critical"]
FAIR_HEAD = ["window", "group", "n", "selection rate", "TPR", "FPR", "status"]
ALERT_HEAD = ["alert", "severity", "status", "what"]
BIO_HEAD = ["window", "group", "impostor comparisons", "false matches", "FMR (95 % Wilson)", "genuine comparisons",
            "false non-matches", "FNMR (95 % Wilson)"]
CHECK_HEAD = ["window", "criterion", "value", "limit", "verdict"]
RATES = (("fmr", "FMR", "False match rate"), ("fnmr", "FNMR", "False non-match rate"))
MARKS = ("#005ea2", "#b50909", "#1b1b1b", "#4d8055", "#8168b3", "#936f38", "#00687d", "#c05600")


def _alert_rows(rep: dict) -> list[list[str]]:
    return [[str(a.get("id")), str(a.get("severity")), str(a.get("status")), str(a.get("text", ""))]
            for a in rep.get("alerts", [])]


def _svg(name: str, rows: list[list[str]]) -> str:
    """Bars of PSI per window, the critical value as a tick on each bar."""
    vals = [(float(r[2]) if r[2] != "-" else 0.0, float(r[3]) if r[3] != "-" else 0.0) for r in rows]
    top = max([v for pair in vals for v in pair] + [1e-9])
    w, h, bar = 40 * max(len(rows), 1) + 40, 160, 24
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h + 20}" role="img" '
             f'aria-labelledby="t-{escape(name)}"><title id="t-{escape(name)}">PSI of {escape(name)} per window '
             '(bars) and its critical value (ticks); the numbers are in the table below</title>']
    for i, (psi, crit) in enumerate(vals):
        x = 30 + 40 * i
        bh = h * psi / top
        parts.append(f'<rect x="{x}" y="{h - bh:.1f}" width="{bar}" height="{bh:.1f}" fill="#005ea2"/>')
        parts.append(f'<line x1="{x - 3}" x2="{x + bar + 3}" y1="{h - h * crit / top:.1f}" '
                     f'y2="{h - h * crit / top:.1f}" stroke="#d83933" stroke-width="2"/>')
        parts.append(f'<text x="{x}" y="{h + 14}" font-size="9">{i + 1}</text>')
    return "".join(parts) + "</svg>"


def _rate_svg(key: str, title: str, labels: list[str], series: dict[str, list]) -> str:
    """One line per group over the windows, on the chart's own scale (0 to its largest rate); each group its
    colour, its name at its last point; the numbers are in the table that follows."""
    width, height, left, right, top, bottom = 640, 220, 60, 140, 12, 30
    pw, ph = width - left - right, height - top - bottom
    n = max(len(labels), 1)
    top_v = max([v for vs in series.values() for v in vs if v is not None] + [0.0]) or 1.0
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {width} {height}" width="{width}" '
             f'height="{height}" role="img" aria-labelledby="t-bio-{key}"><title id="t-bio-{key}">{escape(title)} '
             '(lines per group); the numbers are in the table below</title>',
             f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + ph}" stroke="#565c65"/>',
             f'<line x1="{left}" y1="{top + ph}" x2="{left + pw}" y2="{top + ph}" stroke="#565c65"/>',
             f'<text x="{left - 4}" y="{top + ph}" text-anchor="end" font-size="10">0</text>',
             f'<text x="{left - 4}" y="{top + 8}" text-anchor="end" font-size="10">{top_v:.3g}</text>']
    for i, lab in enumerate(labels):
        parts.append(f'<text x="{left + (i + 0.5) * pw / n:.1f}" y="{top + ph + 14}" text-anchor="middle" '
                     f'font-size="9">{escape(lab.split(" ")[0])}</text>')
    names = []
    for j, (g, vs) in enumerate(series.items()):
        color = MARKS[j % len(MARKS)]
        pts = [(left + (i + 0.5) * pw / n, top + ph * (1 - v / top_v)) for i, v in enumerate(vs) if v is not None]
        if len(pts) > 1:
            parts.append(f'<polyline points="{" ".join(f"{x:.1f},{y:.1f}" for x, y in pts)}" fill="none" '
                         f'stroke="{color}" stroke-width="2"/>')
        parts += [f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>' for x, y in pts]
        if pts:
            names.append((pts[-1][1], pts[-1][0], g, color))
    below = 1e9  # each name at its group's last point, moved up where it would overlap the name below it
    for y, x, g, color in sorted(names, reverse=True):
        below = min(y + 4, below - 11)
        parts.append(f'<text x="{x + 6:.1f}" y="{below:.1f}" font-size="10" fill="{color}">{escape(g[:20])}</text>')
    return "".join(parts) + "</svg>"


def _biometric_html(rep: dict) -> list[str]:
    wins = bio_windows(rep)
    if not wins:
        return []
    labels, series = biometric_series(rep)
    b = wins[-1]["biometric"]
    out = ["<h2>Face recognition: FMR and FNMR per group</h2>",
           f"<p>At the monitor's threshold {_f(b['threshold'])} (match iff score &gt;= threshold), against the "
           f"criteria of {escape(b['criteria_source'])}.</p>"]
    for key, short, full in RATES:
        title = f"{full} ({short}) per group per window"
        out += [f"<h3>{escape(title)}</h3>", _rate_svg(key, title, labels, series[key]),
                _table(["window", *(f"{short}: {g}" for g in series[key])], rate_table(labels, series[key]), title)]
    out += [_table(BIO_HEAD, biometric_rows(rep), "Comparisons, errors and rates per window and group"),
            _table(CHECK_HEAD, biometric_checks(rep), "The pack's criteria per window"),
            f"<p>{escape(b['method'])}</p>"]
    return out


def _table(head: list[str], rows: list[list[str]], caption: str) -> str:
    th = "".join(f"<th scope=\"col\">{escape(h)}</th>" for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><caption>{escape(caption)}</caption><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def title_of(rep: dict) -> str:
    m = rep["monitor"]
    return f"Monitoring report: {m['name']} ({m['use_case']} {m['use_case_name']})"


def render_html(rep: dict, created: dt.datetime) -> str:
    m = rep["monitor"]
    out = [f"<!doctype html><html lang=\"en\"><head><meta charset=\"utf-8\"><title>{escape(title_of(rep))}</title>"
           f"</head><body><h1>{escape(title_of(rep))}</h1>",
           f"<p>Cadence {escape(m['cadence'])} (grace {m['grace_days']} days), reference {escape(str(m['reference']))} "
           f"({m['reference_rows']} rows), {len(rep['windows'])} window(s). Created {created.isoformat()}.</p>"]
    for name, rows in feature_rows(rep).items():
        out += [f"<h2>{escape(name)}</h2>", _svg(name, rows), _table(HEAD, rows, f"{name}: drift per window")]
    fair = fairness_rows(rep)
    if fair:
        out += ["<h2>Fairness per group</h2>", _table(FAIR_HEAD, fair, "Per window and group")]
    out += _biometric_html(rep)
    out += ["<h2>Alerts</h2>", _table(ALERT_HEAD, _alert_rows(rep), "Alerts of this monitor"),
            f"<h2>Formulas</h2><p>{escape(FORMULAS)}</p></body></html>"]
    return "".join(out)


def render_pdf(rep: dict, created: dt.datetime) -> bytes:
    """The report as PDF bytes (fpdf2's core fonts: Latin-1)."""
    from fpdf import FPDF

    from raigov.evaluation.report.pdf import latin1

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(latin1(title_of(rep)))
    pdf.set_author("raigov")
    pdf.set_creation_date(created)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def text(s: str, size: float = 9, style: str = "") -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(width, size * 0.5, latin1(s), new_x="LMARGIN", new_y="NEXT")

    def grid(head: list[str], rows: list[list[str]]) -> None:
        pdf.set_font("Helvetica", "", 7)
        pdf.set_fill_color(255, 255, 255)  # the charts' colours must not fill the table (dark text on dark cells)
        pdf.set_draw_color(0, 0, 0)
        pdf.set_text_color(0, 0, 0)
        with pdf.table(text_align="LEFT", line_height=4, first_row_as_headings=True) as t:
            for r in [head, *rows]:
                row = t.row()
                for c in r:
                    row.cell(latin1(c))

    m = rep["monitor"]
    text(title_of(rep), 14, "B")
    text(f"Cadence {m['cadence']} (grace {m['grace_days']} days), reference {m['reference']} ({m['reference_rows']} "
         f"rows), {len(rep['windows'])} window(s). Created {created.isoformat()}.")
    for name, rows in feature_rows(rep).items():
        pdf.ln(2)
        text(name, 11, "B")
        vals = [float(r[2]) if r[2] != "-" else 0.0 for r in rows]
        crit = [float(r[3]) if r[3] != "-" else 0.0 for r in rows]
        top, x0, y0, h = max([*vals, *crit, 1e-9]), pdf.l_margin + 5, pdf.get_y() + 25, 22
        for i, (v, c) in enumerate(zip(vals, crit, strict=True)):
            pdf.set_fill_color(0, 94, 162)
            pdf.rect(x0 + 8 * i, y0 - h * v / top, 5, h * v / top, style="F")
            pdf.set_draw_color(216, 57, 51)
            pdf.line(x0 + 8 * i - 1, y0 - h * c / top, x0 + 8 * i + 6, y0 - h * c / top)
        pdf.set_y(y0 + 3)
        grid(HEAD, rows)
    fair = fairness_rows(rep)
    if fair:
        text("Fairness per group", 11, "B")
        grid(FAIR_HEAD, fair)
    if bio_windows(rep):
        _biometric_pdf(pdf, rep, text, grid, latin1)
    text("Alerts", 11, "B")
    grid(ALERT_HEAD, _alert_rows(rep) or [["-", "-", "-", "no alert"]])
    text("Formulas", 11, "B")
    text(FORMULAS, 8)
    return bytes(pdf.output())


def _biometric_pdf(pdf, rep: dict, text, grid, latin1) -> None:
    """The face-recognition part of the PDF: per rate, drawn lines per group and the same numbers as a table;
    the counts per window and group; the checks; the method."""
    labels, series = biometric_series(rep)
    b = bio_windows(rep)[-1]["biometric"]
    pdf.ln(2)
    text("Face recognition: FMR and FNMR per group", 11, "B")
    text(f"At the monitor's threshold {_f(b['threshold'])} (match iff score >= threshold), against the criteria of "
         f"{b['criteria_source']}.")
    n = max(len(labels), 1)
    for key, short, full in RATES:
        pdf.ln(2)
        text(f"{full} ({short}) per group per window", 10, "B")
        vals = series[key]
        top = max([v for vs in vals.values() for v in vs if v is not None] + [0.0]) or 1.0
        x0, y0, w, h = pdf.l_margin + 12, pdf.get_y() + 28, 120, 24
        pdf.set_draw_color(86, 92, 101)
        pdf.line(x0, y0 - h, x0, y0)
        pdf.line(x0, y0, x0 + w, y0)
        pdf.set_font("Helvetica", "", 6)
        pdf.text(x0 - 10, y0 - h + 2, f"{top:.3g}")
        pdf.text(x0 - 4, y0, "0")
        names = []
        for j, (g, vs) in enumerate(vals.items()):
            r, gr, bl = (int(MARKS[j % len(MARKS)][k:k + 2], 16) for k in (1, 3, 5))
            pdf.set_draw_color(r, gr, bl)
            pdf.set_fill_color(r, gr, bl)
            pts = [(x0 + (i + 0.5) * w / n, y0 - h * v / top) for i, v in enumerate(vs) if v is not None]
            for (xa, ya), (xb, yb) in itertools.pairwise(pts):
                pdf.line(xa, ya, xb, yb)
            for x, y in pts:
                pdf.ellipse(x - 0.8, y - 0.8, 1.6, 1.6, style="F")
            if pts:
                names.append((pts[-1][1], pts[-1][0], g, (r, gr, bl)))
        below = 1e9  # each name at its group's last point, moved up where it would overlap the name below it
        for y, x, g, rgb in sorted(names, reverse=True):
            below = min(y + 1, below - 2.5)
            pdf.set_text_color(*rgb)
            pdf.text(x + 2, below, latin1(g[:20]))
        pdf.set_text_color(0, 0, 0)
        pdf.set_y(y0 + 3)
        grid(["window", *(f"{short}: {g}" for g in vals)], rate_table(labels, vals))
    pdf.ln(2)
    grid(BIO_HEAD, biometric_rows(rep))
    pdf.ln(2)
    grid(CHECK_HEAD, biometric_checks(rep) or [["-", "-", "-", "-", "no criterion"]])
    text(b["method"], 8)

