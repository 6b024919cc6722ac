from __future__ import annotations

from raigov.inventory.checks import (
    check_acronyms,
    check_consistency,
    check_readability,
    check_use_case,
    duplicate_candidates,
    find_acronyms,
    readability,
)
from raigov.inventory.validation import check_required, check_values, validate

DEPLOYED_HI = {
    "id": "XYZ-1", "use_case_name": "Face matching at ports", "agency_bureau": "Border Office",
    "contact_email": "ai@example.gov", "is_withheld": "No", "development_stage": "Deployed",
    "is_high_impact": "High-impact", "topic_area": "Law Enforcement", "classification": "Computer Vision",
    "problem_solved": "Officers check travel documents by hand.", "benefits": "Shorter lines.",
    "system_outputs": "A match score.", "operational_date": "2024-01", "contracting_usage": "Vendor Purchased",
    "vendor_name": "Example Corp", "have_ato": "Yes", "system_name_ato": "Port System",
    "data_description": "Photos.", "has_pii": "Yes", "demographic_features": ["k) None of the above"],
    "has_custom_code": "No",
}


def test_required_names_field_and_rule():
    res = check_required(DEPLOYED_HI)
    fields = {r.field for r in res}
    assert "hi_testing_conducted" in fields and "hi_public_consultation" in fields
    r = next(r for r in res if r.field == "hi_testing_conducted")
    assert r.rule == "required:hi_testing_conducted" and r.severity == "error"
    assert r.message == ("“Has pre-deployment testing been conducted for this AI use case?” is not answered; OMB requires "
                         "it when “Is the AI use case high-impact?” is High-impact and “Stage of Development” is Deployed.")
    pilot = dict(DEPLOYED_HI, development_stage="Pilot")
    assert not [r for r in check_required(pilot) if r.field.startswith("hi_")]
    retired = {"id": "X-2", "use_case_name": "Old", "agency_bureau": "B", "contact_email": "e",
               "is_withheld": "No", "development_stage": "Retired", "is_high_impact": "Not High-impact"}
    assert check_required(retired) == []  # a retired use case answers section 1 only


def test_vendor_and_ato_conditions():
    v = dict(DEPLOYED_HI, vendor_name=None, system_name_ato=None)
    fields = {r.field for r in check_required(v)}
    assert {"vendor_name", "system_name_ato"} <= fields
    v = dict(v, contracting_usage="In-house Development", have_ato="No")
    fields = {r.field for r in check_required(v)}
    assert not ({"vendor_name", "system_name_ato"} & fields)


def test_values_outside_lists():
    res = check_values(dict(DEPLOYED_HI, topic_area="Other – Economic & Financial"))
    assert [(r.field, r.rule) for r in res] == [("topic_area", "value-in-list:topic_area")]


def test_consistency():
    res = check_consistency(DEPLOYED_HI)
    assert {r.field for r in res if r.rule == "consistency:hi-practices"} >= {"hi_appeal_process"}
    presumed = dict(DEPLOYED_HI, is_high_impact="Presumed High-Impact, but Not High-impact")
    assert [r.rule for r in check_consistency(presumed) if r.field == "HI_justification"] == [
        "consistency:hi-justification"]
    retired = dict(DEPLOYED_HI, development_stage="Retired", is_high_impact="Not High-impact")
    assert [r.rule for r in check_consistency(retired)] == ["consistency:retired-reason"]
    assert check_consistency(dict(retired, retirement_reason="Replaced by a new system")) == []
    v24 = {"16_dev_stage": "Retired", "17_impact_type": "Neither"}
    assert [r.field for r in check_consistency(v24, "2024")] == ["21_date_retired"]


def test_acronyms():
    assert find_acronyms("CBP uses NLP and LLMs; see the U.S. rules.") == ["CBP", "NLP", "LLM"]
    v = dict(DEPLOYED_HI, problem_solved="Customs and Border Protection (CBP) uses NLP to read forms.")
    res = check_acronyms(v)
    assert len(res) == 1 and res[0].field == "problem_solved" and res[0].detail["acronyms"] == ["NLP"]
    assert res[0].rule == "plain-language:acronyms"
    assert check_acronyms(v, known=["NLP"]) == []


def test_readability():
    easy = readability("The tool reads forms. It finds typos. Staff fix them.")
    hard = readability("Operationalization of multidimensional heterogeneous interoperability "
                       "infrastructures necessitates comprehensive organizational institutionalization "
                       "and sophisticated administrative standardization methodologies.")
    assert easy["fk_grade"] < 5 < hard["fk_grade"]
    v = dict(DEPLOYED_HI, benefits="Operationalization of multidimensional heterogeneous interoperability "
             "infrastructures necessitates comprehensive organizational institutionalization and "
             "sophisticated administrative standardization methodologies across components.")
    res = check_readability(v)
    assert [r.field for r in res] == ["benefits"] and res[0].rule == "plain-language:readability"


def test_duplicates():
    rows = [
        {"agency": "DHS", "agency_bureau": "CBP", "use_case_name": "Traveler Verification Service"},
        {"agency": "DHS", "agency_bureau": "CBP", "use_case_name": "Traveler Verification Services"},
        {"agency": "DHS", "agency_bureau": "ICE", "use_case_name": "Traveler Verification Service"},
        {"agency": "DHS", "agency_bureau": "CBP", "use_case_name": "Cargo risk model"},
    ]
    res = duplicate_candidates(rows)
    assert [(r.detail["a"], r.detail["b"]) for r in res] == [(0, 1)]
    assert res[0].rule == "duplicates:near-name" and res[0].field == "use_case_name"


def test_check_use_case_on_real_rows(parsed_cache):
    p = parsed_cache("2025_individually_reported_AI_use_cases.dev.csv")
    results = [r for row in p.rows for r in check_use_case(row.values)]
    assert results and all(r.rule and r.severity in ("error", "warning", "info") for r in results)
    assert validate(p.rows[0].values) is not None
