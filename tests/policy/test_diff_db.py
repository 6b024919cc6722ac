"""A pack change on the database (both backends): which use cases' results would change between two
versions of a pack, with the current determination; only what the actor may read; nothing written.
The CLI `raigov policy diff PACK@V1 PACK@V2` without --inventory, as JSON."""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import sqlalchemy as sa

from raigov.audit.models import AuditEvent
from raigov.errors import PermissionDenied, ValidationFailed
from raigov.inventory import service as inventory
from raigov.policy import packs as P
from raigov.policy import service as policy
from raigov.policy.models import Determination, Screening

SHIPPED = Path(P.__file__).resolve().parent / "packs"
OLD, NEW = "omb-m-25-21@1.1.0", "omb-m-25-21@9.0.0"  # the newest shipped version and a test-only one above it


def newer_m2521() -> str:
    """omb-m-25-21 9.0.0 (test only, made from the shipped 1.1.0): translation (§6(o)) presumed only in a law-enforcement
    setting; employee shift scheduling added to federal employment (§6(n))."""
    text = (SHIPPED / "omb-m-25-21-1.1.0.yaml").read_text(encoding="utf-8")
    for old, new in (('version: "1.1.0"', 'version: "9.0.0"'),
                     ("    when: {signal: translation}\n",
                      "    when: {all: [{signal: translation}, {signal: law_enforcement}]}\n"),
                     ("        - {signal: employment}\n",
                      "        - {signal: employment}\n        - {signal: shift_scheduling}\n"),
                     ("  # ---- §6(o) translation\n",
                      ("  shift_scheduling:\n    title: Employee shift scheduling\n    phrases: [shift schedul*]\n\n"
                       "  # ---- §6(o) translation\n"))):
        assert text.count(old) == 1, old
        text = text.replace(old, new)
    return text


@pytest.fixture
def policy_dir(tmp_path, monkeypatch):
    """A temporary agency policy directory holding 9.0.0, made the packs in force."""
    d = tmp_path / "policy"
    d.mkdir()
    (d / "omb-m-25-21-9.0.0.yaml").write_text(newer_m2521(), encoding="utf-8")
    monkeypatch.setattr(P, "_current", P.load_registry([d]))
    return d


USE_CASES = {
    "letters": ("CBP", {"use_case_name": "Letter translation", "development_stage": "Deployed",
                        "problem_solved": "Machine translation of letters from the public into English."}),
    "interviews": ("CBP", {"use_case_name": "Interview translation", "development_stage": "Deployed",
                           "problem_solved": "Machine translation of criminal investigation interviews."}),
    "shifts": ("CBP", {"use_case_name": "Shift planner", "development_stage": "Deployed",
                       "problem_solved": "Proposes shift schedules for port staff from expected traffic."}),
    "mail": ("CBP", {"use_case_name": "Mail sorting", "development_stage": "Deployed",
                     "problem_solved": "Sorts incoming paper mail by office."}),
    "ice-letters": ("ICE", {"use_case_name": "Notice translation", "development_stage": "Deployed",
                            "problem_solved": "Machine translation of notices from the public into English."}),
}


@pytest.fixture
def world(db, settings, make_user, actor_of, policy_dir):
    make_user("cbp.owner", "submitter@CBP")
    make_user("ice.owner", "submitter@ICE")
    make_user("caio", "caio")
    make_user("staff", "employee")
    actors = {u: actor_of(u) for u in ("cbp.owner", "ice.owner", "caio", "staff")}
    ids = {}
    with db.transaction() as s:
        for key, (component, values) in USE_CASES.items():
            owner = actors["cbp.owner" if component == "CBP" else "ice.owner"]
            ids[key] = inventory.create_use_case(s, owner, component=component, values=values, reason="new",
                                                 settings=settings).business_id
        cots = inventory.create_use_case(s, actors["cbp.owner"], component="CBP", schema="cots-2025", reason="new",
                                         settings=settings, values={"use_case_name": "Office suite assistant",
                                                                    "cots_task": "Machine translation of e-mail"})
        ids["cots"] = cots.business_id
    with db.transaction() as s:  # a standing determination that agrees with 1.0.0's presumption
        policy.decide(s, actors["caio"], ids["letters"], "high-impact", "Letters inform benefit decisions.")
    return actors, ids


def counts(db) -> tuple[int, int, int]:
    with db.transaction() as s:
        return tuple(s.scalar(sa.select(sa.func.count()).select_from(t)) for t in (Screening, Determination, AuditEvent))


def test_diff_database_reports_exactly_the_changes_and_writes_nothing(db, world):
    actors, ids = world
    before = counts(db)
    with db.transaction() as s:
        res = policy.diff_database(s, actors["caio"], OLD, NEW)
    assert counts(db) == before  # no proposal, no determination, no audit event
    assert (res.old, res.new, res.screened, res.skipped) == (OLD, NEW, 5, 1)  # the COTS entry is not screened
    by_id = {c.business_id: c for c in res.changes}
    assert sorted(by_id) == sorted([ids["letters"], ids["shifts"], ids["ice-letters"]])

    letters = by_id[ids["letters"]]
    assert (letters.presumed_old, letters.presumed_new) == (True, False)
    assert letters.categories_removed == ["M-25-21.6(o)"] and letters.categories_added == []
    assert letters.categories_old == ["M-25-21.6(o)"] and letters.categories_new == []
    assert "M-25-21.4(b)(i)" in letters.practices_removed and letters.practices_added == []
    assert (letters.prohibited_added, letters.prohibited_removed) == ([], [])
    assert (letters.name, letters.component, letters.schema) == ("Letter translation", "CBP", "2025")
    assert (letters.determination, letters.determination_framework, letters.determination_status,
            letters.determined_by) == ("high-impact", "M-25-21", "in_force", "user:caio")
    assert letters.against_determination is True  # presumed no longer, against a standing determination

    shifts = by_id[ids["shifts"]]
    assert (shifts.presumed_old, shifts.presumed_new) == (False, True)
    assert shifts.categories_added == ["M-25-21.6(n)"] and shifts.categories_removed == []
    assert "M-25-21.4(b)(i)" in shifts.practices_added
    assert shifts.determination is None and shifts.against_determination is False

    ice = by_id[ids["ice-letters"]]
    assert (ice.component, ice.categories_removed, ice.determination) == ("ICE", ["M-25-21.6(o)"], None)


