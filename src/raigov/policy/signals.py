"""Text signals: phrases an analyst can read, compiled once into one regular expression each.

Phrase syntax (case-insensitive, whole words):

- words are separated by spaces; in the text they may be joined by spaces, hyphens or slashes
  (``face recognition`` matches ``face-recognition``);
- ``word*`` is a stem: any word starting with ``word`` (``recogni*`` -> recognize, recognition);
- a plain word also matches its simple inflections (-s, -es, -ed, -d, -ing) unless the signal
  says ``inflect: false``; a word written ``=word`` never inflects;
- ``(a|b|c)`` is a choice of words at one position (``(face|facial) recognition``);
- ``...`` lets up to three other words stand between its neighbours (``risk ... individuals``);
- ``~`` does the same within one clause: nothing that ends a clause (``. ; : ! ? ( ) [ ]``, a line break,
  or the words "but", "however", "while", "whereas") may stand between (``control* ~ dam*``).

Negation: a match is dropped when a negation cue (``not``, ``no``, ``without`` ...) stands in
the few words before it within the same clause, or ``non-`` is glued to it, or a post-cue
(``not used`` ...) follows it directly. A signal can turn negation off (``negation: false``), e.g.
a signal that itself means "without human review". Look-alike phrases listed under ``except``
veto a match they overlap.

Speed: a pack's signals are also gathered into one filter (``raigov.policy.matcher``) that tells, from
the words of a use case's text, which signals can match it at all; only those run their own (Python)
expression, which gives the evidence spans. Each signal's Python expression is compiled on first use.
In a text with an underscore, a phrase with a gap is searched by ``raigov.policy.gaps`` instead (the same
matches in linear time: on ``re`` an underscore, both word and separator, makes a gap backtrack for hours).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from raigov.policy import gaps

DEFAULT_NEGATION_CUES = ("no", "not", "never", "without", "neither", "nor", "cannot", "can't",
                         "doesn't", "don't", "isn't", "aren't", "won't", "wasn't", "excluding",
                         "except", "none")
DEFAULT_POST_CUES = ("is not used", "are not used", "not used", "is not", "are not", "was not",
                     "will not be", "not applicable", "not involved", "not performed", "is never")
NEGATION_WINDOW = 4  # words looked at before a match

_CLAUSE_END = re.compile(r"[.;:!?\n()\[\]]|\bbut\b|\bhowever\b|\bwhile\b|\bwhereas\b", re.IGNORECASE)
_LAST_CLAUSE_END = re.compile(r"(?s:.*)(?:" + _CLAUSE_END.pattern + ")", re.IGNORECASE)
_WORD = re.compile(r"[\w']+")
_INFLECT = r"(?:" + "|".join(gaps.INFLECTIONS) + r")?"
_JOIN = gaps.JOIN
_GAP = r"(?:" + gaps.SEP + r"\w+){0," + str(gaps.MAX_GAP_WORDS) + r"}?" + gaps.SEP
# ``~``: the same window, within one clause (the clause ends negation reads, plus a line break)
_CLAUSE_SEP = gaps.CLAUSE_SEP
_CLAUSE_GAP = (r"(?:" + _CLAUSE_SEP + r"(?!" + gaps.CONJUNCTIONS + r")\w+){0," + str(gaps.MAX_GAP_WORDS) + r"}?"
               + _CLAUSE_SEP)
_GAPS = {"...": _GAP, "~": _CLAUSE_GAP}


class PhraseError(ValueError):
    pass


def _tokens(phrase: str) -> list[str]:
    """Split on spaces, keeping a ``(a b|c)`` choice together."""
    if "(" not in phrase and ")" not in phrase:
        return phrase.split()
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
    pending_gap: str | None = None
    for tok in toks:
        if tok in _GAPS:
            if not parts:
                raise PhraseError(f"a phrase cannot start with {tok}")
            if pending_gap is not None and "~" in (tok, pending_gap):
                raise PhraseError("two gaps in a row (~)")
            pending_gap = tok
            continue
        if parts:
            parts.append(_GAPS[pending_gap] if pending_gap else _JOIN)
        parts.append(_token(tok, inflect))
        pending_gap = None
    if pending_gap:
        raise PhraseError(f"a phrase cannot end with {pending_gap}")
    return "".join(parts)


class Hit(NamedTuple):
    """One match of a signal's phrases (a tuple: made for every match, so made cheaply)."""

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
    _cue: re.Pattern | None = field(default=None, repr=False)  # any cue word at all (a quick test before the window)
    _keys: tuple[str, ...] | None = field(default=None, repr=False)
    _ex_keys: tuple[str, ...] | None = field(default=None, repr=False)
    _src: tuple[str | None, str | None, str | None] | None = field(default=None, repr=False)
    # for a text with an underscore: the phrases (and the excepts) as parts tried in order, when one has a gap
    _plan: _Plan | None = field(default=None, repr=False)
    _ex_plan: _Plan | None = field(default=None, repr=False)
    _matcher: Any = field(default=None, repr=False)  # the pack's PhraseFilter (raigov.policy.matcher), if any
    _slot: int = field(default=-1, repr=False)  # this signal's number in that set

    def compile(self) -> Signal:
        """Check the phrases and build the expressions' text; each is compiled on first use."""
        rx = ex = post = None
        if self.phrases:
            bodies = [_body(p, self.inflect) for p in self.phrases]
            rx = r"(?<![\w])(?:" + "|".join(bodies) + r")(?![\w])"
            self._keys = _all_first_keys(self.phrases)
        if self.excepts:
            ex = "|".join(phrase_regex(p, self.inflect) for p in self.excepts)
            self._ex_keys = _all_first_keys(self.excepts)
        if self.post_cues:
            post = r"[\s,]*(?:" + "|".join(re.escape(c) for c in self.post_cues) + r")\b"
        self._src = (rx, ex, post)
        self._rx = self._ex = self._post = None
        self._plan, self._ex_plan = _plan(self.phrases, self.inflect), _plan(self.excepts, self.inflect)
        return self

    def use_filter(self, matcher, slot: int) -> None:
        """Let ``matcher`` (a ``raigov.policy.matcher.PhraseFilter``, where this signal is ``slot``) tell
        ``find`` which texts cannot have a hit."""
        self._matcher, self._slot = matcher, slot

    def filtered_out(self, index: WordIndex) -> bool:
        """True when the pack's phrase filter says no phrase of the signal can match the index's text (``find``
        would return nothing); False when it cannot tell or there is no filter."""
        if self._matcher is None:
            return False
        found = index.candidates(self._matcher)
        return found is not None and self._slot not in found

    def _ready(self) -> None:
        if self._src is not None:
            rx, ex, post = self._src
            self._rx = re.compile(rx, re.IGNORECASE) if rx else None
            self._ex = re.compile(ex, re.IGNORECASE) if ex else None
            self._post = re.compile(post, re.IGNORECASE) if post else None
            # every word the window could find a cue in is matched here too (cues are lower-case ASCII words)
            cue = "|".join(re.escape(c) for c in self.cues)
            self._cue = re.compile(r"(?:(?<![\w'])(?:" + cue + r")|n't)(?![\w'])", re.IGNORECASE)
            self._src = None

    @staticmethod
    def _matches(rx: re.Pattern, keys: tuple[str, ...] | None, text: str, index: WordIndex | None) -> list:
        """``rx.finditer(text)``; with an index, tried only where a word starting with a key starts."""
        if index is None or keys is None:
            return list(rx.finditer(text))
        matches = []
        last_end = -1
        for pos in index.starts(keys):
            if pos < last_end:
                continue
            m = rx.match(text, pos)
            if m and m.end() > m.start():
                matches.append(m)
                last_end = m.end()
        return matches

    def _spans(self, rx: re.Pattern, plan, keys, text: str, index: WordIndex | None) -> list[tuple[int, int]]:
        """The (start, end) of every match of ``rx``; in a text with an underscore, of its parts ``plan`` when a
        phrase has a gap (the same matches, in linear time: ``raigov.policy.gaps``)."""
        if plan is not None and "_" in text:
            return _plan_spans(plan.made(), keys, text, index)
        return [(m.start(), m.end()) for m in self._matches(rx, keys, text, index)]

    def _negated(self, text: str, start: int, end: int) -> bool:
        if start >= 4 and text[start - 4:start].lower() in ("non-", "non "):
            return True
        before = text[max(0, start - 80):start]
        if self._cue is not None and self._cue.search(before) is None:  # no cue word before: only a post-cue
            return bool(self._post is not None and self._post.match(text, end, min(len(text), end + 40)))
        cut = _LAST_CLAUSE_END.match(before)  # the last clause end (clause ends cannot overlap)
        if cut is not None:
            before = before[cut.end():]
        words = [w.lower() for w in _WORD.findall(before)[-NEGATION_WINDOW:]]
        cues = self.cues
        if any(w in cues or w.endswith("n't") for w in words):
            return True
        return bool(self._post is not None and self._post.match(text, end, min(len(text), end + 40)))

    def find(self, text: str, index: WordIndex | None = None) -> list[Hit]:
        """Every hit of the signal's own phrases in ``text`` (negated and vetoed hits kept, marked).

        With a ``WordIndex`` of ``text`` the pattern is tried only where a word starts with one
        of the phrases' first letters (same result, much faster on long alternations). When the
        signal belongs to a pack's phrase filter, a text that lacks a word every match would need
        is not searched at all (same result again)."""
        if not text or not self.phrases:
            return []
        if self._matcher is not None:
            found = index.candidates(self._matcher) if index is not None else self._matcher.candidates(text)
            if found is not None and self._slot not in found:
                return []
        if self._src is not None:
            self._ready()
        if self._rx is None:
            return []
        matches = self._spans(self._rx, self._plan, self._keys, text, index)
        if not matches:
            return []
        vetoes = self._spans(self._ex, self._ex_plan, self._ex_keys, text, index) if self._ex is not None else []
        out = []
        for s, e in matches:
            vetoed = any(vs < e and s < ve for vs, ve in vetoes)
            neg = (not vetoed) and self.negation and self._negated(text, s, e)
            out.append(tuple.__new__(Hit, (s, e, text[s:e], neg, vetoed)))
        return out


