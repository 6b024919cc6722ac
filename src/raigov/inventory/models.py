"""Inventory tables: use cases and their immutable revisions.

A use case row carries what lists, filters and search need (denormalised from its current revision);
the revisions carry every answer as given. Every edit or import that changes a use case adds a
revision: who, when, why, from where.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship, validates

from raigov.db.base import Base, JSONType, UTCDateTime, utcnow
from raigov.inventory.sorting import natural_key


class UseCase(Base):
    __tablename__ = "use_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    business_id: Mapped[str] = mapped_column(String(120), unique=True, nullable=False)  # DHS-0123
    # the id as it sorts for people: DHS-14 before DHS-101 (inventory/sorting.py), kept by `_sort_key` below
    id_sort: Mapped[str] = mapped_column(String(400), nullable=False, default="")
    id_key: Mapped[str | None] = mapped_column(String(300), unique=True, nullable=True)  # id:DHS-2705
    name_key: Mapped[str] = mapped_column(String(400), nullable=False)  # name:DHS:normalised name
    agency: Mapped[str] = mapped_column(String(200), nullable=False)  # code, or the name where a file gives no code
    org_unit_id: Mapped[int | None] = mapped_column(ForeignKey("org_units.id"), nullable=True)
    office: Mapped[str | None] = mapped_column(String(300), nullable=True)
    name: Mapped[str] = mapped_column(String(500), nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="active")  # draft | active | retired
    stage: Mapped[str | None] = mapped_column(String(200), nullable=True)
    impact: Mapped[str | None] = mapped_column(String(200), nullable=True)  # the agency's answer, as recorded
    topic: Mapped[str | None] = mapped_column(String(200), nullable=True)
    is_cots: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_face_recognition: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    is_genai: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    retirement_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    search_text: Mapped[str] = mapped_column(Text, nullable=False, default="")
    revision_count: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    org_unit = relationship("OrgUnit")
    revisions: Mapped[list[UseCaseRevision]] = relationship(
        back_populates="use_case", order_by="UseCaseRevision.number", cascade="all, delete-orphan"
    )
    people: Mapped[list[UseCasePerson]] = relationship(back_populates="use_case", cascade="all, delete-orphan")

    __table_args__ = (
        Index("ix_use_cases_name_key", "name_key"),
        Index("ix_use_cases_org_unit_id", "org_unit_id"),
        Index("ix_use_cases_agency_status", "agency", "status"),
        Index("ix_use_cases_stage", "stage"),
        Index("ix_use_cases_impact", "impact"),
        Index("ix_use_cases_updated_at", "updated_at"),
        Index("ix_use_cases_id_sort", "id_sort"),
    )

    @validates("business_id")
    def _sort_key(self, _key: str, value: str) -> str:
        self.id_sort = natural_key(value)
        return value


class UseCaseRevision(Base):
    __tablename__ = "use_case_revisions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id", ondelete="CASCADE"), nullable=False)
    number: Mapped[int] = mapped_column(Integer, nullable=False)
    schema: Mapped[str] = mapped_column(String(12), nullable=False)  # catalogue schema: 2025 | 2024 | 2023 | cots-2025
    values: Mapped[dict] = mapped_column(JSONType, nullable=False)  # canonical field -> value (dates ISO)
    raw: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)  # raw text where normalised
    extra: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)  # columns not in the catalogue
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    source: Mapped[str] = mapped_column(String(300), nullable=False)  # edit | import:<file>#<sha256>:<row>
    source_form: Mapped[str | None] = mapped_column(String(30), nullable=True)  # form of the file it came from
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)

    use_case: Mapped[UseCase] = relationship(back_populates="revisions")

    __table_args__ = (UniqueConstraint("use_case_id", "number"),)


class UseCasePerson(Base):
    """Owners and development team of a use case. Members of the development team may not act as
    its independent reviewers (M-25-21 §4(b)(ii)(F))."""

    __tablename__ = "use_case_people"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id", ondelete="CASCADE"), nullable=False)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), nullable=False)
    role: Mapped[str] = mapped_column(String(20), nullable=False)  # owner | developer

    use_case: Mapped[UseCase] = relationship(back_populates="people")
    user = relationship("User")

    __table_args__ = (UniqueConstraint("use_case_id", "user_id", "role"),)
