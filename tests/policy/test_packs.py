"""Pack loading: schema, line-numbered refusals, registry immutability, packs in force."""

import textwrap
from pathlib import Path

import pytest

from raigov.policy import packs as P
from raigov.policy.packs import PackError, PackRegistry, load_pack, load_registry

GOOD = textwrap.dedent("""\
    id: agency-extra
    title: Agency extra rules
    version: "1.0.0"
    agency: DHS
    effective: {from: 2025-06-01}
    source: {citation: "Agency memo 1"}
    status: verified
    signals:
      drones:
        phrases: [drone*, unmanned aircraft]
    items:
      - id: X.1
        kind: presumption
        impact: [high-impact]
        title: Drones
        citation: "Memo 1 §1"
        when: {signal: drones}
    """)


def write(tmp_path: Path, name: str, text: str) -> Path:
    p = tmp_path / name
    p.write_text(text, encoding="utf-8")
    return p


def refusal(path) -> P.YamlProblem:
    with pytest.raises(PackError) as ei:
        load_pack(path)
    return ei.value.problems[0]


def test_shipped_packs_load(registry):
    keys = [p.key for p in registry.packs()]
    for k in ("omb-m-24-10@1.0.0", "omb-m-25-21@1.0.0", "dhs-139-08@1.0.0", "dhs-026-11@1.0.0", "dhs-139-07@1.0.0"):
        assert k in keys
    for p in registry.packs():
        assert all(i.citation and i.status in ("verified", "secondary", "unverified") for i in p.items)


def test_good_pack_and_agency_dir(tmp_path):
    write(tmp_path, "extra.yaml", GOOD)
    reg = load_registry([tmp_path])
    p = reg.get("agency-extra")
    assert p.key == "agency-extra@1.0.0" and p.agency == "DHS"
    assert reg.get("omb-m-25-21")  # shipped packs are still there


def test_bad_yaml_names_line(tmp_path):
    pr = refusal(write(tmp_path, "bad.yaml", GOOD.replace("phrases: [drone*, unmanned aircraft]", "phrases: [drone*,")))
    assert pr.source.endswith("bad.yaml") and pr.line is not None and "YAML" in pr.message


def test_unknown_key_names_line_and_key(tmp_path):
    pr = refusal(write(tmp_path, "k.yaml", GOOD.replace("    citation: \"Memo 1 §1\"\n",
                                                       "    citation: \"Memo 1 §1\"\n    colour: red\n")))
    assert pr.key == "items[0].colour" and pr.line == 17 and "unknown key" in pr.message


def test_condition_on_unknown_field(tmp_path):
    pr = refusal(write(tmp_path, "f.yaml", GOOD.replace("when: {signal: drones}", "when: {field: drone_count, gt: 1}")))
    assert pr.key == "items[0].when.field" and pr.line == 17 and "no such field" in pr.message


def test_condition_bad_answer_value(tmp_path):
    pr = refusal(write(tmp_path, "v.yaml", GOOD.replace("when: {signal: drones}",
                                                       "when: {field: development_stage, equals: Production}")))
    assert pr.key == "items[0].when.equals" and "not an answer" in pr.message


def test_unknown_signal(tmp_path):
    pr = refusal(write(tmp_path, "s.yaml", GOOD.replace("when: {signal: drones}", "when: {signal: robots}")))
    assert pr.key == "items[0].when.signal" and "no signal" in pr.message


def test_reference_cycle_refused(tmp_path):
    text = GOOD.replace("items:\n", "conditions:\n  a: {ref: b}\n  b: {any: [{ref: a}, {signal: drones}]}\nitems:\n", 1)
    text = text.replace("when: {signal: drones}", "when: {ref: a}")
    pr = refusal(write(tmp_path, "c.yaml", text))
    assert "cycle" in pr.message and pr.line is not None and pr.key.startswith("conditions.")


def test_signal_cycle_refused(tmp_path):
    text = GOOD.replace("    phrases: [drone*, unmanned aircraft]\n",
                        "    phrases: [drone*]\n    any_of: [uav]\n  uav:\n    any_of: [drones]\n")
    pr = refusal(write(tmp_path, "sc.yaml", text))
    assert "cycle" in pr.message and pr.key.startswith("signals.")


def test_item_cycle_refused(tmp_path):
    text = GOOD + ("  - id: X.2\n    kind: practice\n    title: P\n    citation: \"M §2\"\n    when: {item: X.3}\n"
                   "  - id: X.3\n    kind: review\n    title: R\n    citation: \"M §3\"\n    when: {item: X.2}\n")
    pr = refusal(write(tmp_path, "ic.yaml", text))
    assert "cycle" in pr.message and pr.key.startswith("items[")


def test_bad_phrase_and_python_tag_refused(tmp_path):
    pr = refusal(write(tmp_path, "ph.yaml", GOOD.replace("[drone*, unmanned aircraft]", "[drone*, \"un(manned\"]")))
    assert pr.key == "signals.drones.phrases[1]"
    pr = refusal(write(tmp_path, "py.yaml", GOOD.replace('title: Agency extra rules',
                                                         'title: !!python/object/apply:os.system ["true"]')))
    assert pr.line == 2


def test_duplicate_key_refused(tmp_path):
    pr = refusal(write(tmp_path, "d.yaml", GOOD.replace("status: verified\n", "status: verified\nstatus: secondary\n")))
    assert pr.key == "status" and "duplicate" in pr.message and pr.line == 8


def test_same_version_different_content_refused(tmp_path):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    write(a, "x.yaml", GOOD)
    write(b, "x.yaml", GOOD.replace("title: Drones", "title: Drones and robots"))
    with pytest.raises(PackError) as ei:
        load_registry([a, b])
    assert "immutable" in ei.value.problems[0].message
    # same content twice is fine; a new version is fine
    write(b, "x.yaml", GOOD)
    write(b, "y.yaml", GOOD.replace('version: "1.0.0"', 'version: "1.1.0"').replace("title: Drones", "title: D2"))
    reg = load_registry([a, b])
    assert reg.get("agency-extra").version == "1.1.0" and reg.get("agency-extra@1.0.0")


def test_failed_reload_keeps_packs_in_force(tmp_path, monkeypatch):
    good = tmp_path / "good"
    good.mkdir()
    write(good, "x.yaml", GOOD)
    monkeypatch.setattr(P, "_current", None)
    reg = P.reload_registry([good])
    assert "agency-extra" in reg
    write(good, "broken.yaml", "id: [")
    with pytest.raises(PackError) as ei:
        P.reload_registry([good])
    assert ei.value.problems[0].source.endswith("broken.yaml")
    assert P.current_registry() is reg and "agency-extra" in P.current_registry()
    monkeypatch.setattr(P, "_current", None)


def test_in_force_by_date(registry):
    import datetime as dt

    ids = {p.id for p in registry.in_force(dt.date(2024, 6, 1))}
    assert "omb-m-24-10" in ids and "omb-m-25-21" not in ids
    ids = {p.id for p in registry.in_force(dt.date(2025, 6, 1))}
    assert "omb-m-25-21" in ids and "omb-m-24-10" not in ids


def test_registry_get_unknown():
    with pytest.raises(KeyError):
        PackRegistry().get("nope")