def _has_gap(phrase: str) -> bool:
    return any(tok in _GAPS or (tok.startswith("(") and ("..." in tok or "~" in tok)) for tok in _tokens(phrase))


class _Plan:
    """A signal's phrases (or excepts) in order, as runs of gap-free phrases (one expression each,
    ``(?<!\\w)(?:a|b)(?!\\w)``) and single phrases with a gap (``raigov.policy.gaps.Phrase``): at an offset the
    first part that matches gives the match, as the alternation of all of them would. Made on first use (most
    texts have no underscore and never need it)."""

    __slots__ = ("_parts", "inflect", "spec")

    def __init__(self, spec: list[tuple[str, Any]], inflect: bool):
        self.spec, self.inflect, self._parts = spec, inflect, None

    def made(self) -> tuple:
        """The parts: an expression's ``match`` or a gap phrase's (both give the end or None)."""
        if self._parts is None:
            out = []
            for kind, what in self.spec:
                if kind == "gap":
                    out.append(gaps.Phrase(what, self.inflect, _tokens).match)
                else:
                    rx = re.compile(r"(?<![\w])(?:" + "|".join(_body(p, self.inflect) for p in what) + r")(?![\w])",
                                    re.IGNORECASE)
                    out.append(_re_end(rx))
            self._parts = tuple(out)
        return self._parts


