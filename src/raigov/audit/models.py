"""The audit tables. The application has no update or delete path for them; on PostgreSQL and on
SQLite a trigger refuses UPDATE and DELETE (see the migration)."""

from __future__ import annotations

from sqlalchemy import BigInteger, Index, Integer, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column

from raigov.db.base import Base

# The predicate of ix_audit_events_epoch: every action but the ledgers' (audit.actions.LEDGER_ACTIONS, as
# migration 0024 wrote it; tests/audit/test_epoch.py keeps the three equal). audit.service.epoch asks for the
# newest event under it, answered from the index's last entry.
EPOCH_PREDICATE = ("action NOT IN ('genai.prompt.screen', 'oversight.decision.record', "
                   "'oversight.decision.refuse')")


class AuditEvent(Base):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False)
    # RFC 3339 UTC with six fractional digits (fixed width, so it sorts and compares as text);
    # exactly the text that is hashed
    time: Mapped[str] = mapped_column(String(32), nullable=False)
    actor: Mapped[str] = mapped_column(String(200), nullable=False)
    action: Mapped[str] = mapped_column(String(100), nullable=False)
    object_type: Mapped[str] = mapped_column(String(100), nullable=False)
    object_id: Mapped[str] = mapped_column(String(200), nullable=False)
    state_digest: Mapped[str] = mapped_column(String(64), nullable=False)
    details: Mapped[str] = mapped_column(Text, nullable=False)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    event_hash: Mapped[str] = mapped_column(String(64), nullable=False)

    __table_args__ = (
        Index("ix_audit_events_actor", "actor"),
        Index("ix_audit_events_object", "object_type", "object_id"),
        Index("ix_audit_events_action", "action"),
        Index("ix_audit_events_time", "time"),
        Index("ix_audit_events_epoch", "seq", postgresql_where=text(EPOCH_PREDICATE),
              sqlite_where=text(EPOCH_PREDICATE)),
    )


class AuditTreeHead(Base):
    """A signed tree head, kept so that later verification can prove nothing before it changed."""

    __tablename__ = "audit_tree_heads"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tree_size: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), nullable=False)
    root_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    timestamp: Mapped[str] = mapped_column(String(32), nullable=False)
    signature: Mapped[str] = mapped_column(String(128), nullable=False)
    public_key: Mapped[str] = mapped_column(String(64), nullable=False)

    __table_args__ = (Index("ix_audit_tree_heads_tree_size", "tree_size"),)
