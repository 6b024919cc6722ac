"""The data of notices and appeals (remedies.yaml): which decision kinds must be noticed, the appeal clock and
the reversal threshold. Pure."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml


@dataclass(frozen=True)
class Remedies:
    notice_kinds: frozenset[str]
    notice_methods: tuple[str, ...]
    notice_citation: str
    appeal_citation: str
    clock_days: int
    reminder_days: int
    outcomes: tuple[str, ...]
    reversal_threshold: int
    reversal_window_days: int


@lru_cache(maxsize=1)
def remedies() -> Remedies:
    raw = yaml.safe_load(resources.files("raigov.oversight").joinpath("remedies.yaml").read_text(encoding="utf-8"))
    n, a = raw["notice"], raw["appeals"]
    return Remedies(frozenset(n["kinds"]), tuple(n["methods"]), n["citation"], a["citation"], int(a["clock_days"]),
                    int(a["reminder_days"]), tuple(a["outcomes"]), int(a["reversal_alert"]["reversals"]),
                    int(a["reversal_alert"]["window_days"]))
