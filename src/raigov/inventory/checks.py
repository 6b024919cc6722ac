"""Reporting checks over canonical use case values: plain language, consistency, duplicates.

Pure functions. Every result is a ``CheckResult`` naming the field and the rule:

  plain-language:acronyms     an acronym in public text with no expansion in the use case
  plain-language:readability  public text harder than the grade limit (Flesch-Kincaid grade)
  consistency:hi-practices    a deployed high-impact use case leaves practice questions empty
  consistency:hi-justification "presumed high-impact, but determined not" without a justification
  consistency:retired-reason  a retired use case gives no reason / retirement date
  consistency:practices-not-hi practice answers on a use case that is not high-impact (info)
  duplicates:near-name        two use cases of the same component with near-identical names
"""

from __future__ import annotations

import difflib
import re
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from raigov.inventory.questions import label_of
from raigov.inventory.validation import CheckResult, is_blank, validate

# Fields published to the public whose wording the plain-language checks read.
PUBLIC_TEXT = {
    "2025": ("use_case_name", "problem_solved", "benefits", "system_outputs", "HI_justification"),
    "2024": ("2_use_case_name", "11_purpose_benefits", "12_outputs"),
}
HI_PRACTICES = ("hi_testing_conducted", "hi_assessment_completed", "hi_potential_impacts",
                "hi_independent_review", "hi_ongoing_monitoring", "hi_training_established",
                "hi_failsafe_presence", "hi_appeal_process", "hi_public_consultation")
# Abbreviations a general reader knows; everything else must be spelled out once.
COMMON_ABBREVIATIONS = frozenset({
    "AI", "US", "USA", "ID", "IDS", "IT", "PDF", "URL", "FAQ", "TV", "GPS", "OK", "PM", "AM", "FY",
    "DC", "COVID", "HTML", "CSV", "API", "II", "III", "IV", "VI", "VII", "VIII", "IX", "XI", "XII",
    "UK", "EU", "UN", "NASA", "FBI", "CIA", "IRS", "PII",
})
DEFAULT_MAX_GRADE = 14.0

_ACRONYM = re.compile(r"(?<![\w&./-])([A-Z][A-Z0-9&]*[A-Z0-9](?:s)?)(?![\w&])")
_WORD = re.compile(r"[A-Za-z][A-Za-z'\u2019-]*")
_SENTENCE_END = re.compile(r"[.!?;:]+(?:\s|$)|\n+")


def _text_of(values: Mapping[str, Any], names: Iterable[str]) -> dict[str, str]:
    out = {}
    for n in names:
        v = values.get(n)
        if isinstance(v, str) and v.strip():
            out[n] = v
    return out


def _defined_acronyms(texts: Iterable[str]) -> set[str]:
    """Acronyms given an expansion anywhere: ``Long Name (LN)`` or ``LN (Long Name)``."""
    defined: set[str] = set()
    for t in texts:
        for m in re.finditer(r"\(([A-Z][A-Za-z0-9&]*[A-Z0-9]s?)\)", t):
            defined.add(m.group(1).rstrip("s") if m.group(1).endswith("s") and m.group(1)[:-1].isupper()
                        else m.group(1))
        for m in re.finditer(r"\b([A-Z][A-Z0-9&]*[A-Z0-9])\s*\(([a-z][^)]{3,})\)", t, flags=re.IGNORECASE):
            if m.group(1).isupper():
                defined.add(m.group(1))
    return defined


def find_acronyms(text: str) -> list[str]:
    found = []
    for m in _ACRONYM.finditer(text):
        a = m.group(1)
        base = a[:-1] if a.endswith("s") and a[:-1].isupper() else a
        if len(base) >= 2 and base.isupper() and base not in found:
            found.append(base)
    return found


