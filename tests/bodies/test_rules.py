"""Quorum and majority rules (pure), each worked by hand, and the charters shipped in bodies.yaml."""

from __future__ import annotations

import pytest

from raigov.bodies import charters
from raigov.bodies.rules import QuorumRule, Tally, carried, outcome, quorum
from raigov.bodies.vocab import Outcome
from raigov.errors import ValidationFailed

MAJ, TWO_THIRDS, THREE = QuorumRule.parse("majority"), QuorumRule.parse({"fraction": [2, 3]}), QuorumRule.parse({"count": 3})


@pytest.mark.parametrize("rule,seats,needed", [
    (MAJ, 10, 6), (MAJ, 9, 5), (MAJ, 1, 1), (MAJ, 2, 2),          # more than half: 10 -> 6 (5 is only half)
    (TWO_THIRDS, 5, 4), (TWO_THIRDS, 6, 4), (TWO_THIRDS, 7, 5),   # 2/3 of 5 = 3.33 -> 4; of 6 = 4; of 7 = 4.67 -> 5
    (THREE, 5, 3), (THREE, 12, 3),
])
def test_quorum_needed(rule, seats, needed):
    assert rule.needed(seats) == needed
    assert quorum(rule, seats, needed).met and not quorum(rule, seats, needed - 1).met


def test_quorum_needs_a_presiding_member_and_says_why():
    q = quorum(MAJ, 10, 5)
    assert not q.met and q.reason == ("5 of 10 voting members present; the quorum is 6 "
                                      "(more than half of the voting members)")
    q = quorum(MAJ, 10, 8, presiding_present=False)
    assert not q.met and q.reason == "neither the chair nor the vice-chair is present"


@pytest.mark.parametrize("bad", ["half", {"fraction": [3, 2]}, {"fraction": [0, 2]}, {"count": 0}, {"count": "3"},
                                 {"count": 3, "fraction": [1, 2]}])
def test_bad_quorum_rules_are_refused(bad):
    with pytest.raises(ValueError):
        QuorumRule.parse(bad)


def test_majorities_by_hand():
    t = Tally.of(["yes", "yes", "no", "abstain", "abstain"])
    assert (t.yes, t.no, t.abstain) == (2, 1, 2)
    # simple: 2 yes > 1 no, abstentions aside -> carried
    assert carried("simple", t, present_voting=5)
    # absolute: 2 yes is not more than half of 5 present -> not carried
    assert not carried("absolute", t, present_voting=5)
    assert carried("absolute", Tally(3, 0, 2), present_voting=5)
    # two thirds of the yes and no: 2 of 3 -> carried (exactly two thirds); 3 of 5 -> not
    assert carried("two_thirds", t, 5) and not carried("two_thirds", Tally(3, 2, 0), 5)
    # a tie is not carried under the simple majority
    assert not carried("simple", Tally(2, 2, 1), 5)
    # all abstain: nothing carried under any rule
    assert not any(carried(m, Tally(0, 0, 4), 4) for m in ("simple", "absolute", "two_thirds"))


def test_no_quorum_decides_nothing_whatever_the_votes():
    assert outcome(quorum(MAJ, 10, 5), "simple", Tally(5, 0, 0)) == Outcome.NO_QUORUM
    assert outcome(quorum(MAJ, 10, 6), "simple", Tally(3, 3, 0)) == Outcome.FAILED
    assert outcome(quorum(MAJ, 10, 6), "simple", Tally(4, 2, 0)) == Outcome.CARRIED


def test_the_shipped_charters():
    bs = charters.bodies()
    assert list(bs) == ["board", "council", "rug", "policy_wg"]
    board = bs["board"]
    assert board.name == "AI Governance Board"
    assert board.chair.title == "Deputy Secretary" and board.vice_chair.title == "Chief AI Officer"
    # M-25-21 §3(a)(ii): IT, cybersecurity, data, budget, statistics, legal, privacy, civil rights and liberties
    assert {s.key for s in board.seats} >= {"cio", "ciso", "cdo", "cfo", "statistics", "ogc", "privacy", "crcl"}
    assert board.voting_seats == 10 and board.quorum.needed(board.voting_seats) == 6
    assert bs["council"].chair.title == "Chief AI Officer"
    rug = bs["rug"]
    assert rug.independent_review and rug.chair.office == "Office for Civil Rights and Civil Liberties"
    assert rug.quorum.needed(rug.voting_seats) == 4  # 2/3 of 5 voting seats, rounded up


def test_a_bad_charter_names_its_key():
    text = ("bodies:\n  x:\n    name: X\n    charter: c\n    record_keepers: [caio]\n    quorum: majority\n"
            "    majority: plurality\n    seats:\n      - {key: a, title: A, office: O}\n")
    with pytest.raises(ValidationFailed) as e:
        charters.parse(text)
    assert e.value.errors[0].field == "bodies.x.majority"
    with pytest.raises(ValidationFailed) as e:
        charters.parse(text.replace("plurality", "simple").replace("[caio]", "[dean]"))
    assert e.value.errors[0].field == "bodies.x.record_keepers"
