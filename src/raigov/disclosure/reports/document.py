"""A report as data (pure): a title, sections of paragraphs and tables, and the figures it was built from. The
three renderers (render.py) draw the same document as HTML, PDF and DOCX, so every format holds the same words
and numbers. A table marked `chart` is also drawn as bars (its last column holds the counts): the chart is the
table, so it reads without the picture."""

from __future__ import annotations

from dataclasses import dataclass, field

KINDS = {
    "fr-fc": "Face recognition and face capture report (DHS Directive 026-11)",
    "compliance-plan": "Compliance plan (OMB M-25-21)",
    "inventory-summary": "Annual AI use case inventory summary",
}
FORMATS = {"html": "text/html; charset=utf-8", "pdf": "application/pdf",
           "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document"}


@dataclass
class Table:
    caption: str
    headers: list[str]
    rows: list[list[str]]
    chart: bool = False  # draw bars from the last column (whole numbers)

    def bar_values(self) -> list[int]:
        out = []
        for r in self.rows:
            try:
                out.append(int(str(r[-1]).replace(",", "")))
            except ValueError:
                out.append(0)
        return out


@dataclass
class Section:
    title: str
    paragraphs: list[str] = field(default_factory=list)
    tables: list[Table] = field(default_factory=list)
    key: str = ""  # the compliance plan's section key (what the CAIO's office edits)


@dataclass
class Document:
    kind: str
    year: int
    title: str
    subtitle: str
    sections: list[Section]
    figures: dict  # the data the document was built from (JSON values), hashed with sha256_json


def text(value) -> str:
    """A value as people read it in a report: "Not recorded" for nothing, yes/no for booleans."""
    if value is None or value == "":
        return "Not recorded"
    if isinstance(value, bool):
        return "Yes" if value else "No"
    if isinstance(value, float):
        return f"{value:.4g}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
