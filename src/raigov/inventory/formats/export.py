"""Writers of OMB's 2025 formats.

OMB's 2025 CSV convention (read off the published files, reproduced here by rule):
  * UTF-8 with a byte-order mark; records end in ``\\n`` (individual use cases) or ``\\r\\n``
    (consolidated COTS); line breaks inside cells are written as they are.
  * RFC 4180 minimal quoting: a cell is quoted only if it holds ``,`` ``"`` ``\\r`` or ``\\n``;
    ``"`` is doubled. Empty values are empty cells, never ``""``.
  * The 36 short column names in catalogue order; OMB's short recoded values; multi-selects as a
    Python list repr (``[]``, ``['k) None of the above']``); a blank multi-select is ``[]``
    only when the value is an empty list, an empty cell when it is None.

Round-trip rule: a row read from a file of the same form keeps, per field, its raw cell text
(``InventoryRow.raw``); it is written back as it came as long as the value is still what that text
normalises to (i.e. it was not edited). A workbook's number cell (a bare id ``35``, a year ``2025``) is kept
in ``raw`` as the number and written back as a number cell, so an XLSX keeps each cell's value and type.
Otherwise the canonical value is formatted. So reading an
OMB 2025 CSV and writing it gives back the same bytes, and values outside OMB's lists (kept as
given) come out as they came.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import IO, Any

from raigov.inventory.catalog import Field, fields
from raigov.inventory.formats.model import InventoryRow
from raigov.inventory.formats.sources import cell_text
from raigov.inventory.normalize import format_value, normalize_cell

BOM = "\ufeff"
_ILLEGAL_XML = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

RowLike = InventoryRow | Mapping[str, Any]


def _values_raw(row: RowLike, form: str) -> tuple[Mapping[str, Any], Mapping[str, str]]:
    if isinstance(row, InventoryRow):
        return row.values, (row.raw if row.source_form == form else {})
    if isinstance(row, Mapping):
        return row, {}
    raise TypeError(f"a row must be an InventoryRow or a mapping, not {type(row).__name__}")


def _cell(f: Field, values: Mapping[str, Any], raw: Mapping[str, str], style: str) -> str:
    v = values.get(f.name)
    r = raw.get(f.name)
    if isinstance(r, str):  # a workbook's number cell (not text) is never the raw text of a CSV
        nv, _ = normalize_cell(f, r)
        if nv == v:
            return r
    if isinstance(v, dt.datetime):
        v = v.date()
    return format_value(f, v, style)


def _select(schema: str, columns: Sequence[str] | None, omit: Sequence[str] = ()) -> list[Field]:
    fs = list(fields(schema))
    if columns is not None:
        by = {f.name: f for f in fs}
        unknown = [c for c in columns if c not in by]
        if unknown:
            raise ValueError(f"not {schema} fields: {', '.join(unknown)}")
        fs = [by[c] for c in columns]
    return [f for f in fs if f.name not in set(omit)]


CellFilter = Callable[[str], str]


def _write_csv(rows: Iterable[RowLike], fh_or_path, schema: str, form: str, header_attr: str,
               lineterminator: str, columns: Sequence[str] | None = None, omit: Sequence[str] = (),
               cells: CellFilter | None = None) -> int:
    fs = _select(schema, columns, omit)
    own = isinstance(fh_or_path, (str, os.PathLike))
    fh: IO[str] = open(fh_or_path, "w", encoding="utf-8", newline="") if own else fh_or_path  # noqa: SIM115
    try:
        fh.write(BOM)
        lineterminator = getattr(cells, "lineterminator", None) or lineterminator  # safe.SafeCells: CRLF
        w = csv.writer(fh, lineterminator=lineterminator, quoting=csv.QUOTE_MINIMAL)
        w.writerow([getattr(f, header_attr) for f in fs])
        n = 0
        for row in rows:
            values, raw = _values_raw(row, form)
            out = [_cell(f, values, raw, "short") for f in fs]
            w.writerow(out if cells is None else [cells(c) for c in out])
            n += 1
        return n
    finally:
        if own:
            fh.close()


def write_omb_2025_csv(rows: Iterable[RowLike], fh_or_path: str | os.PathLike | IO[str], *,
                       omit: Sequence[str] = (), cells: CellFilter | None = None) -> int:
    """OMB's 2025 individually-reported CSV. ``fh_or_path``: a path, or a text file opened with
    ``newline=""``. ``omit``: columns to leave out of a public copy (OMB lets agencies drop
    ``contact_email`` and ``id``). ``cells``: a filter every data cell's text goes through (``safe.SafeCells``
    for a spreadsheet-safe copy, ``safe.FormulaCells`` to count). Returns the number of rows written."""
    return _write_csv(rows, fh_or_path, "2025", "omb-2025-csv", "csv_header", "\n", omit=omit, cells=cells)


def omb_2025_csv_text(rows: Iterable[RowLike]) -> str:
    buf = io.StringIO(newline="")
    write_omb_2025_csv(rows, buf)
    return buf.getvalue()


def write_omb_2025_cots_csv(rows: Iterable[RowLike], fh_or_path: str | os.PathLike | IO[str], *,
                            cells: CellFilter | None = None) -> int:
    """OMB's 2025 consolidated COTS CSV (5 columns, CRLF records, BOM)."""
    return _write_csv(rows, fh_or_path, "cots-2025", "omb-2025-cots-csv", "csv_header", "\r\n", cells=cells)


