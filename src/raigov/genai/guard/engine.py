"""The guard's regex engine and the shape of a finding.

Every pattern of the guard is compiled with RE2 (``google-re2``, BSD-3-Clause, from PyPI): its matching
time is linear in the input whatever the pattern, so no prompt can make a detector backtrack
(docs/genai.md, "Limits"). RE2 has no look-around and no back-references; the detectors check what those
would have checked in Python, on the (short) matched text.

:class:`Doc` holds one prompt: its UTF-8 bytes are made once and every pattern runs on them through RE2's
own ``Match`` (the package's ``finditer`` re-encodes the text and builds a match object per hit, which
costs more than the matching); byte offsets are turned back into code points through the runs of non-ASCII
characters, found once per prompt. Context words are found once per prompt and pattern, then looked up by
position. A prompt of up to 4 kB is first passed through one RE2 Set of all the patterns (the prefilter), and a
pattern that does not occur in it is not searched. The names are searched in a folded copy with one ASCII byte
per character (``Doc.find_folded``).

Offsets are code points into the prompt (Python ``str`` indices), end exclusive.
"""

from __future__ import annotations

import threading
from bisect import bisect_left, bisect_right
from typing import NamedTuple

import re2

_RE2 = re2._re2  # the C++ binding the package wraps: Match(anchor, bytes, pos, endpos) -> spans
_UNANCHORED = _RE2.RE2.Anchor.UNANCHORED
_OPTIONS = re2.Options()
_OPTIONS.max_mem = 64 << 20  # the DFA cache per pattern; a big alternation needs more than the 8 MB default


class Pattern:
    """A compiled RE2 pattern (raises on a construct RE2 refuses, at import: never silently slower). Every pattern
    made at import joins the prompt-wide prefilter (``_prefilter``) under its ``index``."""

    __slots__ = ("index", "match", "pattern")

    def __init__(self, pattern: str, prefilter: bool = True):
        self.pattern = pattern
        compiled = re2.compile(pattern, _OPTIONS)
        self.match = compiled._regexp.Match
        self.index = -1  # its place in the prefilter; -1: not in it (always searched)
        if prefilter:
            with _PREFILTER_LOCK:
                if _PREFILTER is None:
                    _REGISTERED.append(self)

    def search(self, text: str) -> bool:
        """Does the pattern occur in `text` (a short string: a window, a line)?"""
        b = text.encode("utf-8", "surrogatepass")
        return self.match(_UNANCHORED, b, 0, len(b))[0][0] >= 0

    def find_end(self, text: str) -> int:
        """The end (in code points) of the first hit in `text`, 0 when there is none."""
        b = text.encode("utf-8", "surrogatepass")
        s, e = self.match(_UNANCHORED, b, 0, len(b))[0]
        return 0 if s < 0 else len(b[:e].decode("utf-8", "surrogatepass"))


def rx(pattern: str, prefilter: bool = True) -> Pattern:
    """A pattern of the guard. `prefilter=False` for a pattern that occurs in almost every prompt (the prefilter
    would only add its states) or that is only searched in short windows, never in a whole prompt."""
    return Pattern(pattern, prefilter)


# The prefilter: one RE2::Set of every pattern made at import, run once per prompt, says which of them occur
# in it at all; ``Doc.find`` skips the others (each skipped pattern saves a pass over the prompt and the
# binding's fixed cost per call, which is most of a short prompt's time). Its first member is the empty
# pattern, which occurs in every text: a Set whose DFA ran out of memory answers with nothing, and then every
# pattern is searched (never a missed finding, only a slower prompt).
_REGISTERED: list[Pattern] = []
_PREFILTER: object | None = None  # the compiled Set, False when it could not be built
_PREFILTER_LOCK = threading.Lock()
_SET_OPTIONS = re2.Options()
_SET_OPTIONS.max_mem = 64 << 20
# Over this size a prompt is searched pattern by pattern: most patterns occur in a long prompt, and the Set's
# automaton (one state per combination of the patterns' states, spread over more memory than the CPU's caches)
# costs more per byte than the separate passes it would spare (benchmarks/guard_bench.py; docs/genai.md).
PREFILTER_MAX_BYTES = 4096


def _prefilter():
    """The compiled Set (built on first use, when every module's patterns exist), or False."""
    global _PREFILTER
    with _PREFILTER_LOCK:
        if _PREFILTER is None:
            built = _RE2.Set(_UNANCHORED, _SET_OPTIONS)
            members = []
            if built.Add(b"") == 0:
                for p in _REGISTERED:
                    i = built.Add(p.pattern.encode("utf-8"))
                    if i >= 0:
                        members.append((p, i))
            if members and built.Compile():
                for p, i in members:
                    p.index = i
                _PREFILTER = built
            else:
                _PREFILTER = False
            _REGISTERED.clear()
        return _PREFILTER


