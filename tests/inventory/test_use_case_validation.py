"""The create and edit services validate the answers (inventory.questions.answer_errors): one error per
field, naming the field's key and saying what to do with its label; nothing is written on an error."""

import pytest
from sqlalchemy import func, select

from raigov.errors import ValidationFailed
from raigov.inventory import service as inventory
from raigov.inventory.models import UseCase
from raigov.inventory.questions import answer_errors, form_sections
from raigov.inventory.sorting import natural_key


def _fields(exc) -> dict[str, str]:
    return {e.field: e.message for e in exc.value.errors}


def test_create_refuses_every_wrong_answer_at_once_and_writes_nothing(db, settings, make_user, actor_of):
    make_user("cbp.owner", "submitter@CBP")
    owner = actor_of("cbp.owner")
    with db.transaction() as s, pytest.raises(ValidationFailed) as exc:
        inventory.create_use_case(s, owner, component="", settings=settings, reason="new", values={
            "use_case_name": "Cargo triage", "is_high_impact": "Maybe", "operational_date": "2025-02-30",
            "contact_email": "not an address", "raigov_genai": "perhaps"})
    errors = _fields(exc)
    assert set(errors) == {"component", "development_stage", "is_high_impact", "operational_date", "contact_email",
                           "raigov_genai"}
    assert errors["development_stage"] == "“Stage of Development” is required: choose one."
    assert errors["is_high_impact"].startswith("“Is the AI use case high-impact?”: “Maybe” is not one of OMB's answers")
    assert "YYYY-MM-DD" in errors["operational_date"] and "operational_date" not in errors["operational_date"]
    assert errors["component"].startswith("“Owning component”")
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(UseCase)) == 0


def test_edit_validates_what_changes_and_keeps_what_was_imported(db, settings, make_user, actor_of):
    make_user("cbp.owner", "submitter@CBP")
    owner = actor_of("cbp.owner")
    with db.transaction() as s:
        bid = inventory.create_use_case(s, owner, component="CBP", settings=settings, reason="new", values={
            "use_case_name": "Cargo triage", "development_stage": "Pilot"}).business_id
        uc = inventory.get_use_case(s, owner, bid)
        uc.revisions[-1].values = {**uc.revisions[-1].values, "topic_area": "Not a topic (as imported)"}
    with db.transaction() as s:  # the imported answer is left alone: the edit saves
        inventory.edit_use_case(s, owner, bid, {"topic_area": "Not a topic (as imported)", "benefits": "Faster"}, "more")
    with db.transaction() as s, pytest.raises(ValidationFailed) as exc:
        inventory.edit_use_case(s, owner, bid, {"use_case_name": "", "development_stage": "Someday",
                                                "operational_date": "31/12/2025"}, "")
    assert set(_fields(exc)) == {"use_case_name", "development_stage", "operational_date", "reason"}
    assert _fields(exc)["use_case_name"] == "“Use Case Name” is required: it cannot be empty."
    assert _fields(exc)["reason"] == "“Why this change”: say why the use case changes."
    with db.transaction() as s:
        assert inventory.get_use_case(s, owner, bid).revision_count == 2


def test_answer_errors_and_the_questions_are_built_from_the_catalogue():
    assert answer_errors({"use_case_name": "x", "development_stage": "Pilot", "operational_date": "2025-03-31",
                          "demographic_features": ["b) Sex"], "has_pii": "Yes"}) == []
    assert [e.field for e in answer_errors({"use_case_name": "x", "development_stage": "Pilot",
                                            "demographic_features": ["b) Sex", "z) Shoe size"]})] == ["demographic_features"]
    assert [e.field for e in answer_errors({"use_case_name": "x" * 20_001, "development_stage": "Pilot"})] == ["use_case_name"]
    sections = {s.title: s for s in form_sections()}
    asked = {q.name: q for s in sections.values() for top in s.questions for q in [top, *top.followups]}
    assert "agency_bureau" not in asked and "id" not in asked  # the component is asked once, apart
    assert asked["use_case_name"].kind == "text" and asked["problem_solved"].kind == "textarea"
    assert asked["has_pii"].kind == "radio" and asked["development_stage"].kind == "select"
    assert asked["operational_date"].kind == "date" and asked["demographic_features"].kind == "checkboxes"
    assert asked["use_case_name"].required and asked["is_high_impact"].omb == "always"
    assert asked["vendor_name"].parent == "contracting_usage" and asked["HI_justification"].parent == "is_high_impact"
    assert asked["vendor_name"].note.startswith("Answer if “Was the system involved")
    hi = sections["Risk management of a high-impact use case"]
    assert hi.condition == {"all": [{"field": "is_high_impact", "in": ["High-impact"]},
                                    {"field": "development_stage", "in": ["Deployed"]}]}
    assert all(s.questions for s in sections.values())  # no empty section


def test_natural_key_orders_ids_as_people_read_them():
    ids = ["DHS-101", "DHS-14", "DHS-2", "CBP-9", "DHS-0014", "dhs-3", "DHS-1000000000000000000001"]
    assert sorted(ids, key=natural_key) == ["CBP-9", "DHS-2", "dhs-3", "DHS-14", "DHS-0014", "DHS-101",
                                            "DHS-1000000000000000000001"]
