"""The guard's policy (data/policy.yaml) and the result contract: decision, findings, redacted text, why;
bad input refused with a clear error; adversarial inputs finish in linear time."""

from __future__ import annotations

import time

import pytest

from raigov.errors import PayloadTooLarge, ValidationFailed
from raigov.genai.guard.policy import TYPES, default_policy, parse_policy
from raigov.genai.guard.scan import detect, screen_text

PROMPT = "Draft a letter to John Smith (SSN 219-09-9998) at jo.smith@example.com."


def test_result_contract_exactly():
    r = screen_text(PROMPT)
    assert set(r) >= {"decision", "findings", "redacted"}
    assert r["decision"] == "block"  # an SSN to a public tool
    for f in r["findings"]:
        assert set(f) == {"type", "start", "end", "rule", "confidence"}
        assert isinstance(f["start"], int) and isinstance(f["end"], int) and 0 < f["confidence"] <= 1
    got = {(f["type"], PROMPT[f["start"]:f["end"]]) for f in r["findings"]}
    assert got == {("PERSON", "John Smith"), ("US_SSN", "219-09-9998"), ("EMAIL_ADDRESS", "jo.smith@example.com")}
    assert r["redacted"] == "Draft a letter to [PERSON] (SSN [US_SSN]) at [EMAIL_ADDRESS]."
    assert {x["type"]: x["action"] for x in r["reasons"]} == {"PERSON": "redact", "US_SSN": "block",
                                                              "EMAIL_ADDRESS": "redact"}


def test_decision_depends_on_the_tools_data_class():
    assert screen_text("Email jo.smith@example.com", "chatgpt", data_class="public")["decision"] == "redact"
    internal = screen_text(PROMPT, "dhschat", data_class="internal")
    assert internal["decision"] == "allow" and internal["data_class"] == "internal"
    assert internal["redacted"] == PROMPT  # nothing is redacted when everything is allowed
    assert screen_text("Summarise the weather report.", "chatgpt") | {"reasons": []} == {
        "decision": "allow", "findings": [], "redacted": "Summarise the weather report.", "tool": "chatgpt",
        "data_class": "public", "reasons": [], "policy_version": 1}


def test_markings_block_by_default_and_cui_is_allowed_internally():
    banner = "CUI//SP-PRVCY\nCase notes for the file."
    assert screen_text(banner, "claude", data_class="public")["decision"] == "block"
    assert screen_text(banner, "dhschat", data_class="internal")["decision"] == "allow"
    secret = "SECRET//NOFORN\nThe plan."
    for cls in ("public", "internal", None):
        r = screen_text(secret, data_class=cls)
        assert r["decision"] == "block"
        assert "SECRET" not in r["redacted"]  # the marking is not echoed back


def test_every_type_has_an_action_for_every_class():
    p = default_policy()
    for cls in p.classes:
        for t in TYPES:
            assert p.action(cls, t) in ("allow", "redact", "block")


def test_policy_errors_name_the_key():
    base = {"classes": {"public": {}}, "rules": {"public": {"US_SSN": "block"}}}
    assert parse_policy(base).action("public", "US_SSN") == "block"
    with pytest.raises(ValidationFailed, match=r"rules.public.NOT_A_TYPE"):
        parse_policy({**base, "rules": {"public": {"NOT_A_TYPE": "block"}}})
    with pytest.raises(ValidationFailed, match=r"rules.public.US_SSN: action must be"):
        parse_policy({**base, "rules": {"public": {"US_SSN": "shred"}}})
    with pytest.raises(ValidationFailed, match=r"rules.secret"):
        parse_policy({**base, "rules": {"secret": {}}})


def test_min_confidence_drops_weak_findings():
    strict = parse_policy({"classes": {"public": {}}, "min_confidence": 0.99, "default": {"default": "block"}})
    assert screen_text("Hi Jennifer", policy=strict)["decision"] == "allow"  # name.first is 0.6
    assert screen_text("Hi Jennifer")["decision"] == "redact"


@pytest.mark.parametrize(("text", "error", "field_code"), [
    ("", ValidationFailed, "empty"),
    ("   \n ", ValidationFailed, "empty"),
    ("abc\x00def", ValidationFailed, "binary"),
    ("\x7fELF\x02\x01", ValidationFailed, "binary"),
])
def test_bad_input_is_refused_clearly(text, error, field_code):
    with pytest.raises(error) as exc:
        screen_text(text)
    assert exc.value.errors[0].field == "text" and exc.value.errors[0].code == field_code


def test_oversize_is_refused_never_truncated():
    with pytest.raises(PayloadTooLarge, match="limit is 100"):
        screen_text("x" * 101, max_chars=100)
    assert screen_text("x" * 100, max_chars=100)["decision"] == "allow"


def test_unknown_data_class_names_the_classes():
    with pytest.raises(ValidationFailed, match="unknown data class 'secret'; classes: public, internal"):
        screen_text("hello", data_class="secret")


ADVERSARIAL = {k: (v * 2)[:1_000_000] for k, v in {
    "dots": "." * 1_000_000,
    "digits": "1" * 1_000_000,
    "digit groups": "1234 " * 200_000,
    "near ssn": "123-45-678 " * 90_910,
    "near email": ("a" * 60 + "@") * 16_394,
    "near domain": ("x@" + "a-" * 40 + ".") * 12_196,
    "near ipv6": "1:" * 500_000,
    "capitals": "Aa " * 333_333,
    "accented words": "Zoë 1 " * 166_667,  # non-ASCII: code points from byte offsets
    "wide": "é" * 1_000_000,
    "near card": "4111-1111-1111-111 " * 52_632,
    "slashes": "CUI//" * 200_000,
    "mixed": "John 1600 Main St 202-555-01 A12345 " * 30_000,
}.items()}


def _timed(text: str) -> float:
    t0 = time.process_time()  # CPU time: the machine's other load does not count
    detect(text)
    return time.process_time() - t0


@pytest.mark.slow
@pytest.mark.parametrize("name", sorted(ADVERSARIAL))
def test_a_1mb_adversarial_input_finishes_in_linear_time(name):
    """A 1 MB adversarial prompt: under a second on a quiet 2-core machine (docs/genai.md gives the
    figures); here, on a shared machine, the bound is generous and the test checks linearity: 1 MB takes
    at most ~25× the time of 100 kB of the same text (10× is linear; a backtracking or quadratic step
    would be 100× or worse: minutes)."""
    text = ADVERSARIAL[name]
    assert len(text) == 1_000_000
    small = _timed(text[:100_000])
    big = _timed(text)
    assert big < 25 * small + 2.0, (small, big)
    assert big < 20.0
