"""Field-level validation of one use case's canonical values against OMB's catalogue.

Pure functions over a mapping ``{canonical field name: value}``. Each result names the field and
the rule (``required:<field>``, ``value-in-list:<field>``), so a page can point at the field and
a report can count by rule.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from raigov.inventory.catalog import fields, rule_applies
from raigov.inventory.questions import describe, label_of


@dataclass(frozen=True)
class CheckResult:
    field: str | None  # canonical field name the result is about (None: the whole use case)
    rule: str  # stable rule id, e.g. "required:hi_testing_conducted", "plain-language:acronyms"
    severity: str  # error | warning | info
    message: str
    detail: Mapping[str, Any] | None = None

    def as_dict(self) -> dict:
        return {"field": self.field, "rule": self.rule, "severity": self.severity,
                "message": self.message, "detail": dict(self.detail or {})}


def is_blank(v: Any) -> bool:
    if v is None:
        return True
    if isinstance(v, str):
        return not v.strip()
    if isinstance(v, (list, tuple, set)):
        return len(v) == 0
    return False


def check_required(values: Mapping[str, Any], schema: str = "2025") -> list[CheckResult]:
    """Fields OMB requires for this use case's stage / impact / COTS answers that are empty."""
    out = []
    for f in fields(schema):
        if f.omb_added:
            continue  # agency / agency_name are added by OMB on consolidation
        if rule_applies(f.required, values) and is_blank(values.get(f.name)):
            out.append(CheckResult(
                f.name, f"required:{f.name}", "error",
                _missing(f, schema),
                {"rule": f.required}))
    return out


def _missing(f, schema: str) -> str:
    """“Is the AI use case high-impact?” is not answered; OMB always requires it."""

    when = f.required.get("when")
    rule = "always requires it" if when == "always" else f"requires it when {describe(when.get('all', []), schema)}"
    return f"“{label_of(f.name, schema)}” is not answered; OMB {rule}."


def check_values(values: Mapping[str, Any], schema: str = "2025") -> list[CheckResult]:
    """Answers outside OMB's list of valid selections (they are kept; this reports them)."""
    out = []
    for f in fields(schema):
        if not f.enumerated:
            continue
        v = values.get(f.name)
        if is_blank(v):
            continue
        items = v if isinstance(v, (list, tuple)) else [v]
        bad = [x for x in items if x not in f.values]
        if bad:
            out.append(CheckResult(
                f.name, f"value-in-list:{f.name}", "warning",
                f"“{_label(f.name, schema)}”: {', '.join(repr(str(b)[:60]) for b in bad)} is not one of OMB's answers",
                {"values": [str(b) for b in bad], "allowed": list(f.values)}))
    return out


def _label(name: str, schema: str) -> str:

    return label_of(name, schema)


def validate(values: Mapping[str, Any], schema: str = "2025") -> list[CheckResult]:
    return check_required(values, schema) + check_values(values, schema)
