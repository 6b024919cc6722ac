"""Every real published file in shared/data/federal-ai-inventory, read as it is."""

from __future__ import annotations

import collections
import datetime as dt

import pytest

from raigov.inventory.formats import use_case_key

DEV_2025 = "2025_individually_reported_AI_use_cases.dev.csv"
DHS_2025 = "2025_0128_ocio-dhs-ai-use-case-inventory.xlsx"
V2_CSV = "2024_consolidated_ai_inventory_raw_v2.csv"
V2_XLS = "2024_consolidated_ai_inventory_raw_v2.xls"


@pytest.mark.parametrize("name, form, year, n_rows, encoding", [
    ("2023_consolidated_ai_inventory_raw.csv", "omb-2023-csv", 2023, 710, "utf-8"),
    ("2024_consolidated_ai_inventory_raw.csv", "omb-2024-csv", 2024, 1757, "utf-8-sig"),
    ("2024_consolidated_ai_inventory_raw.xls", "omb-2024-xls", 2024, 1757, None),
    (V2_CSV, "omb-2024-csv", 2024, 2133, "cp1252"),
    (V2_XLS, "omb-2024-xls", 2024, 2133, None),
    ("2024_consolidated_ai_inventory_raw_v2.from_xls.csv", "omb-2024-csv", 2024, 2133, "utf-8"),
    (DEV_2025, "omb-2025-csv", 2025, 901, "utf-8-sig"),
    (DHS_2025, "dhs-2025-xlsx", 2025, 238, None),
    ("2025_0128_ocio-dhs-ai-use-case-inventory.from_xlsx.csv", "dhs-2025-csv", 2025, 238, "utf-8"),
    ("2025_consolidated_COTS_AI_use_cases.csv", "omb-2025-cots-csv", 2025, 900, "utf-8-sig"),
    ("2025_consolidated_COTS_AI_use_cases.xlsx", "omb-2025-cots-xlsx", 2025, 900, None),
])
def test_every_real_file(parsed_cache, name, form, year, n_rows, encoding):
    p = parsed_cache(name)
    assert (p.form, p.year, len(p.rows), p.encoding) == (form, year, n_rows, encoding)
    assert len(p.sha256) == 64
    assert all(r.source_form == form for r in p.rows)
    # data rows are numbered as a person counts them, in file order
    assert [r.row for r in p.rows] == sorted(r.row for r in p.rows)
    assert not [x for x in p.problems if x.severity == "error"]


def test_2024_impact_counts_match_omb(parsed_cache):
    p = parsed_cache(V2_XLS)
    c = collections.Counter(r.values["17_impact_type"] for r in p.rows)
    assert c["Neither"] == 1722 and c["Both"] == 195 and c["Rights-Impacting"] == 131
    assert c["Safety-Impacting"] == 25 and c[None] == 39
    dhs = [r for r in p.rows if r.values["3_abr"] == "DHS"]
    assert len(dhs) == 183
    assert sum(r.values["17_impact_type"] in ("Rights-Impacting", "Safety-Impacting", "Both") for r in dhs) == 34
    # the trailing line break is repaired and the raw text kept
    rights = next(r for r in p.rows if r.values["17_impact_type"] == "Rights-Impacting")
    assert rights.raw["17_impact_type"] == "Rights-Impacting\n"


def test_cp1252_csv_and_its_character(parsed_cache):
    p = parsed_cache(V2_CSV)
    assert p.encoding == "cp1252"
    assert any(x.code == "encoding-cp1252" for x in p.problems)
    assert p.header[8] == "Describe the AI system\u2019s outputs."  # byte 0x92 in the file
    row = p.rows[28]
    assert row.row == 29 and row.line == 62
    assert "the agency\u2019s ability" in row.values["11_purpose_benefits"]


def test_bom_header_is_clean(parsed_cache):
    p = parsed_cache("2024_consolidated_ai_inventory_raw.csv")
    assert p.header[0] == "2_use_case_name" and p.columns[0] == "2_use_case_name"
    p = parsed_cache(DEV_2025)
    assert p.header[0] == "agency" and p.rows[0].values["agency"] in {"DHS", "DOJ", "DOC", "GSA", "SEC", "NSF"}


def test_repeated_other_headers_map_by_position(parsed_cache):
    p = parsed_cache(V2_XLS)
    others = [c for h, c in zip(p.header, p.columns) if h == "If Other, please explain."]
    assert others == ["31_question_type", "35_question_type", "43_question_type", "45_question_type",
                      "47_question_type", "57_question_type", "59_question_type", "63_question_type",
                      "67_question_type"]


