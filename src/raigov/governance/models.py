"""Governance tables: reviews by lane, minimum practices, evidence, impact assessments and signed risk
acceptance, waivers and pilots. The jobs' outbox (``Notice``) lives in ``raigov.jobs.models`` and the
annual data call's tables in ``raigov.datacall.models``; both are importable from here too.

Decisions and signatures are rows of their own that are never updated (review decisions, risk
acceptances, certifications); the rows that carry a current state (a review's status, a practice's
status, a waiver's state) carry a `version` counter checked on every write, so two people acting at
once never overwrite each other silently.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from raigov.datacall.models import (  # moved; importable from here as before
    ComponentCertification,
    ReportingCycle,
)
from raigov.db.base import Base, JSONType, UTCDateTime, utcnow
from raigov.governance.vocab import ConditionStatus, PracticeStatus, ReviewStatus
from raigov.jobs.models import Notice  # moved; importable from here as before

__all__ = ["ComponentCertification", "Evidence", "EvidenceLink", "ImpactAssessment", "Notice", "Pilot", "Practice",
           "ReportingCycle", "Review", "ReviewComment", "ReviewCondition", "RiskAcceptance", "Waiver"]


class Review(Base):
    """One lane's review of one use case (Privacy, CRCL, legal, OCIO, RUG, component AI lead, CAIO ...).
    A new cycle (after a denial is answered, or a significant change) is a new row."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id", ondelete="CASCADE"), nullable=False)
    lane: Mapped[str] = mapped_column(String(40), nullable=False)
    cycle: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    # ReviewStatus: open | changes_requested | approved | approved_with_conditions | denied | withdrawn
    status: Mapped[str] = mapped_column(String(30), nullable=False, default=ReviewStatus.OPEN.value)
    required_by: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)  # [{item, citation}]
    revision_number: Mapped[int] = mapped_column(Integer, nullable=False)  # use case revision when opened
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    assignee = relationship("User")
    comments: Mapped[list[ReviewComment]] = relationship(back_populates="review", order_by="ReviewComment.id")
    conditions: Mapped[list[ReviewCondition]] = relationship(back_populates="review", order_by="ReviewCondition.id")

    __table_args__ = (UniqueConstraint("use_case_id", "lane", "cycle"), Index("ix_reviews_lane_status", "lane", "status"))


class ReviewComment(Base):
    """Comments, change requests and decisions, in order; never edited."""

    __tablename__ = "review_comments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)  # comment | request_changes | decision | assign
    decision: Mapped[str | None] = mapped_column(String(30), nullable=True)
    body: Mapped[str] = mapped_column(Text, nullable=False)
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    author: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    review: Mapped[Review] = relationship(back_populates="comments")

    __table_args__ = (Index("ix_review_comments_review_id", "review_id"),)


class ReviewCondition(Base):
    """A condition of an approval, tracked to closure."""

    __tablename__ = "review_conditions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=ConditionStatus.OPEN.value)  # open | closed
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    closure_note: Mapped[str | None] = mapped_column(Text, nullable=True)

    review: Mapped[Review] = relationship(back_populates="conditions")


class Practice(Base):
    """A minimum practice required of one use case by the pack in force."""

    __tablename__ = "practices"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id", ondelete="CASCADE"), nullable=False)
    item: Mapped[str] = mapped_column(String(120), nullable=False)  # pack item id
    pack: Mapped[str] = mapped_column(String(120), nullable=False)  # id@version
    title: Mapped[str] = mapped_column(Text, nullable=False)
    citation: Mapped[str] = mapped_column(String(300), nullable=False)
    timing: Mapped[str | None] = mapped_column(String(40), nullable=True)
    required: Mapped[bool] = mapped_column(default=True, nullable=False)  # false once no longer required
    # not_started | in_progress | done | waived | not_applicable
    status: Mapped[str] = mapped_column(String(20), nullable=False, default=PracticeStatus.NOT_STARTED.value)
    status_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    due_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    owner = relationship("User")

    __table_args__ = (UniqueConstraint("use_case_id", "item"), Index("ix_practices_status_due", "status", "due_on"))


