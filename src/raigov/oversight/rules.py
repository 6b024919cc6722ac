"""The prohibitions checked at decision time, as data: the ``decision_rule`` items of the policy packs in force
(``refuse: {code, when, implements, message}``) evaluated over the facts of one decision. Pure: no database.

A condition is ``{all: [...]}``, ``{any: [...]}``, ``{not: c}``, ``{fact: F, equals: v}`` or
``{fact: F, in: [...]}``; the facts a condition may name are :data:`FACTS`. Nothing here knows a rule by name:
a new prohibition is a new pack version, not new code.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from raigov.policy.packs import current_registry

FACTS: dict[str, str] = {
    "kind": "the decision's kind (kinds.yaml)",
    "kind.class": "the kind's class: law_enforcement, civil_enforcement, benefit, other_adverse, favourable, informational",
    "kind.adverse": "whether the kind goes against the person (true/false)",
    "human_action": "accepted, modified, overrode or none",
    "other_bases": "how many bases other than the AI output the decision names (0, 1, ...)",
    "use_case.face_recognition": "whether the use case uses face recognition (true/false)",
    "use_case.authorized": "whether the authorization gate authorizes the use case now (true/false)",
    "reviewer.qualified": "whether the reviewer is on the use case's operator roster with current training",
    "subject.opted_out": "whether the subject opted out of this (face-recognition) use case",
}


@dataclass(frozen=True)
class Rule:
    code: str
    item: str
    pack: str  # id@version
    citation: str
    title: str
    message: str
    when: dict
    implements: str | None = None

    def refusal(self) -> dict:
        return {"code": self.code, "citation": self.citation, "rule": self.item, "pack": self.pack,
                "message": self.message, "facts": facts_of(self.when)}


def facts_of(cond: dict) -> list[str]:
    """The facts a condition reads, sorted."""
    out: set[str] = set()

    def walk(c: dict) -> None:
        for sub in c.get("all", []) + c.get("any", []) + ([c["not"]] if "not" in c else []):
            walk(sub)
        if "fact" in c:
            out.add(c["fact"])

    walk(cond)
    return sorted(out)


def _decision_items(packs, part: str):
    """(pack, item, the item's `part`: ``refuse`` or ``notify``) of every decision rule of `packs` that has it, in
    pack then item order."""
    for p in packs:
        for it in p.items:
            if it.kind == "decision_rule" and getattr(it, part):
                yield p, it, getattr(it, part)


def rules_of(packs) -> list[Rule]:
    """The decision rules of `packs` (policy ``Pack``s, e.g. the agency's packs in force), in pack then item order."""
    return [Rule(code=r["code"], item=it.id, pack=p.key, citation=it.citation, title=it.title,
                 message=r.get("message") or it.title, when=r["when"], implements=r.get("implements"))
            for p, it, r in _decision_items(packs, "refuse")]


NOTICE_FACTS = ("kind", "kind.class", "kind.adverse")  # what a notice rule may read: the decision's kind only


@dataclass(frozen=True)
class NoticeRule:
    """A ``decision_rule`` item with ``notify``: the decisions after which the person must be told that AI was used,
    how to get a human review and how to appeal. Not a refusal: a recorded decision it covers without a notice
    given is counted as a notice gap."""

    code: str
    item: str
    pack: str  # id@version
    citation: str
    title: str
    message: str
    when: dict
    methods: tuple[str, ...] = ()

    def kinds(self, known: dict) -> frozenset[str]:
        """The kinds of `known` (vocab.kinds()) the rule covers."""
        return frozenset(name for name, k in known.items()
                         if holds(self.when, {"kind": name, "kind.class": k.cls, "kind.adverse": k.adverse}))


def notice_rules_of(packs) -> list[NoticeRule]:
    """The notice rules of `packs`, in pack then item order."""
    return [NoticeRule(code=n["code"], item=it.id, pack=p.key, citation=it.citation, title=it.title,
                       message=n.get("message") or it.title, when=n["when"], methods=tuple(n.get("methods", ())))
            for p, it, n in _decision_items(packs, "notify")]


def agency_packs(today: dt.date, pack_ids: tuple[str, ...] | list[str], registry=None) -> list:
    """The newest version in force on `today` of each of `pack_ids` (the agency's packs), in `pack_ids` order."""
    in_force = {p.id: p for p in (registry or current_registry()).in_force(today)}
    return [in_force[pid] for pid in pack_ids if pid in in_force]


def agency_notice_rules(today: dt.date, pack_ids: tuple[str, ...] | list[str], registry=None) -> list[NoticeRule]:
    """The notice rules of the agency's packs in force (``agency_packs``)."""
    return notice_rules_of(agency_packs(today, pack_ids, registry))


def agency_rules(today: dt.date, pack_ids: tuple[str, ...] | list[str], registry=None) -> tuple[Rule, ...]:
    """The decision rules of the agency's packs in force (``agency_packs``), worked out once per registry, day and
    packs: a registry only grows while it is loaded (``reload_registry`` makes a new one; its size is in the key)
    and a rule is frozen, so every decision of the day shares them (working them out took a quarter of a
    millisecond a request)."""
    registry = registry or current_registry()
    return _agency_rules(registry, len(registry), today, tuple(pack_ids))


@lru_cache(maxsize=16)
def _agency_rules(registry, size: int, today: dt.date, pack_ids: tuple[str, ...]) -> tuple[Rule, ...]:
    return tuple(rules_of(agency_packs(today, pack_ids, registry)))


def holds(cond: dict, facts: dict[str, Any]) -> bool:
    if "all" in cond:
        return all(holds(c, facts) for c in cond["all"])
    if "any" in cond:
        return any(holds(c, facts) for c in cond["any"])
    if "not" in cond:
        return not holds(cond["not"], facts)
    value = facts[cond["fact"]]
    if "equals" in cond:
        return value == cond["equals"] and type(value) is type(cond["equals"])
    return value in cond["in"]


def evaluate(rules: list[Rule], facts: dict[str, Any]) -> list[dict]:
    """The refusals (``Rule.refusal()``) of every rule whose condition holds, in rule order; [] when none."""
    return [r.refusal() for r in rules if holds(r.when, facts)]


def problems(rule: Rule | NoticeRule, known_kinds) -> list[str]:
    """What is wrong with a rule's condition: a fact not in FACTS (a notice rule: not in NOTICE_FACTS), a kind not
    in kinds.yaml, a malformed node."""
    out: list[str] = []
    allowed = NOTICE_FACTS if isinstance(rule, NoticeRule) else tuple(FACTS)

    def walk(c: dict, where: str) -> None:
        keys = set(c)
        if keys & {"all", "any"}:
            for i, sub in enumerate(c.get("all", c.get("any", []))):
                walk(sub, f"{where}.{i}")
        elif "not" in c:
            walk(c["not"], f"{where}.not")
        elif "fact" in c and len(keys & {"equals", "in"}) == 1:
            if c["fact"] not in allowed:
                out.append(f"{rule.pack} {rule.item} {where}: unknown fact {c['fact']!r}")
            elif c["fact"] == "kind":
                for k in c.get("in", [c.get("equals")]):
                    if k not in known_kinds:
                        out.append(f"{rule.pack} {rule.item} {where}: unknown kind {k!r}")
        else:
            out.append(f"{rule.pack} {rule.item} {where}: a condition is all, any, not, or fact with equals or in")

    walk(rule.when, "when")
    return out
