"""The three renderers of a :class:`Document`: HTML (escaped, one self-contained file, bars drawn in CSS inside
the table), PDF (fpdf2, core fonts: Latin-1 text) and DOCX (python-docx). fpdf and docx are imported in their
renderers (heavy optional libraries)."""

from __future__ import annotations

import io
from html import escape

from raigov.disclosure.reports.document import Document, Table

STYLE = ("body{font-family:'Source Sans Pro',Helvetica,Arial,sans-serif;max-width:60rem;margin:2rem auto;"
         "padding:0 1rem;color:#1b1b1b;line-height:1.5}table{border-collapse:collapse;margin:1rem 0;width:100%}"
         "th,td{border:1px solid #a9aeb1;padding:.3rem .5rem;text-align:left;vertical-align:top}"
         "caption{text-align:left;font-weight:bold}.bar{display:inline-block;height:.8rem;background:#005ea2}"
         "@media print{body{margin:0}}")
BAR_CHARS = 30


def _bar_width(v: int, top: int, full: int) -> int:
    return 0 if top <= 0 else round(full * v / top)


def to_html(doc: Document) -> bytes:
    out = ["<!DOCTYPE html>", '<html lang="en"><head><meta charset="utf-8">',
           f"<title>{escape(doc.title)}</title><style>{STYLE}</style></head><body><main>",
           f"<h1>{escape(doc.title)}</h1>", f"<p>{escape(doc.subtitle)}</p>"]
    for sec in doc.sections:
        out.append(f"<section><h2>{escape(sec.title)}</h2>")
        out += [f"<p>{escape(p)}</p>" for p in sec.paragraphs]
        out += [_html_table(t) for t in sec.tables]
        out.append("</section>")
    out.append("</main></body></html>")
    return "\n".join(out).encode("utf-8")


def _html_table(t: Table) -> str:
    head = "".join(f'<th scope="col">{escape(h)}</th>' for h in t.headers) + ('<th scope="col">Chart</th>'
                                                                               if t.chart else "")
    values, rows = t.bar_values(), []
    top = max(values, default=0)
    for r, v in zip(t.rows, values, strict=True):
        cells = f'<th scope="row">{escape(str(r[0]))}</th>' + "".join(f"<td>{escape(str(c))}</td>" for c in r[1:])
        if t.chart:
            cells += f'<td><span class="bar" style="width:{_bar_width(v, top, 100)}%"></span></td>'
        rows.append(f"<tr>{cells}</tr>")
    body = "".join(rows) or f'<tr><td colspan="{len(t.headers) + t.chart}">None</td></tr>'
    return f"<table><caption>{escape(t.caption)}</caption><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def latin1(s: object) -> str:
    s = str(s).replace("\u2013", "-").replace("\u2014", "-").replace("\u2019", "'").replace("\u2264", "<=")
    return s.encode("latin-1", "replace").decode("latin-1")


def to_pdf(doc: Document) -> bytes:
    from fpdf import FPDF

    pdf = FPDF(format="Letter")
    pdf.set_title(latin1(doc.title))
    pdf.set_creator("raigov")
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    pdf.multi_cell(0, 8, latin1(doc.title), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 5, latin1(doc.subtitle), new_x="LMARGIN", new_y="NEXT")
    for sec in doc.sections:
        pdf.ln(3)
        pdf.set_font("Helvetica", "B", 13)
        pdf.multi_cell(0, 7, latin1(sec.title), new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", "", 10)
        for p in sec.paragraphs:
            pdf.multi_cell(0, 5, latin1(p), new_x="LMARGIN", new_y="NEXT")
            pdf.ln(1)
        for t in sec.tables:
            _pdf_table(pdf, t)
    return bytes(pdf.output())


def _pdf_table(pdf, t: Table) -> None:
    pdf.set_font("Helvetica", "B", 10)
    pdf.multi_cell(0, 6, latin1(t.caption), new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("Helvetica", "", 8)
    if not t.rows:
        pdf.multi_cell(0, 5, "None", new_x="LMARGIN", new_y="NEXT")
        return
    with pdf.table(text_align="LEFT", line_height=4.5, first_row_as_headings=True) as table:
        head = table.row()
        for h in [*t.headers, *(["Chart"] if t.chart else [])]:
            head.cell(latin1(h))
        values = t.bar_values()
        top = max(values, default=0)
        for r, v in zip(t.rows, values, strict=True):
            row = table.row()
            for c in r:
                row.cell(latin1(c))
            if t.chart:
                row.cell("#" * _bar_width(v, top, BAR_CHARS))
    pdf.ln(2)
    pdf.set_font("Helvetica", "", 10)


def to_docx(doc: Document) -> bytes:
    import docx

    d = docx.Document()
    d.core_properties.title = doc.title
    d.core_properties.author = "raigov"
    d.add_heading(doc.title, level=0)
    d.add_paragraph(doc.subtitle)
    for sec in doc.sections:
        d.add_heading(sec.title, level=1)
        for p in sec.paragraphs:
            d.add_paragraph(p)
        for t in sec.tables:
            d.add_paragraph(t.caption, style="Caption")
            if not t.rows:
                d.add_paragraph("None")
                continue
            headers = [*t.headers, *(["Chart"] if t.chart else [])]
            table = d.add_table(rows=1, cols=len(headers))
            table.style = "Table Grid"
            for cell, h in zip(table.rows[0].cells, headers, strict=True):
                cell.text = h
            values = t.bar_values()
            top = max(values, default=0)
            for r, v in zip(t.rows, values, strict=True):
                cells = table.add_row().cells
                for cell, c in zip(cells, r, strict=False):
                    cell.text = str(c)
                if t.chart:
                    cells[-1].text = "\u2588" * _bar_width(v, top, BAR_CHARS)
    buf = io.BytesIO()
    d.save(buf)
    return buf.getvalue()


RENDERERS = {"html": to_html, "pdf": to_pdf, "docx": to_docx}