class Evidence(Base):
    """A file (content-addressed by SHA-256 under the data directory) or a link, with owner and expiry.
    The same piece serves any number of use cases through links, never copied."""

    __tablename__ = "evidence"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(10), nullable=False)  # file | link
    category: Mapped[str] = mapped_column(String(30), nullable=False)  # pia | ato | test_report | bias_test | ...
    title: Mapped[str] = mapped_column(String(500), nullable=False)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    filename: Mapped[str | None] = mapped_column(String(300), nullable=True)
    media_type: Mapped[str | None] = mapped_column(String(100), nullable=True)  # sniffed from the bytes
    size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    url: Mapped[str | None] = mapped_column(String(2000), nullable=True)
    dated_on: Mapped[date] = mapped_column(Date, nullable=False)  # the date the evidence speaks for (test date)
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    component: Mapped[str | None] = mapped_column(String(20), nullable=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    owner: Mapped[str] = mapped_column(String(200), nullable=False)
    details: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)  # e.g. input file hash of a report
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (Index("ix_evidence_sha256", "sha256"), Index("ix_evidence_expires_on", "expires_on"))


class EvidenceLink(Base):
    __tablename__ = "evidence_links"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    evidence_id: Mapped[int] = mapped_column(ForeignKey("evidence.id"), nullable=False)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id", ondelete="CASCADE"), nullable=False)
    practice_id: Mapped[int | None] = mapped_column(ForeignKey("practices.id"), nullable=True)
    linked_by: Mapped[str] = mapped_column(String(200), nullable=False)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    evidence: Mapped[Evidence] = relationship()

    __table_args__ = (UniqueConstraint("evidence_id", "use_case_id", "practice_id"),
                      Index("ix_evidence_links_use_case_id", "use_case_id"))


class ImpactAssessment(Base):
    """One version of a use case's AI impact assessment (M-25-21 §4(b)(ii)(A)-(G)); every save is a new
    version. `sha256` covers the exact content, the independent reviewer's comments included."""

    __tablename__ = "impact_assessments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id", ondelete="CASCADE"), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    content: Mapped[dict] = mapped_column(JSONType, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)

    __table_args__ = (UniqueConstraint("use_case_id", "number"),)


class RiskAcceptance(Base):
    """The risk-accepting official's signature on one exact assessment version; never updated."""

    __tablename__ = "risk_acceptances"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id", ondelete="CASCADE"), nullable=False)
    assessment_id: Mapped[int] = mapped_column(ForeignKey("impact_assessments.id"), nullable=False)
    assessment_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    statement: Mapped[str] = mapped_column(Text, nullable=False)
    accepted_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    accepted_by: Mapped[str] = mapped_column(String(200), nullable=False)
    method: Mapped[str] = mapped_column(String(40), nullable=False)  # how the signer was authenticated
    accepted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Waiver(Base):
    """A CAIO's waiver of one practice for one use case (M-25-21 §4(a)(ii)-(iv); M-24-10 §5(c)(iii))."""

    __tablename__ = "waivers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id", ondelete="CASCADE"), nullable=False)
    practice_item: Mapped[str] = mapped_column(String(120), nullable=False)
    grounds: Mapped[str] = mapped_column(String(30), nullable=False)  # increases-risk | impedes-operations
    determination: Mapped[str] = mapped_column(Text, nullable=False)  # the written determination
    risk_assessment: Mapped[str] = mapped_column(Text, nullable=False)
    public_summary: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="active")  # active | revoked
    granted_by: Mapped[str] = mapped_column(String(200), nullable=False)
    granted_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    expires_on: Mapped[date] = mapped_column(Date, nullable=False)
    certified_on: Mapped[date] = mapped_column(Date, nullable=False)  # last annual certification (grant counts)
    revoked_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    revoked_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    revoke_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    omb_report_due: Mapped[date] = mapped_column(Date, nullable=False)  # 30 days after grant or revocation
    omb_reported_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __table_args__ = (Index("ix_waivers_use_case_item", "use_case_id", "practice_item"),)


class Pilot(Base):
    """A CAIO-certified pilot (M-25-21 §4(a)(i)(A)-(D)): limited scale and end date, tracked centrally."""

    __tablename__ = "pilots"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id", ondelete="CASCADE"), nullable=False)
    scale: Mapped[str] = mapped_column(Text, nullable=False)  # the limit on scale, in words
    max_participants: Mapped[int | None] = mapped_column(Integer, nullable=True)
    starts_on: Mapped[date] = mapped_column(Date, nullable=False)
    ends_on: Mapped[date] = mapped_column(Date, nullable=False)
    opt_in_out: Mapped[str] = mapped_column(Text, nullable=False)  # how people may opt in and out (or why not)
    practices_applied: Mapped[str] = mapped_column(Text, nullable=False)  # practices applied where practicable
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="active")  # active | ended | revoked
    certified_by: Mapped[str] = mapped_column(String(200), nullable=False)
    certified_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    end_reason: Mapped[str | None] = mapped_column(Text, nullable=True)

