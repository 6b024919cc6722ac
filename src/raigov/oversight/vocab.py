"""The oversight domain's words: what the human did with the AI output, what became of an attempt to record a
decision, and the decision kinds (data: kinds.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources

import yaml


class HumanAction(StrEnum):
    ACCEPTED = "accepted"  # the reviewer accepted the AI output as it was
    MODIFIED = "modified"  # the reviewer changed it
    OVERRODE = "overrode"  # the reviewer rejected it and decided otherwise
    NONE = "none"  # no human reviewed it


class Outcome(StrEnum):
    RECORDED = "recorded"
    REFUSED = "refused"


@dataclass(frozen=True)
class Kind:
    name: str
    title: str
    cls: str
    adverse: bool


@lru_cache(maxsize=1)
def kinds() -> dict[str, Kind]:
    """The decision kinds of kinds.yaml, by name, in the file's order."""
    raw = yaml.safe_load(resources.files("raigov.oversight").joinpath("kinds.yaml").read_text(encoding="utf-8"))
    return {name: Kind(name, k["title"], k["class"], bool(k["adverse"])) for name, k in raw["kinds"].items()}
