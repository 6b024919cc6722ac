"""The T&E runs table: one row per evaluation run started from the web page or the CLI (``--attach``).

Written only by :mod:`raigov.evaluation.service`. A run keeps its parameters, the input file's name,
SHA-256 and row count, the result dict (the same one ``raigov eval ... --json`` prints), the pass/fail
outcome of the criteria and, when a report was stored as evidence, the evidence row of the PDF.
A run that failed on bad input is kept too, with its error message.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from raigov.db.base import Base, JSONType, UTCDateTime, utcnow
from raigov.evaluation.vocab import RunKind, RunStatus

RUN_KINDS = tuple(RunKind)
RUN_STATUSES = tuple(RunStatus)
OUTCOMES = ("pass", "fail", "none")


class EvaluationRun(Base):
    __tablename__ = "evaluation_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    use_case_id: Mapped[int | None] = mapped_column(ForeignKey("use_cases.id", ondelete="SET NULL"), nullable=True)
    kind: Mapped[str] = mapped_column(String(20), nullable=False)  # classifier | biometric
    status: Mapped[str] = mapped_column(String(12), nullable=False, default="running")  # running | done | failed
    parameters: Mapped[dict] = mapped_column(JSONType, nullable=False, default=dict)
    input_filename: Mapped[str] = mapped_column(String(300), nullable=False)
    input_sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    input_rows: Mapped[int | None] = mapped_column(Integer, nullable=True)
    result: Mapped[dict | None] = mapped_column(JSONType, nullable=True)
    outcome: Mapped[str] = mapped_column(String(8), nullable=False, default="none")  # pass | fail | none
    criteria: Mapped[list] = mapped_column(JSONType, nullable=False, default=list)  # [{name, limit, value, passed}]
    report_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)  # the PDF in the evidence store
    report_pdf_evidence_id: Mapped[int | None] = mapped_column(ForeignKey("evidence.id"), nullable=True)
    created_by: Mapped[str] = mapped_column(String(200), nullable=False)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"), nullable=True)
    component: Mapped[str | None] = mapped_column(String(20), nullable=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, nullable=False, default=utcnow)
    finished_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)

    __table_args__ = (Index("ix_evaluation_runs_created_at", "created_at"),
                      Index("ix_evaluation_runs_use_case_id", "use_case_id"),
                      Index("ix_evaluation_runs_input_sha256", "input_sha256"))
