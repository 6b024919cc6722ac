"""The status vocabularies (StrEnums in each domain's vocab.py) are the very strings stored: against a table
written here, against the lists the code validates with, and against the rows the services write on both
databases."""

from sqlalchemy import text

from raigov.evaluation.models import RUN_KINDS, RUN_STATUSES
from raigov.evaluation.vocab import RunKind, RunStatus
from raigov.governance import gate
from raigov.governance import service as gov
from raigov.governance.vocab import (
    REVIEW_DECIDED,
    REVIEW_UNDECIDED,
    ConditionStatus,
    CycleStatus,
    PilotStatus,
    PracticeStatus,
    ReviewStatus,
    WaiverStatus,
)
from raigov.inventory.vocab import UseCaseStatus
from raigov.jobs import service as jobs
from raigov.jobs.vocab import NoticeStatus
from raigov.policy.vocab import DeterminationStatus
from tests.governance.test_governance_service import _use_case

STORED = {
    ReviewStatus: ["open", "changes_requested", "approved", "approved_with_conditions", "denied", "withdrawn"],
    PracticeStatus: ["not_started", "in_progress", "done", "waived", "not_applicable"],
    ConditionStatus: ["open", "closed"],
    WaiverStatus: ["active", "revoked"],
    PilotStatus: ["active", "ended", "revoked"],
    CycleStatus: ["open", "certified"],
    UseCaseStatus: ["draft", "active", "retired"],
    DeterminationStatus: ["in_force", "awaiting_caio"],
    RunKind: ["classifier", "biometric"],
    RunStatus: ["running", "done", "failed"],
    NoticeStatus: ["pending", "sent", "failed"],
}


def test_enum_values_are_the_stored_strings():
    for enum, values in STORED.items():
        assert [m.value for m in enum] == values, enum.__name__
        assert all(isinstance(m, str) and m == m.value and f"{m}" == m.value for m in enum)


def test_the_code_validates_with_the_enums():
    assert gov.PRACTICE_STATUSES == ("not_started", "in_progress", "done", "waived", "not_applicable")
    assert gov.DECISIONS == REVIEW_DECIDED == ("approved", "approved_with_conditions", "denied")
    assert REVIEW_UNDECIDED == ("open", "changes_requested") and set(gate.OPEN_REVIEW) == set(REVIEW_UNDECIDED)
    assert {"done", "waived", "not_applicable"} == gate.PRACTICE_MET
    assert RUN_KINDS == ("classifier", "biometric") and RUN_STATUSES == ("running", "done", "failed")
    assert jobs.STATUSES == ("pending", "sent", "failed")
    assert ", ".join(gov.PRACTICE_STATUSES) == "not_started, in_progress, done, waived, not_applicable"


def test_rows_written_by_the_services_hold_the_enum_strings(db, settings, people):
    bid = _use_case(db, settings, people)
    with db.engine.connect() as c:  # read as the database has it: plain strings
        uc = c.execute(text("SELECT status FROM use_cases WHERE business_id = :b"), {"b": bid}).scalar_one()
        reviews = c.execute(text("SELECT status FROM reviews")).scalars().all()
        practices = c.execute(text("SELECT status FROM practices")).scalars().all()
        dets = c.execute(text("SELECT status FROM determinations")).scalars().all()
    assert uc == UseCaseStatus.ACTIVE and type(uc) is str
    assert reviews and set(reviews) == {ReviewStatus.OPEN.value}
    assert practices and set(practices) == {PracticeStatus.NOT_STARTED.value}
    assert dets and set(dets) <= {m.value for m in DeterminationStatus}
    assert DeterminationStatus.IN_FORCE in dets
