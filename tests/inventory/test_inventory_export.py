"""Exporters: byte-for-byte round trip of OMB's 2025 CSV, the XLSX with OMB's long headers."""

from __future__ import annotations

import datetime as dt
import io
import string

import openpyxl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from inventory_data import real_file

from raigov.inventory.catalog import fields, get_field
from raigov.inventory.formats import read_inventory, read_inventory_bytes
from raigov.inventory.formats.export import (
    omb_2025_csv_text,
    write_omb_2025_cots_csv,
    write_omb_2025_csv,
    write_omb_2025_xlsx,
)

DEV_2025 = "2025_individually_reported_AI_use_cases.dev.csv"


def test_2025_csv_round_trip_same_bytes(parsed_cache, tmp_path):
    src = real_file(DEV_2025)
    p = parsed_cache(DEV_2025)
    out = tmp_path / "out.csv"
    assert write_omb_2025_csv(p.rows, out) == 901
    assert out.read_bytes() == src.read_bytes()
    buf = io.StringIO(newline="")
    write_omb_2025_csv(p.rows, buf)
    assert buf.getvalue().encode("utf-8") == src.read_bytes()


def test_cots_csv_round_trip_same_bytes(parsed_cache):
    src = real_file("2025_consolidated_COTS_AI_use_cases.csv")
    p = parsed_cache("2025_consolidated_COTS_AI_use_cases.csv")
    buf = io.StringIO(newline="")
    write_omb_2025_cots_csv(p.rows, buf)
    assert buf.getvalue().encode("utf-8") == src.read_bytes()


def test_dhs_xlsx_exports_as_omb_csv_values(parsed_cache):
    """A DHS-template row exported to OMB's CSV gets OMB's short values, not DHS's spellings."""
    p = parsed_cache("2025_0128_ocio-dhs-ai-use-case-inventory.xlsx")
    text = omb_2025_csv_text(p.rows)
    again = read_inventory_bytes(text.encode("utf-8"), "x.csv")
    assert again.form == "omb-2025-csv" and len(again.rows) == 238
    assert "a) High-impact" not in text and ",High-impact," in text
    for a, b in zip(again.rows, p.rows):
        assert {k: a.values[k] for k in b.values} == b.values
        assert a.values["agency"] is None  # the DHS template has no agency column; nothing guessed


def test_xlsx_export_has_omb_long_headers_and_lettered_values(parsed_cache, tmp_path):
    p = parsed_cache(DEV_2025)
    out = tmp_path / "inv.xlsx"
    write_omb_2025_xlsx(p.rows, out)
    wb = openpyxl.load_workbook(out, read_only=True)
    ws = wb["Consolidated Inventory"]
    rows = list(ws.iter_rows(values_only=True))
    assert all(v is None for v in rows[0])
    assert list(rows[1]) == [f.long_header for f in fields("2025")]
    assert rows[1][2] == "Use Case ID\n\n[Agency Abbrev.] \u2013 [#]"
    hi = [(tuple(r) + (None,) * 36)[8] for r in rows[2:]]
    assert set(hi) <= {"a) High-impact", "b) Presumed high-impact, but determined not high impact",
                       "c) Not high-impact", None}
    assert hi.count("a) High-impact") == 169
    wb.close()
    # and it reads back as OMB's 2025 XLSX with the same values
    back = read_inventory(out)
    assert back.form == "omb-2025-xlsx" and len(back.rows) == 901
    assert [r.values for r in back.rows] == [r.values for r in p.rows]


def test_xlsx_export_never_writes_formulas(tmp_path):
    row = {"agency": "XYZ", "id": "XYZ-1", "use_case_name": "=HYPERLINK(\"http://x\")",
           "development_stage": "Deployed"}
    out = tmp_path / "f.xlsx"
    write_omb_2025_xlsx([row], out)
    wb = openpyxl.load_workbook(out)
    cell = wb.active.cell(row=3, column=4)
    assert cell.value == row["use_case_name"] and cell.data_type == "s"


def test_plain_dict_rows_and_dates():
    rows = [{"agency": "ABC", "agency_name": "Agency, of \"Quotes\"", "id": "ABC-1", "use_case_name": "x\ny",
             "development_stage": "Deployed", "operational_date": dt.date(2024, 3, 1),
             "demographic_features": ["c) Age"], "hi_public_consultation": None}]
    text = omb_2025_csv_text(rows)
    line = text.split("\n", 1)[1]
    assert line.startswith('ABC,"Agency, of ""Quotes""",ABC-1,"x\ny",,,,Deployed,')
    assert ",2024-03-01," in line and "['c) Age']" in line and line.rstrip("\n").endswith(",[]")


# ---- property: unseen agencies and arbitrary values round-trip byte for byte -----------------

_TEXT = st.text(alphabet=st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from(
    list("\n\r\t,\"' []") + ["\u00a0", "\u2013", "\u2019"]), max_size=40)
_AGENCY = st.text(alphabet=string.ascii_uppercase, min_size=2, max_size=6)


