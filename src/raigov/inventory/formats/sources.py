"""Low-level file access: bytes -> (kind, rows of cells). No normalisation here.

Every reader yields ``(line, cells)`` where ``cells`` is a list of raw texts, plus a dict of
typed spreadsheet values (dates) by column index. Nothing in a file is ever executed: CSV is
parsed by the csv module, XLSX by openpyxl with ``read_only=True, data_only=False`` (formulas are
kept as their text, never evaluated; macros are not loaded), XLS by xlrd (cached values only).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import warnings
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from raigov.errors import FieldError, ValidationFailed

BOM = b"\xef\xbb\xbf"
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
BINARY_MAGICS = {
    ZIP_MAGIC: "a ZIP archive (an XLSX workbook?)",
    OLE_MAGIC: "a legacy Office file (an XLS workbook?)",
    b"%PDF": "a PDF document",
    b"\x89PNG": "a PNG image",
    b"GIF8": "a GIF image",
    b"\xff\xd8\xff": "a JPEG image",
    b"\x1f\x8b": "a gzip archive",
    b"7z\xbc\xaf": "a 7-Zip archive",
}
MAX_UNZIPPED_RATIO = 200  # XLSX: refuse archives that expand more than this (zip bombs)
MAX_UNZIPPED_FLOOR = 300 * 1024 * 1024


def fail(message: str, code: str = "invalid", field_name: str = "file") -> ValidationFailed:
    return ValidationFailed(f"{field_name}: {message}", errors=[FieldError(field_name, message, code)])


@dataclass
class Sheet:
    name: str
    rows: list[tuple[int, list[str], dict[int, Any]]]  # (sheet row, texts, typed values by column)
    notes: list[tuple[int, int, str, str, str]] = field(default_factory=list)  # (row, col, sev, code, raw)


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------

def sniff_binary(data: bytes) -> str | None:
    for magic, what in BINARY_MAGICS.items():
        if data.startswith(magic):
            return what
    head = data[:65536]
    if b"\x00" in head:
        return "a binary file (it contains NUL bytes)"
    ctrl = sum(1 for b in head if b < 32 and b not in (9, 10, 12, 13))
    if head and ctrl / len(head) > 0.01:
        return "a binary file (it contains control bytes)"
    return None


def decode_text(data: bytes) -> tuple[str, str]:
    """(text, encoding): UTF-8 with BOM, UTF-8, else Windows-1252 (OMB's 2024 v2 CSV)."""
    if data.startswith(BOM):
        try:
            return data[len(BOM):].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as e:
            raise fail(f"starts with a UTF-8 byte-order mark but is not valid UTF-8 (byte {e.start})",
                       "bad-encoding") from None
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise fail("has a UTF-16 byte-order mark but is not valid UTF-16", "bad-encoding") from None
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


_LONE_CR = re.compile(r"\r(?!\n)")
_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# A cell longer than this, or holding more line breaks, is not a cell: a quote opened in it was never closed
# where it should have been, and the rows after it were read into it. The real inventories' longest cell is
# about 4,100 characters and the most line breaks in one cell 42.
MAX_CELL_CHARS = 100_000
MAX_CELL_LINE_BREAKS = 200


def _breaks(s: str) -> int:
    return len(_LINE_BREAK.findall(s)) if ("\n" in s or "\r" in s) else 0


def _open_quote_at_end(s: str) -> int | None:
    """Offset in ``s`` (the text of the last record, to the end of the file) of a quote that is still open at
    its end, read by the csv module's rules (default dialect, ``strict=False``); None when every quote closes."""
    start, in_field, in_quotes, after_quote = 0, 1, 2, 3
    state, opened, i, n = start, None, 0, len(s)
    while i < n:
        c = s[i]
        if state == in_quotes:
            j = s.find('"', i)
            if j < 0:
                return opened
            state, i = after_quote, j + 1
            continue
        if state == start:
            if c == '"':
                state, opened = in_quotes, i
            elif c not in ",\r\n":
                state = in_field
        elif state == after_quote:
            if c == '"':
                state = in_quotes
            elif c in ",\r\n":
                state = start
            else:
                state = in_field
        elif c in ",\r\n":  # in_field: a quote here is a character of the cell
            state = start
        i += 1
    return opened if state == in_quotes else None


def _line_offset(text: str, line: int) -> int:
    """Offset in ``text`` of the start of physical ``line`` (1-based), as the csv module counts lines."""
    if line <= 1:
        return 0
    for k, m in enumerate(_LINE_BREAK.finditer(text), start=2):
        if k == line:
            return m.end()
    return len(text)


def _cell_line(start: int, cells: list[str], i: int) -> int:
    return start + sum(_breaks(c) for c in cells[:i])


def csv_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """(physical line where the record starts, cells). Embedded line breaks are kept as given.

    Refuses (ValidationFailed, field ``file``, naming the line) a quote still open at the end of the file, and a
    cell over ``MAX_CELL_CHARS`` characters or ``MAX_CELL_LINE_BREAKS`` line breaks: the csv module would
    otherwise read the rest of the file, or the rows up to the next stray quote, into that one cell."""
    csv.field_size_limit(1 << 24)
    # In a file whose records end in a bare LF (OMB's 2025 CSV), a lone CR is data: Python's csv
    # writer (and pandas) leave a cell holding only "\r" unquoted when the line terminator is
    # "\n". Protect such CRs so the reader does not take them for line ends.
    first_nl = text.find("\n")
    lone_cr = first_nl > 0 and text[first_nl - 1] != "\r" and "\r" in text
    if lone_cr:
        text = _LONE_CR.sub("\x00", text)
    reader = csv.reader(io.StringIO(text, newline=""), strict=False)
    prev = 0
    last = 0
    try:
        for cells in reader:
            for i, c in enumerate(cells):
                if len(c) > MAX_CELL_CHARS or (len(c) > 200 and _breaks(c) > MAX_CELL_LINE_BREAKS):
                    line = _cell_line(prev + 1, cells, i)
                    what = (f"{len(c):,} characters (more than {MAX_CELL_CHARS:,})" if len(c) > MAX_CELL_CHARS
                            else f"{_breaks(c):,} line breaks (more than {MAX_CELL_LINE_BREAKS})")
                    raise fail(f"line {line}: the cell in column {i + 1} that starts there holds {what}: a quote "
                               "opened in it is probably closed too late, so the rows after it were read into that "
                               "one cell. Check the quotes on that line; nothing was imported", "cell-too-long")
            if lone_cr:
                cells = [c.replace("\x00", "\r") if "\x00" in c else c for c in cells]
            last = prev + 1
            yield last, cells
            prev = reader.line_num
    except csv.Error as e:
        raise fail(f"is not a readable CSV file near line {reader.line_num}: {e}", "bad-csv") from None
    if last:
        tail = text[_line_offset(text, last):]
        at = _open_quote_at_end(tail)
        if at is not None:
            line = last + _breaks(tail[:at])
            raise fail(f"line {line}: a quote opened there is never closed, so everything after it to the end of "
                       f"the file (line {prev}) was read as one cell. Close the quote on line {line}; nothing was "
                       "imported", "unterminated-quote")


# ---------------------------------------------------------------------------------------------
# XLSX
# ---------------------------------------------------------------------------------------------

def cell_text(v: Any) -> str:
    """A workbook cell's value as the text a CSV of it would hold (integral floats without .0)."""
    if v is None:
        return ""
    if isinstance(v, str):
        return v
    if isinstance(v, bool):
        return "TRUE" if v else "FALSE"
    if isinstance(v, dt.datetime):
        if v.time() == dt.time(0, 0):
            return v.date().isoformat()
        return v.isoformat(timespec="seconds")
    if isinstance(v, (dt.date, dt.time)):
        return v.isoformat()
    if isinstance(v, float):
        if v.is_integer() and abs(v) < 1e15:
            return str(int(v))
        return repr(v)
    return str(v)


def check_zip(data: bytes, limit_hint: int | None) -> None:
    try:
        zf = zipfile.ZipFile(io.BytesIO(data))
        infos = zf.infolist()
    except (zipfile.BadZipFile, OSError, ValueError) as e:
        raise fail(f"is not a complete XLSX workbook (damaged or truncated ZIP: {e})", "bad-xlsx") from None
    total = sum(i.file_size for i in infos)
    cap = max(MAX_UNZIPPED_FLOOR, MAX_UNZIPPED_RATIO * len(data))
    if limit_hint:
        cap = min(cap, max(limit_hint * MAX_UNZIPPED_RATIO, MAX_UNZIPPED_FLOOR))
    if total > cap:
        raise fail(f"expands to {total} bytes when unzipped, more than the {cap} allowed", "too-large")
    names = {i.filename for i in infos}
    if "xl/workbook.xml" not in names and not any(n.endswith("workbook.xml") for n in names):
        raise fail("is a ZIP archive but not an XLSX workbook (no xl/workbook.xml)", "bad-xlsx")
    bad = zf.testzip()
    if bad is not None:
        raise fail(f"is damaged: the part {bad} fails its checksum", "bad-xlsx")


def read_xlsx(data: bytes, max_bytes: int | None) -> tuple[list[Sheet], list[tuple[str, str, str]]]:
    """All sheets' rows. Returns (sheets, file notes [(severity, code, message)])."""
    import openpyxl

    check_zip(data, max_bytes)
    file_notes: list[tuple[str, str, str]] = []
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        if any(n.lower().endswith("vbaproject.bin") for n in zf.namelist()):
            file_notes.append(("warning", "macros-ignored",
                               "the workbook contains VBA macros; they were not loaded or run"))
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            wb = openpyxl.load_workbook(io.BytesIO(data), read_only=True, data_only=False,
                                        keep_vba=False, keep_links=False)
            sheets: list[Sheet] = []
            for ws in wb.worksheets:
                sheet = Sheet(ws.title, [])
                for r_idx, row in enumerate(ws.iter_rows(), start=1):
                    texts: list[str] = []
                    typed: dict[int, Any] = {}
                    for c_idx, cell in enumerate(row):
                        v = getattr(cell, "value", None)
                        dtype = getattr(cell, "data_type", None)
                        if v is None:
                            texts.append("")
                            continue
                        if dtype == "f" or (isinstance(v, str) and dtype == "f"):
                            text = v if isinstance(v, str) else str(v)
                            sheet.notes.append((r_idx, c_idx, "warning", "formula-cell", text))
                            texts.append(text)
                            continue
                        if dtype == "e":
                            sheet.notes.append((r_idx, c_idx, "warning", "error-cell", str(v)))
                        if isinstance(v, (dt.datetime, dt.date, int, float)):  # dates, numbers, booleans
                            typed[c_idx] = v
                        texts.append(cell_text(v))
                    while texts and texts[-1] == "":
                        texts.pop()
                    sheet.rows.append((r_idx, texts, typed))
                while sheet.rows and not sheet.rows[-1][1]:
                    sheet.rows.pop()
                sheets.append(sheet)
            wb.close()
    except ValidationFailed:
        raise
    except Exception as e:  # noqa: BLE001 - openpyxl raises many kinds on damaged parts
        raise fail(f"cannot be read as an XLSX workbook ({type(e).__name__}: {e})", "bad-xlsx") from None
    return sheets, file_notes


# ---------------------------------------------------------------------------------------------
# XLS (BIFF8, legacy Excel)
# ---------------------------------------------------------------------------------------------

def read_xls(data: bytes) -> tuple[list[Sheet], list[tuple[str, str, str]]]:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=data, on_demand=True, formatting_info=False,
                                  logfile=io.StringIO())
    except Exception as e:  # noqa: BLE001 - any failure means the file is not a readable workbook
        raise fail(f"cannot be read as an XLS workbook ({type(e).__name__}: {e})", "bad-xls") from None
    sheets: list[Sheet] = []
    try:
        for s_idx in range(book.nsheets):
            sh = book.sheet_by_index(s_idx)
            sheet = Sheet(sh.name, [])
            for r in range(sh.nrows):
                texts: list[str] = []
                typed: dict[int, Any] = {}
                types = sh.row_types(r)
                vals = sh.row_values(r)
                for c, (t, v) in enumerate(zip(types, vals)):
                    if t in (xlrd.XL_CELL_EMPTY, xlrd.XL_CELL_BLANK):
                        texts.append("")
                    elif t == xlrd.XL_CELL_TEXT:
                        texts.append(v)
                    elif t == xlrd.XL_CELL_NUMBER:
                        texts.append(cell_text(float(v)))
                    elif t == xlrd.XL_CELL_DATE:
                        try:
                            d = xlrd.xldate_as_datetime(v, book.datemode)
                            typed[c] = d
                            texts.append(cell_text(d))
                        except Exception:  # noqa: BLE001 - out-of-range serial: keep the number
                            texts.append(cell_text(float(v)))
                    elif t == xlrd.XL_CELL_BOOLEAN:
                        texts.append("TRUE" if v else "FALSE")
                    elif t == xlrd.XL_CELL_ERROR:
                        text = xlrd.error_text_from_code.get(v, "#ERR")
                        sheet.notes.append((r + 1, c, "warning", "error-cell", text))
                        texts.append(text)
                    else:
                        texts.append(str(v))
                while texts and texts[-1] == "":
                    texts.pop()
                sheet.rows.append((r + 1, texts, typed))
            while sheet.rows and not sheet.rows[-1][1]:
                sheet.rows.pop()
            sheets.append(sheet)
            book.unload_sheet(s_idx)
    except Exception as e:  # noqa: BLE001 - any failure means the file is not a readable workbook
        raise fail(f"cannot be read as an XLS workbook ({type(e).__name__}: {e})", "bad-xls") from None
    finally:
        book.release_resources()
    return sheets, []
