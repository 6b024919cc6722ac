"""The use case form's questions, from OMB's field catalogue (pure: no database, no web).

One place says, for every answer a person gives on the create/edit form: its plain label, the input it
needs (one-line text, text area, list, yes/no, date, check boxes), whether raigov needs it to save
(``required``) or OMB needs it for its report (``omb``), and when it applies (the catalogue's ``required``
rule). Conditional questions are tied to their parent question (``parent``, with a note saying when to
answer them); a section whose questions all apply under the same condition carries it once.

``answer_errors`` is the validation of the create and edit services (``inventory.service``): each error
names the field (its key, for the page and the API) and says what to do with the field's label."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from raigov.errors import FieldError
from raigov.inventory.catalog import Field, fields
from raigov.inventory.records import DEPARTMENT_FIELDS

SECTIONS_2025 = [
    ("Identification", ["agency", "agency_name", "id", "use_case_name", "agency_bureau", "contact_email", "is_withheld"]),
    ("Summary of the use case", ["development_stage", "is_high_impact", "HI_justification", "topic_area", "classification",
                                 "problem_solved", "benefits", "system_outputs", "operational_date"]),
    ("Development and acquisition", ["contracting_usage", "vendor_name", "have_ato", "system_name_ato"]),
    ("Data and code", ["data_description", "link_to_data", "has_pii", "pia_url", "demographic_features", "has_custom_code",
                       "code_url"]),
    ("Risk management of a high-impact use case", [f.name for f in fields("2025") if f.name.startswith("hi_")]),
]
DEPARTMENT_SECTION = "Department information (not reported to OMB)"
NOT_ASKED = {"agency", "agency_name", "id", "agency_bureau"}  # set by raigov (the component is asked once, apart)
REQUIRED_TO_SAVE = ("use_case_name", "development_stage")  # a use case is not saved without them
LONG_ANSWERS = {"HI_justification", "problem_solved", "benefits", "system_outputs", "data_description",
                "hi_potential_impacts", "raigov_related_systems"}
LINKS = {"link_to_data", "pia_url", "code_url", "raigov_pta_url", "raigov_sorn_url"}
MAX_ANSWER = 20_000  # characters of one answer
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TAIL = re.compile(r"\s*(Sub ?practice|Practice)\b.*$", re.IGNORECASE | re.DOTALL)


@dataclass
class Question:
    name: str
    label: str
    kind: str  # text | textarea | email | url | date | select | radio | checkboxes
    options: tuple[str, ...] = ()
    required: bool = False  # raigov refuses to save without it
    omb: str = ""  # "always": OMB's report needs it; "when": needed when its condition holds; "": optional
    condition: dict | None = None  # the catalogue's rule {"all": [{"field", "in"}]} beyond the section's
    note: str = ""  # when to answer it, in words
    parent: str | None = None
    followups: list[Question] = field(default_factory=list)


@dataclass
class Section:
    title: str
    questions: list[Question]
    condition: dict | None = None  # every question of the section applies only under it
    note: str = ""


def label(f: Field) -> str:
    """OMB's question in one line, without the practice it belongs to."""
    text = " ".join((f.long_header or f.csv_header or f.name).split())
    return _TAIL.sub("", text) or text


def label_of(name: str, schema: str = "2025") -> str:
    for n, text, _ in DEPARTMENT_FIELDS:
        if n == name:
            return text
    for f in fields(schema):
        if f.name == name:
            return label(f)
    return name


def _kind(f: Field) -> str:
    if f.is_date:
        return "date"
    if f.multi:
        return "checkboxes"
    if f.enumerated:
        return "radio" if set(f.values) == {"Yes", "No"} else "select"
    if f.name == "contact_email":
        return "email"
    if f.name in LINKS:
        return "url"
    return "textarea" if f.name in LONG_ANSWERS else "text"


def _clauses(f: Field) -> list[dict]:
    when = f.required.get("when")
    return list(when.get("all", [])) if isinstance(when, dict) else []


def describe(clauses: Iterable[Mapping[str, Any]], schema: str = "2025") -> str:
    """A rule in words: “Stage of Development” is Pilot or Deployed (or: is not Retired)."""
    options = {f.name: f.values for f in fields(schema)}
    parts = []
    for c in clauses:
        rest = [v for v in options.get(c["field"], ()) if v not in c["in"]]
        said = f"is not {rest[0]}" if len(rest) == 1 and len(c["in"]) > 1 else f"is {' or '.join(c['in'])}"
        parts.append(f"“{label_of(c['field'], schema)}” {said}")
    return " and ".join(parts)


