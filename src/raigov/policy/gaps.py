"""Phrases with a gap (``...``, ``~``) matched in time linear in the text, with exactly the matches of their
regular expression on Python's ``re``.

Why: a gap is ``(?:[\\W_]+\\w+){0,3}?[\\W_]+`` (``~``: the same with clause separators). An underscore is both a
separator (``[\\W_]``) and part of a word (``\\w``), so a backtracking engine tries every way of cutting a run of
underscores (or of ``a_b_c_...``) into separators and words: "control " and 40 underscores took 2 s against
``control* ... dam*``, and the time grew with about the sixth power of the run. Without an underscore the two
classes do not overlap and the expression is quick, so :mod:`raigov.policy.signals` keeps using it for every text
that has none, and uses this module for a text that has one.

How: the phrase becomes a small graph of nodes (a literal word, its inflections, a stem, a choice, a joiner, the
levels of a gap, the end of a word) searched depth first in the order ``re`` tries them: alternatives left to right,
greedy loops longest first, the lazy gap with the fewest words first. The first success is the one ``re`` finds.
What ``re`` repeats is the loops: the same run of a class (a stem, a word, a separator) entered again and again,
each time tried from its end down. What follows a loop depends only on where the loop stops (there are no
back-references), so a loop keeps, for each run, how far down it has been tried and its first success: an entry
lower in the run reuses both instead of trying again. Each loop tries each offset once, so the work is bounded by
(nodes x offsets); ``Text.steps`` counts it, for tests.

Words themselves (a literal, an inflection, a clause-ending conjunction) are matched by ``re`` with the same
flags as the full expression, so case folding is exactly ``re``'s.
"""

from __future__ import annotations

import re

# the character classes, shared with the expressions of raigov.policy.signals
JOIN = r"[\s\-/]+"
SEP = r"[\W_]+"
CLAUSE_SEP = r"(?:(?![.;:!?()\[\]\r\n])[\W_])+"
CONJUNCTIONS = r"(?:but|however|while|whereas)(?!\w)"
INFLECTIONS = ("s", "es", "ed", "d", "ing")
MAX_GAP_WORDS = 3

_CLASSES = {"w": re.compile(r"\w+"), "sep": re.compile(SEP), "csep": re.compile(CLAUSE_SEP), "join": re.compile(JOIN)}
_CONJ = re.compile(CONJUNCTIONS, re.IGNORECASE)
_SUFFIXES = tuple(re.compile(re.escape(s), re.IGNORECASE) for s in INFLECTIONS)


class Text:
    """One text and what the searches in it have found so far (shared by every phrase searched in it)."""

    __slots__ = ("_ends", "loops", "n", "steps", "text")

    def __init__(self, text: str):
        self.text = text
        self.n = len(text)
        self.loops: dict[tuple[int, int], list] = {}
        self._ends: dict[str, list[int]] = {}
        self.steps = 0

    def ends(self, cls: str) -> list[int]:
        """For each offset, where the run of class ``cls`` holding it ends (the offset itself when outside one)."""
        got = self._ends.get(cls)
        if got is None:
            got = list(range(self.n + 1))
            for m in _CLASSES[cls].finditer(self.text):
                a, b = m.span()
                got[a:b] = [b] * (b - a)
            self._ends[cls] = got
        return got

    def word_at(self, pos: int) -> bool:
        return pos < self.n and self.ends("w")[pos] > pos


class _Node:
    __slots__ = ("nxt",)

    def go(self, t: Text, pos: int) -> int | None:  # pragma: no cover - every node defines it
        """The end of the first match, in ``re``'s order, of this node and what follows it, from ``pos``."""
        raise NotImplementedError


class _End(_Node):
    """``(?!\\w)``: the match ends where a word does."""

    __slots__ = ()

    def go(self, t, pos):
        t.steps += 1
        return None if t.word_at(pos) else pos


class _Lit(_Node):
    __slots__ = ("rx",)

    def __init__(self, word: str, nxt: _Node):
        self.rx, self.nxt = re.compile(re.escape(word), re.IGNORECASE), nxt

    def go(self, t, pos):
        t.steps += 1
        m = self.rx.match(t.text, pos)
        return self.nxt.go(t, m.end()) if m else None


class _Inflect(_Node):
    """``(?:s|es|ed|d|ing)?``: each suffix in turn, then none."""

    __slots__ = ()

    def __init__(self, nxt: _Node):
        self.nxt = nxt

    def go(self, t, pos):
        t.steps += 1
        for rx in _SUFFIXES:
            m = rx.match(t.text, pos)
            if m:
                got = self.nxt.go(t, m.end())
                if got is not None:
                    return got
        return self.nxt.go(t, pos)


