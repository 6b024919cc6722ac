"""The dataset registry's tables: a dataset's data card, its versions (SHA-256 of the file, which is not
kept), and its links to use cases (training, testing, operation). Written only by
:mod:`raigov.datasets.service`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from raigov.db.base import Base, JSONType, UTCDateTime, utcnow


class Dataset(Base):
    """A data card. `component` is the owning component's code (None: the department's own)."""

    __tablename__ = "datasets"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    component: Mapped[str | None] = mapped_column(String(20), nullable=True)
    owner: Mapped[str] = mapped_column(String(200), nullable=False)
    source: Mapped[str] = mapped_column(Text, nullable=False)
    provenance: Mapped[str] = mapped_column(Text, nullable=False, default="")
    collection_method: Mapped[str] = mapped_column(Text, nullable=False, default="")
    starts_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    pii: Mapped[bool] = mapped_column(Boolean, nullable=False, default=False)
    protected_characteristics: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    pta: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    pia: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    sorn: Mapped[str] = mapped_column(String(200), nullable=False, default="")
    retention: Mapped[str] = mapped_column(Text, nullable=False, default="")
    quality_notes: Mapped[str] = mapped_column(Text, nullable=False, default="")
    known_limits: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)


class DatasetVersion(Base):
    __tablename__ = "dataset_versions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False)
    label: Mapped[str] = mapped_column(String(60), nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False, index=True)
    filename: Mapped[str] = mapped_column(String(300), nullable=False, default="")
    size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)

    __table_args__ = (UniqueConstraint("dataset_id", "label"),)


class DatasetUseCase(Base):
    __tablename__ = "dataset_use_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dataset_id: Mapped[int] = mapped_column(ForeignKey("datasets.id", ondelete="CASCADE"), nullable=False)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id", ondelete="CASCADE"), nullable=False)
    purpose: Mapped[str] = mapped_column(String(12), nullable=False)  # training | testing | operation

    __table_args__ = (UniqueConstraint("dataset_id", "use_case_id", "purpose"),
                      Index("ix_dataset_use_cases_use_case_id", "use_case_id"))
