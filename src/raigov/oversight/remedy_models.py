"""The tables of notices and appeals: a use case's plain-language notice (one row per use case, edited by its
owner or AI lead), the appeals filed against recorded decisions (each decided once: upheld, modified or
reversed), and the remedy counts per use case, day and measure (appeals filed and decided, notices owed and
missing), kept in the transaction that changes what they count, so that statistics never scan the ledger."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from raigov.db.base import Base, UTCDateTime, utcnow

_BigId = BigInteger().with_variant(Integer, "sqlite")


class UseCaseNotice(Base):
    """What a person affected by the use case's decisions is told, in plain language (M-24-10 §5(c)(v)(D))."""

    __tablename__ = "oversight_use_case_notices"

    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), primary_key=True)
    what_ai_does: Mapped[str] = mapped_column(Text, nullable=False)
    human_review: Mapped[str] = mapped_column(Text, nullable=False)  # how to get a human review
    appeal: Mapped[str] = mapped_column(Text, nullable=False)  # how to appeal
    opt_out: Mapped[str] = mapped_column(Text, nullable=False, default="")  # how to opt out, where it applies
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Appeal(Base):
    """An appeal against one recorded decision (M-25-21 App. §4(b)(vi)): filed by staff intake or by the
    operational system, due `due_on` (the clock of remedies.yaml), decided once by an appeals officer of the
    use case's component."""

    __tablename__ = "oversight_appeals"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_pk: Mapped[int] = mapped_column(_BigId, ForeignKey("oversight_decision_keys.id"), nullable=False)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), nullable=False)
    channel: Mapped[str] = mapped_column(String(10), nullable=False)  # staff | system
    grounds: Mapped[str] = mapped_column(Text, nullable=False)
    filed_by: Mapped[str] = mapped_column(String(200), nullable=False)
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    filed_on: Mapped[date] = mapped_column(Date, nullable=False)  # agency day
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open")  # open | decided
    outcome: Mapped[str | None] = mapped_column(String(10), nullable=True)  # upheld | modified | reversed
    rationale: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_on: Mapped[date | None] = mapped_column(Date, nullable=True)

    __table_args__ = (
        Index("ix_oversight_appeals_status_due_on", "status", "due_on"),
        Index("ix_oversight_appeals_use_case_id_decided_on", "use_case_id", "decided_on"),
        Index("ix_oversight_appeals_use_case_id_filed_on", "use_case_id", "filed_on"),
        Index("ix_oversight_appeals_decision_pk", "decision_pk"),
    )


class RemedyCount(Base):
    """How many, per use case, agency day and measure: ``notice_owed`` (decisions of a kind that must be
    noticed), ``notice_missing`` (of those, recorded without a notice given), ``appeal_filed``,
    ``appeal_upheld``, ``appeal_modified``, ``appeal_reversed``."""

    __tablename__ = "oversight_remedy_counts"

    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    measure: Mapped[str] = mapped_column(String(20), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
