"""The guard's policy as data: detector type × the tool's cleared data class → allow, redact or block
(data/policy.yaml). Pure: no database. The tools and the class each is cleared for are the tool catalog's
(genai/catalog.py): the guard is given the class."""

from __future__ import annotations

import functools
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType

import yaml

from raigov.errors import ValidationFailed

ACTIONS = ("allow", "redact", "block")  # in order of strictness
DEFAULT_CLASS = "public"

TYPES = (
    "PERSON", "US_SSN", "US_ITIN", "CREDIT_CARD", "EMAIL_ADDRESS", "PHONE_NUMBER", "IP_ADDRESS", "IBAN_CODE",
    "US_DRIVER_LICENSE", "US_PASSPORT", "US_BANK_NUMBER", "STREET_ADDRESS", "A_NUMBER", "I94_NUMBER", "SEVIS_ID",
    "DATE_OF_BIRTH", "ABA_ROUTING_NUMBER", "CUI_MARKING", "CLASSIFICATION_MARKING", "LEGACY_MARKING",
)


@dataclass(frozen=True)
class Policy:
    version: int
    min_confidence: float
    classes: MappingProxyType  # class -> description
    rules: MappingProxyType  # class -> {type or "default": action}

    def action(self, data_class: str, finding_type: str) -> str:
        row = self.rules.get(data_class, {})
        base = self.rules.get("*", {})
        return row.get(finding_type) or base.get(finding_type) or row.get("default") or base.get("default") or "block"


def parse_policy(data: dict) -> Policy:
    """A Policy from its YAML form; ValidationFailed names the offending key."""
    if not isinstance(data, dict):
        raise ValidationFailed.one("policy", "must be a mapping")
    classes = data.get("classes") or {}
    if not isinstance(classes, dict) or not classes:
        raise ValidationFailed.one("classes", "must name at least one data class")
    rules: dict[str, dict[str, str]] = {}
    for name, row in [("*", data.get("default") or {})] + list((data.get("rules") or {}).items()):
        if name != "*" and name not in classes:
            raise ValidationFailed.one(f"rules.{name}", f"unknown data class {name!r}; classes: {', '.join(classes)}")
        if not isinstance(row, dict):
            raise ValidationFailed.one(f"rules.{name}", "must be a mapping of type to action")
        for key, act in row.items():
            where = "default" if name == "*" else f"rules.{name}"
            if key != "default" and key not in TYPES:
                raise ValidationFailed.one(f"{where}.{key}", f"unknown finding type {key!r}")
            if act not in ACTIONS:
                raise ValidationFailed.one(f"{where}.{key}", f"action must be one of {', '.join(ACTIONS)}, not {act!r}")
        rules[name] = dict(row)
    mc = data.get("min_confidence", 0.5)
    if not isinstance(mc, int | float) or not 0 <= mc <= 1:
        raise ValidationFailed.one("min_confidence", "must be a number from 0 to 1")
    return Policy(int(data.get("version", 1)), float(mc),
                  MappingProxyType({k: str((v or {}).get("description", "")) for k, v in classes.items()}),
                  MappingProxyType(rules))


def _data(name: str) -> dict:
    return yaml.safe_load(resources.files("raigov.genai.guard").joinpath(f"data/{name}").read_text(encoding="utf-8"))


@functools.cache
def default_policy() -> Policy:
    return parse_policy(_data("policy.yaml"))
