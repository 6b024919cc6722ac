"""What the gate reads of a use case's oversight settings: the protected characteristics its model takes as
inputs that no CRCL-approved justification covers. Light (the gate imports it): models only."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.oversight.models import UseCaseOversight


def unjustified(declared: list[str], justified: list[str]) -> list[str]:
    """The declared characteristics the approved justification does not cover, in declared order. Pure."""
    covered = set(justified)
    return [c for c in declared if c not in covered]


def protected_unjustified(session: Session, use_case_id: int) -> list[str]:
    row = session.execute(select(UseCaseOversight.protected_inputs, UseCaseOversight.justified_inputs)
                          .where(UseCaseOversight.use_case_id == use_case_id)).first()
    return unjustified(list(row[0] or []), list(row[1] or [])) if row is not None else []