def _xlsx_text(s: str) -> str:
    return _ILLEGAL_XML.sub("\ufffd", s)


def _write_xlsx(rows: Iterable[RowLike], path: str | os.PathLike | IO[bytes], schema: str, form: str,
                sheet_title: str, header_row: int, omit: Sequence[str] = ()) -> int:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    fs = _select(schema, None, omit)
    wb = Workbook(write_only=True)
    ws = wb.create_sheet(sheet_title)
    for _ in range(header_row - 1):
        ws.append([])
    bold, wrap = Font(bold=True), Alignment(wrap_text=True, vertical="top")
    hdr = []
    for f in fs:
        c = WriteOnlyCell(ws, value=_xlsx_text(f.long_header))
        c.font, c.alignment = bold, wrap
        c.data_type = "s"
        hdr.append(c)
    ws.append(hdr)
    n = 0
    for row in rows:
        values, raw = _values_raw(row, form)
        out = []
        for f in fs:
            v = values.get(f.name)
            r = raw.get(f.name)
            if isinstance(r, (int, float)) and normalize_cell(f, cell_text(r))[0] == v:
                out.append(r)  # a number (or TRUE/FALSE) cell as it came, its type kept
                continue
            if isinstance(r, str) and normalize_cell(f, r)[0] == v:
                text: Any = r
            elif f.is_date and isinstance(v, (dt.date, dt.datetime)):
                d = v.date() if isinstance(v, dt.datetime) else v
                c = WriteOnlyCell(ws, value=d)
                c.number_format = "yyyy-mm-dd"
                out.append(c)
                continue
            else:
                text = format_value(f, v, "long")
            if text == "":
                out.append(None)
                continue
            text = _xlsx_text(str(text))
            c = WriteOnlyCell(ws, value=text)
            c.data_type = "s"  # a string cell, never a formula, whatever the text starts with (= + - @)
            out.append(c)
        ws.append(out)
        n += 1
    wb.save(path if hasattr(path, "write") else str(path))
    return n


def write_omb_2025_xlsx(rows: Iterable[RowLike], path: str | os.PathLike | IO[bytes], *,
                        omit: Sequence[str] = ()) -> int:
    """OMB's 2025 XLSX: sheet ``Consolidated Inventory``, row 1 empty, OMB's long headers in
    row 2, lettered long values (``a) High-impact``), multi-selects joined with ``, ``. Every text is a
    string cell (no formulas). ``path``: a path or a binary file; ``omit`` as for the CSV."""
    return _write_xlsx(rows, path, "2025", "omb-2025-xlsx", "Consolidated Inventory", 2, omit)


def write_omb_2025_cots_xlsx(rows: Iterable[RowLike], path: str | os.PathLike) -> int:
    return _write_xlsx(rows, path, "cots-2025", "omb-2025-cots-xlsx", "Sheet1", 1)
