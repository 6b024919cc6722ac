"""Governance's vocabularies: the statuses stored in reviews, practices, conditions, waivers, pilots and data-call
cycles. StrEnums, so a member is the very string stored (`ReviewStatus.OPEN == "open"`) and rows written before
keep their meaning; tests/governance/test_vocab.py keeps the values equal to what is stored."""

from __future__ import annotations

from enum import StrEnum


class ReviewStatus(StrEnum):
    OPEN = "open"
    CHANGES_REQUESTED = "changes_requested"
    APPROVED = "approved"
    APPROVED_WITH_CONDITIONS = "approved_with_conditions"
    DENIED = "denied"
    WITHDRAWN = "withdrawn"


# a review waiting for a reviewer's decision, and a decided one
REVIEW_UNDECIDED: tuple[ReviewStatus, ...] = (ReviewStatus.OPEN, ReviewStatus.CHANGES_REQUESTED)
REVIEW_DECIDED: tuple[ReviewStatus, ...] = (ReviewStatus.APPROVED, ReviewStatus.APPROVED_WITH_CONDITIONS,
                                            ReviewStatus.DENIED)


class PracticeStatus(StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    WAIVED = "waived"
    NOT_APPLICABLE = "not_applicable"


class ConditionStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"


class WaiverStatus(StrEnum):
    ACTIVE = "active"
    REVOKED = "revoked"


class PilotStatus(StrEnum):
    ACTIVE = "active"
    ENDED = "ended"
    REVOKED = "revoked"


class CycleStatus(StrEnum):
    OPEN = "open"
    CERTIFIED = "certified"
