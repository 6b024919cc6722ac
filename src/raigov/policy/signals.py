"""Text signals: phrases an analyst can read, compiled once into one regular expression each.

Phrase syntax (case-insensitive, whole words):

- words are separated by spaces; in the text they may be joined by spaces, hyphens or slashes
  (``face recognition`` matches ``face-recognition``);
- ``word*`` is a stem: any word starting with ``word`` (``recogni*`` -> recognize, recognition);
- a plain word also matches its simple inflections (-s, -es, -ed, -d, -ing) unless the signal
  says ``inflect: false``; a word written ``=word`` never inflects;
- ``(a|b|c)`` is a choice of words at one position (``(face|facial) recognition``);
- ``...`` lets up to three other words stand between its neighbours (``risk ... individuals``).

Negation: a match is dropped when a negation cue (``not``, ``no``, ``without`` ...) stands in
the few words before it within the same clause, or ``non-`` is glued to it, or a post-cue
(``not used`` ...) follows it directly. A signal can turn negation off (``negation: false``), e.g.
a signal that itself means "without human review". Look-alike phrases listed under ``except``
veto a match they overlap.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

DEFAULT_NEGATION_CUES = ("no", "not", "never", "without", "neither", "nor", "cannot", "can't",
                         "doesn't", "don't", "isn't", "aren't", "won't", "wasn't", "excluding",
                         "except", "none")
DEFAULT_POST_CUES = ("is not used", "are not used", "not used", "is not", "are not", "was not",
                     "will not be", "not applicable", "not involved", "not performed", "is never")
NEGATION_WINDOW = 4  # words looked at before a match

_CLAUSE_END = re.compile(r"[.;:!?\n()\[\]]|\bbut\b|\bhowever\b|\bwhile\b|\bwhereas\b", re.IGNORECASE)
_WORD = re.compile(r"[\w']+")
_INFLECT = r"(?:s|es|ed|d|ing)?"
_JOIN = r"[\s\-/]+"
_GAP = r"(?:[\W_]+\w+){0,3}?[\W_]+"


class PhraseError(ValueError):
    pass


def _tokens(phrase: str) -> list[str]:
    """Split on spaces, keeping a ``(a b|c)`` choice together."""
    out: list[str] = []
    depth, cur = 0, ""
    for ch in phrase:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
            if depth < 0:
                raise PhraseError("unbalanced )")
        if ch.isspace() and depth == 0:
            if cur:
                out.append(cur)
            cur = ""
        else:
            cur += ch
    if depth:
        raise PhraseError("unbalanced (")
    if cur:
        out.append(cur)
    return out


def _token(tok: str, inflect: bool) -> str:
    if tok.startswith("(") and tok.endswith(")"):
        alts = [a.strip() for a in tok[1:-1].split("|") if a.strip()]
        if not alts:
            raise PhraseError(f"empty choice {tok!r}")
        return "(?:" + "|".join(_body(a, inflect) for a in alts) + ")"
    exact = tok.startswith("=")
    if exact:
        tok = tok[1:]
    stem = tok.endswith("*")
    if stem:
        tok = tok[:-1]
    if not tok or not re.fullmatch(r"[\w'&.:\-]+", tok):
        raise PhraseError(f"bad word {tok!r} (letters, digits, ' & . : - only)")
    body = re.escape(tok)
    if stem:
        return body + r"\w*"
    if inflect and not exact and tok[-1].isalpha() and len(tok) > 2:
        return body + _INFLECT
    return body


def phrase_regex(phrase: str, inflect: bool = True) -> str:
    return r"(?<![\w])" + _body(phrase, inflect) + r"(?![\w])"


def _body(phrase: str, inflect: bool) -> str:
    toks = _tokens(phrase)
    if not toks:
        raise PhraseError("empty phrase")
    parts: list[str] = []
    pending_gap = False
    for tok in toks:
        if tok == "...":
            if not parts:
                raise PhraseError("a phrase cannot start with ...")
            pending_gap = True
            continue
        if parts:
            parts.append(_GAP if pending_gap else _JOIN)
        parts.append(_token(tok, inflect))
        pending_gap = False
    if pending_gap:
        raise PhraseError("a phrase cannot end with ...")
    return "".join(parts)


@dataclass(frozen=True)
class Hit:
    start: int
    end: int
    text: str
    negated: bool = False
    vetoed: bool = False


@dataclass
class Signal:
    """A compiled text signal (see the module docstring for the phrase syntax)."""

    name: str
    phrases: tuple[str, ...]
    title: str = ""
    excepts: tuple[str, ...] = ()
    negation: bool = True
    inflect: bool = True
    fields: tuple[str, ...] | None = None  # restrict to these fields; None = the pack's text fields
    any_of: tuple[str, ...] = ()  # other signals whose hits count as this signal's hits
    cues: tuple[str, ...] = DEFAULT_NEGATION_CUES
    post_cues: tuple[str, ...] = DEFAULT_POST_CUES
    _rx: re.Pattern | None = field(default=None, repr=False)
    _ex: re.Pattern | None = field(default=None, repr=False)
    _post: re.Pattern | None = field(default=None, repr=False)
    _keys: tuple[str, ...] | None = field(default=None, repr=False)

    def compile(self) -> Signal:
        if self.phrases:
            bodies = [_body(p, self.inflect) for p in self.phrases]
            self._rx = re.compile(r"(?<![\w])(?:" + "|".join(bodies) + r")(?![\w])", re.IGNORECASE)
            keys: set[str] = set()
            for p in self.phrases:
                k = _first_keys(p)
                if k is None:
                    keys = set()
                    break
                keys |= k
            self._keys = tuple(sorted(keys)) if keys else None
        if self.excepts:
            self._ex = re.compile("|".join(phrase_regex(p, self.inflect) for p in self.excepts), re.IGNORECASE)
        if self.post_cues:
            self._post = re.compile(r"[\s,]*(?:" + "|".join(re.escape(c) for c in self.post_cues) + r")\b",
                                    re.IGNORECASE)
        return self

    def _negated(self, text: str, start: int, end: int) -> bool:
        if start >= 4 and text[start - 4:start].lower() in ("non-", "non "):
            return True
        before = text[max(0, start - 80):start]
        ends = list(_CLAUSE_END.finditer(before))
        cut = ends[-1] if ends else None
        if cut is not None:
            before = before[cut.end():]
        words = [w.lower() for w in _WORD.findall(before)][-NEGATION_WINDOW:]
        cues = self.cues
        if any(w in cues or w.endswith("n't") for w in words):
            return True
        return bool(self._post is not None and self._post.match(text, end, min(len(text), end + 40)))

    def find(self, text: str, index: WordIndex | None = None) -> list[Hit]:
        """Every hit of the signal's own phrases in ``text`` (negated and vetoed hits kept, marked).

        With a ``WordIndex`` of ``text`` the pattern is tried only where a word starts with one
        of the phrases' first letters (same result, much faster on long alternations)."""
        if self._rx is None or not text:
            return []
        if index is not None and self._keys is not None:
            starts = index.starts(self._keys)
            matches = []
            last_end = -1
            for pos in starts:
                if pos < last_end:
                    continue
                m = self._rx.match(text, pos)
                if m and m.end() > m.start():
                    matches.append(m)
                    last_end = m.end()
        else:
            matches = list(self._rx.finditer(text))
        if not matches:
            return []
        vetoes = [(m.start(), m.end()) for m in self._ex.finditer(text)] if self._ex is not None else []
        out = []
        for m in matches:
            s, e = m.start(), m.end()
            vetoed = any(vs < e and s < ve for vs, ve in vetoes)
            neg = (not vetoed) and self.negation and self._negated(text, s, e)
            out.append(Hit(s, e, m.group(0), neg, vetoed))
        return out