def _section(title: str, names: list[str], by_name: dict[str, Field]) -> Section | None:
    asked = [by_name[n] for n in names if n in by_name and n not in NOT_ASKED]
    if not asked:
        return None
    conditional = [_clauses(f) for f in asked if _clauses(f)]
    common = [c for c in conditional[0] if all(c in cl for cl in conditional)] if conditional else []
    if common and any(not _clauses(f) and f.required.get("when") != "never" for f in asked):
        common = []  # a question that always applies keeps the section open
    section = Section(title, [], {"all": common} if common else None,
                      f"Answer this section if {describe(common)}." if common else "")
    tops: dict[str, Question] = {}
    for f in asked:
        own = [c for c in _clauses(f) if c not in common]
        when = f.required.get("when")
        q = Question(f.name, label(f), _kind(f), f.values, f.name in REQUIRED_TO_SAVE,
                     "always" if when == "always" else ("when" if isinstance(when, dict) else ""),
                     {"all": own} if own else None)
        parent = next((c["field"] for c in own if c["field"] in tops), None)
        if own:
            q.note = f"Answer if {describe(own)}."
        if parent:
            q.parent = parent
            tops[parent].followups.append(q)
        else:
            tops[f.name] = q
            section.questions.append(q)
    return section


def form_sections(schema: str = "2025") -> list[Section]:
    """The form's sections in order (OMB's, then the department's), none empty."""
    by_name = {f.name: f for f in fields(schema)}
    out = [s for title, names in SECTIONS_2025 if (s := _section(title, names, by_name))]
    dept = [Question(n, text, "radio" if kind == "yesno" else ("textarea" if n in LONG_ANSWERS else
                                                                ("url" if n in LINKS else "text")),
                     ("yes", "no") if kind == "yesno" else ()) for n, text, kind in DEPARTMENT_FIELDS]
    return out + [Section(DEPARTMENT_SECTION, dept)]


def _is_blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip()) or (isinstance(v, (list, tuple)) and not v)


def _one_error(name: str, v: Any, f: Field | None, yesno: bool) -> str | None:
    text = label_of(name)
    items = v if isinstance(v, (list, tuple)) else [v]
    if any(len(str(x)) > MAX_ANSWER for x in items):
        return f"“{text}” is too long: at most {MAX_ANSWER:,} characters."
    if yesno and str(v).lower() not in ("yes", "no"):
        return f"“{text}”: answer yes or no."
    if f is None:
        return None
    if f.is_date:
        s = str(v).strip()
        try:
            ok = bool(_DATE.match(s)) and date.fromisoformat(s) is not None
        except ValueError:
            ok = False
        if not ok:
            return f"“{text}”: enter a real date as YYYY-MM-DD, for example 2025-03-31."
    elif f.enumerated:
        bad = [x for x in items if x not in f.values]
        if bad:
            return f"“{text}”: “{str(bad[0])[:80]}” is not one of OMB's answers; choose one from the list."
    elif f.name == "contact_email" and not _EMAIL.match(str(v).strip()):
        return f"“{text}”: enter an email address, like name@agency.gov."
    return None


def answer_errors(values: Mapping[str, Any], check: Iterable[str] | None = None, schema: str = "2025") -> list[FieldError]:
    """What is wrong with a use case's answers, one error per field, in the form's order.

    ``values``: every answer the use case would have after the save. ``check``: the answers to check (the
    ones given or changed; None: all), so that an answer imported as given and left alone does not stop an
    edit. A 2025 use case always needs its name and stage of development."""
    by_name = {f.name: f for f in fields(schema)}
    yesno = {n for n, _, kind in DEPARTMENT_FIELDS if kind == "yesno"}
    names = list(values) if check is None else list(check)
    errors: list[FieldError] = []
    if schema == "2025":
        for n in REQUIRED_TO_SAVE:
            if _is_blank(values.get(n)):
                verb = "choose one" if by_name[n].enumerated else "it cannot be empty"
                errors.append(FieldError(n, f"“{label_of(n)}” is required: {verb}.", "missing"))
    order = {n: i for i, n in enumerate(by_name)}
    for n in sorted(set(names), key=lambda k: (order.get(k, len(order)), k)):
        v = values.get(n)
        if _is_blank(v) or any(e.field == n for e in errors):
            continue
        message = _one_error(n, v, by_name.get(n), n in yesno)
        if message:
            errors.append(FieldError(n, message, "invalid"))
    return errors
