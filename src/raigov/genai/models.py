"""The GenAI tables (docs/genai.md): the tool catalog and each tool's states over time, the rules of
behavior's versions and who acknowledged which, access requests, grants, and the gateway's usage counts
(numbers only: no text is kept)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from raigov.db.base import Base, JSONType, UTCDateTime, utcnow


class Tool(Base):
    """A GenAI tool of the catalog. `key` is its id in the guard and the gateway (the `model` field);
    `data_class` a class of the guard's policy; `courses` the course ids a person must hold current;
    `rules_version` the lowest rules-of-behavior version an acknowledgement must be of (None: the current)."""

    __tablename__ = "genai_tools"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key: Mapped[str] = mapped_column(String(40), unique=True, nullable=False)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    data_class: Mapped[str] = mapped_column(String(40), nullable=False)
    tos_amendment: Mapped[str] = mapped_column(Text, nullable=False, default="")
    courses: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    rules_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    upstream_url: Mapped[str | None] = mapped_column(String(500), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    states: Mapped[list[ToolState]] = relationship(back_populates="tool", order_by="ToolState.id")


class ToolState(Base):
    """A tool's state from `effective_on` (approved | conditional | revoked) until the next row's date."""

    __tablename__ = "genai_tool_states"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    tool_id: Mapped[int] = mapped_column(ForeignKey("genai_tools.id", ondelete="CASCADE"), nullable=False)
    state: Mapped[str] = mapped_column(String(12), nullable=False)
    effective_on: Mapped[date] = mapped_column(Date, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    recorded_by: Mapped[str] = mapped_column(String(200), nullable=False)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    tool: Mapped[Tool] = relationship(back_populates="states")

    __table_args__ = (Index("ix_genai_tool_states_tool_id_effective_on", "tool_id", "effective_on"),)


class RulesVersion(Base):
    """A version of the rules of behavior (the newest is the current one)."""

    __tablename__ = "genai_rules_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    version: Mapped[int] = mapped_column(Integer, unique=True, nullable=False)
    title: Mapped[str] = mapped_column(String(200), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    published_by: Mapped[str] = mapped_column(String(200), nullable=False)


class RulesAcknowledgement(Base):
    """A person acknowledged a version after re-entering their password."""

    __tablename__ = "genai_rules_acknowledgements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    version: Mapped[int] = mapped_column(Integer, nullable=False)
    acknowledged_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    method: Mapped[str] = mapped_column(String(40), nullable=False)

    __table_args__ = (UniqueConstraint("user_id", "version"),)


class AccessRequest(Base):
    """An employee asks for a tool, with a purpose; their supervisor approves or declines."""

    __tablename__ = "genai_access_requests"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    tool_id: Mapped[int] = mapped_column(ForeignKey("genai_tools.id", ondelete="CASCADE"), nullable=False)
    supervisor_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    purpose: Mapped[str] = mapped_column(Text, nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="pending")  # pending|approved|declined
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")

    tool: Mapped[Tool] = relationship()

    __table_args__ = (Index("ix_genai_access_requests_supervisor_id_status", "supervisor_id", "status"),
                      Index("ix_genai_access_requests_user_id", "user_id"))


class Grant(Base):
    """A person may use a tool until `expires_on` (the annual re-attestation) while `status` is active.
    One row per person and tool: a new approval renews it."""

    __tablename__ = "genai_grants"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    tool_id: Mapped[int] = mapped_column(ForeignKey("genai_tools.id", ondelete="CASCADE"), nullable=False)
    request_id: Mapped[int] = mapped_column(ForeignKey("genai_access_requests.id"), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="active")  # active | suspended
    granted_on: Mapped[date] = mapped_column(Date, nullable=False)
    expires_on: Mapped[date] = mapped_column(Date, nullable=False)
    suspended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    suspended_reason: Mapped[str] = mapped_column(Text, nullable=False, default="")

    tool: Mapped[Tool] = relationship()

    __table_args__ = (UniqueConstraint("user_id", "tool_id"), Index("ix_genai_grants_tool_id", "tool_id"))


class Usage(Base):
    """The gateway's count per person, tool and day: requests, blocked requests and tokens (no text)."""

    __tablename__ = "genai_usage"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), nullable=False)
    tool_id: Mapped[int] = mapped_column(ForeignKey("genai_tools.id", ondelete="CASCADE"), nullable=False)
    day: Mapped[date] = mapped_column(Date, nullable=False)
    requests: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    blocked: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    prompt_tokens: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    completion_tokens: Mapped[int] = mapped_column(Integer, nullable=False, default=0)

    __table_args__ = (UniqueConstraint("user_id", "tool_id", "day"),)
