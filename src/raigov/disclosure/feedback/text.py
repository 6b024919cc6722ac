"""Checking and masking what a sender wrote (pure). Feedback is plain text: at most MAX_CHARS characters, no
control characters (binary), no HTML tags (a clear answer, not a silent strip); personal information the GenAI
guard finds is replaced by its type before anyone on staff reads it."""

from __future__ import annotations

import re
from collections import Counter

from raigov.errors import ValidationFailed
from raigov.genai.guard.scan import detect, redact

MAX_CHARS = 4000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\ufffe\uffff]")
_TAG = re.compile(r"<\s*/?\s*[a-zA-Z][a-zA-Z0-9-]*(\s[^<>]*)?/?\s*>")
PII_WORDS = {"US_SSN": "a Social Security number", "PHONE_NUMBER": "a phone number", "EMAIL_ADDRESS": "an e-mail address",
             "PERSON": "a person's name", "CREDIT_CARD": "a card number",
             "US_PASSPORT": "a passport number",
             "STREET_ADDRESS": "a street address", "A_NUMBER": "an A-number", "IP_ADDRESS": "an IP address",
             "DATE_OF_BIRTH": "a date of birth"}


def clean(text: object) -> str:
    """The text as it will be kept, or ValidationFailed naming the field `text` and what to change."""
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8")
        except UnicodeDecodeError:
            raise ValidationFailed.one("text", "send plain text, not a file or binary data", "binary") from None
    if not isinstance(text, str):
        raise ValidationFailed.one("text", "write your feedback as text", "invalid")
    text = text.replace("\r\n", "\n").strip()
    if not text:
        raise ValidationFailed.one("text", "write your feedback before sending it", "empty")
    if _CONTROL.search(text):
        raise ValidationFailed.one("text", "send plain text only: the message holds control characters or binary data",
                                   "binary")
    if len(text) > MAX_CHARS:
        raise ValidationFailed.one("text", f"write at most {MAX_CHARS:,} characters (this message has {len(text):,})",
                                   "too_long")
    if _TAG.search(text):
        raise ValidationFailed.one("text", "remove the HTML or script tags (such as <script>): feedback is plain text",
                                   "markup")
    return text


def mask(text: str) -> tuple[str, dict[str, int]]:
    """The text with each piece of personal information the guard finds replaced by ``[TYPE]``, and how many of
    each type."""
    found = detect(text)
    if not found:
        return text, {}
    return redact(text, found, ["redact"] * len(found)), dict(Counter(f.type for f in found))


def masked_words(masked: dict[str, int]) -> list[str]:
    return [PII_WORDS.get(t, t.replace("_", " ").lower()) for t in sorted(masked)]
