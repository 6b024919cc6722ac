"""Screening proposals and determinations: two different records. A screen proposes; an official
determines, with a written reason, under a named pack version. Neither is ever overwritten: a new
screen or a new decision is a new row, and the newest is the one in force."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from raigov.db.base import Base, JSONType, UTCDateTime, utcnow


class Screening(Base):
    __tablename__ = "screenings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id", ondelete="CASCADE"), nullable=False)
    revision_number: Mapped[int] = mapped_column(Integer, nullable=False)
    pack: Mapped[str] = mapped_column(String(120), nullable=False)  # id@version
    presumed: Mapped[bool] = mapped_column(Boolean, nullable=False)
    # presumed | insufficient_information | not_presumed (policy.outcome); null only before migration 0012
    outcome: Mapped[str | None] = mapped_column(String(30), nullable=True)
    out_of_scope: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    categories: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)  # item ids
    prohibited: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)  # item ids
    result: Mapped[dict] = mapped_column(JSONType, nullable=False)  # the whole screen, trace included
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)

    __table_args__ = (Index("ix_screenings_use_case_pack", "use_case_id", "pack"),)


class Determination(Base):
    __tablename__ = "determinations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id", ondelete="CASCADE"), nullable=False)
    framework: Mapped[str] = mapped_column(String(20), nullable=False)  # M-25-21 | M-24-10
    pack: Mapped[str | None] = mapped_column(String(120), nullable=True)  # id@version in force when decided
    decision: Mapped[str] = mapped_column(String(60), nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(20), nullable=False)  # in_force | awaiting_caio
    source: Mapped[str] = mapped_column(String(300), nullable=False)  # official | agency: <where it was reported>
    screening_id: Mapped[int | None] = mapped_column(ForeignKey("screenings.id"), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)

    __table_args__ = (Index("ix_determinations_use_case", "use_case_id", "framework"),)
