"""The bodies' charters (bodies.yaml shipped in the package): pure, read once and validated; a mistake names
its key. An agency keeps its own by editing the file (the seats, quorum and majority are data)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

import yaml

from raigov.bodies.rules import MAJORITIES, QuorumRule
from raigov.errors import NotFound, ValidationFailed
from raigov.identity.roles import ROLES

SEAT_ROLES = ("chair", "vice_chair", "member")


@dataclass(frozen=True)
class Seat:
    key: str
    title: str
    office: str
    role: str = "member"  # chair | vice_chair | member
    voting: bool = True


@dataclass(frozen=True)
class Body:
    key: str
    name: str
    short: str
    charter: str
    citation: str
    seats: tuple[Seat, ...]
    quorum: QuorumRule
    majority: str
    presiding: tuple[str, ...]
    record_keepers: tuple[str, ...]
    independent_review: bool = False

    def seat(self, key: str) -> Seat:
        for s in self.seats:
            if s.key == key:
                return s
        raise ValidationFailed.one("seat", f"the {self.name} has no seat {key!r}: one of "
                                           f"{', '.join(s.key for s in self.seats)}")

    @property
    def voting_seats(self) -> int:
        return sum(1 for s in self.seats if s.voting)

    @property
    def chair(self) -> Seat | None:
        return next((s for s in self.seats if s.role == "chair"), None)

    @property
    def vice_chair(self) -> Seat | None:
        return next((s for s in self.seats if s.role == "vice_chair"), None)


def _fail(where: str, message: str):
    raise ValidationFailed.one(where, message)


def _seat(where: str, raw) -> Seat:
    if not isinstance(raw, dict) or not {"key", "title", "office"} <= set(raw) or set(raw) - {
            "key", "title", "office", "role", "voting"}:
        _fail(where, "a seat is {key, title, office[, role, voting]}")
    role = raw.get("role", "member")
    if role not in SEAT_ROLES:
        _fail(f"{where}.role", f"one of {', '.join(SEAT_ROLES)}")
    return Seat(str(raw["key"]), str(raw["title"]), str(raw["office"]), role, bool(raw.get("voting", True)))


def _body(key: str, raw: dict) -> Body:
    w = f"bodies.{key}"
    need = {"name", "charter", "seats", "quorum", "majority", "record_keepers"}
    if not isinstance(raw, dict) or need - set(raw):
        _fail(w, f"a body needs {', '.join(sorted(need))}")
    seats = tuple(_seat(f"{w}.seats[{i}]", s) for i, s in enumerate(raw["seats"] or []))
    keys = [s.key for s in seats]
    if len(set(keys)) != len(keys) or not seats:
        _fail(f"{w}.seats", "seats need distinct keys, at least one")
    for role in ("chair", "vice_chair"):
        if sum(1 for s in seats if s.role == role) > 1:
            _fail(f"{w}.seats", f"at most one {role}")
    try:
        rule = QuorumRule.parse(raw["quorum"])
    except ValueError as exc:
        _fail(f"{w}.quorum", str(exc))
    if raw["majority"] not in MAJORITIES:
        _fail(f"{w}.majority", f"one of {', '.join(MAJORITIES)}")
    presiding = tuple(raw.get("presiding") or ())
    if not set(presiding) <= set(keys):
        _fail(f"{w}.presiding", "seats of the body")
    keepers = tuple(raw["record_keepers"])
    if not set(keepers) <= set(ROLES):
        _fail(f"{w}.record_keepers", "roles of raigov")
    return Body(key, str(raw["name"]), str(raw.get("short") or raw["name"]), " ".join(str(raw["charter"]).split()),
                str(raw.get("citation") or ""), seats, rule, raw["majority"], presiding, keepers,
                bool(raw.get("independent_review", False)))


def parse(text: str) -> dict[str, Body]:
    data = yaml.safe_load(text) or {}
    if not isinstance(data.get("bodies"), dict) or not data["bodies"]:
        _fail("bodies", "the file lists the bodies under 'bodies'")
    return {k: _body(k, v) for k, v in data["bodies"].items()}


@lru_cache(maxsize=1)
def bodies() -> dict[str, Body]:
    return parse(resources.files("raigov.bodies").joinpath("bodies.yaml").read_text(encoding="utf-8"))


def body(key: str) -> Body:
    found = bodies().get(key)
    if found is None:
        raise NotFound(f"no governance body {key!r}: one of {', '.join(bodies())}")
    return found
