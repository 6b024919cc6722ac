"""Issue #14, bug 3: an XLSX comes back as it went in, cell by cell, value and type (openpyxl), on both databases.

OMB's 2025 workbook holds some numbers (a bare use case id such as ``35``, an operational year ``2025``) among
its text cells: imported and exported, each cell keeps its value and its type, while a text cell that looks
like a formula is still written as a string cell (never a formula). Checked on a workbook in OMB's template
made from OMB's real 2025 rows with numbers where OMB's workbook has them, and on every real 2025 XLSX in
the shared data folder (DHS's own workbook, in DHS's template, exported in OMB's: a text cell may be recoded
to OMB's spelling but stays a text cell, a date stays a date)."""

from __future__ import annotations

import datetime as dt
import re
import warnings

import openpyxl
import pytest
from inventory_data import real_file

from raigov.inventory import service
from raigov.inventory.catalog import fields
from raigov.inventory.exporting import export_rows
from raigov.inventory.formats import read_inventory, write_omb_2025_xlsx
from raigov.inventory.formats.export import write_omb_2025_cots_xlsx
from raigov.inventory.normalize import normalize_cell

DEV_2025 = "2025_individually_reported_AI_use_cases.dev.csv"
DHS_2025 = "2025_0128_ocio-dhs-ai-use-case-inventory.xlsx"
COTS_XLSX = "2025_consolidated_COTS_AI_use_cases.xlsx"
NUMBER = re.compile(r"\d+")


def _cells(path, sheet=None, first_row=1):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # DHS's data-validation extension
        wb = openpyxl.load_workbook(path)
    ws = wb[sheet] if sheet else wb.worksheets[0]
    return {(c.row, c.column): (c.value, c.data_type) for row in ws.iter_rows(min_row=first_row) for c in row
            if c.value is not None}


def _omb_workbook(tmp_path):
    """OMB's template filled with OMB's real 2025 rows (the development slice), a bare-number id or a year
    alone written as a number cell, as OMB's own workbook has them; a formula-looking text added."""
    rows = read_inventory(real_file(DEV_2025)).rows
    rows[0].values["system_outputs"] = '=HYPERLINK("http://example.invalid","x")'
    path = tmp_path / "omb.xlsx"
    write_omb_2025_xlsx(rows, path)
    wb = openpyxl.load_workbook(path)
    ws = wb.worksheets[0]
    names = [f.name for f in fields("2025")]
    numbers = 0
    for row in ws.iter_rows(min_row=3):
        for name in ("id", "operational_date"):
            c = row[names.index(name)]
            if isinstance(c.value, str) and NUMBER.fullmatch(c.value):
                c.value = int(c.value)
                numbers += 1
    assert numbers >= 30  # 17 bare ids and 17 years alone in the slice
    wb.save(path)
    return path


def test_omb_xlsx_round_trip_keeps_every_cell_value_and_type(db, system, settings, tmp_path):
    src = _omb_workbook(tmp_path)
    with db.transaction() as s:
        rep = service.import_inventory(s, system, read_inventory(src), settings)
    assert rep.created == 901
    out = tmp_path / "out.xlsx"
    with db.transaction() as s:
        service.export_inventory(s, system, "omb-2025-xlsx", out)
    a, b = _cells(src), _cells(out)
    assert len(a) > 13000
    assert {k for k in a if a[k] != b.get(k)} == set() and set(b) == set(a)
    assert sum(t == "n" for _, t in a.values()) >= 30  # the numbers are numbers again, not text
    formula = [(v, t) for v, t in b.values() if isinstance(v, str) and v.startswith("=HYPERLINK")]
    assert formula == [('=HYPERLINK("http://example.invalid","x")', "s")]  # a string cell, never a formula


def test_the_writer_keeps_number_cells_without_a_database(tmp_path):
    src = _omb_workbook(tmp_path)
    out = tmp_path / "again.xlsx"
    write_omb_2025_xlsx(read_inventory(src).rows, out)
    assert _cells(out) == _cells(src)


