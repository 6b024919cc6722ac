"""The guard's regex engine (raigov.genai.guard.engine): code point offsets wherever a hit starts or ends, and the
prompt-wide prefilter (one RE2 Set) that skips the patterns absent from a prompt without changing any finding."""

from __future__ import annotations

import random

import re2

from raigov.genai.guard import engine
from raigov.genai.guard.engine import Doc, rx
from raigov.genai.guard.scan import detect

# hits that start or end inside a run of non-ASCII characters (a letter before a symbol: "ΧΑΝ∆"), between
# them and at their edges; lone surrogates are 3 bytes in the prompt's encoding
_WORDISH = rx(r"\p{Lu}[\p{L}'’.-]*|\d+", prefilter=False)
_ALPHABET = list("abAZ09 .-’éÉΧα∆—😀") + ["\ud800"]


def _oracle(doc: Doc, byte_offset: int) -> int:
    """The code point offset of a byte offset, the slow and obvious way."""
    return len(doc.raw[:byte_offset].decode("utf-8", "surrogatepass"))


def test_offsets_are_code_points_also_inside_runs_of_non_ascii_characters():
    rnd = random.Random(20261207)
    checked = 0
    for _ in range(3000):
        text = "".join(rnd.choice(_ALPHABET) for _ in range(rnd.randint(1, 40)))
        doc = Doc(text)
        want = [(_oracle(doc, s), _oracle(doc, e)) for s, e in doc._find_bytes(_WORDISH)]
        assert doc.find(_WORDISH) == want, text
        checked += len(want)
    assert checked > 10_000


def test_runs_of_capitals_that_end_at_a_symbol_after_a_letter_have_the_right_spans():
    from raigov.genai.guard import names

    text = "Koskikatu 25, ΧΑΝ∆ΡΙΑ, Cyprus. The address of Αλεξάνδρα∆ Σμιθ"
    doc = Doc(text)
    assert [text[s:e] for s, e in doc.find(names._RUN)] == [
        "Koskikatu", "ΧΑΝ", "ΡΙΑ", "Cyprus. The", "Αλεξάνδρα", "Σμιθ"]


_TEXTS = [
    "My SSN is 219-09-9998 and my card 4111 1111 1111 1111, call (202) 555-0143.",
    "TOP SECRET//NOFORN\nThe plan. (CUI//SP-PRVCY) Ana Lopez said so; FOUO.",
    "Passport number 912345678, A-number A012345678, I-94 12345678901.",
    "Zoë Šárka wrote from 10.0.0.1 to ana@example.org on 03/14/1985 (DOB).",
    "Nothing sensitive here, just a question about the weather in spring.",
    "IBAN DE89 3704 0044 0532 0130 00, routing 021000021, account 12345678901.",
]


def test_the_prefilter_skips_absent_patterns_and_changes_no_finding(monkeypatch):
    rnd = random.Random(7)
    words = " ".join(_TEXTS).split(" ")
    texts = _TEXTS + [" ".join(rnd.choice(words) for _ in range(rnd.randint(1, 60))) for _ in range(150)]
    with_prefilter = [detect(t) for t in texts]
    present = Doc(_TEXTS[4]).present()  # a short prompt uses it: only the always-present empty pattern is in it
    assert isinstance(present, set) and present == {0}
    monkeypatch.setattr(engine, "PREFILTER_MAX_BYTES", -1)  # every pattern searched
    assert Doc(_TEXTS[4]).present() is engine._EVERY
    assert [detect(t) for t in texts] == with_prefilter
    assert any(with_prefilter)


def test_the_prefilter_says_which_patterns_occur():
    from raigov.genai.guard import identifiers, markings

    present = Doc("SSN 219-09-9998, nothing else").present()
    assert identifiers._SSN.index in present
    assert markings._CLASS.index not in present and markings._LEGACY.index not in present


def test_a_prefilter_that_answers_nothing_means_every_pattern_is_searched(monkeypatch):
    # an RE2 Set whose automaton ran out of memory answers with no index at all, not even the empty pattern that
    # every text holds: a Set that reports nothing stands for it here
    silent = re2._re2.Set(engine._UNANCHORED, engine._SET_OPTIONS)
    assert silent.Add(b"\\x00never\\x00") == 0
    assert silent.Compile()
    text = _TEXTS[0]
    want = detect(text)
    monkeypatch.setattr(engine, "_PREFILTER", silent)
    doc = Doc(text)
    assert doc.present() is engine._EVERY
    assert detect(text) == want and want