class _Choice(_Node):
    __slots__ = ("alts",)

    def __init__(self, alts: list[_Node]):
        self.alts, self.nxt = alts, None

    def go(self, t, pos):
        t.steps += 1
        for alt in self.alts:
            got = alt.go(t, pos)
            if got is not None:
                return got
        return None


class _Lazy(_Node):
    """One level of a gap: first end the gap here (``done``), then take one more word (``more``)."""

    __slots__ = ("done", "more")

    def __init__(self, done: _Node, more: _Node):
        self.done, self.more, self.nxt = done, more, None

    def go(self, t, pos):
        t.steps += 1
        got = self.done.go(t, pos)
        return got if got is not None else self.more.go(t, pos)


class _NotConjunction(_Node):
    """``(?!(?:but|however|while|whereas)(?!\\w))``: a word of a ``~`` gap does not end the clause."""

    __slots__ = ()

    def __init__(self, nxt: _Node):
        self.nxt = nxt

    def go(self, t, pos):
        t.steps += 1
        return None if _CONJ.match(t.text, pos) else self.nxt.go(t, pos)


class _Loop(_Node):
    """A greedy run of one class (``\\w*``, ``\\w+``, a separator, a joiner): the longest first.

    Every entry into the same run tries the same ends, from the run's end down, so the run keeps how far down it
    has been tried and its first success: an entry lower in the run reuses both instead of scanning again."""

    __slots__ = ("cls", "least")

    def __init__(self, cls: str, least: int, nxt: _Node):
        self.cls, self.least, self.nxt = cls, least, nxt

    def go(self, t, pos):
        end = t.ends(self.cls)[pos]
        lo = pos + self.least
        if end < lo:
            return None
        key = (id(self), end)
        state = t.loops.get(key)
        if state is None:
            state = t.loops[key] = [end + 1, None, None]  # tried down to, the first success's end and answer
        if state[1] is not None:
            return state[2] if state[1] >= lo else None
        nxt = self.nxt
        e = state[0] - 1
        while e >= lo:
            t.steps += 1
            got = nxt.go(t, e)
            if got is not None:
                state[0], state[1], state[2] = e, e, got
                return got
            e -= 1
        state[0] = min(state[0], lo)
        return None


def _gap(kind: str, nxt: _Node) -> _Node:
    """``(?:S W){0,3}? S`` as levels: end the gap, else one more separator and word."""
    sep = "csep" if kind == "~" else "sep"
    done = _Loop(sep, 1, nxt)  # the last separator, the same node at every level
    level: _Node = done
    for _ in range(MAX_GAP_WORDS):
        word: _Node = _Loop("w", 1, level)
        if kind == "~":
            word = _NotConjunction(word)
        level = _Lazy(done, _Loop(sep, 1, word))
    return level


def _word(tok: str, inflect: bool, nxt: _Node, split) -> _Node:
    if tok.startswith("(") and tok.endswith(")"):
        alts = [a.strip() for a in tok[1:-1].split("|") if a.strip()]
        return _Choice([_body(a, inflect, nxt, split) for a in alts])
    exact = tok.startswith("=")
    if exact:
        tok = tok[1:]
    if tok.endswith("*"):
        return _Lit(tok[:-1], _Loop("w", 0, nxt))
    if inflect and not exact and tok[-1].isalpha() and len(tok) > 2:
        return _Lit(tok, _Inflect(nxt))
    return _Lit(tok, nxt)


def _body(phrase: str, inflect: bool, nxt: _Node, split) -> _Node:
    """The nodes of ``phrase`` followed by ``nxt`` (the phrase is already checked by ``signals._body``;
    ``split`` is its tokenizer)."""
    items: list[tuple[str, str | None]] = []  # (word, the gap before it)
    pending = None
    for tok in split(phrase):
        if tok in ("...", "~"):
            pending = tok
            continue
        items.append((tok, pending))
        pending = None
    node = nxt
    for i in range(len(items) - 1, -1, -1):
        tok, gap = items[i]
        node = _word(tok, inflect, node, split)
        if i:
            node = _gap(gap, node) if gap else _Loop("join", 1, node)
    return node


class Phrase:
    """One phrase, matched like ``(?<!\\w)(?:body)(?!\\w)`` with ``re.match`` at an offset."""

    __slots__ = ("head",)

    def __init__(self, phrase: str, inflect: bool, split):
        self.head = _body(phrase, inflect, _End(), split)

    def match(self, t: Text, pos: int) -> int | None:
        if pos and t.word_at(pos - 1):
            return None
        return self.head.go(t, pos)
