"""The bodies' vocabularies: what is stored (a member *is* the string stored) and the words people read."""

from __future__ import annotations

from enum import StrEnum


class Vote(StrEnum):
    YES = "yes"
    NO = "no"
    ABSTAIN = "abstain"


class Outcome(StrEnum):
    CARRIED = "carried"
    FAILED = "failed"
    NO_QUORUM = "no_quorum"


class DecisionKind(StrEnum):
    DECISION = "decision"
    RECOMMENDATION = "recommendation"


class MeetingStatus(StrEnum):
    SCHEDULED = "scheduled"
    HELD = "held"
    CANCELLED = "cancelled"


class Subject(StrEnum):
    """What an agenda item or a decision is about (its reference in brackets)."""

    USE_CASE = "use_case"        # the use case's identifier
    WAIVER = "waiver"            # the waiver's number
    POLICY_PACK = "policy_pack"  # id@version of a policy pack
    REPORT = "report"            # the number of an evaluation run (its T&E report)
    OTHER = "other"              # no reference: the title says it


SUBJECT_WORDS = {Subject.USE_CASE: "Use case", Subject.WAIVER: "Waiver", Subject.POLICY_PACK: "Policy pack version",
                 Subject.REPORT: "Test and evaluation report", Subject.OTHER: "Other business"}
OUTCOME_WORDS = {Outcome.CARRIED: "carried", Outcome.FAILED: "not carried", Outcome.NO_QUORUM: "no quorum: not decided"}
KIND_WORDS = {DecisionKind.DECISION: "Decision", DecisionKind.RECOMMENDATION: "Recommendation"}
VOTE_WORDS = {Vote.YES: "yes", Vote.NO: "no", Vote.ABSTAIN: "abstain"}
MEETING_WORDS = {MeetingStatus.SCHEDULED: "scheduled", MeetingStatus.HELD: "held", MeetingStatus.CANCELLED: "cancelled"}
