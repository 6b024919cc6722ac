"""Phrases with a gap in a text with an underscore (``raigov.policy.gaps``): exactly the matches of the phrase's
expression on Python's ``re`` (the oracle, on texts short enough for it), in work linear in the text."""

import random
import re

import pytest

from raigov.policy import gaps
from raigov.policy.signals import Signal, WordIndex, _body

WORDS = ["control", "controls", "Control", "CONTROLLED", "dam", "dams", "Dam", "damage", "but", "But", "while", "the",
         "x", "a", "ing", "risk", "risked", "risking", "s", "\u212a", "caf\u00e9", "dam_x", "x_dam", "but_", "_but"]
SEPS = [" ", " ", "  ", "_", "_", "__", "-", "/", ".", ",", "\n", ";", "(", ") ", " - ", "\u00e9"]
TOKENS = ["control*", "control", "=control", "dam*", "dam", "=dam", "(dam|damage)", "(the dam|x)", "risk",
          "(control*|x)", "(x ... dam|dam*)", "k", "(but|x)", "caf\u00e9", "a"]


def oracle(phrases, inflect=True):
    """The signal's expression before this module: one ``re`` alternation of every phrase."""
    return re.compile(r"(?<![\w])(?:" + "|".join(_body(p, inflect) for p in phrases) + r")(?![\w])", re.IGNORECASE)


def random_phrase(g):
    toks = [g.choice(TOKENS)]
    for _ in range(g.randint(0, 2)):
        toks += [g.choice([" ", " ... ", " ~ ", " ~ ", " ... "]), g.choice(TOKENS)]
    phrase = "".join(toks)
    return phrase if ("..." in phrase or "~" in phrase) else phrase + " ... dam*"


def random_text(g):
    out, underscores = [], 0
    for i in range(g.randint(1, 14)):
        word = i % 2 == 0 if g.random() < 0.85 else g.random() < 0.5  # mostly a word, a separator, a word ...
        piece = (g.choice(WORDS[:6] + WORDS) if word else g.choice(SEPS))
        if underscores + piece.count("_") > 9:  # the oracle backtracks with about the sixth power of a run
            piece = " "
        underscores += piece.count("_")
        out.append(piece)
    text = "".join(out)
    return text if "_" in text else text + "_"


def spans(signal, text, index):
    return [(h.start, h.end) for h in signal.find(text, WordIndex(text) if index else None)]


@pytest.mark.parametrize("seed", range(6))
def test_the_same_matches_as_the_expression(seed):
    g = random.Random(seed)
    checked = inside = 0
    for _ in range(400):
        phrases = tuple(dict.fromkeys(random_phrase(g) for _ in range(g.randint(1, 3))))
        inflect = g.random() < 0.8
        signal = Signal(name="s", phrases=phrases, inflect=inflect, negation=False).compile()
        rx = oracle(phrases, inflect)
        for _ in range(8):
            text = random_text(g)
            want = [m.span() for m in rx.finditer(text)]
            assert spans(signal, text, False) == want, (phrases, text)
            assert spans(signal, text, True) == want, (phrases, text)
            checked += bool(want)
            inside += any("_" in text[a:b] for a, b in want)
    assert checked > 300 and inside > 100  # the texts match often, across an underscore often


@pytest.mark.parametrize(("phrase", "text", "want"), [
    ("control* ... dam*", "control_dam", ["control_dam"]),  # an underscore separates
    ("control* ... dam*", "control x_dam_dam", ["control x_dam_dam"]),
    ("control ... dam", "control a_b_c_d_e dam", ["control a_b_c_d_e dam"]),  # one word however many underscores
    ("control ... dam", "control a b c_d dam", ["control a b c_d dam"]),  # three
    ("control ... dam", "control a b c d_e dam", []),  # four
    ("control ~ dam", "control but dam", []),
    ("control ~ dam", "control _but dam", ["control _but dam"]),  # "_but" is a word, not the conjunction
    ("control ~ dam", "control_but dam", []),
    ("control* ~ dam", "control__but dam", ["control__but dam"]),
    ("control ~ dam", "control but_x dam", ["control but_x dam"]),
    ("control ... dam", "control ___ dam", ["control ___ dam"]),
])
def test_worked_cases(phrase, text, want):
    signal = Signal(name="s", phrases=(phrase,), negation=False).compile()
    assert [h.text for h in signal.find(text)] == want
    assert [m.group(0) for m in oracle((phrase,)).finditer(text)] == want


