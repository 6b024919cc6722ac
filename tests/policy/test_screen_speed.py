"""The speed-ups of `raigov policy screen` (issue #18 follow-up) change no answer: only the packs a command uses
are loaded (a refused or unknown pack still gives the same message), the phrase filter's word memo gives the
same candidates, and the screen's plan (signals ruled out, kinds matched) gives the same results with and
without the trace."""

import json
import textwrap
from pathlib import Path

import pytest

from raigov.inventory.formats import read_inventory
from raigov.policy import packs as P
from raigov.policy.matcher import PhraseFilter, text_keys
from raigov.policy.packs import PackError, load_packs_for, load_registry
from raigov.policy.screen import contract_row, screen, screen_inventory
from raigov.policy.signals import Signal, phrase_keys
from tests.policy.test_cli import run

DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "federal-ai-inventory"

GOOD = textwrap.dedent("""\
    id: agency-x
    title: X
    version: "1.0.0"
    effective: {from: 2025-01-01}
    source: {citation: M}
    status: verified
    signals:
      d: {phrases: [drone*]}
    items:
      - {id: X.1, kind: presumption, title: D, citation: 'M 1', when: {signal: d}}
    """)
BROKEN = GOOD.replace("id: agency-x", "id: agency-broken").replace("{signal: d}", "{signal: nope}")


def test_load_packs_for_loads_only_the_named_ids(tmp_path):
    (tmp_path / "x.yaml").write_text(GOOD)
    reg = load_packs_for(["agency-x"], [tmp_path])
    assert {p.id for p in reg.packs()} == {"agency-x"}
    full = load_registry([tmp_path])
    reg = load_packs_for(["omb-m-25-21@1.2.0"], [tmp_path])  # that version's file only
    assert [p.key for p in reg.packs()] == ["omb-m-25-21@1.2.0"]
    assert reg.get("omb-m-25-21@1.2.0").digest == full.get("omb-m-25-21@1.2.0").digest
    reg = load_packs_for(["omb-m-25-21", "dhs-026-11@1.1.0"], [tmp_path])  # an id: its newest version
    newest = full.get("omb-m-25-21")
    assert [p.key for p in reg.packs()] == ["dhs-026-11@1.1.0", newest.key]
    assert reg.get("omb-m-25-21").digest == newest.digest
    (tmp_path / "z.yaml").write_text(GOOD.replace('version: "1.0.0"', 'version: "2.0.0"'))
    assert load_packs_for(["agency-x"], [tmp_path]).get("agency-x").version == "2.0.0"


def test_load_packs_for_gives_the_full_refusal_or_registry(tmp_path):
    (tmp_path / "x.yaml").write_text(GOOD)
    (tmp_path / "y.yaml").write_text(BROKEN)
    assert {p.id for p in load_packs_for(["agency-x"], [tmp_path]).packs()} == {"agency-x"}  # y is not used
    with pytest.raises(PackError) as lazy:
        load_packs_for(["agency-broken"], [tmp_path])
    with pytest.raises(PackError) as full:
        load_registry([tmp_path])
    assert str(lazy.value) == str(full.value) and lazy.value.problems == full.value.problems
    (tmp_path / "y.yaml").unlink()
    reg = load_packs_for(["nope"], [tmp_path])  # unknown: every pack, for the "known" list of the message
    assert {p.key for p in reg.packs()} == {p.key for p in load_registry([tmp_path]).packs()}
    with pytest.raises(PackError):
        load_packs_for(["agency-x"], [tmp_path / "missing"])


def test_a_file_states_its_pack_by_one_plain_id_and_version_line(tmp_path):
    cases = {"id: b\nversion: 1.0.0\n": ("b", "1.0.0"), "id: 'b'  # c\nversion: \"2.1.0\"\n": ("b", "2.1.0"),
             "id: b\n": None, "{id: b, version: 1.0.0}\n": None, "id: b\nid: c\nversion: 1.0.0\n": None,
             "  id: b\nversion: 1.0.0\n": None, "id: &x b\nversion: 1.0.0\n": None,
             "id: b\nversion: 1.0.0\nversion: 1.1.0\n": None}
    for text, stated in cases.items():
        f = tmp_path / "p.yaml"
        f.write_text(text)
        assert P._stated(f) == stated, text
    assert P._newest(["1.2.0", "1.10.0", "1.9.0"]) == "1.10.0" and P._newest(["x.y"]) is None


def test_screen_cli_with_a_broken_pack_it_does_not_use(tmp_path):
    (tmp_path / "x.yaml").write_text(GOOD)
    (tmp_path / "y.yaml").write_text(BROKEN)
    inv = tmp_path / "inv.csv"
    inv.write_text("id,use_case_name,problem_solved\nA-1,Drone fleet,Flies drones\n")
    res = run("screen", str(inv), "--pack", "agency-x", "--packs-dir", str(tmp_path), "--jsonl")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["presumed"] is True
    for args in (("screen", str(inv), "--pack", "agency-broken"), ("list",), ("validate", str(tmp_path / "y.yaml"))):
        extra = ("--packs-dir", str(tmp_path)) if args[0] != "validate" else ()
        res = run(*args, *extra)
        assert res.returncode == 2 and "y.yaml" in res.stderr and "nope" in res.stderr, (args, res.stderr)


def test_filter_word_memo_gives_the_same_candidates():
    sigs = [Signal(name=f"s{i}", phrases=(ph,)).compile()
            for i, ph in enumerate(["face recogni*", "(drone|uav) flight*", "I-765", "risk ... individual*",
                                    "x", "law enforcement"])]
    pf = PhraseFilter(sigs)
    texts = ["Face recognition of drone flights", "I-765 risk to individuals", "x marks", "LAW-enforcement",
             "nothing here", "uav flightpath and facets", ""]
    for t in texts * 2:  # the second time from the memo
        have = text_keys(t)
        assert pf._text_keys(t) == have & pf._needed
        want = frozenset(s for s, sig in enumerate(sigs) if sig.phrases and any(
            all(not r.isdisjoint(have) for r in phrase_keys(p))
            for p in sig.phrases))
        assert pf.candidates(t) == want, t


def test_plan_gives_the_same_results_as_the_trace():
    f = DATA / "2025_individually_reported_AI_use_cases.dev.csv"
    if not f.exists():
        pytest.skip(f"real inventory file not found: {f}")
    reg = load_registry()
    rows = read_inventory(f).rows[::7]
    for key in ("omb-m-25-21", "omb-m-24-10"):
        pack = reg.get(key)
        for r in rows:
            a = screen(r.values, pack, with_trace=False).as_dict(trace=False)
            b = screen(r.values, pack, with_trace=True).as_dict(trace=False)
            assert a == b, (key, r.row)


def test_screen_inventory_lines_are_stable():
    f = DATA / "2025_individually_reported_AI_use_cases.dev.csv"
    if not f.exists():
        pytest.skip(f"real inventory file not found: {f}")
    parsed = read_inventory(f)
    pack = load_registry().get("omb-m-25-21")
    once = [json.dumps(contract_row(rs)) for rs in screen_inventory(parsed, [pack])]
    again = [json.dumps(contract_row(rs)) for rs in screen_inventory(parsed, [pack])]  # memo and plan warm
    assert once == again
