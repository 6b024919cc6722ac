"""Files that are not inventories raise ValidationFailed (field "file") and nothing else happens."""

from __future__ import annotations

import zipfile

import openpyxl
import pytest
from inventory_data import real_file

from raigov.errors import ValidationFailed
from raigov.inventory.formats import read_inventory


def _fails(path, code, **kw):
    with pytest.raises(ValidationFailed) as ei:
        read_inventory(path, **kw)
    err = ei.value
    assert err.errors and err.errors[0].field == "file" and err.errors[0].code == code, err.errors
    assert str(path.name) not in ("",)
    return err


def test_truncated_xlsx(tmp_path):
    data = real_file("2025_0128_ocio-dhs-ai-use-case-inventory.xlsx").read_bytes()
    p = tmp_path / "cut.xlsx"
    p.write_bytes(data[: len(data) // 2])
    err = _fails(p, "bad-xlsx")
    assert "truncated" in err.detail or "damaged" in err.detail


def test_binary_file_named_csv(tmp_path):
    p = tmp_path / "inventory.csv"
    p.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(range(256)) * 10)
    err = _fails(p, "not-csv")
    assert "PNG" in err.detail


def test_xlsx_named_csv(tmp_path):
    p = tmp_path / "inventory.csv"
    p.write_bytes(real_file("2025_consolidated_COTS_AI_use_cases.xlsx").read_bytes())
    _fails(p, "not-csv")


def test_unknown_header_set(tmp_path):
    p = tmp_path / "other.csv"
    p.write_text("name,colour,size\napple,red,3\n", encoding="utf-8")
    err = _fails(p, "unknown-header")
    assert "'name'" in err.detail
    # DHS's drop-down list sheet is real data but not an inventory
    _fails(real_file("2025_0128_ocio-dhs-ai-use-case-inventory.Sheet2.from_xlsx.csv"), "unknown-header")


@pytest.mark.parametrize("content", [b"", b"\xef\xbb\xbf", b"\n\r\n  \n"])
def test_empty_file(tmp_path, content):
    p = tmp_path / "empty.csv"
    p.write_bytes(content)
    _fails(p, "empty")


def test_file_over_max_bytes(tmp_path):
    src = real_file("2025_individually_reported_AI_use_cases.dev.csv")
    err = _fails(src, "too-large", max_bytes=1000)
    assert "1000" in err.detail


def test_not_an_xls(tmp_path):
    p = tmp_path / "x.xls"
    p.write_text("<html><table><tr><td>Use Case Name</td></tr></table></html>")
    _fails(p, "bad-xls")


def test_zip_that_is_not_a_workbook(tmp_path):
    p = tmp_path / "x.xlsx"
    with zipfile.ZipFile(p, "w") as z:
        z.writestr("hello.txt", "hi")
    _fails(p, "bad-xlsx")


def test_missing_file(tmp_path):
    _fails(tmp_path / "nope.csv", "unreadable")


def test_formula_cell_is_kept_as_text_not_evaluated(tmp_path):
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Agency", "AI Use Case", "Agency Use (Y/N)?", "Name of Commercial Product or Service Used",
               "Estimated # of Licenses/Users"])
    ws.append(["Department of Examples", "Generating code using AI.", "Y", "=1+1", "1-100"])
    p = tmp_path / "f.xlsx"
    wb.save(p)
    parsed = read_inventory(p)
    assert parsed.form == "omb-2025-cots-xlsx"
    assert parsed.rows[0].values["cots_products"] == "=1+1"
    probs = [x for x in parsed.problems if x.code == "formula-cell"]
    assert probs and probs[0].severity == "warning" and probs[0].column == "cots_products"


def test_header_only_file_has_no_rows(tmp_path):
    p = tmp_path / "h.csv"
    p.write_text("Agency,AI Use Case,Agency Use (Y/N)?,Name of Commercial Product or Service Used,"
                 "Estimated # of Licenses/Users\r\n", encoding="utf-8")
    parsed = read_inventory(p)
    assert parsed.rows == [] and any(x.code == "no-rows" for x in parsed.problems)