ADVERSARIAL = {
    "an underscore run": "control " + "_" * 20000 + " x",
    "a stem glued to it": "control" + "_" * 20000,
    "words cut by underscores": "control " + "a_" * 10000,
    "the second word everywhere": "control x" + "_dam" * 5000 + "x",
    "underscores and spaces": "control " + "_ " * 10000,
    "many starts": "control_" * 3000,
}


@pytest.mark.parametrize("name", list(ADVERSARIAL))
@pytest.mark.parametrize("phrase", ["control* ... dam*", "control* ~ dam", "control ... (dam|x) ... y"])
def test_work_is_linear_in_the_text(name, phrase):
    """Texts on which the expression backtracks for hours: the work done (nodes tried at a position) stays a
    small multiple of the text's length, and the answer is the one the matches say."""
    text = ADVERSARIAL[name]
    signal = Signal(name="s", phrases=(phrase,), negation=False).compile()
    index = WordIndex(text)
    hits = signal.find(text, index)
    steps = index.gap_text().steps
    assert 0 < steps <= 40 * len(text), steps
    if name == "the second word everywhere" and phrase.startswith("control* ..."):
        assert [(h.start, h.end) for h in hits] == [(0, len(text))]
    if name == "an underscore run":
        assert hits == []


def test_a_text_without_an_underscore_uses_the_expression():
    signal = Signal(name="s", phrases=("control* ... dam*",)).compile()
    index = WordIndex("The model controls the dam.")
    assert [h.text for h in signal.find(index.text, index)] == ["controls the dam"]
    assert index._gap is None  # never made: no underscore, the one expression ran


def test_a_loop_tries_each_offset_once_per_text():
    t = gaps.Text("control " + "_" * 500 + " x_y dam")
    p = gaps.Phrase("control ... dam", True, lambda s: s.split())
    assert p.match(t, 0) == len(t.text)  # one separator, the word x_y, one separator
    first = t.steps
    assert first > 1000  # the separator run, tried at each level
    assert p.match(t, 0) == len(t.text)
    assert t.steps - first < 20  # the second time, the loops answer from what they kept


def _words_of(phrases):
    words = set()
    for p in phrases:
        for w in re.split(r"[\s()|]+", p):
            w = w.strip("=*")
            if w and w not in ("...", "~"):
                words.add(w)
    return sorted(words)


def test_every_shipped_signal_with_a_gap_on_texts_of_its_own_words():
    """Each signal with a gap, in every version of every shipped pack (with its ``except`` phrases), on random
    texts of its own words, inflected and cut by separators and underscores: the same matches and vetoes."""
    from raigov.policy.packs import load_registry

    g = random.Random(18)
    seen = set()
    compared = 0
    for pack in load_registry().packs():
        for signal in pack.signals.values():
            key = (signal.phrases, signal.excepts, signal.inflect)
            if key in seen or (signal._plan is None and signal._ex_plan is None):
                continue
            seen.add(key)
            words = _words_of(signal.phrases + signal.excepts) + ["the", "a", "but", "while"]
            rx = oracle(signal.phrases, signal.inflect)
            ex = oracle(signal.excepts, signal.inflect) if signal.excepts else None
            for _ in range(12):
                parts, underscores = [], 0
                for i in range(g.randint(2, 12)):
                    if i % 2 == 0:
                        parts.append(g.choice(words) + g.choice(["", "", "s", "ing", "_x"]))
                    else:
                        sep = g.choice([" ", " ", " ", "_", "__", "-", ". ", ", ", "_ ", " _"])
                        if underscores + sep.count("_") > 8:
                            sep = " "
                        underscores += sep.count("_")
                        parts.append(sep)
                text = "".join(parts) + " _"
                hits = signal.find(text)
                assert [(h.start, h.end) for h in hits] == [m.span() for m in rx.finditer(text)], (signal.name, text)
                if ex is not None:
                    vetoes = [m.span() for m in ex.finditer(text)]
                    assert [h.vetoed for h in hits] == [any(a < h.end and h.start < b for a, b in vetoes) for h in hits]
                compared += bool(hits)
    assert len(seen) > 50 and compared > 100, (len(seen), compared)
