import datetime as dt

import pytest

from raigov.policy.conditions import Evaluator
from raigov.policy.signals import PhraseError, Signal, WordIndex, phrase_regex


def sig(*phrases, **kw):
    return Signal(name="s", phrases=phrases, **kw).compile()


def texts(s, text, index=False):
    return [(h.text, h.negated, h.vetoed) for h in s.find(text, WordIndex(text) if index else None)]


@pytest.mark.parametrize("index", [False, True])
def test_phrase_syntax(index):
    s = sig("(face|facial) recogni*", "risk ... individual*", "=warrant", "license plate")
    t = "Facial recognition and face-recognition; risk scores for specific individuals; warranted; license plates"
    got = [x[0] for x in texts(s, t, index)]
    assert got == ["Facial recognition", "face-recognition", "risk scores for specific individuals", "license plates"]


@pytest.mark.parametrize("index", [False, True])
def test_negation_and_veto(index):
    s = sig("face recognition", excepts=("face recognition of objects",))
    assert texts(s, "It does not use face recognition.", index) == [("face recognition", True, False)]
    assert texts(s, "No face recognition; it uses face recognition later", index)[1] == ("face recognition", False, False)
    assert texts(s, "face recognition of objects only", index) == [("face recognition of objects", False, True)] or \
        texts(s, "face recognition of objects only", index)[0][2]
    assert texts(s, "face recognition is not used here", index)[0][1] is True
    assert texts(s, "non-face recognition", index)[0][1] is True  # "non-" glued to the phrase
    s2 = sig("law enforcement")
    assert texts(s2, "for non-law enforcement uses", index)[0][1] is True
    s3 = sig("without human review", negation=False)
    assert texts(s3, "decisions are made without human review", index)[0][1] is False


@pytest.mark.parametrize("index", [False, True])
def test_clause_window(index):
    """``a ~ b``: up to three words between, within one clause (``...`` crosses sentence ends and brackets)."""
    s = sig("control* ~ dam*")
    for t in ("The model controls the dam gates.", "control - the dam", "controls, dams", "Control the DAMS"):
        assert [x[0] for x in texts(s, t, index)], t
    for t in ("It controls costs. The dam is old.", "control (the dam)", "controls floods but the dam", "controls: dams",
              "controls a b c d dam", "control\nthe dam", "control; dams", "controls while the dam"):
        assert texts(s, t, index) == [], t
    assert [x[0] for x in texts(sig("control* ... dam*"), "It controls costs. The dam is old.", index)] == \
        ["controls costs. The dam"]
    both = sig("(scor*|rank*) ~ (loan*|credit)")
    assert [x[0] for x in texts(both, "Ranks the small business loan files; scores. Credit is fine.", index)] == \
        ["Ranks the small business loan"]
    for bad in ("~ start", "end ~", "a ~ ... b", "a ... ~ b", "a ~ ~ b"):
        with pytest.raises(PhraseError):
            phrase_regex(bad)


def test_inflections_and_lookalikes():
    s = sig("robot")
    assert [h.text for h in s.find("robots and robotics")] == ["robots"]
    s = sig("dam")
    assert s.find("damage to the dam")[0].text == "dam"
    with pytest.raises(PhraseError):
        phrase_regex("... start")
    with pytest.raises(PhraseError):
        phrase_regex("(unbalanced")


def ev(values, today=None):
    return Evaluator(values, refs={}, signal_hits=lambda n, f: ([], []), item_result=lambda i: (False, []),
                     kind_matched=lambda k, i: [], today=today)


def test_field_operators():
    e = ev({"topic_area": "Law Enforcement", "demographic_features": ["a) Race/Ethnicity", "c) Age"],
            "operational_date": dt.date(2020, 1, 1), "n": "5", "raigov.sole_basis": True, "blank": "  "})
    assert e.eval({"field": "topic_area", "equals": "law  enforcement"})[0]
    assert e.eval({"field": "topic_area", "in": ["HR", "Law Enforcement"]})[0]
    assert e.eval({"field": "demographic_features", "equals": "c) Age"})[0]
    assert not e.eval({"field": "demographic_features", "in": ["b) Sex"]})[0]
    assert e.eval({"field": "operational_date", "before": "2021-01-01"})[0]
    assert not e.eval({"field": "operational_date", "after": "2021-01-01"})[0]
    assert e.eval({"field": "n", "ge": 5})[0] and not e.eval({"field": "n", "gt": 5})[0]
    assert e.eval({"field": "blank", "exists": False})[0] and e.eval({"field": "topic_area", "exists": True})[0]
    assert e.eval({"field": "raigov.sole_basis", "equals": True})[0]
    assert e.eval({"all": [{"field": "n", "lt": 9}, {"not": {"field": "topic_area", "equals": "HR"}}]})[0]
    assert not e.eval({"any": [{"field": "missing", "equals": "x"}, {"field": "n", "gt": 9}]})[0]
    e2 = ev({"raigov.last_test_date": "2021-01-01"}, today=dt.date(2025, 1, 1))
    assert e2.eval({"field": "raigov.last_test_date", "older_than_days": 1095})[0]
    _res, tree, evidence = e.eval({"field": "topic_area", "equals": "Law Enforcement"})
    assert tree["saw"] == "Law Enforcement" and evidence[0]["field"] == "topic_area"
