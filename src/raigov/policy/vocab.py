"""Policy's vocabularies. StrEnums: a member is the very string stored."""

from __future__ import annotations

from enum import StrEnum


class DeterminationStatus(StrEnum):
    IN_FORCE = "in_force"
    AWAITING_CAIO = "awaiting_caio"  # a delegate's "presumed not high-impact" waits for the CAIO
