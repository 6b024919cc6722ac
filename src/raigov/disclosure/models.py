"""The disclosure tables: what the CAIO's office withholds from the public inventory (a whole use case, or
one answer of it, each with a reason code of reasons.yaml), and each build of the public site (its files'
Merkle root and the audit event that carries it)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from raigov.db.base import Base, UTCDateTime, utcnow

WHOLE = ""  # the `field` of a withholding of the whole use case


class Withholding(Base):
    __tablename__ = "disclosure_withholdings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int] = mapped_column(ForeignKey("use_cases.id", ondelete="CASCADE"), nullable=False)
    field: Mapped[str] = mapped_column(String(80), nullable=False, default=WHOLE)  # "" : the whole use case
    reason: Mapped[str] = mapped_column(String(40), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)

    __table_args__ = (UniqueConstraint("use_case_id", "field"),)


class SiteBuild(Base):
    """One build of the public site (``raigov public build``): its files are listed in `manifest`
    (DATA_DIR/public/<id>/manifest.json, with this SHA-256), and their Merkle root is in audit event
    `event_seq` (action disclosure.site.publish)."""

    __tablename__ = "disclosure_site_builds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    directory: Mapped[str] = mapped_column(String(200), nullable=False)
    files: Mapped[int] = mapped_column(Integer, nullable=False)
    merkle_root: Mapped[str] = mapped_column(String(64), nullable=False)
    manifest_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    event_seq: Mapped[int] = mapped_column(Integer, nullable=False)
    built_by: Mapped[str] = mapped_column(String(200), nullable=False)
    built_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