def test_row_longer_than_header_keeps_extra(tmp_path):
    p = tmp_path / "long.csv"
    p.write_text("Agency,AI Use Case,Agency Use (Y/N)?,Name of Commercial Product or Service Used,"
                 "Estimated # of Licenses/Users,Notes\r\nA,Generating code using AI.,Y,X,1-100,hello,surplus\r\n",
                 encoding="utf-8")
    parsed = read_inventory(p)
    r = parsed.rows[0]
    assert r.extra == {"Notes": "hello", "column 7": "surplus"}
    assert any(x.code == "row-long" for x in parsed.problems)
    assert any(x.code == "columns-unknown" for x in parsed.problems)


# ------------------------------------------------------------ quotes that swallow rows (issue #12, item 9)

COTS_HEADER = ("Agency,AI Use Case,Agency Use (Y/N)?,Name of Commercial Product or Service Used,"
               "Estimated # of Licenses/Users\n")


def test_quote_open_at_end_of_file_names_its_line(tmp_path):
    """Without the check the csv module reads rows 2-4 into one cell: "1 row read", the rest lost."""
    p = tmp_path / "open.csv"
    p.write_text(COTS_HEADER + '"Dept A,Generating code using AI.,Y,X,1-100\n'
                 "Dept B,Summarizing documents.,Y,Y,1-100\nDept C,Translating text.,N,Z,101-500\n", encoding="utf-8")
    err = _fails(p, "unterminated-quote")
    assert err.errors[0].message.startswith("line 2: a quote opened there is never closed")
    assert "line 2" in err.detail


def test_quote_open_at_end_names_the_physical_line_after_multiline_cells(tmp_path):
    p = tmp_path / "open.csv"
    p.write_text(COTS_HEADER + 'Dept A,"Generating code\nusing AI.",Y,X,1-100\n'
                 'Dept B,Summarizing documents.,Y,"Y\n,1-100\nDept C,Translating text.,N,Z,101-500\n', encoding="utf-8")
    err = _fails(p, "unterminated-quote")
    assert err.errors[0].message.startswith("line 4:"), err.errors[0].message


def test_quotes_that_close_are_still_read(tmp_path):
    """Doubled quotes, a quote inside an unquoted cell and a quoted multi-line last cell are not errors."""
    p = tmp_path / "ok.csv"
    p.write_text(COTS_HEADER + 'Dept A,"Generating ""code"" using AI.",Y,X 5" screen,1-100\n'
                 'Dept B,Summarizing documents.,Y,Y,"1-100\n"', encoding="utf-8")
    parsed = read_inventory(p)
    assert [r.values["cots_task"] for r in parsed.rows] == ['Generating "code" using AI.', "Summarizing documents."]


def test_cell_that_swallowed_the_following_rows_names_its_line(tmp_path):
    """A stray quote on line 3, closed only by a quote hundreds of rows later: one cell of 300 line breaks."""
    from raigov.inventory.formats import sources

    rows = "".join(f"Dept {i},Task {i}.,Y,P{i},1-100\n" for i in range(300))
    p = tmp_path / "swallowed.csv"
    p.write_text(COTS_HEADER + "Dept X,Task X.,Y,PX,1-100\n" + 'Dept Y,"Task Y.,Y,PY,1-100\n' + rows
                 + 'Dept Z,Task Z.",Y,PZ,1-100\n', encoding="utf-8")
    err = _fails(p, "cell-too-long")
    msg = err.errors[0].message
    assert msg.startswith("line 3: the cell in column 2") and f"more than {sources.MAX_CELL_LINE_BREAKS}" in msg


def test_cell_over_the_length_bound_is_refused(tmp_path):
    from raigov.inventory.formats import sources

    p = tmp_path / "long.csv"
    p.write_text(COTS_HEADER + "Dept X,Task X.,Y,PX,1-100\n" + 'Dept Y,"' + "x" * (sources.MAX_CELL_CHARS + 1)
                 + '",Y,PY,1-100\n', encoding="utf-8")
    err = _fails(p, "cell-too-long")
    assert err.errors[0].message.startswith("line 3: the cell in column 2") and "100,001 characters" in err.detail
