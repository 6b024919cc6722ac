"""One matcher per pack: from the words of a use case's text, which of the pack's signals can match it.

Screening a use case asks each of a pack's signals for its hits (``Signal.find``); most find none. The
pack's ``PhraseFilter`` (made when the pack loads) knows, for every phrase, the words a text needs for
the phrase to match (``signals.phrase_keys``: for each word of the phrase, the first 1-8 characters a word
of the text must start with). The text's words are read once per use case; the filter then looks up, in one
dictionary, the phrases whose rarest-looking word is there and checks their other words. A signal none
of whose phrases can match returns no hit at once; the signals that can match run their own Python
expression, which gives the evidence spans exactly as before (same words, offsets, negation, vetoes):
the filter only ever skips a search that would have found nothing.

The filter reads ASCII words. A text with a non-ASCII letter or digit (where case-insensitive matching
can pair a non-ASCII character with an ASCII one, e.g. the Kelvin sign with k) is not filtered: every
signal searches it as before.

An RE2 set of every phrase (one pass per text) was tried first: its DFA is rebuilt state by state on each
new text and took 0.8-2.3 ms per use case on unseen rows, more than the searches it saves.
"""

from __future__ import annotations

import re
import threading

from raigov.policy.signals import KEY_LENGTH, phrase_keys

_RUN = re.compile(r"[A-Za-z0-9]+")
_NON_ASCII_WORD = re.compile(r"[^\x00-\x7f](?<=\w)")


def plain_text(text: str) -> bool:
    """True when every word character of ``text`` is ASCII (the filter's answer is then exact)."""
    return text.isascii() or _NON_ASCII_WORD.search(text) is None


def text_keys(text: str) -> set[str]:
    """Every lower-case beginning, 1 to 8 characters long, of every word (run of ASCII letters and digits)."""
    runs = {r[:KEY_LENGTH] for r in _RUN.findall(text.lower())} if text.isascii() else {
        r.lower()[:KEY_LENGTH] for r in _RUN.findall(text)}
    have: set[str] = set()
    for k in range(1, KEY_LENGTH + 1):  # r[:k] for k past the end is r itself, one of its beginnings anyway
        have.update([r[:k] for r in runs])
    return have


def _anchor(reqs: list[frozenset[str]]) -> frozenset[str]:
    """The requirement to look a phrase up by: fewest alternatives, then longest keys."""
    return min(reqs, key=lambda r: (len(r), -min(len(k) for k in r), sorted(r)))


class PhraseFilter:
    """The phrases of a pack's signals, by the words they need. ``candidates(text)`` gives the slots of
    the signals that can have a hit in ``text``, or None when the text must be searched signal by signal."""

    def __init__(self, signals):
        self._signals = [s for s in signals if s.phrases]
        self._always: set[int] = set()  # signals with a phrase that needs no particular word
        self._by_key: dict[str, list[tuple[int, tuple[frozenset[str], ...]]]] = {}
        self._keys: frozenset[str] | None = None  # made on first use: loading a pack costs nothing
        self._needed: frozenset[str] = frozenset()  # every key any phrase asks for (anchor or other word)
        self._word_keys: dict[str, frozenset[str]] = {}  # a word's beginning (8 chars) -> its needed beginnings
        self._lock = threading.Lock()
        for slot, sig in enumerate(self._signals):
            sig.use_filter(self, slot)

    def _ready(self) -> frozenset[str]:
        with self._lock:
            if self._keys is None:
                self._make()
            return self._keys

    def _make(self) -> None:
        for slot, sig in enumerate(self._signals):
            for ph in sig.phrases:
                reqs = phrase_keys(ph)
                if not reqs:
                    self._always.add(slot)
                    continue
                anchor = _anchor(reqs)
                rest = tuple(r for r in reqs if r is not anchor)
                for k in anchor:
                    self._by_key.setdefault(k, []).append((slot, rest))
        self._needed = frozenset(self._by_key).union(*(r for lst in self._by_key.values() for _, rest in lst
                                                        for r in rest))
        self._keys = frozenset(self._by_key)

    def __len__(self) -> int:
        return len(self._signals)

    def candidates(self, text: str) -> frozenset[int] | None:
        if not self._signals or not plain_text(text):
            return None
        keys = self._keys if self._keys is not None else self._ready()
        have = self._text_keys(text)
        found = set(self._always)
        by_key = self._by_key
        for k in keys.intersection(have):
            for slot, rest in by_key[k]:
                if slot in found:
                    continue
                for r in rest:
                    if r.isdisjoint(have):
                        break
                else:  # every other word the phrase needs is there
                    found.add(slot)
        return frozenset(found)


    def _text_keys(self, text: str) -> set[str]:
        """``text_keys(text)`` less the keys no phrase asks for (the answer of ``candidates`` is the same): each
        word's needed beginnings are worked out once per filter and kept (a file repeats its vocabulary)."""
        if self._keys is None:
            self._ready()  # ``_needed`` first: the memo must not keep a word's keys from before
        runs = {r[:KEY_LENGTH] for r in _RUN.findall(text.lower())} if text.isascii() else {
            r.lower()[:KEY_LENGTH] for r in _RUN.findall(text)}
        memo = self._word_keys
        have: set[str] = set()
        for r in runs:
            got = memo.get(r)
            if got is None:
                if len(memo) >= _WORD_KEYS_MAX:
                    memo.clear()
                got = memo[r] = self._needed.intersection([r[:k] for k in range(1, len(r) + 1)])
            if got:
                have |= got
        return have


_WORD_KEYS_MAX = 200_000


def attach(signals: dict) -> PhraseFilter:
    """Give a pack's compiled signals one shared phrase filter."""
    return PhraseFilter(signals.values())
