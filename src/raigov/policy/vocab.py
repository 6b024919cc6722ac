"""Policy's vocabularies. StrEnums: a member is the very string stored."""

from __future__ import annotations

from enum import StrEnum


class DeterminationStatus(StrEnum):
    IN_FORCE = "in_force"
    AWAITING_CAIO = "awaiting_caio"  # a delegate's "presumed not high-impact" waits for the CAIO


# One wording per determination, used wherever a person reads one (the use case and governance pages, the
# dashboard, the gate's reasons, the determination form). The stored value is the key.
DETERMINATION_WORDS: dict[str, str] = {
    "high-impact": "High-impact",
    "presumed-not-high-impact": "Presumed high-impact, but determined not high-impact",
    "not-high-impact": "Not high-impact",
    "rights-impacting": "Rights-impacting",
    "safety-impacting": "Safety-impacting",
    "both": "Rights- and safety-impacting",
    "neither": "Neither rights- nor safety-impacting",
}


def determination_words(decision: str | None) -> str:
    """The words for a stored determination ('no determination yet' for None)."""
    if not decision:
        return "No determination yet"
    return DETERMINATION_WORDS.get(decision, decision.replace("-", " ").capitalize())