class _Every:
    """Every pattern may occur (the prefilter could not answer)."""

    __slots__ = ()

    def __contains__(self, index: object) -> bool:
        return True


_EVERY = _Every()

# The folded copy of a prompt (``Doc.folded``) replaces each non-ASCII character by one ASCII byte of its kind:
# an upper-case letter \x01, another letter \x02, the apostrophe ’ an ASCII ', anything else \x03. A pattern
# written for it (names._RUN_FOLDED) gets code point offsets with no conversion: one byte per character.
class _FoldTable(dict):
    """str.translate's table for the folded text (kept for the code points below U+3000, computed for others)."""

    def __missing__(self, cp: int) -> str:
        c = chr(cp)
        kind = "\x01" if c.isupper() and c.isalpha() else "\x02" if c.isalpha() else "'" if c == "’" else "\x03"
        if cp < 0x3000:
            self[cp] = kind
        return kind


_FOLD = _FoldTable({cp: cp for cp in range(128)})  # ASCII as it is
# each byte of UTF-8 by its role: ASCII " ", the first byte of a character "x", a continuation byte "c"
_ROLE = bytes(0x20 if b < 0x80 else 0x63 if b < 0xC0 else 0x78 for b in range(256))


def _hits(pattern: Pattern, raw: bytes) -> list[tuple[int, int]]:
    """Every (start, end) hit of `pattern` in `raw`, in bytes, left to right, not overlapping."""
    match, n = pattern.match, len(raw)
    out, pos = [], 0
    while pos <= n:
        s, e = match(_UNANCHORED, raw, pos, n)[0]
        if s < 0:
            break
        out.append((s, e))
        pos = e if e > s else e + 1
    return out


