"""The pack's phrase filter (raigov.policy.matcher) only skips searches that would find nothing: the hits
of every signal of the shipped packs are the same with and without it."""

import re
from pathlib import Path

import pytest

from raigov.inventory.formats import read_inventory
from raigov.policy.matcher import plain_text, text_keys
from raigov.policy.screen import Subject
from raigov.policy.signals import NEVER, Signal, WordIndex, phrase_keys

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "federal-ai-inventory"


def test_phrase_keys_hand_worked():
    assert phrase_keys("(face|facial) recogni*") == [frozenset({"face", "facial"}), frozenset({"recogni"})]
    assert phrase_keys("I-765") == [frozenset({"i"}), frozenset({"765"})]
    assert phrase_keys("risk ... individual*") == [frozenset({"risk"}), frozenset({"individu"})]
    assert phrase_keys("risk ~ individual*") == [frozenset({"risk"}), frozenset({"individu"})]
    assert phrase_keys("=warrant") == [frozenset({"warrant"})]
    assert phrase_keys("résumé*") == [frozenset({NEVER})]  # é matches no ASCII letter
    assert phrase_keys("(a b|'s) c") == [frozenset({"a", "s"}), frozenset({"c"})]
    assert phrase_keys("(a|&) c") == [frozenset({"c"})]  # an alternative with no letter or digit: no key


def test_text_keys_and_plain_text():
    assert text_keys("Face-ID, x") == {"f", "fa", "fac", "face", "i", "id", "x"}
    assert plain_text("plain — text “quoted” 12") and not plain_text("café") and not plain_text("\u212aelvin")


def bare(sig: Signal) -> Signal:
    """The same signal with no pack filter."""
    return Signal(name=sig.name, phrases=sig.phrases, excepts=sig.excepts, negation=sig.negation,
                  inflect=sig.inflect, cues=sig.cues, post_cues=sig.post_cues).compile()


def phrase_text(phrase: str, pick: int) -> str:
    """A text that the phrase matches: a choice's ``pick``-th alternative, stems and gaps filled in."""
    def choose(m):
        alts = m.group(1).split("|")
        return alts[pick % len(alts)]
    t = re.sub(r"\(([^()]*)\)", choose, phrase).replace("...", "and the").replace("~", "and the").replace("=", "")
    return re.sub(r"\*", "ing", t)


def same_hits(pack, texts):
    checked = 0
    for sig in pack.signals.values():
        if not sig.phrases:
            continue
        ref = bare(sig)
        for t in texts:
            got = [(h.start, h.end, h.text, h.negated, h.vetoed) for h in sig.find(t, WordIndex(t))]
            want = [(h.start, h.end, h.text, h.negated, h.vetoed) for h in ref.find(t)]
            assert got == want, (pack.key, sig.name, t[:200])
            checked += bool(want)
    return checked


def test_filter_keeps_every_hit_on_phrase_texts(registry):
    for key in ("omb-m-25-21", "dhs-139-08"):
        pack = registry.get(key)
        parts = []
        for sig in pack.signals.values():
            for i, ph in enumerate(sig.phrases + sig.excepts):
                parts.append(f"The tool. {phrase_text(ph, i)} is not used; {phrase_text(ph, i + 1).upper()}.")
        texts = [" ".join(parts[i:i + 8]) for i in range(0, len(parts), 8)]  # 8 phrases a text
        assert same_hits(pack, texts) > len(texts)  # most texts have hits: the filter was tried on positives


def test_filter_keeps_every_hit_on_real_rows(registry):
    f = DATA / "2025_individually_reported_AI_use_cases.dev.csv"
    if not f.exists():
        pytest.skip(f"real inventory file not found: {f}")
    rows = read_inventory(f).rows[::15]
    for key in ("omb-m-24-10",):
        pack = registry.get(key)
        texts = [Subject(r.values, "2025", pack.text_fields).doc for r in rows]
        assert same_hits(pack, texts) > 40
