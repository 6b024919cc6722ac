"""The permission matrix (permissions.yaml) and the check every service makes before it acts."""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from importlib import resources
from typing import Literal

import yaml

from raigov.errors import PermissionDenied
from raigov.identity.roles import ORG_UNITS, ROLES

Scope = Literal["department", "component", "self"]

# The department's own org unit (the root of the tree). An object with no component, or of this unit, is
# the department's: a grant scoped to a component never reaches it, and a grant scoped to this unit reaches
# only the department's own objects (not every component below it).
DEPARTMENT: str = next(code for code, _name, kind, _parent in ORG_UNITS if kind == "department")


class _Anywhere:
    """The `component` of a question about no object in particular ("may this actor create use cases at
    all?"): any grant of the role answers yes. Not the same as None, which is the department's object."""

    def __repr__(self) -> str:
        return "ANYWHERE"


ANYWHERE: object = _Anywhere()


def is_department(component: str | None) -> bool:
    """Is `component` (an org unit code, None for no component) the department's own scope?"""
    return component is None or component.upper() == DEPARTMENT


@dataclass(frozen=True)
class ActionRule:
    name: str
    scope: Scope
    roles: frozenset[str]
    approval: bool = False


@dataclass(frozen=True)
class Grant:
    role: str
    org_unit: str | None = None  # org unit code; None = department-wide


@dataclass(frozen=True)
class Actor:
    """Who is acting. `kind` is "user" (a person), "service" (an operational system), "system"
    (the operator's shell: migrations, bootstrap, jobs) or "anonymous"."""

    kind: Literal["user", "service", "system", "anonymous"]
    username: str
    user_id: int | None = None
    grants: tuple[Grant, ...] = ()
    # org unit code -> codes of it and every unit above it (filled by the identity service)
    unit_ancestors: dict[str, tuple[str, ...]] = field(default_factory=dict, compare=False, hash=False)

    @property
    def label(self) -> str:
        return f"{self.kind}:{self.username}"

    @property
    def roles(self) -> set[str]:
        return {g.role for g in self.grants}

    def has_role(self, role: str) -> bool:
        return any(g.role == role for g in self.grants)

    @classmethod
    def system(cls, name: str = "cli") -> Actor:
        return cls(kind="system", username=name)

    @classmethod
    def anonymous(cls) -> Actor:
        return cls(kind="anonymous", username="anonymous")


class Matrix(Mapping[str, ActionRule]):
    """The permissions by name. Looking up (`[]`, `get`, `in`) answers a current name or a former one (an
    alias: `usecase.read` gives the rule of `inventory.use_case.read`); iterating gives current names only."""

    def __init__(self, rules: dict[str, ActionRule], aliases: dict[str, str]):
        self._rules, self.aliases = rules, aliases  # aliases: former name -> current name

    def __getitem__(self, name: str) -> ActionRule:
        return self._rules[self.aliases.get(name, name)]

    def __iter__(self) -> Iterator[str]:
        return iter(self._rules)

    def __len__(self) -> int:
        return len(self._rules)


GRAMMAR = re.compile(r"^[a-z_]+\.[a-z_]+\.[a-z_]+$")  # <domain>.<object>.<verb>, as the audit actions


@lru_cache(maxsize=1)
def matrix() -> Matrix:
    text = resources.files("raigov.identity").joinpath("permissions.yaml").read_text()
    raw = yaml.safe_load(text)["actions"]
    out: dict[str, ActionRule] = {}
    aliases: dict[str, str] = {}
    for name, spec in raw.items():
        unknown = set(spec["roles"]) - set(ROLES) - {"system"}
        if unknown:
            raise ValueError(f"permissions.yaml: action {name} names unknown roles {sorted(unknown)}")
        if spec["scope"] not in ("department", "component", "self"):
            raise ValueError(f"permissions.yaml: action {name} has unknown scope {spec['scope']!r}")
        for old in spec.get("formerly", ()):
            if old in raw or old in aliases:
                raise ValueError(f"permissions.yaml: former name {old!r} of {name} is already used")
            aliases[old] = name
        out[name] = ActionRule(name, spec["scope"], frozenset(spec["roles"]), bool(spec.get("approval", False)))
    return Matrix(out, aliases)


