"""An agency's own answer to "is this use case high-impact / rights- or safety-impacting?", read as a label.

Positive: M-25-21 ``High-impact`` or ``Presumed high-impact, but not high-impact``; M-24-10
``Rights-impacting``, ``Safety-impacting`` or ``Both``. Negative: ``Not high-impact`` / ``Neither``.
Anything else (blank, free text) is unlabelled. Used by ``benchmarks/screening_eval.py`` and the signals
report (``raigov.policy.precision``).
"""

from __future__ import annotations

from typing import Any

POS_2025 = frozenset({"high-impact", "presumed high-impact, but not high-impact"})
NEG_2025 = frozenset({"not high-impact"})
POS_2024 = frozenset({"rights-impacting", "safety-impacting", "both"})
NEG_2024 = frozenset({"neither"})

POSITIVE, NEGATIVE, UNLABELLED = "pos", "neg", "unl"


def label(answer: Any, year: int | None = None) -> str:
    """``pos``, ``neg`` or ``unl`` for an agency's answer; ``year`` (2025 or 2024) limits the answers
    read to that year's wording, None reads both."""
    if isinstance(answer, (list, tuple)):
        answer = "; ".join(map(str, answer))
    d = str(answer or "").strip().casefold()
    if year == 2025:
        pos, neg = POS_2025, NEG_2025
    elif year == 2024:
        pos, neg = POS_2024, NEG_2024
    else:
        pos, neg = POS_2025 | POS_2024, NEG_2025 | NEG_2024
    if d in pos:
        return POSITIVE
    if d in neg:
        return NEGATIVE
    return UNLABELLED
