"""Issue #12 item 8 in the service: an edit carries the revision it started from; a stale one is a Conflict
(409) naming both revisions and writes nothing (both databases); two editors at the same moment on
PostgreSQL: one wins, the other gets the Conflict, never an IntegrityError or a lost update."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from raigov.audit.models import AuditEvent
from raigov.errors import Conflict, ValidationFailed
from raigov.inventory import service as inventory
from raigov.inventory.models import UseCase
from tests.governance.test_concurrency import race

START = {"use_case_name": "Cargo X-ray triage", "development_stage": "Pilot", "benefits": "Faster inspections."}


@pytest.fixture
def editors(db, settings, make_user, actor_of):
    make_user("owner", "submitter@CBP", password=False)
    make_user("lead", "component_ai_lead@CBP", password=False)
    with db.transaction() as s:
        bid = inventory.create_use_case(s, actor_of("owner"), component="CBP", values=START, reason="new",
                                        settings=settings).business_id
    return bid, actor_of("owner"), actor_of("lead")


def _state(db, bid):
    with db.transaction() as s:
        uc = s.scalar(select(UseCase).where(UseCase.business_id == bid))
        events = s.scalar(select(func.count()).select_from(AuditEvent).where(
            AuditEvent.object_id == bid, AuditEvent.action == "inventory.use_case.revise"))
        return uc.revision_count, dict(uc.revisions[-1].values), events


def test_a_stale_edit_is_a_conflict_and_writes_nothing(db, editors):
    bid, owner, lead = editors
    with db.transaction() as s:
        inventory.edit_use_case(s, owner, bid, {"benefits": "Measured."}, "measured", base_revision=1)
    with db.transaction() as s, pytest.raises(Conflict) as e:
        inventory.edit_use_case(s, lead, bid, {"problem_solved": "Flags images."}, "purpose", base_revision=1)
    assert e.value.status == 409 and isinstance(e.value, inventory.StaleRevision)
    assert (e.value.base, e.value.current) == (1, 2) and e.value.errors[0].field == "base_revision"
    assert "revision 1" in e.value.detail and "revision 2" in e.value.detail
    assert _state(db, bid) == (2, {**_state(db, bid)[1], "benefits": "Measured."}, 1)
    assert "problem_solved" not in _state(db, bid)[1]
    with db.transaction() as s:  # started from the current revision: saved on top of the other change
        inventory.edit_use_case(s, lead, bid, {"problem_solved": "Flags images."}, "purpose", base_revision=2)
        assert [d.field for d in inventory.changes_since(s, lead, bid, 1)] == ["problem_solved", "benefits"]
    count, values, events = _state(db, bid)
    assert count == 3 and values["benefits"] == "Measured." and values["problem_solved"] == "Flags images."
    assert events == 2


def test_an_edit_names_a_field_it_may_not_change(db, editors):
    bid, owner, _ = editors
    for key in ("id", "colour"):
        with db.transaction() as s, pytest.raises(ValidationFailed) as e:
            inventory.edit_use_case(s, owner, bid, {key: "x"}, "why")
        assert e.value.errors[0].field == f"values.{key}"
    assert _state(db, bid)[0] == 1


@pytest.mark.parametrize("with_base", [True, False], ids=["base-revision", "no-base-revision"])
def test_two_editors_at_once_on_postgres(backend, db, editors, with_base):
    if backend != "postgres":
        pytest.skip("row locks and concurrent transactions: PostgreSQL (SQLite serialises writers itself)")
    bid, owner, lead = editors

    def editor(who, field, value):
        def job(s, go):
            base = inventory.get_use_case(s, who, bid).revision_count  # the form is opened
            go()
            return inventory.edit_use_case(s, who, bid, {field: value}, f"{field} changed",
                                           base_revision=base if with_base else None).revision_count
        return job

    a, b = race(db, editor(owner, "benefits", "Measured."), editor(lead, "problem_solved", "Flags images."))
    count, values, events = _state(db, bid)
    if with_base:  # one saved, the other was told: 409
        assert sorted(type(x).__name__ for x in (a, b)) == ["StaleRevision", "int"]
        assert count == 2 and events == 1
    else:  # without a base the second waits for the first and applies its change on top: both kept
        assert sorted((a, b)) == [2, 3] and count == 3 and events == 2
        assert values["benefits"] == "Measured." and values["problem_solved"] == "Flags images."
