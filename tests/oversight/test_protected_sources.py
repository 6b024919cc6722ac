"""The protected characteristics among a model's inputs are read from the inventory answer (the demographic
variables the model uses as features) and from the datasets linked for training or operation, not only from what
the owners declare; each needs the same CRCL-approved justification before the gate authorizes (both databases)."""

from __future__ import annotations

import pytest

from raigov.datasets import service as datasets
from raigov.datasets.schemas import CHARACTERISTICS, DatasetIn
from raigov.errors import ValidationFailed
from raigov.governance import service as gov
from raigov.inventory import service as inventory
from raigov.oversight import service as oversight
from raigov.oversight.declared import derived_inputs, from_answers, from_dataset, from_text, signal_rules

CODE = "protected_characteristics_unjustified"


def _protected(db, people, bid) -> list[str] | None:
    """The characteristics of the gate's protected reason, or None when it gives none."""
    with db.transaction() as s:
        answer = gov.authorization(s, people["cbp-sys"], bid)
    found = [r["characteristics"] for r in answer.reasons if r["code"] == CODE]
    return found[0] if found else None


def test_the_answer_words_map_to_the_directive_list_by_data():
    assert from_answers({"demographic_features": ["a) Race/Ethnicity", "b) Sex", "e) Socioeconomic Status",
                                                  "k) None of the above"]}) == [
        ("race", "a) Race/Ethnicity"), ("ethnicity", "a) Race/Ethnicity"), ("gender", "b) Sex")]
    assert from_answers({"35_demo_features": ["Sex/Gender", "Ability Status", "Residency Status"]}) == [
        ("gender", "Sex/Gender"), ("disability", "Ability Status")]
    assert from_answers({"demographic_features": "c) Age"}) == [("age", "c) Age")]
    assert from_answers({"demographic_features": None}) == from_answers({}) == []
    assert from_dataset(["citizenship", "color", "sex"]) == [("nationality", "citizenship"), ("race", "color"),
                                                             ("gender", "sex")]
    rules = signal_rules()
    vocab = set(rules["protected_characteristics"])
    src = rules["protected_sources"]
    # every word of a dataset card maps, and only to characteristics of the directive's list
    assert set(src["dataset_characteristics"]) == set(CHARACTERISTICS)
    for targets in [*src["dataset_characteristics"].values(), *src["inventory_answers"].values()]:
        assert targets and set(targets) <= vocab


def test_the_inventory_answer_and_a_training_dataset_need_a_justification(db, people, use_cases, client, token_for,
                                                                         sign_in, make_user):
    low = use_cases["low"]
    assert _protected(db, people, low) is None
    with db.transaction() as s:
        inventory.edit_use_case(s, people["lead"], low, {"demographic_features": ["c) Age", "j) Employment Status"]},
                                "the model reads the applicant's age")
    assert _protected(db, people, low) == ["age"]
    r = client.get(f"/api/v1/use-cases/{low}/oversight-settings", headers=token_for("auditor"))
    assert r.status_code == 200
    body = r.json()
    assert body["protected_inputs"] == [] and body["model_inputs"] == ["age"] and body["unjustified"] == ["age"]
    assert body["derived_inputs"] == [{"characteristic": "age", "source": "inventory",
                                       "detail": "inventory answer: c) Age"}]
    with db.transaction() as s:  # nothing declared: CRCL approves what was found
        out = oversight.justify_protected(s, people["crcl"], low, "age sets the form's language level, never the outcome")
    assert out["justified_inputs"] == ["age"] and out["unjustified"] == []
    assert _protected(db, people, low) is None

    # a testing dataset holds characteristics to measure disparities: not a model input
    with db.transaction() as s:
        d = datasets.create_dataset(s, people["lead"], DatasetIn(
            name="Applications 2025", component="CBP", owner="CBP data office", source="case system",
            protected_characteristics=["citizenship", "race"]))
        datasets.link_use_case(s, people["lead"], d.id, low, "testing")
        dataset_id = d.id
    assert _protected(db, people, low) is None
    with db.transaction() as s:
        datasets.link_use_case(s, people["lead"], dataset_id, low, "training")
    assert _protected(db, people, low) == ["race", "nationality"]
    make_user("auditor2", "auditor")
    sign_in("auditor2")
    page = client.get(f"/oversight/use-cases/{low}")
    assert page.status_code == 200
    assert "Nationality, from the dataset Applications 2025 (training): citizenship" in page.text
    assert "Age, from the inventory answer: c) Age" in page.text
    with db.transaction() as s:
        out = oversight.justify_protected(s, people["crcl"], low,
                                          "the training data's race and citizenship columns are dropped before fitting")
    assert out["justified_inputs"] == ["race", "age", "nationality"]
    assert _protected(db, people, low) is None
    with db.transaction() as s:  # unlinking for training leaves the justification covering more than needed
        datasets.link_use_case(s, people["lead"], dataset_id, low, "training", unlink=True)
    assert _protected(db, people, low) is None


def test_nothing_to_justify_is_refused_with_the_field(db, people, use_cases):
    with pytest.raises(ValidationFailed) as e, db.transaction() as s:
        oversight.justify_protected(s, people["crcl"], use_cases["low"], "there is nothing to justify here at all")
    assert e.value.errors[0].field == "characteristics"


@pytest.mark.parametrize(("text", "expected"), [
    ("Age and country of birth are used as features.", ["national_origin", "age"]),
    ("Age is not used; gender is.", ["gender"]),  # the negated clause names nothing
    ("No race, but we use age", ["age"]),
    ("The applicant's date of birth and nationality", ["age", "nationality"]),
    ("Religious affiliation, disability status", ["religion", "disability"]),
    ("Average page count and image quality", []),  # whole words: "average", "page" are not "age"
    ("Marital status", []),  # not on the directive's list
    ("None", []),
    ("N/A", []),
    ("", []),
])
def test_free_text_other_features_are_read_clause_by_clause(text, expected):
    assert [c for c, _ in from_text(text)] == expected


def test_a_2024_revision_s_free_text_answer_is_read_by_the_gate(db, people, settings, make_user):
    """2024's "If Other, please explain" (35_question_type) beside 35_demo_features: both read."""
    make_user("owner24", "submitter@CBP", password=False)
    with db.transaction() as s:
        from raigov.identity import service as identity
        owner = identity.actor_for(s, identity.get_user(s, "owner24"))
        uc = inventory.create_use_case(s, owner, component="CBP", schema="2024", settings=settings, reason="test",
                                       values={"use_case_name": "Benefit form triage",
                                               "35_demo_features": ["Other"],
                                               "35_question_type": "The applicant's country of birth; not race."})
        uc_id = uc.id
    with db.transaction() as s:
        found = derived_inputs(s, uc_id)
    assert [(f["characteristic"], f["source"]) for f in found] == [("national_origin", "inventory")]
    assert found[0]["detail"] == "inventory answer (35_question_type, free text): The applicant's country of birth"

