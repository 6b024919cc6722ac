from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from inventory_data import DATA, real_file

from raigov.inventory.catalog import describe_rule, get_field, load_catalog, required_fields, rule_applies


def test_catalogue_has_every_schema_and_field():
    cat = load_catalog()
    assert [f.name for f in cat.fields("2025")][:6] == [
        "agency", "agency_name", "id", "use_case_name", "agency_bureau", "contact_email"]
    assert len(cat.fields("2025")) == 36
    assert len(cat.fields("2024")) == 62
    assert len(cat.fields("2023")) == 10
    assert len(cat.fields("cots-2025")) == 5


def test_2025_value_maps():
    f = get_field("2025", "is_high_impact")
    assert f.values == ("High-impact", "Presumed High-Impact, but Not High-impact", "Not High-impact")
    assert f.long_of("High-impact") == "a) High-impact"
    assert f.match("b) Presumed high-impact but determined not high-impact")[0] == (
        "Presumed High-Impact, but Not High-impact")
    assert get_field("2025", "demographic_features").multi
    assert get_field("2025", "hi_public_consultation").multi
    # OMB's own spelling slip ("in-progess") still pairs the long value with its short one
    mon = get_field("2025", "hi_ongoing_monitoring")
    assert "In-progress" in mon.values and mon.long_of("In-progress").startswith("b) Development")


def test_2024_names_long_headers_and_crosswalk():
    cat = load_catalog()
    f = get_field("2024", "17_impact_type")
    assert f.long_header == "Is the AI use case rights-impacting, safety-impacting, both, or neither?"
    assert f.values == ("Rights-Impacting", "Safety-Impacting", "Both", "Neither")
    assert sum(1 for x in cat.fields("2024") if x.long_header == "If Other, please explain.") == 9
    xw = cat.crosswalk("2024")
    assert xw["2_use_case_name"] == "use_case_name" and xw["17_impact_type"] == "is_high_impact"
    assert cat.crosswalk("2023")["Use_Case_ID"] == "id"


def test_required_rules():
    deployed_hi = {"development_stage": "Deployed", "is_high_impact": "High-impact"}
    names = {f.name for f in required_fields("2025", deployed_hi)}
    assert "hi_testing_conducted" in names and "operational_date" in names
    pilot = {"development_stage": "Pilot", "is_high_impact": "High-impact"}
    assert "hi_testing_conducted" not in {f.name for f in required_fields("2025", pilot)}
    rule = get_field("2025", "vendor_name").required
    assert rule_applies(rule, {"development_stage": "Deployed", "contracting_usage": "Vendor Purchased"})
    assert not rule_applies(rule, {"development_stage": "Deployed", "contracting_usage": "In-house Development"})
    assert "contracting_usage" in describe_rule(rule)
    # 2024: COTS-only use cases answer only section 1
    r = get_field("2024", "18_date_initiated").required
    assert rule_applies(r, {"10_commercial_ai": "None of the Above", "16_dev_stage": "Initiated"})
    assert not rule_applies(r, {"10_commercial_ai": "Searching for information using AI.",
                                "16_dev_stage": "Initiated"})


def test_generator_reproduces_committed_catalogue(tmp_path):
    real_file("data_dictionary.json")
    out = tmp_path / "catalog.json"
    subprocess.run([sys.executable, "-m", "raigov.inventory.build_catalog", str(DATA), "--out", str(out)],
                   check=True, capture_output=True)
    committed = Path(__import__("raigov.inventory", fromlist=["x"]).__file__).parent / "data" / "catalog.json"
    assert json.loads(out.read_text("utf-8")) == json.loads(committed.read_text("utf-8"))