@pytest.mark.parametrize("name", [DHS_2025, COTS_XLSX])
def test_every_real_2025_xlsx_keeps_cell_values_and_types(tmp_path, name):
    parsed = read_inventory(real_file(name))
    out = tmp_path / "out.xlsx"
    cots = parsed.schema == "cots-2025"
    (write_omb_2025_cots_xlsx if cots else write_omb_2025_xlsx)(parsed.rows, out)
    src = _cells(real_file(name), parsed.sheet, parsed.header_line + 1)
    back = _cells(out, None, 1 if cots else 2)
    out_cols = {f.name: i + 1 for i, f in enumerate(fields(parsed.schema))}
    out_row = {r.line: n + (2 if cots else 3) for n, r in enumerate(parsed.rows)}  # sheet row -> exported row
    compared = 0
    for (row, col), (value, kind) in src.items():
        name_ = parsed.columns[col - 1] if col - 1 < len(parsed.columns) else None
        if name_ is None or row not in out_row:
            continue  # an extra column or the junk row: not part of OMB's format
        f = next(f for f in fields(parsed.schema) if f.name == name_)
        got, got_kind = back.get((out_row[row], out_cols[name_]), (None, None))
        if normalize_cell(f, value if isinstance(value, str) else str(value))[0] is None and got is None:
            continue  # a blank (spaces only) cell is blank
        assert got_kind == kind, (row, name_, value, got)
        if isinstance(value, dt.datetime) or parsed.form in ("omb-2025-xlsx", "omb-2025-cots-xlsx"):
            assert got == value, (row, name_)
        else:  # DHS's template to OMB's: the same answer, in OMB's spelling where DHS's differs
            assert normalize_cell(f, got)[0] == normalize_cell(f, value)[0], (row, name_, value, got)
        compared += 1
    assert compared > 3000


def _rows(path, first_row):
    """The sheet's rows from `first_row`, each a tuple of (value, type) per column, sorted (the database may export
    the use cases in another order than the file's)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        ws = openpyxl.load_workbook(path).worksheets[0]
    out = [tuple((c.value, c.data_type if c.value is not None else None) for c in row)
           for row in ws.iter_rows(min_row=first_row)]
    return sorted((r for r in out if any(v is not None for v, _ in r)), key=repr)


@pytest.mark.slow
@pytest.mark.parametrize("name", [DHS_2025, COTS_XLSX])
def test_every_real_2025_xlsx_through_the_database_keeps_cell_values_and_types(db, system, settings, tmp_path, name):
    """The same real files imported into raigov (each backend) and exported: every cell of the export is the cell
    the writer makes from the file's rows (which the test above compares with the file, cell by cell), value and
    type; nothing is lost or turned into text on the way through the database."""
    parsed = read_inventory(real_file(name))
    cots = parsed.schema == "cots-2025"
    direct = tmp_path / "direct.xlsx"
    (write_omb_2025_cots_xlsx if cots else write_omb_2025_xlsx)(parsed.rows, direct)
    with db.transaction() as s:
        rep = service.import_inventory(s, system, parsed, settings)
    assert rep.created + rep.updated == len(parsed.rows) and rep.skipped == 0, rep
    out = tmp_path / "through-db.xlsx"
    with db.transaction() as s:
        if cots:  # raigov exports the COTS list as CSV; its rows, read back from the database, written as OMB's XLSX
            write_omb_2025_cots_xlsx(export_rows(s, system, "omb-2025-cots-csv")[0], out)
        else:
            service.export_inventory(s, system, "omb-2025-xlsx", out)
    first = 1
    a, b = _rows(direct, first), _rows(out, first)
    assert len(a) == len(b) and len(a) > len(parsed.rows)
    names = [f.name for f in fields(parsed.schema)]
    diff = [(i, names[j], x, y) for i, (ra, rb) in enumerate(zip(a, b)) for j, (x, y) in enumerate(zip(ra, rb))
            if x != y and not (x == (None, None) and names[j] in ("agency", "agency_name") and y[1] == "s")]
    assert diff == [], diff[:10]  # only the agency DHS's template leaves out is filled in (raigov's own agency)
    assert sum(t == "d" for r in b for _, t in r) > 0 or cots  # dates stay dates
