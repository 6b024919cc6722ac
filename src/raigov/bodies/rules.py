"""Quorum and majority: pure. The rules are named in bodies.yaml (see its header) and checked here.

- quorum ``majority``: more than half of the voting seats present (10 seats: 6); ``{fraction: [n, d]}``: at
  least n/d of the voting seats, rounded up (5 seats, 2/3: 4); ``{count: k}``: at least k; and, when the body
  names presiding seats, one of them present;
- majority ``simple``: more yes than no among the votes cast, abstentions aside; ``absolute``: yes from more
  than half of the voting members present; ``two_thirds``: yes from at least two thirds of the yes and no votes;
- without a quorum nothing is decided (``no_quorum``), whatever the votes.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from raigov.bodies.vocab import Outcome, Vote

MAJORITIES = ("simple", "absolute", "two_thirds")


@dataclass(frozen=True)
class QuorumRule:
    kind: str  # majority | fraction | count
    numerator: int = 1
    denominator: int = 2

    @classmethod
    def parse(cls, value) -> QuorumRule:
        """``majority``, ``{fraction: [n, d]}`` (0 < n <= d) or ``{count: k}`` (k >= 1); ValueError otherwise."""
        if value == "majority":
            return cls("majority")
        if isinstance(value, Mapping) and len(value) == 1:
            (k, v), = value.items()
            if k == "fraction" and isinstance(v, list) and len(v) == 2 and all(type(x) is int for x in v) \
                    and 0 < v[0] <= v[1]:
                return cls("fraction", v[0], v[1])
            if k == "count" and type(v) is int and v >= 1:
                return cls("count", v, 1)
        raise ValueError("quorum is 'majority', {fraction: [n, d]} with 0 < n <= d, or {count: k} with k >= 1")

    def needed(self, voting_seats: int) -> int:
        """How many voting seats must be present."""
        if self.kind == "majority":
            return voting_seats // 2 + 1
        if self.kind == "fraction":
            return -(-voting_seats * self.numerator // self.denominator)
        return self.numerator

    def words(self) -> str:
        if self.kind == "majority":
            return "more than half of the voting members"
        if self.kind == "fraction":
            return f"at least {self.numerator} in {self.denominator} of the voting members"
        return f"at least {self.numerator} voting members"


@dataclass(frozen=True)
class Quorum:
    met: bool
    present: int
    needed: int
    presiding_present: bool
    reason: str  # in words, empty when met


def quorum(rule: QuorumRule, voting_seats: int, present_voting: int, presiding_present: bool = True) -> Quorum:
    needed = rule.needed(voting_seats)
    if present_voting < needed:
        reason = f"{present_voting} of {voting_seats} voting members present; the quorum is {needed} ({rule.words()})"
        return Quorum(False, present_voting, needed, presiding_present, reason)
    if not presiding_present:
        return Quorum(False, present_voting, needed, False, "neither the chair nor the vice-chair is present")
    return Quorum(True, present_voting, needed, True, "")


@dataclass(frozen=True)
class Tally:
    yes: int
    no: int
    abstain: int

    @classmethod
    def of(cls, votes: Iterable[str]) -> Tally:
        votes = [Vote(v) for v in votes]
        return cls(votes.count(Vote.YES), votes.count(Vote.NO), votes.count(Vote.ABSTAIN))


def carried(majority: str, tally: Tally, present_voting: int) -> bool:
    """Does the motion carry under `majority`, given the votes and the voting members present?"""
    if majority == "simple":
        return tally.yes > tally.no
    if majority == "absolute":
        return 2 * tally.yes > present_voting
    if majority == "two_thirds":
        return tally.yes > 0 and 3 * tally.yes >= 2 * (tally.yes + tally.no)
    raise ValueError(f"majority is one of {', '.join(MAJORITIES)}")


def outcome(q: Quorum, majority: str, tally: Tally) -> Outcome:
    if not q.met:
        return Outcome.NO_QUORUM
    return Outcome.CARRIED if carried(majority, tally, q.present) else Outcome.FAILED
