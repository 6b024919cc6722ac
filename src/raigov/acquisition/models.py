"""The acquisition tables: vendors, solicitations and contracts (``number`` unique), the use cases each serves,
and the state of each AI contract requirement (requirements.yaml) per contract. Written only by
:mod:`raigov.acquisition.service`."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from raigov.db.base import Base, JSONType, UTCDateTime, utcnow


class Vendor(Base):
    __tablename__ = "acq_vendors"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), nullable=False, unique=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)


class Contract(Base):
    """A solicitation (not yet awarded) or a contract. `component` is the owning component's code (None: the
    department's own); `option_dates` the ISO dates by which each option must be exercised."""

    __tablename__ = "acq_contracts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(60), nullable=False, unique=True)
    kind: Mapped[str] = mapped_column(String(12), nullable=False)  # solicitation | contract
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    vendor_id: Mapped[int | None] = mapped_column(ForeignKey("acq_vendors.id"), nullable=True)
    component: Mapped[str | None] = mapped_column(String(20), nullable=True)
    awarded_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    starts_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    ends_on: Mapped[date | None] = mapped_column(Date, nullable=True)
    option_dates: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)


class ContractUseCase(Base):
    __tablename__ = "acq_contract_use_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("acq_contracts.id", ondelete="CASCADE"), nullable=False)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id", ondelete="CASCADE"), nullable=False)

    # the gate reads a use case's contracts by use_case_id
    __table_args__ = (UniqueConstraint("contract_id", "use_case_id"),
                      Index("ix_acq_contract_use_cases_use_case_id", "use_case_id"))


class ContractRequirement(Base):
    """One AI contract requirement of one contract: met (with the clause or evidence), missing, or waived
    (with the reason and who waived it)."""

    __tablename__ = "acq_contract_requirements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    contract_id: Mapped[int] = mapped_column(ForeignKey("acq_contracts.id", ondelete="CASCADE"), nullable=False)
    requirement: Mapped[str] = mapped_column(String(60), nullable=False)
    status: Mapped[str] = mapped_column(String(10), nullable=False, default="missing")  # met | missing | waived
    clause: Mapped[str] = mapped_column(Text, nullable=False, default="")  # met: the clause or evidence
    reason: Mapped[str] = mapped_column(Text, nullable=False, default="")  # waived: why
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    updated_by: Mapped[str] = mapped_column(String(200), nullable=False)

    __table_args__ = (UniqueConstraint("contract_id", "requirement"),)