def _plan(phrases: tuple[str, ...], inflect: bool) -> _Plan | None:
    """None when no phrase has a gap; else the phrases' ``_Plan``."""
    if not any(_has_gap(p) for p in phrases):
        return None
    spec: list[tuple[str, Any]] = []
    for p in phrases:
        if _has_gap(p):
            spec.append(("gap", p))
        elif spec and spec[-1][0] == "re":
            spec[-1][1].append(p)
        else:
            spec.append(("re", [p]))
    return _Plan(spec, inflect)


def _re_end(rx: re.Pattern):
    def match(t: gaps.Text, pos: int) -> int | None:
        m = rx.match(t.text, pos)
        return m.end() if m else None
    return match


def _plan_spans(parts: tuple, keys, text: str, index: WordIndex | None) -> list[tuple[int, int]]:
    """The matches of a plan's parts: at each offset where a match can start (the same offsets the expression
    is tried at), the first part that matches; the next search starts where a match ends."""
    if keys is not None:
        index = index if index is not None else WordIndex(text)
        starts = index.starts(keys)
    else:
        starts = range(len(text))
    t = index.gap_text() if index is not None else gaps.Text(text)
    out: list[tuple[int, int]] = []
    last_end = -1
    for pos in starts:
        if pos < last_end:
            continue
        for match in parts:
            end = match(t, pos)
            if end is not None:
                if end > pos:
                    out.append((pos, end))
                    last_end = end
                break
    return out


_ASCII_RUN = re.compile(r"[A-Za-z0-9]+")
_RUN = re.compile(r"[^\W_]+")  # letters and digits
KEY_LENGTH = 8  # the longest key of ``phrase_keys``


NEVER = "\x00"  # the key of a word no text with only ASCII letters and digits can match


def _ascii_partner(ch: str) -> bool:
    """Can ``ch`` match an ASCII character when case is ignored (the Kelvin sign matches k)?"""
    return any(re.fullmatch(re.escape(ch), chr(c), re.IGNORECASE) for c in range(128))


