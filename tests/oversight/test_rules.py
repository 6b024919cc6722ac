"""The decision rules as data (pure): the shipped packs carry one rule per refusal code, each naming only known
facts and kinds; the evaluator answers from the facts alone; a rule added in a pack needs no code."""

from __future__ import annotations

import datetime as dt

import pytest

from raigov.oversight import rules as R
from raigov.oversight.vocab import kinds
from raigov.policy.packs import load_registry, parse_pack

TODAY = dt.date(2026, 12, 4)
CODES = {"ai_sole_basis", "fr_sole_basis", "use_case_not_authorized", "operator_not_qualified", "fr_opt_out"}


@pytest.fixture(scope="module")
def rules():
    return R.agency_rules(TODAY, ["dhs-026-11", "dhs-139-08"], load_registry())


def facts(**over) -> dict:
    f = {"kind": "benefit_denial", "kind.class": "benefit", "kind.adverse": True, "human_action": "accepted",
         "other_bases": 1, "use_case.face_recognition": False, "use_case.authorized": True,
         "reviewer.qualified": True, "subject.opted_out": False}
    f.update(over)
    return f


def test_the_shipped_packs_carry_the_five_codes_with_known_facts_and_kinds(rules):
    assert {r.code for r in rules} == CODES
    assert {r.pack for r in rules} == {"dhs-026-11@1.2.0", "dhs-139-08@1.2.0"}
    assert [p for r in rules for p in R.problems(r, kinds())] == []
    assert all(r.citation for r in rules)


@pytest.mark.parametrize("over, codes", [
    ({}, set()),
    ({"human_action": "none"}, {"ai_sole_basis"}),
    ({"other_bases": 0}, {"ai_sole_basis"}),
    ({"kind": "favourable", "human_action": "none", "other_bases": 0}, set()),
    ({"kind": "informational", "human_action": "none"}, set()),
    ({"use_case.authorized": False}, {"use_case_not_authorized"}),
    ({"reviewer.qualified": False}, {"operator_not_qualified"}),
    ({"human_action": "none", "reviewer.qualified": False}, {"ai_sole_basis"}),  # nobody reviewed: no reviewer to qualify
    ({"kind": "arrest", "use_case.face_recognition": True, "other_bases": 0}, {"ai_sole_basis", "fr_sole_basis"}),
    ({"kind": "arrest", "use_case.face_recognition": True}, set()),
    ({"kind": "benefit_denial", "use_case.face_recognition": True, "other_bases": 0}, {"ai_sole_basis"}),
    ({"kind": "favourable", "use_case.face_recognition": True, "subject.opted_out": True}, {"fr_opt_out"}),
    ({"kind": "favourable", "subject.opted_out": True}, set()),
])
def test_the_evaluator_answers_from_the_facts(rules, over, codes):
    assert {r["code"] for r in R.evaluate(rules, facts(**over))} == codes


def test_a_new_rule_is_a_new_pack_version_not_new_code():
    """A test-only pack adds a two-person rule for 1:N face recognition (EU AI Act Art. 14(5) style)."""
    pack = parse_pack('''
id: agency-extra
title: Extra
version: "1.0.0"
effective: {from: 2025-01-01}
source: {citation: test}
status: verified
items:
  - id: X.TwoPerson
    kind: decision_rule
    title: An arrest needs a reviewer and another basis
    citation: "test §1"
    refuse:
      code: two_person_verification
      when:
        all:
          - {fact: kind, equals: arrest}
          - not: {fact: other_bases, in: [2, 3, 4, 5, 6, 7, 8, 9, 10]}
''', "extra.yaml")
    extra = R.rules_of([pack])
    assert [r["code"] for r in R.evaluate(extra, facts(kind="arrest"))] == ["two_person_verification"]
    assert R.evaluate(extra, facts(kind="arrest", other_bases=2)) == []


def test_a_rule_naming_an_unknown_fact_or_kind_is_reported():
    bad = R.Rule(code="x", item="I", pack="p@1", citation="c", title="t", message="m",
                 when={"all": [{"fact": "kind", "in": ["arrest", "exile"]}, {"fact": "mood", "equals": "bad"}]})
    assert R.problems(bad, kinds()) == ["p@1 I when.0: unknown kind 'exile'", "p@1 I when.1: unknown fact 'mood'"]


def test_a_decision_rule_without_refuse_is_refused_by_the_pack_checks():
    from raigov.policy.packs import PackError

    with pytest.raises(PackError, match="needs 'refuse'"):
        parse_pack('''
id: agency-bad
title: Bad
version: "1.0.0"
effective: {from: 2025-01-01}
source: {citation: test}
status: verified
items:
  - {id: X.Bad, kind: decision_rule, title: t, citation: c}
''', "bad.yaml")


NOTICE_PACK = '''
id: dhs-139-08
title: An agency's stricter notice
version: "9.0.0"
effective: {from: 2025-01-01}
source: {citation: test}
status: verified
items:
  - id: X.Notice
    kind: decision_rule
    title: Tell the person after any enforcement action and any favourable decision
    citation: "test §2"
    notify:
      code: notice_owed
      methods: [letter]
      when:
        any:
          - {fact: kind.class, in: [law_enforcement, civil_enforcement]}
          - {fact: kind, equals: favourable}
'''


def test_the_kinds_to_notice_are_a_rule_of_the_pack_in_force():
    """dhs-139-08 1.2.0 says which decisions must be noticed (every adverse kind); an agency's newer version of the
    pack changes them without code, and the rule names only the decision's kind facts."""
    shipped = R.agency_notice_rules(TODAY, ["dhs-026-11", "dhs-139-08"], load_registry())
    assert [(r.code, r.item, r.pack) for r in shipped] == [("notice_owed", "D139-08.Decision.Notice", "dhs-139-08@1.2.0")]
    assert shipped[0].kinds(kinds()) == {k for k, v in kinds().items() if v.adverse}
    assert R.problems(shipped[0], kinds()) == []
    assert R.agency_notice_rules(TODAY, ["dhs-139-08"], load_registry()) == shipped
    assert R.agency_notice_rules(TODAY, ["dhs-026-11"], load_registry()) == []  # no notice rule: remedies.yaml's
    (stricter,) = R.notice_rules_of([parse_pack(NOTICE_PACK, "n.yaml")])
    assert stricter.kinds(kinds()) == {"arrest", "search", "seizure", "citation", "civil_fine", "injunction",
                                       "favourable"}
    assert stricter.methods == ("letter",)
    reading_more = R.NoticeRule(code="n", item="I", pack="p@1", citation="c", title="t", message="m",
                                when={"fact": "human_action", "equals": "none"})
    assert R.problems(reading_more, kinds()) == ["p@1 I when: unknown fact 'human_action'"]


def test_a_decision_rule_with_both_refuse_and_notify_is_refused():
    from raigov.policy.packs import PackError

    both = NOTICE_PACK.replace("    notify:\n", "    refuse: {code: x, when: {fact: kind, equals: arrest}}\n    notify:\n")
    with pytest.raises(PackError, match="needs 'refuse' or 'notify'"):
        parse_pack(both, "both.yaml")
