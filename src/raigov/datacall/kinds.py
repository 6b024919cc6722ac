"""Kinds of failing reporting checks, in plain words: a check's kind is its rule and field
(``required:is_withheld`` on ``is_withheld``), shown as "Withheld from the public? — not answered". The
certification page groups failing checks by kind; no rule id, field key or check key is shown to a person.

Pure: no session. The field labels are data (``FIELD_LABELS``), short forms of the questions of OMB's 2025
form; a field without one falls back to the catalogue's question, cut at a word.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from raigov.inventory.catalog import Field, load_catalog

SCHEMA = "2025"

# OMB's 2025 questions, shortened for a heading (the catalogue's long headers run to several lines)
FIELD_LABELS: dict[str, str] = {
    "use_case_name": "Use case name",
    "agency_bureau": "Component",
    "contact_email": "Contact e-mail address",
    "is_withheld": "Withheld from the public?",
    "development_stage": "Stage of development",
    "is_high_impact": "High-impact?",
    "HI_justification": "Why it is not high-impact",
    "topic_area": "Topic area",
    "classification": "Kind of AI",
    "problem_solved": "Problem the AI solves",
    "benefits": "Expected benefits",
    "system_outputs": "What the AI produces",
    "operational_date": "Date it became operational",
    "contracting_usage": "Bought or built?",
    "vendor_name": "Vendor names",
    "have_ato": "Authorization to operate?",
    "system_name_ato": "Names of the authorized systems",
    "data_description": "Data used to train or evaluate the model",
    "link_to_data": "Link to the open data",
    "has_pii": "Uses personal information?",
    "pia_url": "Link to the privacy impact assessment",
    "demographic_features": "Demographic features used by the model",
    "has_custom_code": "Custom-developed code?",
    "code_url": "Link to the open source code",
    "hi_testing_conducted": "Pre-deployment testing done?",
    "hi_assessment_completed": "AI impact assessment done?",
    "hi_potential_impacts": "Potential impacts and how they were found",
    "hi_independent_review": "Independent review done?",
    "hi_ongoing_monitoring": "Ongoing monitoring in place?",
    "hi_training_established": "Training of operators in place?",
    "hi_failsafe_presence": "Fail-safe in place?",
    "hi_appeal_process": "Appeal process in place?",
    "hi_public_consultation": "Consultation of the public and end users",
    "retirement_reason": "Why it was retired",
}

# what a rule says about its field, in words (rule ids stay internal)
RULE_WORDS: dict[str, str] = {
    "required": "not answered",
    "consistency:hi-practices": "not answered on a deployed high-impact use case",
    "consistency:hi-justification": "not given for a use case presumed high-impact but found not to be",
    "consistency:retired-reason": "not given for a retired use case",
    "duplicates:near-name": "nearly the same as another use case of the component",
    "screen:insufficient-information": "too short for the impact screen to run: answer it",
}
MAX_TEXT = 4000  # longest free-text answer set for many use cases at once


def _field(name: str) -> Field | None:
    try:
        return load_catalog().field(SCHEMA, name)
    except KeyError:
        return None


def field_label(name: str | None) -> str:
    """The plain name of a 2025 field; the catalogue's question cut at a word when no short label exists."""
    if not name:
        return "The use case"
    if name in FIELD_LABELS:
        return FIELD_LABELS[name]
    f = _field(name)
    text = re.sub(r"\s+", " ", f.long_header).strip() if f and f.long_header else name.replace("_", " ")
    if len(text) > 70:
        text = text[:70].rsplit(" ", 1)[0] + " …"
    return text[:1].upper() + text[1:]


def rule_words(rule: str) -> str:
    base = "required" if rule.startswith("required:") else rule
    return RULE_WORDS.get(base, "does not pass OMB's reporting check")


def kind_id(rule: str, field: str | None) -> str:
    """The kind's id in forms (a hidden value, never shown): ``<rule>|<field>``."""
    return f"{rule}|{field or ''}"


def split_kind(kind: str) -> tuple[str, str]:
    rule, _, field = (kind or "").partition("|")
    return rule, field


def kind_title(rule: str, field: str | None) -> str:
    """"Withheld from the public? — not answered"."""
    return f"{field_label(field)} — {rule_words(rule)}"


@dataclass(frozen=True)
class Answer:
    """How an answer to a field is given on the page: a choice among OMB's values, several, a date or text."""

    field: str
    label: str
    type: str  # choice | choices | date | text
    options: tuple[str, ...] = ()


def answer_of(rule: str, field: str | None) -> Answer | None:
    """How the field of a kind can be answered for many use cases at once; None when the check is not fixed by
    answering one field (two near-identical names, a field outside OMB's form)."""
    if not field or rule.startswith(("duplicates:", "screen:")):  # a description is each use case's own
        return None
    f = _field(field)
    if f is None or f.omb_added or field in ("id", "agency", "agency_name", "use_case_name"):
        return None
    if f.enumerated:
        return Answer(field, field_label(field), "choices" if f.multi else "choice", tuple(f.values))
    return Answer(field, field_label(field), "date" if f.is_date else "text")


def clean_answer(answer: Answer, raw) -> tuple[object | None, str | None]:
    """(value to store, None) or (None, the problem in words), checked against the field catalogue."""
    import datetime as dt

    items = [str(x).strip() for x in (raw if isinstance(raw, (list, tuple)) else [raw]) if x is not None]
    items = [x for x in items if x]
    if not items:
        return None, f"choose an answer for “{answer.label}”" if answer.options else \
            f"write the answer for “{answer.label}”"
    if answer.type in ("choice", "choices"):
        bad = [x for x in items if x not in answer.options]
        if bad:
            return None, f"“{bad[0][:60]}” is not one of OMB's answers to “{answer.label}”"
        if answer.type == "choice":
            if len(items) > 1:
                return None, f"choose one answer for “{answer.label}”"
            return items[0], None
        return [o for o in answer.options if o in items], None
    if len(items) > 1:
        return None, f"give one answer for “{answer.label}”"
    if answer.type == "date":
        try:
            return dt.date.fromisoformat(items[0]).isoformat(), None
        except ValueError:
            return None, f"“{answer.label}” needs a date, YYYY-MM-DD"
    if answer.field.endswith("email") and not re.fullmatch(r"[^@\s]+@[^@\s]+\.[^@\s]+", items[0]):
        return None, f"“{answer.label}” needs an e-mail address, e.g. ai-team@example.gov"
    if len(items[0]) > MAX_TEXT:
        return None, f"“{answer.label}” is longer than {MAX_TEXT} characters"
    return items[0], None