def test_multiline_cell_and_python_list(parsed_cache):
    p = parsed_cache(DEV_2025)
    row = next(r for r in p.rows if r.values["id"] == "DHS-2663")
    assert "\n" in row.values["system_outputs"]
    assert row.line > row.row  # earlier records span several physical lines
    multi = next(r for r in p.rows if r.values["id"] == "DHS-2389")
    assert multi.values["demographic_features"] == ["b) Sex", "c) Age"]
    assert "demographic_features" not in multi.raw  # "['b) Sex', 'c) Age']" is the canonical text
    # long lettered values inside a list are recoded to OMB's short ones, raw kept
    mixed = [r for r in p.rows if "hi_public_consultation" in r.raw]
    assert mixed and all(r.raw["hi_public_consultation"].startswith("[") for r in mixed)
    assert ["Usability Testing", "Public Feedback Solicitations"] in [r.values["hi_public_consultation"] for r in mixed]


def test_dates(parsed_cache):
    p = parsed_cache(DEV_2025)
    dates = [r.values["operational_date"] for r in p.rows if r.values["operational_date"] is not None]
    assert any(isinstance(d, dt.date) for d in dates)
    assert "2024-01" in dates  # "01/2024" -> month and year only
    p = parsed_cache(V2_CSV)
    flagged = [x for x in p.problems if x.code == "date-1905-serial"]
    assert len(flagged) == 134
    first = flagged[0]
    assert first.severity == "warning" and first.raw == "7/7/1905" and "2015" in first.message
    assert p.rows[first.row - 1].values[first.column] == "7/7/1905"  # kept, not guessed
    ambiguous = [x for x in p.problems if x.code == "date-month-year-ambiguous"]
    assert len(ambiguous) == 65 and all(p.rows[x.row - 1].values["3_abr"] == "SEC" for x in ambiguous)


def test_dhs_xlsx_spellings_and_junk(parsed_cache):
    p = parsed_cache(DHS_2025)
    assert p.sheet == "All Use Cases" and p.header_line == 2
    first = p.rows[0]
    assert (first.row, first.line, first.values["id"]) == (1, 3, "DHS-2705")
    assert first.values["is_high_impact"] == "High-impact"
    assert first.raw["is_high_impact"] == "a) High-impact "
    assert any(x.code == "row-junk" and x.raw == "`" for x in p.problems)
    assert any(x.code == "sheets-ignored" for x in p.problems)
    c = collections.Counter(r.values["is_high_impact"] for r in p.rows)
    assert c == {"High-impact": 55, "Presumed High-Impact, but Not High-impact": 49, "Not High-impact": 134}


def test_dhs_xlsx_normalises_to_omb_csv_values(parsed_cache):
    """OMB recoded DHS's file into its CSV; our normalisation reaches the same values."""
    dhs, omb = parsed_cache(DHS_2025), parsed_cache(DEV_2025)
    by_key = {use_case_key(r, omb): r for r in omb.rows if r.values["agency"] == "DHS"}
    assert len(by_key) == 238
    for r in dhs.rows:
        o = by_key[use_case_key(r, dhs)]
        for name, v in r.values.items():
            if name == "demographic_features" and r.raw.get(name) == "None" and v == ["k) None of the above"]:
                # DHS wrote "None"; OMB's dictionary lists "None" as its spelling of "k) None of
                # the above" but OMB's consolidation left these cells empty. We follow the dictionary.
                assert o.values[name] is None
                continue
            assert v == o.values[name], (r.values["id"], name)


def test_use_case_keys(parsed_cache):
    p = parsed_cache(DEV_2025)
    keys = [use_case_key(r, p) for r in p.rows]
    assert "id:DHS-2705" in keys
    sec = next(r for r in p.rows if r.values["agency"] == "SEC")
    assert use_case_key(sec, p).startswith(("id:SEC-", "name:SEC:"))
    p24 = parsed_cache(V2_XLS)
    assert use_case_key(p24.rows[0], p24).startswith("name:")


def test_cots(parsed_cache):
    p = parsed_cache("2025_consolidated_COTS_AI_use_cases.xlsx")
    c = collections.Counter(r.values["cots_agency_use"] for r in p.rows)
    assert c == {"Y": 468, "N": 416, None: 16}
    assert len({r.values["cots_task"] for r in p.rows}) == 20  # leading-space variant repaired
