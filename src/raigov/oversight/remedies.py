"""The data of notices and appeals: which decision kinds must be noticed (the ``notify`` decision rules of the
agency's packs in force, e.g. ``D139-08.Decision.Notice`` of dhs-139-08 1.2.0; remedies.yaml's ``notice`` only
when no pack in force has one), the appeal clock and the reversal threshold (remedies.yaml)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, replace
from functools import lru_cache
from importlib import resources

import yaml

from raigov.clock import agency_today
from raigov.governance.lanes import config
from raigov.oversight import rules as R
from raigov.oversight.vocab import kinds
from raigov.policy.packs import current_registry


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
    notice_source: str = "remedies.yaml"  # where the notice kinds come from: a pack's item, or the file


@lru_cache(maxsize=1)
def shipped() -> Remedies:
    """remedies.yaml, parsed."""
    raw = yaml.safe_load(resources.files("raigov.oversight").joinpath("remedies.yaml").read_text(encoding="utf-8"))
    n, a = raw["notice"], raw["appeals"]
    return Remedies(frozenset(n["kinds"]), tuple(n["methods"]), n["citation"], a["citation"], int(a["clock_days"]),
                    int(a["reminder_days"]), tuple(a["outcomes"]), int(a["reversal_alert"]["reversals"]),
                    int(a["reversal_alert"]["window_days"]))


@lru_cache(maxsize=16)
def _in_force(today: dt.date, packs: tuple[str, ...], registry) -> Remedies:  # the registry object: a key held
    base = shipped()
    found = R.agency_notice_rules(today, packs, registry)
    if not found:
        return base
    known = kinds()
    methods = tuple(dict.fromkeys(m for r in found for m in (r.methods or base.notice_methods)))
    return replace(base, notice_kinds=frozenset().union(*(r.kinds(known) for r in found)), notice_methods=methods,
                   notice_citation="; ".join(dict.fromkeys(r.citation for r in found)),
                   notice_source=", ".join(f"{r.pack} {r.item}" for r in found))


def remedies(today: dt.date | None = None) -> Remedies:
    """The remedies in force on `today` (default: the agency's today): the notice kinds and methods of the agency's
    packs' notice rules when one is in force, and the appeal settings of remedies.yaml."""
    return _in_force(today or agency_today(), tuple(config().agency_packs), current_registry())