def check_acronyms(values: Mapping[str, Any], schema: str = "2025",
                   known: Iterable[str] = ()) -> list[CheckResult]:
    texts = _text_of(values, PUBLIC_TEXT.get(schema, ()))
    defined = _defined_acronyms(texts.values()) | COMMON_ABBREVIATIONS | set(known)
    out = []
    for name, t in texts.items():
        missing = [a for a in find_acronyms(t) if a not in defined]
        if missing:
            out.append(CheckResult(
                name, "plain-language:acronyms", "warning",
                f"“{label_of(name, schema)}” uses {', '.join(missing)} without spelling {'it' if len(missing) == 1 else 'them'} "
                "out (write the words in full once, with the acronym in brackets)",
                {"acronyms": missing}))
    return out


def count_syllables(word: str) -> int:
    w = word.lower().strip("'\u2019-")
    if not w:
        return 0
    if len(w) <= 3:
        return 1
    w = re.sub(r"(?:es|ed|e)$", "", w) or w
    groups = re.findall(r"[aeiouy]+", w)
    return max(1, len(groups))


def readability(text: str) -> dict[str, float]:
    """Flesch reading ease and Flesch-Kincaid grade of a text (ASCII-English heuristic)."""
    words = _WORD.findall(text)
    n_words = len(words)
    if n_words == 0:
        return {"words": 0, "sentences": 0, "flesch_reading_ease": 100.0, "fk_grade": 0.0}
    sentences = max(1, len([s for s in _SENTENCE_END.split(text) if _WORD.search(s or "")]))
    syllables = sum(count_syllables(w) for w in words)
    wps = n_words / sentences
    spw = syllables / n_words
    return {
        "words": n_words,
        "sentences": sentences,
        "flesch_reading_ease": round(206.835 - 1.015 * wps - 84.6 * spw, 1),
        "fk_grade": round(0.39 * wps + 11.8 * spw - 15.59, 1),
    }


def check_readability(values: Mapping[str, Any], schema: str = "2025",
                      max_grade: float = DEFAULT_MAX_GRADE, min_words: int = 12) -> list[CheckResult]:
    out = []
    for name, t in _text_of(values, PUBLIC_TEXT.get(schema, ())).items():
        r = readability(t)
        if r["words"] >= min_words and r["fk_grade"] > max_grade:
            out.append(CheckResult(
                name, "plain-language:readability", "warning",
                f"“{label_of(name, schema)}” reads at grade {r['fk_grade']:g} (Flesch-Kincaid); aim for grade {max_grade:g} "
                "or lower: shorter sentences, plainer words", r))
    return out


def check_consistency(values: Mapping[str, Any], schema: str = "2025") -> list[CheckResult]:
    out: list[CheckResult] = []
    if schema == "2025":
        stage, hi = values.get("development_stage"), values.get("is_high_impact")
        if hi == "High-impact" and stage == "Deployed":
            empty = [f for f in HI_PRACTICES if is_blank(values.get(f))]
            for f in empty:
                out.append(CheckResult(
                    f, "consistency:hi-practices", "error",
                    f"a deployed high-impact use case must answer “{label_of(f, schema)}” (M-25-21 §4(b) minimum practices)"))
        if hi == "Presumed High-Impact, but Not High-impact" and is_blank(values.get("HI_justification")):
            out.append(CheckResult(
                "HI_justification", "consistency:hi-justification", "error",
                "a use case presumed high-impact but determined not high-impact must give the justification"))
        if hi in ("Not High-impact", "Presumed High-Impact, but Not High-impact"):
            answered = [f for f in HI_PRACTICES if not is_blank(values.get(f))]
            if answered:
                out.append(CheckResult(
                    None, "consistency:practices-not-hi", "info",
                    "practice questions answered on a use case that is not high-impact: "
                    + "; ".join(f"“{label_of(f, schema)}”" for f in answered),
                    {"fields": answered}))
        if stage == "Retired" and is_blank(values.get("retirement_reason")):
            out.append(CheckResult(
                "retirement_reason", "consistency:retired-reason", "warning",
                "a retired use case should say why it was retired (retire it with a written reason; OMB's 2025 "
                "form has no such column)"))
    elif schema == "2024":
        stage, impact = values.get("16_dev_stage"), values.get("17_impact_type")
        if stage == "Retired" and is_blank(values.get("21_date_retired")):
            out.append(CheckResult("21_date_retired", "consistency:retired-reason", "warning",
                                   "a retired use case should give its retirement date"))
        if impact in ("Rights-Impacting", "Safety-Impacting", "Both") and stage in (
                "Implementation and Assessment", "Operation and Maintenance"):
            for f in ("52_impact_assessment", "53_real_world_testing", "55_independent_eval",
                      "56_monitor_postdeploy"):
                if is_blank(values.get(f)) and values.get("51_extension_request") != "Yes":
                    out.append(CheckResult(f, "consistency:hi-practices", "error",
                                           f"a deployed rights- or safety-impacting use case must answer “{label_of(f, schema)}” "
                                           "(M-24-10 §5(c)(iv))"))
    return out