def test_diff_database_only_what_the_actor_may_read(db, world):
    actors, ids = world
    with db.transaction() as s:
        res = policy.diff_database(s, actors["cbp.owner"], OLD, NEW)
        assert sorted(c.business_id for c in res.changes) == sorted([ids["letters"], ids["shifts"]])
        assert res.screened == 4
        with pytest.raises(PermissionDenied):
            policy.diff_database(s, actors["staff"], OLD, NEW)


def test_diff_database_same_version_and_bad_refs(db, world):
    actors, _ = world
    with db.transaction() as s:
        assert policy.diff_database(s, actors["caio"], NEW, NEW).changes == []
        with pytest.raises(ValidationFailed) as ei:
            policy.diff_database(s, actors["caio"], "omb-m-25-21@9.9.9", "")
    errors = {e.field: e.message for e in ei.value.errors}
    assert set(errors) == {"old", "new"}
    assert "omb-m-25-21@9.9.9" in errors["old"] and "1.0.0, 1.1.0, 1.2.0, 1.3.0, 1.4.0, 9.0.0" in errors["old"]


def test_diff_across_memos_maps_categories_through_the_crosswalk(db, world):
    actors, ids = world
    with db.transaction() as s:
        res = policy.diff_database(s, actors["caio"], "omb-m-24-10@1.0.0", "omb-m-25-21@1.0.0")
    # M-24-10's translation category maps to §6(o): the translation use cases do not change (pinned to
    # the 1.0.0 pair, whose law-enforcement rules match; 1.1.0 of M-25-21 no longer presumes a use case
    # for merely naming an investigation, so "interviews" keeps only §6(o) there)
    changed = {c.business_id for c in res.changes}
    assert not changed & {ids["letters"], ids["interviews"], ids["ice-letters"]}
    assert all(c.practices_added == [] == c.practices_removed for c in res.changes)


# ---------------------------------------------------------------- the CLI


def raigov(*args, env):
    exe = Path(sys.executable).with_name("raigov")
    cmd = [str(exe)] if exe.exists() else [sys.executable, "-m", "raigov.cli.main"]
    return subprocess.run(cmd + list(args), capture_output=True, text=True, env={**os.environ, **env}, timeout=300,
                          check=False)


def test_cli_diff_without_inventory_reads_the_database(db, world, tmp_path):
    _, ids = world
    env = {"RAIGOV_DATABASE_URL": db.url, "RAIGOV_DATA_DIR": str(tmp_path / "data"),
           "RAIGOV_POLICY_DIR": str(tmp_path / "policy")}
    before = counts(db)
    res = raigov("policy", "diff", OLD, NEW, "--json", env=env)
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert (d["old"], d["new"], d["source"], d["screened"], d["skipped"], d["changed"]) == (OLD, NEW, "database", 5, 1, 3)
    rows = {c["business_id"]: c for c in d["changes"]}
    assert sorted(rows) == sorted([ids["letters"], ids["shifts"], ids["ice-letters"]])
    assert [rows[ids["letters"]][k] for k in ("presumed_old", "presumed_new", "categories_removed", "determination",
                                              "against_determination")] == [True, False, ["M-25-21.6(o)"], "high-impact", True]
    assert rows[ids["shifts"]]["categories_added"] == ["M-25-21.6(n)"] and rows[ids["shifts"]]["determination"] is None
    assert counts(db) == before
    res = raigov("policy", "diff", OLD, "omb-m-25-21@7", env=env)
    assert res.returncode == 2 and "new: no policy pack 'omb-m-25-21@7'" in res.stderr


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_cli_diff_table_and_inventory_file_unchanged(db, world, backend, tmp_path):
    _, ids = world
    env = {"RAIGOV_DATABASE_URL": db.url, "RAIGOV_DATA_DIR": str(tmp_path / "data"),
           "RAIGOV_POLICY_DIR": str(tmp_path / "policy")}
    res = raigov("policy", "diff", OLD, NEW, env={**env, "COLUMNS": "250"})
    assert res.returncode == 0, res.stderr
    assert ids["letters"] in res.stdout and "3 of 5 use cases in the database change" in res.stdout
    inv = tmp_path / "inv.csv"  # --inventory still screens the file, not the database
    inv.write_text("id,use_case_name,problem_solved\nA-1,Translate,Machine translation of letters\nA-3,Mail,Sorts mail\n")
    res = raigov("policy", "diff", OLD, NEW, "--inventory", str(inv), "--json", env=env)
    assert res.returncode == 0, res.stderr
    d = json.loads(res.stdout)
    assert (d["inventory"], d["rows"], d["changed"]) == (str(inv), 2, 1)
    assert set(d["changes"][0]) == {"row", "id", "name", "agency", "presumed", "categories_old", "categories_new",
                                    "categories_added", "categories_removed", "prohibited_added", "prohibited_removed",
                                    "evidence_new"}
    assert (d["changes"][0]["id"], d["changes"][0]["presumed"]) == ("A-1", [True, False])