_LEAD = re.compile(r"\w+")


def _first_keys(phrase: str) -> set[str] | None:
    """Lower-case 1-3 letter prefixes one of which the first word of a match starts with."""
    first = _tokens(phrase)[0]
    alts = [a.strip() for a in first[1:-1].split("|")] if first.startswith("(") else [first]
    keys = set()
    for a in alts:
        a = a.split()[0].lstrip("=") if a.split() else ""
        m = _LEAD.match(a)
        if not m:
            return None
        keys.add(m.group(0)[:3].lower())
    return keys


class WordIndex:
    """Start offsets of the words of a text, by their lower-case 1-, 2- and 3-letter prefixes."""

    __slots__ = ("_by",)

    def __init__(self, text: str):
        by: dict[str, list[int]] = {}
        for m in _LEAD.finditer(text):
            w = m.group(0).lower()
            s = m.start()
            by.setdefault(w[:3], []).append(s)
            if len(w) > 1:
                by.setdefault(w[:2] + "\0", []).append(s)
                by.setdefault(w[:1] + "\0", []).append(s)
        self._by = by

    def starts(self, keys) -> list[int]:
        out: list[int] = []
        for k in keys:
            lst = self._by.get(k if len(k) == 3 else k + "\0")
            if lst:
                out.extend(lst)
            if len(k) < 3:
                exact = self._by.get(k)  # the whole (short) word
                if exact:
                    out.extend(exact)
        return sorted(set(out))
