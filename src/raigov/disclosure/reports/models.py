"""The accountability reports' tables: every generated file (kind, year, format, SHA-256, where it is kept) and the
compliance plan's sections as the CAIO's office edited them, per year, until it is finalised."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from raigov.db.base import Base, JSONType, UTCDateTime, utcnow


class ReportFile(Base):
    """One generated report file. `data_sha256` is ``sha256_json`` of the figures it was built from (the same
    figures give the same hash in every format); the file itself is under the data directory, named by its
    SHA-256."""

    __tablename__ = "accountability_reports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(30), nullable=False)  # fr-fc | compliance-plan | inventory-summary
    year: Mapped[int] = mapped_column(Integer, nullable=False)
    fmt: Mapped[str] = mapped_column(String(8), nullable=False)  # html | pdf | docx
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    size: Mapped[int] = mapped_column(Integer, nullable=False)
    data_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    final: Mapped[bool] = mapped_column(nullable=False, default=False)  # built from a finalised compliance plan
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (Index("ix_accountability_reports_kind_year", "kind", "year"),)


class CompliancePlan(Base):
    """The M-25-21 compliance plan of a year: the sections the CAIO's office wrote over the platform's draft
    (section key -> text; a section not edited is the draft's), until it is finalised."""

    __tablename__ = "compliance_plans"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    sections: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="draft")  # draft | final
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    finalised_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    finalised_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
