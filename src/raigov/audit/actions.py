"""The audit-action catalogue (actions.yaml): every action a service may record, one grammar, former names.

`record` (audit.service) refuses an action that is not here. Stored events keep the name they were recorded
under (the trail is append-only); `canonical` maps a former name to the current one, and `stored_names` /
`filter_names` give every name one act was ever stored under, for queries over old and new events.
docs/audit-actions.md is generated from this module: `python -m raigov.audit.actions > docs/audit-actions.md`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from importlib import resources

import yaml

GRAMMAR = re.compile(r"^[a-z_]+\.[a-z_]+\.[a-z_]+$")  # <domain>.<object>.<verb>


class UnknownAuditAction(ValueError):
    """A programming error: code tried to record an action the catalogue lacks (or a former name)."""


@dataclass(frozen=True)
class Action:
    name: str
    description: str
    formerly: tuple[str, ...] = ()
    ledger: bool = False  # a high-volume act of an append-only ledger: changes no state the caches read

    @property
    def domain(self) -> str:
        return self.name.split(".")[0]

    @property
    def object(self) -> str:
        return self.name.split(".")[1]

    @property
    def verb(self) -> str:
        return self.name.split(".")[2]


def _load() -> tuple[dict[str, Action], dict[str, str]]:
    raw = yaml.safe_load(resources.files("raigov.audit").joinpath("actions.yaml").read_text())["actions"]
    actions: dict[str, Action] = {}
    former: dict[str, str] = {}
    for name, spec in raw.items():
        if not GRAMMAR.match(name):
            raise ValueError(f"actions.yaml: {name!r} is not <domain>.<object>.<verb>")
        desc = (spec or {}).get("description", "").strip()
        if not desc:
            raise ValueError(f"actions.yaml: {name} has no description")
        olds = tuple((spec or {}).get("formerly", ()) or ())
        for old in olds:
            if old in raw or old in former:
                raise ValueError(f"actions.yaml: former name {old!r} of {name} is already used")
            former[old] = name
        ledger = (spec or {}).get("ledger", False)
        if not isinstance(ledger, bool):
            raise ValueError(f"actions.yaml: {name}: ledger must be true or false")
        actions[name] = Action(name, desc, olds, ledger)
    return actions, former


ACTIONS, FORMER = _load()  # current name -> Action; former name -> current name
# the acts left out of the trail's epoch (audit.service.epoch): sorted, as the partial index's predicate lists them
LEDGER_ACTIONS: tuple[str, ...] = tuple(sorted(a.name for a in ACTIONS.values() if a.ledger))


def check(name: str) -> str:
    """`name` if it is a current action; UnknownAuditAction otherwise (a former name is refused too: new
    events are recorded under the current name)."""
    if name in ACTIONS:
        return name
    if name in FORMER:
        raise UnknownAuditAction(f"audit action {name!r} was renamed {FORMER[name]!r}: record the current name")
    raise UnknownAuditAction(f"unknown audit action {name!r}: add it to src/raigov/audit/actions.yaml "
                             "and regenerate docs/audit-actions.md")


def canonical(name: str) -> str:
    """The current name of the act `name` (a current or former name) records; an unknown name as it is."""
    return FORMER.get(name, name)


def describe(name: str) -> str:
    """The plain-language description of an action, current or former name (for people reading the trail);
    an unknown name in words."""
    act = ACTIONS.get(canonical(name))
    return act.description if act else name.replace("_", " ").replace(".", ": ", 1).replace(".", " ")


def stored_names(name: str) -> list[str]:
    """Every name events of the act `name` (current or former) may be stored under: current first."""
    cur = canonical(name)
    act = ACTIONS.get(cur)
    return [cur, *act.formerly] if act else [name]


def filter_names(prefix: str) -> list[str]:
    """The stored names to find, besides those starting with `prefix`, when a reader filters by `prefix`:
    the other names of every act whose current or former name starts with it. So a filter by a current
    name finds the events recorded under its former names, and a filter by a former name the new ones."""
    acts = {a.name for a in ACTIONS.values() if a.name.startswith(prefix) or any(f.startswith(prefix) for f in a.formerly)}
    return sorted({n for a in acts for n in stored_names(a) if not n.startswith(prefix)})


def markdown() -> str:
    """The catalogue as Markdown (docs/audit-actions.md is generated from it)."""
    lines = [
        "# Audit actions",
        "",
        "Generated from `src/raigov/audit/actions.yaml` by",
        "`python -m raigov.audit.actions > docs/audit-actions.md`; a test keeps the two equal.",
        "Every event in the audit trail (see [audit.md](audit.md)) names one of these actions, written",
        "`<domain>.<object>.<verb>`. The trail is append-only: an event recorded before an action was renamed",
        "keeps its former name (last column); the audit page and API filter by an action find the events",
        "stored under its former names too.",
        "",
        "Actions marked *ledger* are the high-volume acts of an append-only ledger: they change nothing the",
        "authorization gate or an API token's actor is made of, so the caches checked against the trail's",
        "epoch (the newest event of any other action, `audit.service.epoch`) stay valid across them.",
    ]
    domain = None
    for a in ACTIONS.values():
        if a.domain != domain:
            domain = a.domain
            lines += ["", f"## {domain}", "", "| action | object | verb | what it records | formerly |", "|---|---|---|---|---|"]
        formerly = ", ".join(f"`{f}`" for f in a.formerly)
        ledger = " *(ledger)*" if a.ledger else ""
        lines.append(f"| `{a.name}` | {a.object} | {a.verb} | {a.description}{ledger} | {formerly} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