def _run_keys(tok: str) -> list[str]:
    """The keys of a word of a phrase: for each run of letters and digits in it, the lower-case first
    1-8 characters of its ASCII beginning. Wherever the word matches, each run starts a word of the text
    (it follows a non-word character, a joiner or the word's own punctuation) that starts with its key.
    A run with a letter that matches no ASCII letter (``résumé``) gives ``NEVER``."""
    out = []
    for run in _RUN.findall(tok):
        if not run.isascii() and not all(ch.isascii() or _ascii_partner(ch) for ch in run):
            out.append(NEVER)
            continue
        m = _ASCII_RUN.match(run)
        if m:
            out.append(m.group(0)[:KEY_LENGTH].lower())
    return out


def phrase_keys(phrase: str) -> list[frozenset[str]]:
    """What a text needs for ``phrase`` to match it: a list of requirements, each a set of keys (1-8
    characters) one of which must start some word of the text (a word: a run of ASCII letters and
    digits). A plain word gives one requirement per run of letters and digits (``I-765``: ``i`` and
    ``765``); a choice gives one, a key of each alternative's first word (none if an alternative has
    no run with an ASCII beginning)."""
    out: list[frozenset[str]] = []
    for tok in _tokens(phrase):
        if tok in _GAPS:
            continue
        if tok.startswith("(") and tok.endswith(")"):
            keys: set[str] | None = set()
            for alt in tok[1:-1].split("|"):
                words = _tokens(alt.strip()) if alt.strip() else []
                first = _run_keys(words[0]) if words and not words[0].startswith("(") else []
                if not first:
                    keys = None  # an alternative with no known run: ask nothing
                    break
                keys.add(first[0])
            if keys:
                out.append(frozenset(keys))
            continue
        out.extend(frozenset((k,)) for k in _run_keys(tok))
    return out


_LEAD = re.compile(r"\w+")
_LEAD3 = re.compile(r"(\w{1,3})\w*")  # a word and its first three characters


def _all_first_keys(phrases) -> tuple[str, ...] | None:
    """The first-word keys of every phrase (None when one phrase's first word has none)."""
    keys: set[str] = set()
    for p in phrases:
        k = _first_keys(p)
        if k is None:
            return None
        keys |= k
    return tuple(sorted(keys)) if keys else None


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
    """Start offsets of the words of a text, by their lower-case 1-, 2- and 3-letter prefixes (made on
    first use), and which of a phrase set's signals can match the text (asked once per set)."""

    __slots__ = ("_by", "_found", "_gap", "text")

    def __init__(self, text: str):
        self.text = text
        self._by: dict[str, list[int]] | None = None
        self._found: dict[int, tuple[Any, frozenset[int] | None]] = {}
        self._gap: gaps.Text | None = None

    def gap_text(self) -> gaps.Text:
        """The text as ``raigov.policy.gaps`` searches it, shared by every signal searched in it."""
        if self._gap is None:
            self._gap = gaps.Text(self.text)
        return self._gap

    def candidates(self, matcher) -> frozenset[int] | None:
        """``matcher.candidates(text)``, kept for the next signal of the same set."""
        got = self._found.get(id(matcher))
        if got is None or got[0] is not matcher:
            got = (matcher, matcher.candidates(self.text))
            self._found[id(matcher)] = got
        return got[1]

    def _index(self) -> dict[str, list[int]]:
        by: dict[str, list[int]] = {}
        text = self.text
        if text.isascii():  # lower case keeps every offset: the first three characters, read from one pass
            for m in _LEAD3.finditer(text.lower()):
                k = m.group(1)
                lst = by.get(k)
                if lst is None:
                    by[k] = [m.start()]
                else:
                    lst.append(m.start())
        else:
            for m in _LEAD.finditer(text):
                by.setdefault(m.group(0)[:3].lower(), []).append(m.start())
        self._by = by
        return by

    def starts(self, keys) -> list[int]:
        """Start offsets, in order, of the words that start with one of ``keys`` (1-3 lower-case characters)."""
        by = self._by if self._by is not None else self._index()
        out: list[int] = []
        short = False
        for k in keys:
            if len(k) == 3:
                lst = by.get(k)
                if lst:
                    out.extend(lst)
            else:  # a short key: every word whose first three characters start with it
                short = True
                for w3, lst in by.items():
                    if w3.startswith(k):
                        out.extend(lst)
        if len(keys) == 1 and not short:
            return out  # one key's offsets are already in order
        return sorted(set(out)) if short else sorted(out)  # a word has one 3-character key
