"""Which fields a pack's conditions may name, and the text a row offers to signals.

A condition names a field of the OMB inventory catalogue (any schema: 2025, 2024, 2023,
cots-2025; see ``raigov.inventory.catalog``) or one of the raigov fields below. raigov fields are
answers the inventory forms do not ask (explicit flags a reviewer or an owner sets) plus two
derived from every row (``raigov.schema``, ``raigov.stage``). A field that exists nowhere is
refused when the pack loads.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from raigov.inventory.catalog import load_catalog

# name -> (type, description)
RAIGOV_FIELDS: dict[str, tuple[str, str]] = {
    "raigov.schema": ("text", "catalogue schema of the row: 2025, 2024, 2023, cots-2025 (derived)"),
    "raigov.stage": ("text", "development stage in 2025 vocabulary (derived from either year)"),
    "raigov.face_recognition": ("bool", "uses face recognition (1:1 or 1:N matching)"),
    "raigov.face_capture": ("bool", "captures or detects faces without matching"),
    "raigov.generative_ai": ("bool", "uses generative AI"),
    "raigov.commercial_genai_tool": ("bool", "a commercial GenAI tool available to the general public"),
    "raigov.law_enforcement": ("bool", "used for law-enforcement or civil-enforcement purposes"),
    "raigov.sole_basis": ("bool", "AI output is the only basis of the decision or action"),
    "raigov.human_review": ("bool", "a human reviews each output before a decision or action"),
    "raigov.principal_basis": ("bool", "AI output is a principal basis of a decision or action"),
    "raigov.benefit_denial": ("bool", "the decision can deny or revoke a government benefit"),
    "raigov.us_citizen_opt_out": ("bool", "U.S. citizens may opt out in favour of another process"),
    "raigov.opt_out_required_by_law_exception": ("bool", "law requires or authorizes the use without opt-out"),
    "raigov.tested_national_standards": ("bool", "tested for bias/disparate impact to national standards"),
    "raigov.last_test_date": ("date", "date of the last FR/FC operational test"),
    "raigov.privacy_crcl_ocio_review": ("bool", "reviewed by the Privacy Office, CRCL and OCIO"),
    "raigov.nss_component": ("bool", "AI is a component of a National Security System"),
    "raigov.intelligence_community": ("bool", "used within an Intelligence Community element"),
    "raigov.research_only": ("bool", "basic or applied research, not aimed at an agency application"),
    "raigov.research_carve_back": ("bool", ("research that controls/influences decisions about individuals "
                                   "or has an approved transition agreement")),
    "raigov.enforcement_target_evaluation": ("bool", ("evaluating an AI product whose provider is the target "
                                             "of a regulatory, law-enforcement or national-security action")),
    "raigov.regulatory_action": ("bool", "a regulatory action about non-agency AI use"),
    "raigov.general_standards_work": ("bool", "metrics/methods/standards for general or government-wide use"),
    "raigov.procurement_evaluation_only": ("bool", "solely evaluating a potential vendor capability for procurement"),
    "raigov.conformity_testing_only": ("bool", "solely controlled testing to meet the minimum practices"),
    "raigov.embedded_commercial_product": ("bool", "a common commercial product with embedded AI"),
    "raigov.pilot_limited": ("bool", "pilot of limited scale and duration"),
    "raigov.pilot_caio_certified": ("bool", "CAIO certified the pilot, tracked centrally"),
    "raigov.pilot_opt_in_out": ("bool", "people can opt in and out of the pilot with notice"),
    "raigov.pilot_practices_where_practicable": ("bool", "minimum practices applied where practicable"),
    "raigov.supervisor_approval": ("bool", "supervisor approved the employee's GenAI use"),
    "raigov.genai_training_done": ("bool", "GenAI responsible-use training completed"),
    "raigov.pii_cyber_training_done": ("bool", "annual PII and cybersecurity trainings completed"),
    "raigov.rules_of_behavior_signed": ("bool", "GenAI rules of behavior agreed"),
    "raigov.tool_terms_amended": ("bool", "the tool's terms of service are amended for DHS users"),
    "raigov.input_public_info_only": ("bool", "only publicly available information is entered"),
    "raigov.input_data_classes": ("list", "classes of data entered (pii, individuals, social-media, cui, classified)"),
    "raigov.output_reviewed": ("bool", "outputs reviewed for accuracy, bias, sensitivity before use"),
    "raigov.decision_use": ("list", "decisions the output feeds (benefits, credentialing, vetting, enforcement)"),
    "raigov.short_text": ("bool", ("the answers that describe the use (purpose, benefits, outputs) are missing or "
                                   "together shorter than 8 words: a name or a phrase, not a sentence (derived)")),
}

# The text signals read, per schema (descriptive answers only: never the agency's own
# determination, its justification or the hi_* / Section 5 answers, which exist only because
# the agency already decided the case is impacting).
TEXT_FIELDS: dict[str, tuple[str, ...]] = {
    "2025": ("use_case_name", "topic_area", "problem_solved", "benefits", "system_outputs",
             "data_description"),
    "2024": ("2_use_case_name", "8_topic_area", "8_question_type", "11_purpose_benefits", "12_outputs",
             "33_agency_data"),
    "2023": ("Title", "Summary", "Office"),
    "cots-2025": ("cots_task",),
}

NAME_FIELD = {"2025": "use_case_name", "2024": "2_use_case_name", "2023": "Title", "cots-2025": "cots_task"}
ID_FIELD = {"2025": "id", "2023": "Use_Case_ID"}
AGENCY_FIELD = {"2025": "agency", "2024": "3_abr", "2023": "Department_Code", "cots-2025": "agency_name"}
DETERMINATION_FIELD = {"2025": "is_high_impact", "2024": "17_impact_type"}

# The answers that describe what the use does (not its name or topic): when they are missing or together
# shorter than SHORT_TEXT_WORDS words the row is "short" (``raigov.short_text``): a category that needs a
# context and a function cannot be read, so packs give short rows their own rules, and a short row no rule
# matches gets the outcome "insufficient information" rather than "not presumed".
DESCRIPTION_FIELDS: dict[str, tuple[str, ...]] = {
    "2025": ("problem_solved", "benefits", "system_outputs"),
    "2024": ("11_purpose_benefits", "12_outputs"),
    "2023": ("Summary",),
}
SHORT_TEXT_WORDS = 8


@lru_cache(maxsize=1)
def catalogue_fields() -> dict[str, list]:
    """{field name: [catalogue Field, ...]} over every schema."""
    cat = load_catalog()
    out: dict[str, list] = {}
    for schema in cat.schemas:
        for f in cat.fields(schema):
            out.setdefault(f.name, []).append(f)
    return out


def field_exists(name: str) -> bool:
    return name in RAIGOV_FIELDS or name in catalogue_fields()


def enum_check(name: str, value: object) -> str | None:
    """None if ``value`` is a valid answer for ``name`` (or the field is not enumerated), else a message."""
    fs = [f for f in catalogue_fields().get(name, []) if f.enumerated]
    if not fs or not isinstance(value, str):
        return None
    for f in fs:
        canon, _how = f.match(value)
        if canon is not None:
            return None
    sample = ", ".join(repr(v) for v in fs[0].values[:6])
    return f"{value!r} is not an answer of {name} (answers: {sample}{', ...' if len(fs[0].values) > 6 else ''})"


def canonical_answer(name: str, value: str) -> str:
    for f in catalogue_fields().get(name, []):
        if f.enumerated:
            canon, _ = f.match(value)
            if canon is not None:
                return canon
    return value


def guess_schema(values: dict) -> str:
    if "2_use_case_name" in values or "17_impact_type" in values or "11_purpose_benefits" in values:
        return "2024"
    if "Title" in values or "Use_Case_ID" in values:
        return "2023"
    if "cots_task" in values:
        return "cots-2025"
    return "2025"


def derived_values(values: dict, schema: str) -> dict:
    """The row's values plus the derived raigov fields."""
    out = dict(values)
    out.setdefault("raigov.schema", schema)
    stage = values.get("development_stage")
    if stage is None and values.get("16_dev_stage"):
        stage = load_catalog().stage_2024_to_2025.get(str(values["16_dev_stage"]))
    if stage is None and values.get("Development_Stage"):
        stage = str(values["Development_Stage"])
    out.setdefault("raigov.stage", stage)
    if schema in DESCRIPTION_FIELDS:
        out.setdefault("raigov.short_text", description_words(values, schema) < SHORT_TEXT_WORDS)
    return out


def _words(v: object) -> int:
    if isinstance(v, (list, tuple)):
        return sum(_words(x) for x in v)
    return len(v.split()) if isinstance(v, str) else 0


def description_words(values: dict, schema: str) -> int:
    """Words in the answers that describe the use (``DESCRIPTION_FIELDS``)."""
    return sum(_words(values.get(n)) for n in DESCRIPTION_FIELDS.get(schema, ()))


def thin_answers(values: dict, schema: str) -> list[tuple[str, int]]:
    """The describing answers of a short row with their word counts (0: missing), in form order."""
    return [(n, _words(values.get(n))) for n in DESCRIPTION_FIELDS.get(schema, ())]


def as_date(value: object) -> dt.date | None:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str):
        try:
            return dt.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None