def _cell_for(f, draw):
    kind = draw(st.integers(0, 4))
    if f.multi:
        if kind == 0:
            return "[]"
        if kind == 1:
            return draw(_TEXT)  # plain text, "", or a broken list in a multi-select column
        items = draw(st.lists(st.one_of(st.sampled_from(f.values or ("x",)), _TEXT), max_size=3))
        return repr(items)
    if f.enumerated and kind <= 2:
        return draw(st.sampled_from(("",) + f.values))
    if f.is_date and kind <= 1:
        return draw(st.sampled_from(["", "2024-05-01 00:00:00", "01/2024", "Jul-25", "7/14/1905", "3/4/2025"]))
    return draw(_TEXT)


@st.composite
def omb_2025_files(draw):
    fs = fields("2025")
    n = draw(st.integers(1, 5))
    lines = []
    for _ in range(n):
        cells = [_cell_for(f, draw) for f in fs]
        cells[0] = draw(_AGENCY)
        cells[3] = "Name " + draw(_TEXT)  # a use case always has a name
        if cells[-1].endswith("\r"):
            # csv.writer leaves a lone "\r" unquoted (its line terminator here is "\n"), and an unquoted "\r" before
            # the line's end is, to every CSV reader, a CRLF line ending: such a file does not say the cell had it
            cells[-1] += "."
        lines.append(cells)
    import csv

    buf = io.StringIO(newline="")
    buf.write("\ufeff")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([f.csv_header for f in fs])
    w.writerows(lines)
    return buf.getvalue().encode("utf-8")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(omb_2025_files())
def test_generated_2025_files_round_trip(data):
    p = read_inventory_bytes(data, "generated.csv")
    assert p.form == "omb-2025-csv"
    assert omb_2025_csv_text(p.rows).encode("utf-8") == data


def test_off_list_values_export_as_they_came():
    f = get_field("2025", "is_high_impact")
    assert f.match("Maybe high impact")[0] is None
    rows = [{"agency": "ZZ", "use_case_name": "n", "is_high_impact": "Maybe high impact"}]
    assert ",Maybe high impact," in omb_2025_csv_text(rows)


@pytest.mark.slow
def test_generated_large_file_round_trip():
    import random

    rnd = random.Random(7)
    fs = fields("2025")
    import csv

    buf = io.StringIO(newline="")
    buf.write("\ufeff")
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([f.csv_header for f in fs])
    for i in range(5000):
        row = []
        for f in fs:
            if f.multi:
                row.append(repr(rnd.sample(list(f.values), rnd.randint(0, 2))))
            elif f.enumerated:
                row.append(rnd.choice(("",) + f.values))
            else:
                row.append(rnd.choice(["", f"text {i}, with \"quotes\"\nand lines", "plain"]))
        row[3] = f"Use case {i}"
        w.writerow(row)
    data = buf.getvalue().encode("utf-8")
    assert omb_2025_csv_text(read_inventory_bytes(data, "big.csv").rows).encode("utf-8") == data


def test_long_header_csv_is_its_own_form_and_exports_short_values(tmp_path, parsed_cache):
    """A 2025 CSV written with OMB's long headers and lettered values is read, and its rows
    export to OMB's CSV with short values (raw long texts are not re-emitted)."""
    import csv

    p = parsed_cache(DEV_2025)
    out = tmp_path / "long.csv"
    with open(out, "w", encoding="utf-8", newline="") as fh:
        w = csv.writer(fh)
        fs = fields("2025")
        w.writerow([f.long_header for f in fs])
        for r in p.rows[:50]:
            w.writerow([(get_field("2025", f.name).long_of(r.values[f.name])
                         if isinstance(r.values[f.name], str) else "") for f in fs])
    back = read_inventory(out)
    assert back.form == "omb-2025-long-csv"
    text = omb_2025_csv_text(back.rows)
    assert "a) High-impact" not in text and "c) Not high-impact" not in text
    assert [r.values["is_high_impact"] for r in back.rows] == [r.values["is_high_impact"] for r in p.rows[:50]]


def test_spreadsheet_safe_csv_prefixes_formulas_and_quotes_bare_cr():
    """OWASP: = + - @ tab CR get a leading '. A bare CR inside a cell (left unquoted in OMB's LF files) would end
    the row in a spreadsheet and start the next one with the rest of the text, a formula: the safe copy quotes it."""
    import csv

    from raigov.inventory.formats.safe import FormulaCells, SafeCells, spreadsheet_safe

    assert [spreadsheet_safe(c) for c in ("=1+1", "+1", "-1", "@A1", "\t=1", "\r=1", "a=1", "", "'=x")] == \
        ["'=1+1", "'+1", "'-1", "'@A1", "'\t=1", "'\r=1", "a=1", "", "'=x"]
    rows = [{"id": "X-1", "use_case_name": "Harmless\r=HYPERLINK(\"http://evil.example\")", "benefits": "- a bullet",
             "agency": "@SUM(1)"}]
    exact = io.StringIO(newline="")
    counted = FormulaCells()
    write_omb_2025_csv(rows, exact, cells=counted)
    assert exact.getvalue() == omb_2025_csv_text(rows) and counted.count == 2  # exact file: nothing changed
    safe, cells = io.StringIO(newline=""), SafeCells()
    write_omb_2025_csv(rows, safe, cells=cells)
    assert cells.count == 2
    got = list(csv.reader(io.StringIO(safe.getvalue().lstrip("\ufeff"), newline="")))
    assert len(got) == 2 and got[1][0] == "'@SUM(1)" and got[1][3] == 'Harmless\r=HYPERLINK("http://evil.example")'
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) for row in got for c in row)