class Doc:
    """One prompt, ready for the detectors: ``find(pattern)`` gives every (start, end) hit in code points;
    ``near(pattern, start, end)`` tells whether a context word is close to a span."""

    __slots__ = ("_ctx", "_folded", "_memo", "_present", "_wide", "ascii", "raw", "text")

    def __init__(self, text: str):
        self.text = text
        self.raw = text.encode("utf-8", "surrogatepass")
        self.ascii = len(self.raw) == len(text)
        self._ctx: dict[Pattern, tuple[list[int], list[int]]] = {}
        self._memo: dict[tuple[Pattern, bool], dict[int, int]] = {}
        self._wide: tuple[list[int], list[int], list[int]] | None = None
        self._present: set[int] | _Every | None = None
        self._folded: bytes | None = None

    def _extra(self) -> tuple[list[int], list[int], list[int]]:
        """For a text with non-ASCII characters: the byte start and end of each run of them, and the bytes beyond
        one per character up to each end (and, on the way, the folded copy). The runs are found with bytes methods
        on the bytes' roles (bytes.translate, then find), one decode per run."""
        if self._wide is None:
            raw = self.raw
            roles = raw.translate(_ROLE)
            starts, ends, extra, pieces = [], [], [], []
            total = prev = 0
            pos = roles.find(b"x")
            while pos >= 0:
                end = roles.find(b" ", pos)
                if end < 0:
                    end = len(raw)
                run = raw[pos:end].decode("utf-8", "surrogatepass")
                total += (end - pos) - len(run)
                starts.append(pos)
                ends.append(end)
                extra.append(total)
                pieces.append(raw[prev:pos])
                pieces.append(run.translate(_FOLD).encode("ascii"))
                prev = end
                pos = roles.find(b"x", end)
            pieces.append(raw[prev:])
            self._wide = (starts, ends, extra)
            if self._folded is None:
                self._folded = b"".join(pieces)
        return self._wide

    def _char(self, off: int) -> int:
        """The code point offset of byte offset `off` (a character boundary), also inside a run of non-ASCII
        characters (a hit may end at a symbol that follows a letter: "ΧΑΝ∆")."""
        starts, ends, extra = self._extra()
        i = bisect_right(ends, off)
        before = extra[i - 1] if i else 0
        if i < len(starts) and starts[i] < off:  # inside run i: decode its part before `off`
            part = self.raw[starts[i]:off]
            return off - before - (len(part) - len(part.decode("utf-8", "surrogatepass")))
        return off - before

    def present(self) -> set[int] | _Every:
        """The indexes of the patterns that occur in the prompt (one pass of the prefilter), or every index."""
        if self._present is None:
            pre = _prefilter()
            found = set(pre.Match(self.raw)) if pre and len(self.raw) <= PREFILTER_MAX_BYTES else ()
            self._present = found if 0 in found else _EVERY
        return self._present

    def _find_bytes(self, pattern: Pattern) -> list[tuple[int, int]]:
        present = self._present if self._present is not None else self.present()  # (builds the prefilter)
        if pattern.index > 0 and pattern.index not in present:
            return []
        return _hits(pattern, self.raw)

    def find_folded(self, pattern: Pattern) -> list[tuple[int, int]]:
        """Every hit of a pattern written for the folded text (see ``_FoldTable``), in code points."""
        if self.ascii:
            return self._find_bytes(pattern)
        if self._folded is None:
            if (len(self.raw) - len(self.text)) * 20 > len(self.text):
                # many non-ASCII characters (a text in Greek, or an attack): one pass of str.translate costs less
                # than a decode and a translation for each of their runs
                self._folded = self.text.translate(_FOLD).encode("ascii")
            else:
                self._extra()
        return _hits(pattern, self._folded)

    def find(self, pattern: Pattern) -> list[tuple[int, int]]:
        out = self._find_bytes(pattern)
        if self.ascii or not out:
            return out
        starts, ends, extra = self._extra()
        if not ends:
            return out
        # the hits are in order: walk the runs of non-ASCII characters along with them
        res, i, n, last_end = [], 0, len(ends), ends[-1]
        for s, e in out:
            if s >= last_end:
                d = extra[-1]
                res.append((s - d, e - d))
                continue
            while i < n and ends[i] <= s:
                i += 1
            j = i
            while j < n and ends[j] <= e:
                j += 1
            if (i < n and starts[i] < s) or (j < n and starts[j] < e):  # an end inside a run of them: rare
                res.append((self._char(s), self._char(e)))
            else:
                res.append((s - (extra[i - 1] if i else 0), e - (extra[j - 1] if j else 0)))
        return res

    def ends(self, pattern: Pattern) -> dict[int, int]:
        """Every hit of `pattern` as {end: start}, found once per prompt: a per-position test (is there a cue
        just before this word?) becomes a look-up instead of a match per word."""
        got = self._memo.get((pattern, True))
        if got is None:
            got = self._memo[(pattern, True)] = {e: s for s, e in self.find(pattern)}
        return got

    def starts(self, pattern: Pattern) -> dict[int, int]:
        """Every hit of `pattern` as {start: end}, found once per prompt (see ``ends``)."""
        got = self._memo.get((pattern, False))
        if got is None:
            got = self._memo[(pattern, False)] = dict(self.find(pattern))
        return got

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

    def _context(self, pattern: Pattern) -> tuple[list[int], list[int]]:
        """The ends and the starts of the hits of a context pattern, found once per prompt."""
        hits = self._ctx.get(pattern)
        if hits is None:
            found = self.find(pattern)
            hits = self._ctx[pattern] = ([e for _, e in found], [s for s, _ in found])
        return hits

    def has(self, pattern: Pattern) -> bool:
        """Does a context pattern occur anywhere in the prompt? A detector whose every rule needs a context word
        looks for candidates only when it does."""
        return bool(self._context(pattern)[0])

    def near(self, pattern: Pattern, start: int, end: int, before: int = 48, after: int = 24) -> bool:
        """Does a hit of `pattern` (context words) end within `before` code points before the span (and in
        the same sentence), or start within `after` code points after it?"""
        ends, starts = self._context(pattern)
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


class Finding(NamedTuple):
    """One finding (immutable; a named tuple: a prompt may hold many thousands, and making one costs a third of a
    frozen dataclass)."""

    type: str  # Presidio's entity name where Presidio has the type (US_SSN, PERSON ...), ours otherwise
    start: int  # code point offset, inclusive
    end: int  # code point offset, exclusive
    rule: str  # the detector rule that fired, e.g. "ssn.formatted"
    confidence: float

    def as_dict(self) -> dict:
        return {"type": self.type, "start": self.start, "end": self.end, "rule": self.rule,
                "confidence": self.confidence}


def digits(s: str) -> str:
    return "".join(filter(str.isdigit, s))


_DIGIT = {str(d): d for d in range(10)}
_DOUBLED = {str(d): (0, 2, 4, 6, 8, 1, 3, 5, 7, 9)[d] for d in range(10)}  # a digit doubled, its digits summed


def luhn(number: str) -> bool:
    """The Luhn check of a string of ASCII digits."""
    return (sum(map(_DIGIT.__getitem__, number[-1::-2])) + sum(map(_DOUBLED.__getitem__, number[-2::-2]))) % 10 == 0
