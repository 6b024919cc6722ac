"""Spreadsheet-safe CSV cells (CSV formula injection, OWASP).

A spreadsheet opening a CSV reads a cell that starts with ``=``, ``+``, ``-`` or ``@`` (and, in some
programs, a tab or a carriage return before one) as a formula: ``=HYPERLINK("http://…")`` or
``+cmd|' /C calc'!A0`` run when the file is opened. Every CSV a person downloads from a page or the public
site goes through ``spreadsheet_safe``: such a cell gets a leading apostrophe ``'``, which spreadsheets
take as "this is text". The OMB exchange file written by ``raigov inventory export`` is not changed (OMB's
own files have cells starting with ``- ``); ``FormulaCells`` only counts them, for a warning.
"""

from __future__ import annotations

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NOTICE = ("cells starting with = + - @ tab or CR are prefixed with ' so that spreadsheets do not run them "
          "as formulas")
HEADER = "X-Spreadsheet-Safe"  # the HTTP response header that says so on every safe download


def looks_like_formula(cell: str) -> bool:
    """True when a spreadsheet opening a CSV would read `cell` as a formula (OWASP's list)."""
    return isinstance(cell, str) and cell.startswith(FORMULA_STARTS)


def spreadsheet_safe(cell):
    """The cell with a leading ``'`` when it starts with ``= + - @``, tab or CR; anything else as given."""
    if isinstance(cell, str) and cell.startswith(FORMULA_STARTS):
        return "'" + cell
    return cell


class SafeCells:
    """A cell filter for the CSV writers: neutralises (``spreadsheet_safe``) and counts what it changed.

    A spreadsheet-safe CSV also ends its records in CRLF (``lineterminator``), so that the csv module quotes
    every cell holding a CR: OMB's LF files leave a bare CR unquoted, and a spreadsheet would start a new row
    there, whose first cell (the rest of the text) could be a formula."""

    lineterminator = "\r\n"

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, cell: str) -> str:
        if looks_like_formula(cell):
            self.count += 1
            return "'" + cell
        return cell

    def header_value(self) -> str:
        return f"{self.count} cells prefixed; {NOTICE}"


class FormulaCells:
    """A cell filter for the CSV writers that changes nothing and counts the cells a spreadsheet would read
    as formulas (the OMB exchange file stays byte-exact)."""

    def __init__(self) -> None:
        self.count = 0

    def __call__(self, cell: str) -> str:
        if looks_like_formula(cell):
            self.count += 1
        return cell
