"""CLI contract: `raigov policy screen FILE --pack ... --jsonl` on the real inventory files, run as a
subprocess; validate/list/show/diff."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).resolve().parents[3] / "shared" / "data" / "federal-ai-inventory"
RAIGOV = ROOT / ".venv" / "bin" / "raigov"
KEYS = {"row", "id", "name", "presumed", "categories", "evidence", "prohibited"}


def run(*args, env=None):
    exe = [str(RAIGOV)] if RAIGOV.exists() else [sys.executable, "-m", "raigov.cli.main"]
    e = dict(os.environ)
    e.pop("RAIGOV_POLICY_DIR", None)
    e.update(env or {})
    return subprocess.run(exe + ["policy", *args], check=False, capture_output=True, text=True, env=e, timeout=300)


def need(name):
    p = DATA / name
    if not p.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"inventory data missing in CI: {p}")
        pytest.skip(f"SKIPPED LOUDLY: real inventory file not found: {p}")
    return p


def check_lines(out: str, parsed_rows: list, *, with_id: bool):
    lines = [json.loads(x) for x in out.splitlines()]
    assert len(lines) == len(parsed_rows)
    for i, (d, r) in enumerate(zip(lines, parsed_rows)):
        assert set(d) >= KEYS
        assert d["row"] == r.row == i + 1
        assert isinstance(d["presumed"], bool) and isinstance(d["categories"], list)
        assert isinstance(d["prohibited"], list)
        for e in d["evidence"]:
            assert {"item", "field", "text"} <= set(e) and e["item"] in d["categories"] + d["prohibited"]
        if d["presumed"]:
            assert d["categories"] and d["evidence"]
        if with_id:
            assert d["id"] == r.values.get("id")
    return lines


@pytest.mark.slow
def test_screen_2025_dev_csv_m2521():
    from raigov.inventory.formats import read_inventory

    f = need("2025_individually_reported_AI_use_cases.dev.csv")
    res = run("screen", str(f), "--pack", "omb-m-25-21", "--jsonl")
    assert res.returncode == 0, res.stderr
    lines = check_lines(res.stdout, read_inventory(f).rows, with_id=True)
    assert all(c.startswith("M-25-21.6(") for d in lines for c in d["categories"])
    assert any(d["presumed"] for d in lines) and not all(d["presumed"] for d in lines)


@pytest.mark.slow
def test_screen_2024_v2_csv_m2410():
    from raigov.inventory.formats import read_inventory

    f = need("2024_consolidated_ai_inventory_raw_v2.csv")
    res = run("screen", str(f), "--pack", "omb-m-24-10", "--jsonl")
    assert res.returncode == 0, res.stderr
    lines = check_lines(res.stdout, read_inventory(f).rows, with_id=False)
    for d in lines:
        assert set(d["impacts"]) <= {"rights", "safety"}
        assert d["id"] is None or d["id"].startswith("name:")


def test_screen_dhs_xlsx_with_dhs_packs():
    from raigov.inventory.formats import read_inventory

    f = need("2025_0128_ocio-dhs-ai-use-case-inventory.xlsx")
    res = run("screen", str(f), "--pack", "omb-m-25-21", "--pack", "dhs-026-11", "--jsonl")
    assert res.returncode == 0, res.stderr
    lines = check_lines(res.stdout, read_inventory(f).rows, with_id=True)
    # a pack given by id is screened with its newest version (1.1.0 superseded the published 1.0.0)
    from raigov.policy.packs import load_registry

    newest = load_registry().versions("omb-m-25-21")[-1].key
    assert newest != "omb-m-25-21@1.0.0"
    assert lines[0]["packs"] == [newest, load_registry().versions("dhs-026-11")[-1].key]


def test_screen_other_forms():
    for name in ("2023_consolidated_ai_inventory_raw.csv", "2025_consolidated_COTS_AI_use_cases.csv"):
        f = need(name)
        res = run("screen", str(f), "--pack", "omb-m-25-21", "--jsonl")
        assert res.returncode == 0, res.stderr
        rows = [json.loads(x) for x in res.stdout.splitlines()]
        assert [d["row"] for d in rows] == list(range(1, len(rows) + 1))


def test_screen_bad_file_and_unknown_pack(tmp_path):
    bad = tmp_path / "x.csv"
    bad.write_text("hello,world\n1,2\n")
    res = run("screen", str(bad), "--pack", "omb-m-25-21", "--jsonl")
    assert res.returncode == 2 and res.stdout == ""
    good = tmp_path / "g.csv"
    good.write_text("use_case_name,problem_solved\nA,b\n")
    res = run("screen", str(good), "--pack", "nope", "--jsonl")
    assert res.returncode == 2 and "no policy pack" in res.stderr


def test_validate_list_show(tmp_path):
    shipped = ROOT / "src" / "raigov" / "policy" / "packs"
    res = run("validate", *[str(p) for p in sorted(shipped.glob("*.yaml"))])
    assert res.returncode == 0, res.stderr
    bad = tmp_path / "bad.yaml"
    bad.write_text((shipped / "dhs-026-11.yaml").read_text().replace("{field: raigov.face_capture, equals: true}",
                                                                      "{field: raigov.face_captur, equals: true}"))
    res = run("validate", str(bad), "--json")
    assert res.returncode == 2
    prob = json.loads(res.stdout)[0]["problems"][0]
    assert prob["file"].endswith("bad.yaml") and prob["line"] > 1 and prob["key"].startswith("conditions.fr_or_fc")
    res = run("validate", str(bad))
    assert res.returncode == 2 and "bad.yaml:" in res.stderr and "no such field" in res.stderr
    res = run("list", "--json")
    assert res.returncode == 0 and {"omb-m-25-21", "dhs-139-08"} <= {p["id"] for p in json.loads(res.stdout)}
    res = run("show", "omb-m-24-10@1.0.0", "--json")
    d = json.loads(res.stdout)
    assert res.returncode == 0 and len([i for i in d["items"] if i["kind"] == "presumption"]) == 28
    res = run("show", "omb-m-25-21")
    assert res.returncode == 0 and "M-25-21.6(o)" in res.stdout


def test_packs_dir_option_and_env(tmp_path):
    (tmp_path / "p.yaml").write_text(
        "id: agency-x\ntitle: X\nversion: '1.0.0'\neffective: {from: 2025-01-01}\nsource: {citation: M}\n"
        "status: verified\nsignals:\n  d: {phrases: [drone*]}\nitems:\n"
        "  - {id: X.1, kind: presumption, title: D, citation: 'M 1', when: {signal: d}}\n")
    res = run("list", "--json", "--packs-dir", str(tmp_path))
    assert "agency-x" in {p["id"] for p in json.loads(res.stdout)}
    res = run("list", "--json", env={"RAIGOV_POLICY_DIR": str(tmp_path)})
    assert "agency-x" in {p["id"] for p in json.loads(res.stdout)}
    inv = tmp_path / "inv.csv"
    inv.write_text("id,use_case_name,problem_solved\nA-1,Drone fleet,Flies drones\nA-2,Mail,Sorts mail\n")
    res = run("screen", str(inv), "--pack", "agency-x", "--packs-dir", str(tmp_path), "--jsonl")
    assert res.returncode == 0, res.stderr
    rows = [json.loads(x) for x in res.stdout.splitlines()]
    assert ([r["presumed"] for r in rows] == [True, False]
            and rows[0]["evidence"][0]["text"] == "drone fleet".title().split()[0]) or rows[0]["evidence"]


def test_diff_versions_and_memos(tmp_path):
    shipped = ROOT / "src" / "raigov" / "policy" / "packs"
    newer = (shipped / "omb-m-25-21.yaml").read_text().replace('version: "1.0.0"', 'version: "9.0.0"').replace(
        "    when: {signal: translation}\n", "    when: {all: [{signal: translation}, {signal: law_enforcement}]}\n")
    (tmp_path / "m2521-9.0.yaml").write_text(newer)  # a test-only version
    inv = tmp_path / "inv.csv"
    inv.write_text("id,use_case_name,problem_solved\nA-1,Translate,Machine translation of letters\n"
                   "A-2,Translate,Machine translation of criminal investigation interviews\nA-3,Mail,Sorts mail\n")
    res = run("diff", "omb-m-25-21@1.0.0", "omb-m-25-21@9.0.0", "--inventory", str(inv), "--json",
              "--packs-dir", str(tmp_path))
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert [c["row"] for c in d["changes"]] == [1]
    assert d["changes"][0]["presumed"] == [True, False]
    # across memos the crosswalk maps old categories, so I(2)(m) -> 6(o) is no change
    res = run("diff", "omb-m-24-10", "omb-m-25-21@1.1.0", "--inventory", str(inv), "--json")
    d = json.loads(res.stdout)
    assert res.returncode == 0 and all(c["row"] != 1 for c in d["changes"])
    # 1.2.0 reads §6(o) whole: a translation of letters informs no decision, so row 1 is no longer presumed
    res = run("diff", "omb-m-25-21@1.1.0", "omb-m-25-21@1.2.0", "--inventory", str(inv), "--json")
    d = json.loads(res.stdout)
    assert res.returncode == 0 and {c["row"]: c["presumed"] for c in d["changes"]}.get(1) == [True, False]
