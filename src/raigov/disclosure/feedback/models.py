"""Public feedback: one row per message a member of the public sent about a use case. Only the masked text is
kept (what the GenAI guard found is replaced by its type); the sender's client is kept as a keyed hash, for the
rate limit only."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from raigov.db.base import Base, JSONType, UTCDateTime, utcnow


class Feedback(Base):
    __tablename__ = "public_feedback"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id", ondelete="CASCADE"), nullable=False)
    component: Mapped[str | None] = mapped_column(String(20), nullable=True)  # the owning component's code (the queue)
    body: Mapped[str] = mapped_column(Text, nullable=False)  # masked
    masked: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)  # finding type -> how many masked
    client: Mapped[str] = mapped_column(String(64), nullable=False)  # HMAC of the client address (rate limit)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="new")  # new | triaged | responded | closed
    topic: Mapped[str | None] = mapped_column(String(40), nullable=True)  # set at triage
    note: Mapped[str | None] = mapped_column(Text, nullable=True)  # staff's triage note (internal)
    response: Mapped[str | None] = mapped_column(Text, nullable=True)
    response_public: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    received_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    responded_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    responded_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    __table_args__ = (Index("ix_public_feedback_client_received", "client", "received_at"),
                      Index("ix_public_feedback_use_case", "use_case_id", "status"),
                      Index("ix_public_feedback_component_status", "component", "status"))
