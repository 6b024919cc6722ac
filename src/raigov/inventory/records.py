"""Pure helpers between the readers' rows and the database: JSON-safe values, content hashes,
the denormalised columns of a use case, diffs between revisions. No I/O."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from raigov.audit.canonical import sha256_json
from raigov.inventory.catalog import fields, get_field

TEXT_FIELDS = {
    "2025": ("problem_solved", "benefits", "system_outputs", "HI_justification", "data_description", "hi_potential_impacts"),
    "2024": ("11_purpose_benefits", "12_outputs"),
    "2023": ("Summary", "Title"),
}
_STAGE_2024 = {
    "Initiated": "Pre-deployment",
    "Acquisition and/or Development": "Pre-deployment",
    "Implementation and Assessment": "Pilot",
    "Operation and Maintenance": "Deployed",
    "Retired": "Retired",
}
_FR = re.compile(r"\b(fac(e|ial)[\s-]+(recognition|comparison|matching|match|verification|identification|capture|biometric)|"
                 r"facial|face[\s-]?id|biometric[\s-]+(face|facial)|1:n|one-to-many)\b", re.IGNORECASE)
_GENAI = re.compile(
    r"\b(generative\s+ai|gen\s?ai|large\s+language\s+models?|llms?|chat\s?gpt|gpt-?\d|chatbot|copilot)\b", re.IGNORECASE
)


def to_json_value(v: Any) -> Any:
    if isinstance(v, dt.datetime):
        return v.date().isoformat()
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return [to_json_value(x) for x in v]
    return v


def to_json_values(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: to_json_value(v) for k, v in values.items()}


def stored_values(values: Mapping[str, Any]) -> dict[str, Any]:
    """The answers as a revision keeps them from a file: JSON values, a blank cell (None) left out. A column
    a file lacks and a blank column are the same answer (no answer), as in an edit, which drops a cleared
    field: so raigov's own export (which writes every OMB column, blank where there is no answer) imports
    again with the same content hash."""
    return {k: v for k, v in to_json_values(values).items() if v is not None}


def same_content(schema_a: str, values_a: Mapping[str, Any], extra_a: Mapping[str, Any] | None,
                 schema_b: str, values_b: Mapping[str, Any], extra_b: Mapping[str, Any] | None) -> bool:
    """Do two revisions say the same? Same form (schema), no field changed (``diff``: a blank, an empty list
    and a missing field are the same) and the same extra columns (blank ones ignored)."""
    def filled(extra):
        return {k: v for k, v in (extra or {}).items() if v not in (None, "", [])}

    return schema_a == schema_b and not diff(schema_a, values_a, schema_b, values_b) and filled(extra_a) == filled(extra_b)


def from_json_values(schema: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Back to the readers' types: ISO text in date fields becomes a date again."""
    out = dict(values)
    for f in fields(schema):
        v = out.get(f.name)
        if f.is_date and isinstance(v, str) and re.fullmatch(r"\d{4}-\d{2}-\d{2}", v):
            out[f.name] = dt.date.fromisoformat(v)
    return out


def content_hash(schema: str, values: Mapping[str, Any], extra: Mapping[str, Any]) -> str:
    doc = {"schema": schema, "values": to_json_values(values), "extra": dict(extra)}
    return sha256_json(doc)


# What the department keeps beside OMB's fields (in a revision's values, never exported to OMB).
DEPARTMENT_FIELDS = [
    ("raigov_face_recognition", "Uses face recognition or face capture (DHS Directive 026-11)", "yesno"),
    ("raigov_genai", "Uses generative AI", "yesno"),
    ("raigov_related_systems", "Related systems (name and ATO status, one per line)", "text"),
    ("raigov_pta_url", "Privacy Threshold Analysis (PTA) link", "text"),
    ("raigov_sorn_url", "System of Records Notice (SORN) link", "text"),
]