def canonical(action: str) -> str:
    """The current name of permission `action` (a current name or a former one kept as an alias)."""
    return matrix().aliases.get(action, action)


def covers(actor: Actor, unit: str, component: str | None) -> bool:
    """Does a grant scoped to org unit `unit` reach an object of `component` (None: the department's own)?
    A component grant reaches its unit and every unit below it; a grant for the department's unit reaches
    only the department's own objects."""
    if is_department(component):
        return is_department(unit)
    if is_department(unit):
        return False
    return unit in actor.unit_ancestors.get(component, (component,))


def can(actor: Actor, action: str, component: str | object | None = ANYWHERE) -> bool:
    """May `actor` take `action` on an object of `component` (an org unit code; None for an object of the
    department itself, which no component-scoped grant reaches)? Without `component` (ANYWHERE): may the
    actor take it on some object?"""
    rule = matrix().get(action)
    if rule is None:
        raise KeyError(f"unknown action {action!r}: add it to permissions.yaml")
    if actor.kind == "system":
        return "system" in rule.roles
    if actor.kind == "anonymous":
        return False
    for g in actor.grants:
        if g.role not in rule.roles:
            continue
        if rule.scope == "self":
            return True
        if g.org_unit is None:
            return True
        if rule.scope == "department":
            continue
        if component is ANYWHERE or covers(actor, g.org_unit, component):  # type: ignore[arg-type]
            return True
    return False


def components_visible(actor: Actor, action: str) -> set[str] | None:
    """The org units where `actor` may take `action`: None means every unit (department-wide)."""
    rule = matrix()[action]
    if actor.kind == "system":
        return None if "system" in rule.roles else set()
    units: set[str] = set()
    for g in actor.grants:
        if g.role in rule.roles:
            if g.org_unit is None or rule.scope == "self":
                return None
            if rule.scope == "component":
                units.add(g.org_unit)
    return units


def require(actor: Actor, action: str, component: str | object | None = ANYWHERE) -> None:
    if not can(actor, action, component):
        where = "" if component is ANYWHERE else f" for {component or DEPARTMENT}"
        raise PermissionDenied(f"{actor.label} may not {action}{where}")


def markdown() -> str:
    """The matrix as a Markdown table (docs/permissions.md is generated from it)."""
    roles = list(ROLES) + ["system"]
    lines = [
        "# Permission matrix",
        "",
        "Generated from `src/raigov/identity/permissions.yaml` by",
        "`python -m raigov.identity.permissions > docs/permissions.md`; a test keeps the two equal.",
        "Every service checks these before it acts. Scope: **D** the role must be held department-wide;",
        "**C** department-wide or for the object's component; **S** the actor's own objects.",
        "Approval actions are marked ✱: the `admin` role holds none of them.",
        "",
        "| action | " + " | ".join(f"`{r}`" for r in roles) + " |",
        "|---|" + "---|" * len(roles),
    ]
    mark = {"department": "D", "component": "C", "self": "S"}
    for name, rule in matrix().items():
        cells = [mark[rule.scope] if r in rule.roles else "" for r in roles]
        lines.append(f"| `{name}`{' ✱' if rule.approval else ''} | " + " | ".join(cells) + " |")
    aliases = matrix().aliases
    if aliases:
        lines += ["", "## Former names", "",
                  "Permissions are named `<domain>.<object>.<verb>`, like the audit actions (docs/architecture.md,",
                  "\"Vocabularies\"). The names they had before are still accepted, as aliases of the current ones:", "",
                  "| former name | current name |", "|---|---|"]
        lines += [f"| `{old}` | `{new}` |" for old, new in aliases.items()]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    print(markdown(), end="")
