"""The training ledger's table: one row per person, course and completion date. The courses themselves are
data (training/data/courses.yaml)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from raigov.db.base import Base, UTCDateTime, utcnow


class Completion(Base):
    """A person completed a course on `completed_on`; it counts until `expires_on` (inclusive; None: never
    expires). `source` is "recorded" (a training coordinator) or "import" (an LMS export)."""

    __tablename__ = "training_completions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    course_id: Mapped[str] = mapped_column(String(40), nullable=False)
    completed_on: Mapped[date] = mapped_column(Date, nullable=False)
    expires_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    source: Mapped[str] = mapped_column(String(10), nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("user_id", "course_id", "completed_on"),
                      Index("ix_training_completions_course_id_expires_on", "course_id", "expires_on"))
