"""The guard's regex engine and the shape of a finding.

Every pattern of the guard is compiled with RE2 (``google-re2``, BSD-3-Clause, from PyPI): its matching
time is linear in the input whatever the pattern, so no prompt can make a detector backtrack
(docs/genai.md, "Limits"). RE2 has no look-around and no back-references; the detectors check what those
would have checked in Python, on the (short) matched text.

:class:`Doc` holds one prompt: its UTF-8 bytes are made once and every pattern runs on them through RE2's
own ``Match`` (the package's ``finditer`` re-encodes the text and builds a match object per hit, which
costs more than the matching); byte offsets are turned back into code points through the runs of non-ASCII
characters, found once per prompt. Context words
are found once per prompt and pattern, then looked up by position.

Offsets are code points into the prompt (Python ``str`` indices), end exclusive.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from dataclasses import dataclass

import re2

_RE2 = re2._re2  # the C++ binding the package wraps: Match(anchor, bytes, pos, endpos) -> spans
_UNANCHORED = _RE2.RE2.Anchor.UNANCHORED
_OPTIONS = re2.Options()
_OPTIONS.max_mem = 64 << 20  # the DFA cache per pattern; a big alternation needs more than the 8 MB default


class Pattern:
    """A compiled RE2 pattern (raises on a construct RE2 refuses, at import: never silently slower)."""

    __slots__ = ("match", "pattern")

    def __init__(self, pattern: str):
        self.pattern = pattern
        compiled = re2.compile(pattern, _OPTIONS)
        self.match = compiled._regexp.Match

    def search(self, text: str) -> bool:
        """Does the pattern occur in `text` (a short string: a window, a line)?"""
        b = text.encode("utf-8", "surrogatepass")
        return self.match(_UNANCHORED, b, 0, len(b))[0][0] >= 0

    def find_end(self, text: str) -> int:
        """The end (in code points) of the first hit in `text`, 0 when there is none."""
        b = text.encode("utf-8", "surrogatepass")
        s, e = self.match(_UNANCHORED, b, 0, len(b))[0]
        return 0 if s < 0 else len(b[:e].decode("utf-8", "surrogatepass"))


def rx(pattern: str) -> Pattern:
    return Pattern(pattern)


_NON_ASCII = Pattern(r"[^\x00-\x7f]+")


class Doc:
    """One prompt, ready for the detectors: ``find(pattern)`` gives every (start, end) hit in code points;
    ``near(pattern, start, end)`` tells whether a context word is close to a span."""

    __slots__ = ("_ctx", "_wide", "ascii", "raw", "text")

    def __init__(self, text: str):
        self.text = text
        self.raw = text.encode("utf-8", "surrogatepass")
        self.ascii = len(self.raw) == len(text)
        self._ctx: dict[Pattern, tuple[list[int], list[int]]] = {}
        self._wide: tuple[list[int], list[int]] | None = None

    def _extra(self) -> tuple[list[int], list[int]]:
        """For a text with non-ASCII characters: the byte end of each run of them, and the bytes beyond one
        per character up to that end (one RE2 pass, one decode per run)."""
        if self._wide is None:
            ends, extra, total = [], [], 0
            for s, e in self._find_bytes(_NON_ASCII):
                total += (e - s) - len(self.raw[s:e].decode("utf-8", "surrogatepass"))
                ends.append(e)
                extra.append(total)
            self._wide = (ends, extra)
        return self._wide

    def _char(self, off: int) -> int:
        ends, extra = self._extra()
        i = bisect_right(ends, off)
        return off - (extra[i - 1] if i else 0)

    def _find_bytes(self, pattern: Pattern) -> list[tuple[int, int]]:
        match, raw, n = pattern.match, self.raw, len(self.raw)
        out, pos = [], 0
        while pos <= n:
            s, e = match(_UNANCHORED, raw, pos, n)[0]
            if s < 0:
                break
            out.append((s, e))
            pos = e if e > s else e + 1
        return out

    def find(self, pattern: Pattern) -> list[tuple[int, int]]:
        out = self._find_bytes(pattern)
        if self.ascii or not out:
            return out
        return [(self._char(s), self._char(e)) for s, e in out]

    def sentence_start(self, start: int, before: int) -> int:
        """Where the window of `before` code points before `start` begins, cut at the last line break or
        sentence end (". " then a capitalised word: not "No. 123" nor "Mr. Smith") inside it: a context word
        of the sentence before does not count."""
        text = self.text
        lo = max(0, start - before)
        cut = text.rfind("\n", lo, start)
        if cut >= 0:
            lo = cut + 1
        i = text.rfind(". ", lo, start)
        while i >= 0:
            if i + 3 < start and text[i + 2].isupper() and text[i + 3].islower() and not text[i - 3:i].lower().endswith(
                    ("mr", "mrs", "ms", "dr", "no", "st", "jr", "sr")):
                return i + 2
            i = text.rfind(". ", lo, i)
        return lo

    def near(self, pattern: Pattern, start: int, end: int, before: int = 48, after: int = 24) -> bool:
        """Does a hit of `pattern` (context words) end within `before` code points before the span (and in
        the same sentence), or start within `after` code points after it?"""
        hits = self._ctx.get(pattern)
        if hits is None:
            found = self.find(pattern)
            hits = self._ctx[pattern] = ([e for _, e in found], [s for s, _ in found])
        ends, starts = hits
        if not ends:
            return False
        i = bisect_left(ends, self.sentence_start(start, before))
        if i < len(ends) and ends[i] <= start:
            return True
        if after:
            j = bisect_left(starts, end)
            if j < len(starts) and starts[j] <= end + after:
                return True
        return False


@dataclass(frozen=True, slots=True)
class Finding:
    type: str  # Presidio's entity name where Presidio has the type (US_SSN, PERSON ...), ours otherwise
    start: int  # code point offset, inclusive
    end: int  # code point offset, exclusive
    rule: str  # the detector rule that fired, e.g. "ssn.formatted"
    confidence: float

    def as_dict(self) -> dict:
        return {"type": self.type, "start": self.start, "end": self.end, "rule": self.rule,
                "confidence": self.confidence}


def digits(s: str) -> str:
    return "".join(c for c in s if c.isdigit())


def luhn(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = ord(ch) - 48
        if i % 2:
            d *= 2
            if d > 9:
                d -= 9
        total += d
    return total % 10 == 0
