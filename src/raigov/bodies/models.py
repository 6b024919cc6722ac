"""The bodies' tables: members (a person in a seat of a body's charter), meetings, agenda items, attendance,
decisions and recommendations, and the votes cast on them. The charters themselves are data (bodies.yaml).
A decision and its votes are never updated, except its `published` flag (the body's choice)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from raigov.bodies.vocab import MeetingStatus
from raigov.db.base import Base, UTCDateTime, utcnow


class BodyMember(Base):
    """A person in one seat of one body, from a date (until another date when they leave)."""

    __tablename__ = "body_members"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(String(40), nullable=False)  # key in bodies.yaml
    seat: Mapped[str] = mapped_column(String(40), nullable=False)  # seat key in bodies.yaml
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    since: Mapped[date] = mapped_column(Date, nullable=False)
    until: Mapped[date | None] = mapped_column(Date, nullable=True)  # None: still a member
    appointed_by: Mapped[str] = mapped_column(String(200), nullable=False)
    appointed_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    user = relationship("User")

    __table_args__ = (Index("ix_body_members_body_seat", "body", "seat"),)


class BodyMeeting(Base):
    """A meeting of a body: when and where, its status, its minutes and whether the body publishes them."""

    __tablename__ = "body_meetings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    body: Mapped[str] = mapped_column(String(40), nullable=False)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False)
    duration_minutes: Mapped[int] = mapped_column(Integer, nullable=False, default=60)
    location: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=MeetingStatus.SCHEDULED.value)
    minutes: Mapped[str | None] = mapped_column(Text, nullable=True)
    minutes_published: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    items: Mapped[list[BodyAgendaItem]] = relationship(back_populates="meeting", order_by="BodyAgendaItem.position")

    __table_args__ = (Index("ix_body_meetings_body_starts_at", "body", "starts_at"),)


class BodyAgendaItem(Base):
    """One item of a meeting's agenda, about a use case, a waiver, a policy pack version, a T&E report or
    other business (raigov.bodies.vocab.Subject)."""

    __tablename__ = "body_agenda_items"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("body_meetings.id", ondelete="CASCADE"), nullable=False)
    position: Mapped[int] = mapped_column(Integer, nullable=False)
    subject_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    subject_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    title: Mapped[str] = mapped_column(String(500), nullable=False)
    notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    added_by: Mapped[str] = mapped_column(String(200), nullable=False)
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    meeting: Mapped[BodyMeeting] = relationship(back_populates="items")

    __table_args__ = (UniqueConstraint("meeting_id", "position"),)


class BodyAttendance(Base):
    __tablename__ = "body_attendance"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("body_meetings.id", ondelete="CASCADE"), nullable=False)
    member_id: Mapped[int] = mapped_column(ForeignKey("body_members.id"), nullable=False)
    present: Mapped[bool] = mapped_column(Boolean, nullable=False)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    member: Mapped[BodyMember] = relationship()

    __table_args__ = (UniqueConstraint("meeting_id", "member_id"),)


class BodyDecision(Base):
    """A decision or recommendation of a body at a meeting, on one subject, with its tally, the quorum it met
    (or not) and its outcome; `evidence_id` is the evidence it became (a Responsible Use Group
    recommendation on a use case: its independent review)."""

    __tablename__ = "body_decisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    meeting_id: Mapped[int] = mapped_column(ForeignKey("body_meetings.id", ondelete="CASCADE"), nullable=False)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # decision | recommendation
    subject_kind: Mapped[str] = mapped_column(String(20), nullable=False)
    subject_ref: Mapped[str | None] = mapped_column(String(200), nullable=True)
    subject_label: Mapped[str] = mapped_column(String(500), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    outcome: Mapped[str] = mapped_column(String(12), nullable=False)  # carried | failed | no_quorum
    yes: Mapped[int] = mapped_column(Integer, nullable=False)
    no: Mapped[int] = mapped_column(Integer, nullable=False)
    abstain: Mapped[int] = mapped_column(Integer, nullable=False)
    present: Mapped[int] = mapped_column(Integer, nullable=False)  # voting members present
    quorum_needed: Mapped[int] = mapped_column(Integer, nullable=False)
    published: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"), nullable=True)
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    meeting: Mapped[BodyMeeting] = relationship()
    votes: Mapped[list[BodyVote]] = relationship(back_populates="decision", order_by="BodyVote.id")

    __table_args__ = (Index("ix_body_decisions_subject", "subject_kind", "subject_ref"),)


class BodyVote(Base):
    __tablename__ = "body_votes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    decision_id: Mapped[int] = mapped_column(ForeignKey("body_decisions.id", ondelete="CASCADE"), nullable=False)
    member_id: Mapped[int] = mapped_column(ForeignKey("body_members.id"), nullable=False)
    vote: Mapped[str] = mapped_column(String(8), nullable=False)  # yes | no | abstain

    decision: Mapped[BodyDecision] = relationship(back_populates="votes")
    member: Mapped[BodyMember] = relationship()

    __table_args__ = (UniqueConstraint("decision_id", "member_id"),)