def check_use_case(values: Mapping[str, Any], schema: str = "2025", *, max_grade: float = DEFAULT_MAX_GRADE,
                   known_acronyms: Iterable[str] = ()) -> list[CheckResult]:
    """Every single-use-case check: required fields, valid answers, consistency, plain language."""
    return (validate(values, schema) + check_consistency(values, schema)
            + check_acronyms(values, schema, known_acronyms) + check_readability(values, schema, max_grade))


# ---------------------------------------------------------------------------------------------
# Duplicates across use cases
# ---------------------------------------------------------------------------------------------

_NON_WORD = re.compile(r"[\W_]+", re.UNICODE)


def _norm(name: str) -> str:
    return _NON_WORD.sub(" ", (name or "").casefold()).strip()


def duplicate_candidates(rows: Sequence[Mapping[str, Any]], schema: str = "2025",
                         threshold: float = 0.88) -> list[CheckResult]:
    """Pairs of use cases of the same agency and component whose names are near-identical.

    ``rows``: canonical value mappings. Result detail: indexes ``a``/``b`` into ``rows`` and the
    similarity (difflib ratio of the normalised names, 1.0 = same name)."""
    if schema == "2024":
        name_f, agency_f, comp_f = "2_use_case_name", "3_abr", "4_bureau"
    else:
        name_f, agency_f, comp_f = "use_case_name", "agency", "agency_bureau"
    groups: dict[tuple[str, str], list[tuple[int, str]]] = defaultdict(list)
    for i, v in enumerate(rows):
        n = _norm(str(v.get(name_f) or ""))
        if n:
            groups[(_norm(str(v.get(agency_f) or "")), _norm(str(v.get(comp_f) or "")))].append((i, n))
    out = []
    for (_agency, comp), items in groups.items():
        items.sort(key=lambda t: t[1])
        for x in range(len(items)):
            i, a = items[x]
            sm = difflib.SequenceMatcher(None, a, autojunk=False)
            for y in range(x + 1, len(items)):
                j, b = items[y]
                if a == b:
                    score = 1.0
                else:
                    if min(len(a), len(b)) / max(len(a), len(b)) < threshold:
                        continue
                    sm.set_seq2(b)
                    if sm.real_quick_ratio() < threshold or sm.quick_ratio() < threshold:
                        continue
                    score = sm.ratio()
                    if score < threshold:
                        continue
                i2, j2 = min(i, j), max(i, j)
                out.append(CheckResult(
                    name_f, "duplicates:near-name", "warning",
                    f"rows {i2 + 1} and {j2 + 1} of component {comp or '(none)'} have near-identical names "
                    f"({score:.2f})", {"a": i2, "b": j2, "similarity": round(score, 3)}))
    out.sort(key=lambda r: (r.detail["a"], r.detail["b"]))
    return out
