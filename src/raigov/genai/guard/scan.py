"""The guard's pure entry point: run every detector over a prompt, settle overlapping findings, apply the
policy and redact. No database, no I/O beyond the packaged data.

The result is the contract of docs/genai.md::

    {"decision": "allow" | "redact" | "block",
     "findings": [{"type", "start", "end", "rule", "confidence"}],   # code points, end exclusive
     "redacted": "...",
     ...}                                                             # plus "tool", "data_class", "reasons"
"""

from __future__ import annotations

from collections import Counter
from operator import attrgetter

from raigov.errors import FieldError, PayloadTooLarge, ValidationFailed
from raigov.genai.guard import contact, identifiers, markings, names
from raigov.genai.guard.engine import Doc, Finding, rx
from raigov.genai.guard.policy import ACTIONS, DEFAULT_CLASS, Policy, default_policy

DETECTORS = markings.DETECTORS + identifiers.DETECTORS + contact.DETECTORS + names.DETECTORS
DEFAULT_MAX_CHARS = 200_000
_BINARY = rx(r"[\x00-\x08\x0e-\x1f\x7f\x{fffe}\x{ffff}]", prefilter=False)  # control characters other than tab and line breaks

# When two findings overlap, the higher tier wins, then the higher confidence, then the longer span.
_TIER = {"CLASSIFICATION_MARKING": 5, "CUI_MARKING": 5, "LEGACY_MARKING": 5, "STREET_ADDRESS": 2, "PERSON": 1,
         "EMAIL_ADDRESS": 3, "IP_ADDRESS": 3, "DATE_OF_BIRTH": 3, "PHONE_NUMBER": 2.5}
_IDENTIFIER_TIER = 4


def detect(text: str) -> list[Finding]:
    """Every finding of every detector, overlaps settled (see _TIER), in order of position."""
    doc = Doc(text)
    found = [f for det in DETECTORS for f in det(doc)]
    found.sort(key=_BY_SPAN)
    kept: list[Finding] = []
    i, n = 0, len(found)
    while i < n:  # clusters of findings that overlap one another; most findings overlap none
        j, end = i + 1, found[i].end
        while j < n and found[j].start < end:
            end = max(end, found[j].end)
            j += 1
        if j == i + 1:
            kept.append(found[i])
        else:
            kept.extend(_settle(found[i:j]))
        i = j
    return kept


_BY_SPAN = attrgetter("start", "end")


def _settle(cluster: list[Finding]) -> list[Finding]:
    """The findings of one cluster that overlap each other: the higher tier wins, then the higher confidence,
    then the longer span; in order of position."""
    lo = cluster[0].start
    cluster = sorted(cluster, key=lambda f: (-_TIER.get(f.type, _IDENTIFIER_TIER), -f.confidence, f.start - f.end,
                                             f.start))
    kept: list[Finding] = []
    taken = bytearray(max(f.end for f in cluster) - lo)  # 1 where a kept finding lies: linear in their length
    for f in cluster:
        if 1 not in taken[f.start - lo:f.end - lo]:
            taken[f.start - lo:f.end - lo] = b"\x01" * (f.end - f.start)
            kept.append(f)
    kept.sort(key=_BY_SPAN)
    return kept


def check_text(text: object, max_chars: int = DEFAULT_MAX_CHARS) -> str:
    """The prompt as text, or a clear error: not text, empty, holding NUL or other control characters
    (binary), or over `max_chars` code points (413: refused, never truncated)."""
    if not isinstance(text, str):
        raise ValidationFailed.one("text", "must be a string")
    if not text or text.isspace():
        raise ValidationFailed.one("text", "is empty", "empty")
    if len(text) > max_chars:
        raise PayloadTooLarge(f"text: the prompt has {len(text):,} characters; the limit is {max_chars:,}. "
                              "Split it; it is never truncated.",
                              errors=[_field("text", f"over the limit of {max_chars} characters", "too_large")])
    if _BINARY.search(text):
        bad = next(i for i, c in enumerate(text) if _BINARY.search(c))
        raise ValidationFailed.one("text", f"holds a control character (U+{ord(text[bad]):04X}) at position {bad}: "
                                   "binary data is not a prompt", "binary")
    return text


def _field(name, message, code):

    return FieldError(name, message, code)


def redact(text: str, findings: list[Finding], actions: list[str]) -> str:
    """`text` with each finding whose action is not "allow" replaced by ``[TYPE]``."""
    parts, pos = [], 0
    for f, act in zip(findings, actions):
        if act == "allow":
            continue
        parts.append(text[pos:f.start])
        parts.append(f"[{f.type}]")
        pos = f.end
    parts.append(text[pos:])
    return "".join(parts)


def screen_text(text: str, tool_id: str | None = None, *, policy: Policy | None = None,
                max_chars: int = DEFAULT_MAX_CHARS, data_class: str | None = None) -> dict:
    """Screen one prompt for a tool cleared for `data_class` (None: the strictest class, "public"): the
    decision, the findings, the redacted text, and why (each type found, how often, and the action the policy
    gives it). `tool_id` is only named in the answer: the tool catalog (genai/catalog.py) knows the tools and
    their classes, and its callers look the class up there."""
    policy = policy or default_policy()
    data_class = data_class or DEFAULT_CLASS
    if data_class not in policy.classes:
        raise ValidationFailed.one("data_class", f"unknown data class {data_class!r}; classes: {', '.join(policy.classes)}")
    text = check_text(text, max_chars)
    findings = [f for f in detect(text) if f.confidence >= policy.min_confidence]
    counts = Counter(f.type for f in findings)
    by_type = {ty: policy.action(data_class, ty) for ty in counts}
    actions = [by_type[f.type] for f in findings]
    decision = max(by_type.values(), key=ACTIONS.index, default="allow")
    reasons = [{"type": ty, "count": n, "action": by_type[ty]} for ty, n in sorted(counts.items())]
    return {
        "decision": decision,
        "findings": [f.as_dict() for f in findings],
        "redacted": redact(text, findings, actions),
        "tool": tool_id,
        "data_class": data_class,
        "reasons": reasons,
        "policy_version": policy.version,
    }
