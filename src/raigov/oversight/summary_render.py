"""The monthly oversight summary (summary.build's dict) as HTML (on demand: `raigov oversight summary --html`) and
PDF (fpdf2, as the monitoring report does; the PDF is what is stored as evidence). Each figure as a table; the
decisions per day also as a chart (SVG bars in the HTML, drawn bars in the PDF) with the same numbers in the
table, and the rates per ISO week (``weeks``) as a table in both and grouped SVG bars in the HTML. Pure: nothing
here reads or writes the database."""

from __future__ import annotations

import datetime as dt
from html import escape

EXPLAIN = ("Share reviewed: recorded decisions a person reviewed (accepted, modified or overrode the AI output) over "
           "all recorded. Override rate: overridden over reviewed. Refused: attempts the policy packs' decision rules "
           "refused (not recorded). Reversal rate: reversed over decided appeals. Per operator: appeals filed in the "
           "month against decisions the operator reviewed, over their decisions of the month (appeal rate), and "
           "those decided in the month. Per week (Monday to Sunday, the first and last weeks cut at the month): appeal "
           "rate: appeals filed that week over decisions recorded that week (the appeals of a week contest decisions "
           "of earlier weeks too); reversal rate: reversed over appeals decided that week (docs/oversight.md).")


def _pct(x) -> str:
    return "-" if x is None else f"{x:.1%}"


def title_of(s: dict) -> str:
    return f"Oversight summary {s['month']}: {s['use_case']} {s['use_case_name']}"


def headline_rows(s: dict) -> list[list[str]]:
    r = s["remedies"]
    return [["decisions recorded", str(s["recorded"])], ["attempts refused", str(s["refused"])],
            ["reviewed by a person", f"{s['reviewed']} ({_pct(s['review_share'])})"],
            ["override rate (of reviewed)", _pct(s["override_rate"])],
            ["modified (of reviewed)", _pct(s["modified_rate"])],
            ["notices owed / not given", f"{r['notice_owed']} / {r['notice_missing']}"],
            ["appeals filed / decided", f"{r['appeal_filed']} / {r['appeals_decided']}"],
            ["appeals upheld / modified / reversed",
             f"{r['appeal_upheld']} / {r['appeal_modified']} / {r['appeal_reversed']}"],
            ["reversal rate", _pct(r["reversal_rate"])],
            ["reversals in the window at month end",
             f"{r['reversals_in_window']} in {r['reversal_window_days']} days (threshold {r['reversal_threshold']}"
             f"{': reviewers asked to look again' if r['reversal_alert'] else ''})"]]


KIND_HEAD = ["kind", "recorded", "refused"]
DAY_HEAD = ["day", "recorded", "refused"]
OPERATOR_HEAD = ["operator", "decisions", "modified", "overrode", "override rate", "appeals", "appeal rate",
                 "reversed / decided", "reversal rate"]
ALERT_HEAD = ["alert", "kind", "day", "status"]
WEEK_HEAD = ["week", "recorded", "review share", "override rate", "refused share", "appeals", "appeal rate",
             "reversed / decided", "reversal rate"]
WEEK_RATES = (("review_share", "review share", "#005ea2"), ("override_rate", "override rate", "#d54309"),
              ("refused_share", "refused share", "#71767a"), ("appeal_rate", "appeal rate", "#00a398"),
              ("reversal_rate", "reversal rate", "#8168b3"))


def kind_rows(s: dict) -> list[list[str]]:
    return [[k, str(v.get("recorded", 0)), str(v.get("refused", 0))] for k, v in sorted(s["by_kind"].items())]


def day_rows(s: dict) -> list[list[str]]:
    return [[d["day"], str(d.get("recorded", 0)), str(d.get("refused", 0))] for d in s["days"]]


def operator_rows(s: dict) -> list[list[str]]:
    return [[o["reviewer"], str(o["decisions"]), str(o["modified"]), str(o["overrode"]), _pct(o["override_rate"]),
             str(o.get("appeals", 0)), _pct(o.get("appeal_rate")),
             f"{o.get('appeals_reversed', 0)} / {o.get('appeals_decided', 0)}", _pct(o.get("reversal_rate"))]
            for o in s["by_operator"]]


def week_rows(s: dict) -> list[list[str]]:
    return [[f"{w['start']} to {w['end']}", str(w["recorded"]), _pct(w["review_share"]), _pct(w["override_rate"]),
             _pct(w["refused_share"]), str(w["appeals"]), _pct(w["appeal_rate"]),
             f"{w['appeals_reversed']} / {w['appeals_decided']}", _pct(w["reversal_rate"])]
            for w in s.get("weeks", [])]


def alert_rows(s: dict) -> list[list[str]]:
    return [[str(a["id"]), a["kind"], a["day"], a["status"]] for a in s["alerts"]]


def _table(head: list[str], rows: list[list[str]], caption: str) -> str:
    th = "".join(f'<th scope="col">{escape(h)}</th>' for h in head)
    body = "".join("<tr>" + "".join(f"<td>{escape(c)}</td>" for c in r) + "</tr>" for r in rows)
    return f"<table><caption>{escape(caption)}</caption><thead><tr>{th}</tr></thead><tbody>{body}</tbody></table>"


def _svg(rows: list[list[str]]) -> str:
    vals = [int(r[1]) for r in rows]
    top, h = max([*vals, 1]), 120
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{12 * len(rows) + 20}" height="{h + 10}" role="img" '
             'aria-labelledby="t-days"><title id="t-days">Decisions recorded per day; the numbers are in the table '
             'below</title>']
    for i, v in enumerate(vals):
        bh = h * v / top
        parts.append(f'<rect x="{10 + 12 * i}" y="{h - bh:.1f}" width="9" height="{bh:.1f}" fill="#005ea2"/>')
    return "".join(parts) + "</svg>"


