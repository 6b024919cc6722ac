"""The oversight tables. The ledger (``oversight_decisions``) is append-only: nothing updates or deletes a
decision (a correction is a new row naming the one it corrects); ``oversight_refusals`` keeps the refused
attempts; ``oversight_daily_counts`` holds the counts per use case, day, kind, human action and outcome,
kept in the same transaction as the rows they count, so that statistics never scan the ledger."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from raigov.db.base import Base, JSONType, UTCDateTime, utcnow

BigId = BigInteger().with_variant(Integer, "sqlite")  # SQLite's rowid alias must be INTEGER


class Decision(Base):
    """One AI-assisted decision as the operational system reported it. `subject` is the HMAC-SHA-256 of the
    subject identifier (subjects.py), never the identifier. `item_hash` is the RFC 9162 leaf hash of the
    decision's ledger item (ledger.item_of); `batch_seq` is the audit event whose Merkle root covers it, at
    leaf `batch_index`. Its `id` is its key's (``DecisionKey``), given when the key is written.

    On PostgreSQL the table is range-partitioned by month on `decided_at` (migration 0023: its primary key there
    is (id, decided_at), as a partitioned table's keys must hold the partition column), so the uniqueness of
    (use case, system, decision_id) lives in ``oversight_decision_keys``; SQLite keeps one table."""

    __tablename__ = "oversight_decisions"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=False)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), nullable=False)
    system: Mapped[str] = mapped_column(String(200), nullable=False)  # actor label: service:<name>
    decision_id: Mapped[str] = mapped_column(String(200), nullable=False)
    ai_version: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    subject: Mapped[str] = mapped_column(String(64), nullable=False)
    ai_output: Mapped[dict] = mapped_column(JSONType, nullable=False)
    reviewer: Mapped[str | None] = mapped_column(String(200), nullable=True)
    human_action: Mapped[str] = mapped_column(String(12), nullable=False)
    rationale: Mapped[str] = mapped_column(Text, nullable=False, default="")
    other_bases: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    corrects: Mapped[str | None] = mapped_column(String(200), nullable=True)  # decision_id it corrects
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    item_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    batch_seq: Mapped[int] = mapped_column(Integer, nullable=False)
    batch_index: Mapped[int] = mapped_column(Integer, nullable=False)
    notice: Mapped[dict | None] = mapped_column(JSONType, nullable=True)  # {given, method}: how the person was told

    __table_args__ = (
        Index("ix_oversight_decisions_use_case_id_decided_at", "use_case_id", "decided_at"),
        Index("ix_oversight_decisions_batch_seq_batch_index", "batch_seq", "batch_index"),
    )


class DecisionKey(Base):
    """The key of a recorded decision, (use case, system, decision_id), unique, with the decision's `item_hash`
    (a retry with the same body is answered from here, another body is a conflict): the ledger row carries the
    same `id`. Written in the transaction that writes the row; append-only like the ledger. Appeals point here
    (a partitioned ledger has no key on `id` alone to point at)."""

    __tablename__ = "oversight_decision_keys"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    # no foreign key: the ledger row written with the key checks its use case (a second check per row of a batch
    # cost about 0.1 s per 10,000)
    use_case_id: Mapped[int] = mapped_column(Integer, nullable=False)
    system: Mapped[str] = mapped_column(String(200), nullable=False)
    decision_id: Mapped[str] = mapped_column(String(200), nullable=False)
    item_hash: Mapped[str] = mapped_column(String(64), nullable=False)

    __table_args__ = (UniqueConstraint("use_case_id", "system", "decision_id"),)


PROOF_CHUNK = 1024  # leaves per chunk root: a power of two, so RFC 9162 subtrees of this size start at its multiples


class BatchChunk(Base):
    """The root of each full chunk of ``PROOF_CHUNK`` leaves of a decision batch, written with the batch: a proof then
    reads the leaves of its own chunk and of the unfinished tail only, not the whole batch (proofs.py). Not
    authoritative: the root a proof computes from them is checked against the batch's audit event, so a changed row
    makes the proof fail, never pass."""

    __tablename__ = "oversight_batch_chunks"

    batch_seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    chunk: Mapped[int] = mapped_column(Integer, primary_key=True)
    root: Mapped[str] = mapped_column(String(64), nullable=False)


class Refusal(Base):
    """An attempt to record a decision that a decision rule refused (the decision itself is not stored)."""

    __tablename__ = "oversight_refusals"

    id: Mapped[int] = mapped_column(BigId, primary_key=True, autoincrement=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), nullable=False)
    system: Mapped[str] = mapped_column(String(200), nullable=False)
    decision_id: Mapped[str] = mapped_column(String(200), nullable=False)
    kind: Mapped[str] = mapped_column(String(40), nullable=False)
    human_action: Mapped[str] = mapped_column(String(12), nullable=False)
    codes: Mapped[list] = mapped_column(JSONType, nullable=False)  # [{code, rule, pack}]
    decided_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    refused_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    audit_seq: Mapped[int] = mapped_column(Integer, nullable=False)

    __table_args__ = (Index("ix_oversight_refusals_use_case_id_refused_at", "use_case_id", "refused_at"),)


class DailyCount(Base):
    """How many decisions were recorded or refused, per use case, agency day (of decided_at), kind and human
    action. Upserted in the transaction that writes the decisions or refusals it counts."""

    __tablename__ = "oversight_daily_counts"

    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    kind: Mapped[str] = mapped_column(String(40), primary_key=True)
    human_action: Mapped[str] = mapped_column(String(12), primary_key=True)
    outcome: Mapped[str] = mapped_column(String(10), primary_key=True)  # Outcome: recorded | refused
    count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)


class Operator(Base):
    """A person on a use case's operator roster, with the date of their training on this system and its expiry
    (M-25-21 App. §4(b)(iv)). A renewed training updates the dates (the audit trail keeps each one)."""

    __tablename__ = "oversight_operators"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), nullable=False)
    username: Mapped[str] = mapped_column(String(200), nullable=False)
    trained_on: Mapped[date] = mapped_column(Date, nullable=False)
    expires_on: Mapped[date] = mapped_column(Date, nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("use_case_id", "username"),)


class OptOut(Base):
    """A U.S. citizen's opt-out of one non-law-enforcement face-recognition use (DHS Directive 026-11);
    `subject` is the pseudonym (HMAC) of their identifier."""

    __tablename__ = "oversight_opt_outs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), nullable=False)
    subject: Mapped[str] = mapped_column(String(64), nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("use_case_id", "subject"),)


class UseCaseOversight(Base):
    """What review set for a use case's oversight: its authorized scale (distinct subjects per agency day; more
    raises a scale alert, never a refusal), the protected characteristics its model takes as inputs (signals.yaml),
    and the CRCL-approved justification of them, which covers the characteristics declared when it was approved."""

    __tablename__ = "oversight_use_case_settings"

    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), primary_key=True)
    authorized_scale: Mapped[int | None] = mapped_column(Integer, nullable=True)
    protected_inputs: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    justified_inputs: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    justification: Mapped[str | None] = mapped_column(Text, nullable=True)
    justified_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    justified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Alert(Base):
    """An oversight signal that fired (signals.py): `automation_bias` (the reviewers of a high-impact use case
    accept nearly every AI output) opens once and closes when the counts no longer show it; `scale` (more
    distinct subjects on `day` than the authorized scale) opens once per day. `details` keep the figures."""

    __tablename__ = "oversight_alerts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="open")
    details: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)

    __table_args__ = (UniqueConstraint("use_case_id", "kind", "day"),
                      Index("ix_oversight_alerts_status_use_case_id", "status", "use_case_id"))
from raigov.oversight.remedy_models import Appeal, RemedyCount, UseCaseNotice  # noqa: E402,F401  (notices, appeals)


class OperatorCount(Base):
    """How many recorded decisions, per use case, agency day, reviewer and human action (accepted, modified,
    overrode): the per-operator figures, added to in the recording transaction as the daily counts are, so that
    pages never scan the ledger. Decisions without a reviewer (human action none) are not counted here."""

    __tablename__ = "oversight_operator_counts"

    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id"), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    reviewer: Mapped[str] = mapped_column(String(200), primary_key=True)
    human_action: Mapped[str] = mapped_column(String(12), primary_key=True)
    count: Mapped[int] = mapped_column(BigInteger, nullable=False, default=0)
