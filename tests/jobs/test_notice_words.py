"""Notices in words (issue #14): the Notices page says what a notice is about and when, from its kind and
its key; the key stays stored and is never shown."""

from raigov.audit.actions import describe
from raigov.errors import FieldError, ValidationFailed
from raigov.jobs.notices import describe as notice_words
from raigov.jobs.notices import kind_words
from raigov.web.pages.evaluation import missing_columns


def test_a_notice_in_words():
    assert notice_words("practice_due", "practice:57:overdue:2026-10-16:to:uscis.owner") == (
        "Minimum practice: overdue since 2026-10-16")
    assert notice_words("evidence_expiry", "evidence:7:expiring:2026-12-16") == "Evidence: expires on 2026-12-16"
    assert notice_words("waiver_omb_report", "waiver:5:omb-report-overdue:2026-11-25") == (
        "Waiver's report to OMB: overdue since 2026-11-25")
    assert notice_words("dummy_due", "hand:employee") == "Dummy due"  # another domain's kind, a key of its own
    assert kind_words("bias_retest") == "Face-recognition bias re-test"


def test_an_audit_action_in_words_under_any_of_its_names():
    now = describe("evaluation.run.execute")
    assert now.startswith("A test and evaluation run was executed") and describe("evaluation.run") == now
    assert describe("no.such.thing") == "no: such thing"


def test_a_missing_column_lists_the_files_columns():
    exc = ValidationFailed("missing column: similarity", errors=[FieldError(
        "similarity", "column not found (given by --score); the file has: score, genuine, grp", "missing-column")])
    assert missing_columns(exc) == ("The file has no column “similarity” (the Score column). The file's columns "
                                    "are: score, genuine, grp.", "score")
    assert missing_columns(ValidationFailed.one("file", "empty")) is None