@dataclass
class Summary:
    """The columns a use case row denormalises from its current revision."""

    name: str
    agency: str | None
    bureau: str | None
    stage: str | None
    impact: str | None
    topic: str | None
    is_cots: bool
    is_face_recognition: bool
    is_genai: bool
    search_text: str


def _s(v: Any) -> str:
    if v is None:
        return ""
    if isinstance(v, list):
        return " ".join(map(str, v))
    return str(v)


def summarise(schema: str, values: Mapping[str, Any], extra: Mapping[str, Any] | None = None) -> Summary:
    v = values
    if schema == "2024":
        name, agency, bureau = _s(v.get("2_use_case_name")), v.get("3_abr"), v.get("4_bureau")
        stage = _STAGE_2024.get(_s(v.get("16_dev_stage")), _s(v.get("16_dev_stage")) or None)
        impact, topic = v.get("17_impact_type"), v.get("8_topic_area")
        cots = _s(v.get("22_dev_method")).startswith("Developed with contracting")
        classification = ""
    elif schema == "cots-2025":
        name, agency, bureau = _s(v.get("cots_task")), v.get("agency_name"), None
        stage = "Deployed" if v.get("cots_agency_use") == "Y" else None
        impact, topic, cots, classification = None, None, True, ""
        texts_extra = _s(v.get("cots_products"))
    elif schema == "2023":
        name, agency, bureau = _s(v.get("Title")), v.get("Department_Code"), v.get("Bureau")
        stage, impact, topic, cots, classification = v.get("Development_Stage"), None, None, False, ""
    else:
        name, agency, bureau = _s(v.get("use_case_name")), v.get("agency"), v.get("agency_bureau")
        stage, impact, topic = v.get("development_stage"), v.get("is_high_impact"), v.get("topic_area")
        cots = v.get("contracting_usage") == "Vendor Purchased"
        classification = _s(v.get("classification"))
    texts = [name] + [_s(v.get(f)) for f in TEXT_FIELDS.get(schema, ())]
    if schema == "cots-2025":
        texts.append(texts_extra)
    blob = " ".join(t for t in texts if t)
    fr_given, genai_given = v.get("raigov_face_recognition"), v.get("raigov_genai")
    return Summary(
        name=name.strip() or "(unnamed use case)",
        agency=((str(agency).strip() if schema == "cots-2025" else str(agency).strip().upper()) if agency else None),
        bureau=(str(bureau).strip() if bureau else None),
        stage=_s(stage) or None,
        impact=_s(impact) or None,
        topic=_s(topic) or None,
        is_cots=bool(cots),
        is_face_recognition=(fr_given == "yes") if fr_given in ("yes", "no") else bool(_FR.search(blob)),
        is_genai=(genai_given == "yes") if genai_given in ("yes", "no")
        else (classification == "Generative AI" or bool(_GENAI.search(blob))),
        search_text=" ".join(x for x in [blob, _s(bureau), _s(topic)] if x)[:20000],
    )


@dataclass
class FieldDiff:
    field: str
    label: str
    before: Any
    after: Any


def diff(schema_a: str, a: Mapping[str, Any], schema_b: str, b: Mapping[str, Any]) -> list[FieldDiff]:
    """Field-by-field differences between two revisions' values (in catalogue order)."""
    order: list[str] = []
    for schema in (schema_b, schema_a):
        for f in fields(schema):
            if f.name not in order:
                order.append(f.name)
    for k in list(a) + list(b):
        if k not in order:
            order.append(k)
    out = []
    for k in order:
        va, vb = to_json_value(a.get(k)), to_json_value(b.get(k))
        if va != vb and not (va in (None, "", []) and vb in (None, "", [])):
            out.append(FieldDiff(k, label_of(schema_b, k) or label_of(schema_a, k) or k, va, vb))
    return out


def label_of(schema: str, name: str) -> str | None:
    try:
        f = get_field(schema, name)
    except KeyError:
        return None
    return f.long_header or f.csv_header or name
