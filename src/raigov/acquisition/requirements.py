"""The AI contract requirements (requirements.yaml, validated by requirements.schema.json): data, read once.
Pure: no session."""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from pathlib import Path

import jsonschema
import yaml

HERE = Path(__file__).parent
STATUSES = {"met": "Met", "missing": "Missing", "waived": "Waived"}


@dataclass(frozen=True)
class Requirement:
    key: str
    title: str
    text: str
    citations: tuple[str, ...]


@dataclass(frozen=True)
class Catalogue:
    version: str
    requirements: tuple[Requirement, ...]

    def get(self, key: str) -> Requirement | None:
        return next((r for r in self.requirements if r.key == key), None)

    def codes(self) -> list[str]:
        return [r.key for r in self.requirements]


def parse(data: dict) -> Catalogue:
    """A catalogue from its YAML data; jsonschema.ValidationError when it does not follow the schema,
    ValueError for a key given twice."""
    schema = json.loads((HERE / "requirements.schema.json").read_text(encoding="utf-8"))
    jsonschema.validate(data, schema)
    keys = [r["key"] for r in data["requirements"]]
    twice = sorted({k for k in keys if keys.count(k) > 1})
    if twice:
        raise ValueError(f"requirement keys given twice: {twice}")
    return Catalogue(data["version"], tuple(Requirement(r["key"], r["title"], r["text"], tuple(r["citations"]))
                                            for r in data["requirements"]))


@functools.cache
def catalogue() -> Catalogue:
    return parse(yaml.safe_load((HERE / "requirements.yaml").read_text(encoding="utf-8")))