def _weeks_svg(weeks: list[dict]) -> str:
    """The rates of each week as grouped bars (0 to 100 %), a legend below; no bar where a rate has no
    denominator. The numbers are in the table that follows."""
    h, bar, group = 100, 8, 8 * len(WEEK_RATES) + 14
    width = max(10 + group * len(weeks), 470)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{h + 50}" role="img" '
             'aria-labelledby="t-weeks"><title id="t-weeks">Rates per week: review share, override rate, refused '
             'share, appeal rate and reversal rate; the numbers are in the table below</title>',
             f'<line x1="8" y1="{h}" x2="{width - 2}" y2="{h}" stroke="#1b1b1b"/>',
             f'<line x1="8" y1="1" x2="{width - 2}" y2="1" stroke="#dfe1e2"/>'
             f'<text x="{width - 34}" y="11" font-size="9">100 %</text>']
    for i, w in enumerate(weeks):
        for j, (key, _, colour) in enumerate(WEEK_RATES):
            if w.get(key) is not None:
                bh = h * w[key]
                parts.append(f'<rect x="{10 + group * i + bar * j}" y="{h - bh:.1f}" width="{bar - 1}" '
                             f'height="{bh:.1f}" fill="{colour}"/>')
        parts.append(f'<text x="{10 + group * i}" y="{h + 12}" font-size="9">{escape(w["start"][5:])}</text>')
    for j, (_, words, colour) in enumerate(WEEK_RATES):
        x = 10 + 92 * j
        parts.append(f'<rect x="{x}" y="{h + 24}" width="8" height="8" fill="{colour}"/>'
                     f'<text x="{x + 11}" y="{h + 32}" font-size="9">{escape(words)}</text>')
    return "".join(parts) + "</svg>"


def render_html(s: dict, created: dt.datetime) -> str:
    out = [f'<!doctype html><html lang="en"><head><meta charset="utf-8"><title>{escape(title_of(s))}</title>'
           f"</head><body><h1>{escape(title_of(s))}</h1>",
           f"<p>{escape(s['component'] or '')}, agency days {s['since']} to {s['until']}. Created "
           f"{created.isoformat()}.</p>",
           _table(["measure", "value"], headline_rows(s), "The month in figures"),
           "<h2>Decisions per day</h2>", _svg(day_rows(s)), _table(DAY_HEAD, day_rows(s), "Per agency day"),
           "<h2>Rates per week</h2>", _weeks_svg(s.get("weeks", [])),
           _table(WEEK_HEAD, week_rows(s), "Per ISO week (Monday to Sunday, cut at the month)"),
           "<h2>By kind</h2>", _table(KIND_HEAD, kind_rows(s), "Per decision kind"),
           "<h2>By operator</h2>", _table(OPERATOR_HEAD, operator_rows(s), "Per reviewer"),
           "<h2>Alerts</h2>", _table(ALERT_HEAD, alert_rows(s), "Oversight alerts of the month"),
           f"<h2>How the figures are counted</h2><p>{escape(EXPLAIN)}</p></body></html>"]
    return "".join(out)


def render_pdf(s: dict, created: dt.datetime) -> bytes:
    """The summary as PDF bytes (fpdf2's core fonts: Latin-1)."""
    from fpdf import FPDF

    from raigov.evaluation.report.pdf import latin1

    pdf = FPDF(orientation="P", unit="mm", format="A4")
    pdf.set_title(latin1(title_of(s)))
    pdf.set_author("raigov")
    pdf.set_creation_date(created)
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    width = pdf.w - pdf.l_margin - pdf.r_margin

    def text(t: str, size: float = 9, style: str = "") -> None:
        pdf.set_font("Helvetica", style, size)
        pdf.multi_cell(width, size * 0.5, latin1(t), new_x="LMARGIN", new_y="NEXT")

    def grid(head: list[str], rows: list[list[str]]) -> None:
        pdf.set_font("Helvetica", "", 7)
        with pdf.table(text_align="LEFT", line_height=4, first_row_as_headings=True) as t:
            for r in [head, *(rows or [["-"] * len(head)])]:
                row = t.row()
                for c in r:
                    row.cell(latin1(c))

    text(title_of(s), 14, "B")
    text(f"{s['component'] or ''}, agency days {s['since']} to {s['until']}. Created {created.isoformat()}.")
    grid(["measure", "value"], headline_rows(s))
    days = day_rows(s)
    text("Decisions per day", 11, "B")
    vals = [int(r[1]) for r in days]
    top, x0, h = max([*vals, 1]), pdf.l_margin + 2, 22
    y0 = pdf.get_y() + h + 2
    pdf.set_fill_color(0, 94, 162)
    for i, v in enumerate(vals):
        pdf.rect(x0 + 5 * i, y0 - h * v / top, 3.5, h * v / top, style="F")
    pdf.set_y(y0 + 3)
    grid(DAY_HEAD, days)
    for title, head, rows in (("Rates per week (Monday to Sunday, cut at the month)", WEEK_HEAD, week_rows(s)),
                              ("By kind", KIND_HEAD, kind_rows(s)), ("By operator", OPERATOR_HEAD, operator_rows(s)),
                              ("Alerts", ALERT_HEAD, alert_rows(s))):
        text(title, 11, "B")
        grid(head, rows)
    text("How the figures are counted", 11, "B")
    text(EXPLAIN, 8)
    return bytes(pdf.output())
