"""Data call tables: the annual reporting cycle and the component AI leads' certifications. Written only
by ``raigov.datacall.cycles``; a certification is never updated (a re-certification is a new row)."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from raigov.db.base import Base, JSONType, UTCDateTime, utcnow
from raigov.governance.vocab import CycleStatus


class ReportingCycle(Base):
    """The annual inventory data call: opened by the CAIO, certified per component, then as a whole."""

    __tablename__ = "reporting_cycles"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    year: Mapped[int] = mapped_column(Integer, nullable=False, unique=True)
    title: Mapped[str] = mapped_column(String(300), nullable=False)
    due_on: Mapped[date] = mapped_column(Date, nullable=False)
    status: Mapped[str] = mapped_column(String(12), nullable=False, default=CycleStatus.OPEN.value)  # open | certified
    opened_by: Mapped[str] = mapped_column(String(200), nullable=False)
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    certified_by: Mapped[str | None] = mapped_column(String(200), nullable=True)
    certified_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    snapshot_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the full file's SHA-256
    snapshot_path: Mapped[str | None] = mapped_column(String(500), nullable=True)  # under the data directory
    snapshot_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    # the snapshot's files as certified (0006): names inside snapshot_path, sizes and hashes. The public pages
    # serve the public file only when its bytes match public_sha256 and public_sha256 matches the audit event.
    # Sizes and the manifest's hash are None for cycles certified before 0006 (the audit event lacks them).
    snapshot_file: Mapped[str | None] = mapped_column(String(300), nullable=True)
    snapshot_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    public_file: Mapped[str | None] = mapped_column(String(300), nullable=True)
    public_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    public_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    public_count: Mapped[int | None] = mapped_column(Integer, nullable=True)
    manifest_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # beside the exact public file (0008): a spreadsheet-safe copy (cells starting with = + - @ tab CR prefixed
    # with ') and an XLSX of the same rows, each with its own hash. None for cycles certified before 0008.
    public_safe_file: Mapped[str | None] = mapped_column(String(300), nullable=True)
    public_safe_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    public_safe_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    public_xlsx_file: Mapped[str | None] = mapped_column(String(300), nullable=True)
    public_xlsx_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    public_xlsx_size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    version: Mapped[int] = mapped_column(Integer, nullable=False, default=1)

    certifications: Mapped[list[ComponentCertification]] = relationship(
        back_populates="cycle", order_by="ComponentCertification.id")


class ComponentCertification(Base):
    """A component AI lead's certification of the component's use cases for a cycle; never updated
    (a re-certification is a new row)."""

    __tablename__ = "component_certifications"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("reporting_cycles.id", ondelete="CASCADE"), nullable=False)
    component: Mapped[str] = mapped_column(String(20), nullable=False)
    use_case_count: Mapped[int] = mapped_column(Integer, nullable=False)
    content_sha256: Mapped[str] = mapped_column(String(64), nullable=False)  # of the certified rows
    explanations: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)  # check key -> explanation
    statement: Mapped[str] = mapped_column(Text, nullable=False)
    certified_by: Mapped[str] = mapped_column(String(200), nullable=False)
    certified_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    cycle: Mapped[ReportingCycle] = relationship(back_populates="certifications")

    __table_args__ = (Index("ix_component_certifications_cycle", "cycle_id", "component"),)


class CheckExplanation(Base):
    """A component AI lead's written explanation of one failing reporting check, saved before the component is
    certified (explained once for a chosen set of use cases on the certification page). Keyed by the check
    (``DHS-0123:rule:field``); saving again replaces the text. A certification copies the explanations of the
    checks failing at that moment into its own row."""

    __tablename__ = "datacall_explanations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    cycle_id: Mapped[int] = mapped_column(ForeignKey("reporting_cycles.id", ondelete="CASCADE"), nullable=False)
    component: Mapped[str] = mapped_column(String(20), nullable=False)
    check_key: Mapped[str] = mapped_column(String(300), nullable=False)
    text: Mapped[str] = mapped_column(Text, nullable=False)
    explained_by: Mapped[str] = mapped_column(String(200), nullable=False)
    explained_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("cycle_id", "check_key"),
                      Index("ix_datacall_explanations_cycle", "cycle_id", "component"))
