"""The monitoring report of one monitor (``views.report``'s dict): HTML (on demand: `raigov monitor report
--html`) and PDF (fpdf2, as evaluation/report does; the PDF is what is stored as evidence, because the evidence
store refuses markup by design). Both say, per feature, each window's PSI against its critical value, JS
distance and adjusted chi-square p, as a chart (SVG; drawn bars in the PDF) and the same numbers as a table;
then the fairness of each window with outcomes, the alerts and the formulas. Pure: nothing here reads or
writes the database."""

from __future__ import annotations

import datetime as dt
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


HEAD = ["window", "rows", "PSI", "critical value", "JS distance", "chi-square p (BH)", "PSI above critical"]
FAIR_HEAD = ["window", "group", "n", "selection rate", "TPR", "FPR", "status"]
ALERT_HEAD = ["alert", "severity", "status", "what"]


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
    text("Alerts", 11, "B")
    grid(ALERT_HEAD, _alert_rows(rep) or [["-", "-", "-", "no alert"]])
    text("Formulas", 11, "B")
    text(FORMULAS, 8)
    return bytes(pdf.output())
