"""The screen's three outcomes, the precedent (earlier files of each year, earlier revisions in the database),
the short-text rules of omb-m-25-21@1.3.0 and the JSON contract of `raigov policy screen --jsonl`.

Short-text cases are general vocabulary (the memo's category words in one-line names), not inventory rows."""

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from raigov.inventory.formats import read_inventory
from raigov.policy import fields as F
from raigov.policy.outcome import History, precedent_for
from raigov.policy.screen import screen

ROOT = Path(__file__).resolve().parents[2]
DEMO = ROOT / "src" / "raigov" / "inventory" / "data"
RAIGOV = ROOT / ".venv" / "bin" / "raigov"
OLD_KEYS = {"row", "id", "name", "agency", "presumed", "categories", "impacts", "evidence", "prohibited",
            "exclusions", "practices", "reviews", "packs", "agency_determination"}
NEW_KEYS = {"outcome", "reason", "missing", "could_apply", "precedent"}

LONG_PLAIN = ("A writing assistant helps staff draft public announcements about hiring events and career fairs, "
              "improving readability and consistency across all of our outreach materials.")


@pytest.fixture(scope="module")
def p13(registry):
    return registry.get("omb-m-25-21@1.3.0")


@pytest.fixture(scope="module")
def p12(registry):
    return registry.get("omb-m-25-21@1.2.0")


def cats(r):
    return [f.item for f in r.categories]


# ---------------------------------------------------------------- three outcomes


def test_presumed_insufficient_and_not_presumed(p13):
    long_fr = {"use_case_name": "Suspect identification",
               "problem_solved": "Investigators compare photos of suspects with booking photos using face recognition "
                                 "to generate investigative leads in criminal cases."}
    r = screen(long_fr, p13, schema="2025", with_trace=False)
    assert (r.outcome, r.presumed, r.reason) == ("presumed", True, None) and "M-25-21.6(j)" in cats(r)

    r = screen({"use_case_name": "Meeting notes summarizer"}, p13, schema="2025", with_trace=False)
    assert (r.outcome, r.presumed) == ("insufficient_information", False)
    assert r.missing == ["problem_solved", "benefits", "system_outputs"]
    assert "the problem the AI solves (not answered)" in r.reason and "what the AI produces (not answered)" in r.reason
    assert "any of the categories" in r.reason and r.could_apply == []

    r = screen({"use_case_name": "Announcements", "problem_solved": LONG_PLAIN}, p13, schema="2025", with_trace=False)
    assert F.description_words({"problem_solved": LONG_PLAIN}, "2025") >= F.SHORT_TEXT_WORDS
    assert (r.outcome, r.presumed, r.reason, r.missing) == ("not_presumed", False, None, [])


def test_insufficient_names_word_counts_and_the_categories_partly_seen(p13):
    r = screen({"use_case_name": "Crops", "problem_solved": "Drone imagery of crops"}, p13, schema="2025", with_trace=False)
    assert r.outcome == "insufficient_information"
    assert r.could_apply == ["M-25-21.6(b)"]  # a drone was seen, its movement could not be read
    assert "the problem the AI solves (4 words)" in r.reason and "M-25-21.6(b) applies" in r.reason
    r24 = screen({"2_use_case_name": "Tool", "11_purpose_benefits": "Helps staff."}, p13, schema="2024", with_trace=False)
    assert r24.outcome == "insufficient_information" and r24.missing == ["11_purpose_benefits", "12_outputs"]


def test_an_exclusion_makes_a_short_row_not_presumed(p13):
    r = screen({"use_case_name": "Hiring assistant", "raigov.nss_component": True}, p13, schema="2025", with_trace=False)
    assert (r.outcome, r.presumed, r.out_of_scope) == ("not_presumed", False, True)


# ---------------------------------------------------------------- short texts and names (pack 1.3.0)

SHORT_POSITIVE = [
    ("Water treatment plant assistant", "M-25-21.6(a)"), ("Autonomous boat", "M-25-21.6(b)"),
    ("Counter-drone system", "M-25-21.6(c)"), ("Hazmat tracking", "M-25-21.6(d)"),
    ("Bridge inspection", "M-25-21.6(e)"), ("Patient intake assistant", "M-25-21.6(f)"),
    ("Badge readers at entry", "M-25-21.6(g)"), ("Customs tool", "M-25-21.6(h)"),
    ("Comment moderation tool", "M-25-21.6(i)"), ("Criminal case assistant", "M-25-21.6(j)"),
    ("Asylum application helper", "M-25-21.6(k)"), ("Fingerprint matching", "M-25-21.6(l)"),
    ("Student aid chatbot", "M-25-21.6(m)"), ("Hiring assistant", "M-25-21.6(n)"),
    ("Spanish translation tool", "M-25-21.6(o)"),
]
SHORT_NEGATIVE = ["Meeting notes summarizer", "Code assistant for developers", "Website search", "Drone imagery of crops",
                  "Data pipeline monitor", "Robotic process automation bot", "Translate SQL queries",
                  "Border color picker", "Sales promotion analytics", "Email drafting helper"]


@pytest.mark.parametrize("where", ["name only", "one line"])
def test_every_category_has_a_short_text_rule(p13, where):
    for text, cat in SHORT_POSITIVE:
        values = {"use_case_name": text} if where == "name only" else {"use_case_name": "Assistant", "problem_solved": text}
        r = screen(values, p13, schema="2025", with_trace=False)
        assert r.outcome == "presumed" and cat in cats(r), (text, cats(r))
        assert all(e.text for e in r.evidence)


def test_short_rule_negatives_and_the_rule_needs_a_short_row(p13, p12):
    for text in SHORT_NEGATIVE:
        r = screen({"use_case_name": text}, p13, schema="2025", with_trace=False)
        assert not r.presumed and r.outcome == "insufficient_information", (text, cats(r))
    # the same deciding word in a description long enough to read: the category's full rule decides
    r = screen({"use_case_name": "Hiring assistant", "problem_solved": LONG_PLAIN}, p13, schema="2025", with_trace=False)
    assert r.outcome == "not_presumed"
    # 1.2.0 is untouched: it had no rule for short rows of these categories
    assert screen({"use_case_name": "Hiring assistant"}, p12, schema="2025", with_trace=False).presumed is False


# ---------------------------------------------------------------- precedent


def write_csv(path: Path, header_from: Path, rows: list[dict]) -> Path:
    with open(header_from, encoding="utf-8-sig") as f:
        header = next(csv.reader(f))
    with open(path, "w", newline="", encoding="utf-8") as f:
        w = csv.DictWriter(f, fieldnames=header)
        w.writeheader()
        for r in rows:
            w.writerow(r)
    return path


ROW_2024 = {"2_use_case_name": "Gamma Program", "3_agency": "Department of Homeland Security", "3_abr": "DHS",
            "17_impact_type": "Rights-Impacting", "16_dev_stage": "Operation and Maintenance",
            "11_purpose_benefits": "Face recognition compares traveler photos with passport photos at ports of entry to "
                                   "verify identity."}
ROW_2025 = {"agency": "DHS", "agency_name": "Department of Homeland Security", "id": "DHS-9001",
            "use_case_name": "GAMMA program", "development_stage": "Retired"}


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    d = tmp_path_factory.mktemp("history")
    f24 = write_csv(d / "inv2024.csv", DEMO / "demo_dhs_2024.csv", [ROW_2024])
    f25 = write_csv(d / "inv2025.csv", DEMO / "demo_dhs_2025.csv", [ROW_2025])
    f25_old = write_csv(d / "inv2025_earlier.csv", DEMO / "demo_dhs_2025.csv",
                        [dict(ROW_2025, use_case_name="Renamed since", is_high_impact="High-impact")])
    f23 = d / "inv2023.csv"
    with open(f23, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow(["Use_Case_ID", "Department_Code", "Agency", "Office", "Title", "Summary", "Development_Stage",
                    "Techniques", "Source_Code", "Department"])
        w.writerow(["DHS-1", "DHS", "DHS", "CBP", "Traveler Photo Matching", "Matches photos.", "Implementation", "", "",
                    "Department of Homeland Security"])
    return {"2023": f23, "2024": f24, "2025": f25, "2025-earlier": f25_old}


def test_precedent_from_files_of_each_year(registry, p13, files):
    m2410 = registry.get("omb-m-24-10")
    h = History(old_packs={"M-24-10": m2410, "M-25-21": p13}, screen=screen)
    assert h.add(read_inventory(files["2023"]), "inv2023.csv") == 0  # 2023 forms report no determination
    assert h.add(read_inventory(files["2024"]), "inv2024.csv") == 1  # matched by agency + normalised name
    row = read_inventory(files["2025"]).rows[0]
    prec = h.lookup(row.values, "2025", "id:DHS-9001", p13)
    assert (prec.year, prec.framework, prec.determination, prec.source) == (2024, "M-24-10", "rights-impacting",
                                                                            "inv2024.csv")
    assert prec.categories and prec.mapped and all(c.startswith("M-25-21.6(") for c in prec.mapped) and prec.flags
    r = screen(row.values, p13, schema="2025", with_trace=False, precedent=prec)
    assert r.outcome == "presumed" and cats(r) == prec.mapped
    assert all(e.kind == "precedent" and "rights-impacting in 2024" in e.text for e in r.evidence)
    # a 2025 file: matched by id, the newest year wins
    h.add(read_inventory(files["2025-earlier"]), "inv2025_earlier.csv")
    prec = h.lookup(row.values, "2025", "id:DHS-9001", p13)
    assert (prec.year, prec.determination, prec.source) == (2025, "high-impact", "inv2025_earlier.csv")
    # without a precedent the name-only row is insufficient information, not "not presumed"
    assert screen(row.values, p13, schema="2025", with_trace=False).outcome == "insufficient_information"


def test_a_precedent_whose_categories_m_25_21_dropped_does_not_flag(p13):
    p = precedent_for(p13, "M-24-10", "rights-impacting", year=2024, source="f", old_categories=["M-24-10.I(2)(g)"])
    assert p.dropped and not p.flags and p.mapped == []
    r = screen({"use_case_name": "Essay grader"}, p13, schema="2025", with_trace=False, precedent=p)
    assert not r.presumed and r.precedent is p
    p = precedent_for(p13, "M-24-10", "neither", year=2024, source="f")
    assert not p.flags


def run_cli(*args):
    exe = [str(RAIGOV)] if RAIGOV.exists() else [sys.executable, "-m", "raigov.cli.main"]
    env = dict(os.environ)
    env.pop("RAIGOV_POLICY_DIR", None)
    return subprocess.run(exe + ["policy", *args], check=False, capture_output=True, text=True, env=env, timeout=120)


def test_cli_history_and_the_json_contract(files, registry):
    out = run_cli("screen", str(files["2025"]), "--pack", "omb-m-25-21", "--jsonl",
                  "--history", str(files["2024"]), "--history", str(files["2023"]))
    assert out.returncode == 0, out.stderr
    (d,) = [json.loads(x) for x in out.stdout.splitlines()]
    assert set(d) == OLD_KEYS | NEW_KEYS  # every existing key kept
    assert d["presumed"] is True and d["outcome"] == "presumed" and d["packs"] == ["omb-m-25-21@1.4.0"]
    assert registry.get("omb-m-25-21").key == "omb-m-25-21@1.4.0"  # the newest shipped version
    assert {k: d["precedent"][k] for k in ("year", "determination", "source", "framework", "flags")} == {
        "year": 2024, "determination": "rights-impacting", "source": "inv2024.csv", "framework": "M-24-10",
        "flags": True}
    assert d["evidence"] and all("rights-impacting in 2024" in e["text"] for e in d["evidence"])
    out = run_cli("screen", str(files["2025"]), "--pack", "omb-m-25-21", "--jsonl")
    (d,) = [json.loads(x) for x in out.stdout.splitlines()]
    assert (d["presumed"], d["outcome"], d["precedent"]) == (False, "insufficient_information", None)
    assert d["missing"] == ["problem_solved", "benefits", "system_outputs"] and "not answered" in d["reason"]


# ---------------------------------------------------------------- in the database (both backends)


def test_database_precedent_outcome_check_and_needing_determination(db, settings, system, make_user, actor_of, files):
    from raigov.governance.requirements import requirements_of
    from raigov.inventory import service as inventory
    from raigov.policy import service as policy

    make_user("cbp.owner", "submitter@CBP")
    owner = actor_of("cbp.owner")
    with db.transaction() as s:
        inventory.import_inventory(s, system, read_inventory(files["2024"]), settings, agency="DHS")
        inventory.import_inventory(s, system, read_inventory(files["2025"]), settings, agency="DHS")
    with db.transaction() as s:
        (uc,) = list(inventory.iter_use_cases(s, system, inventory.UseCaseQuery()))
        assert [r.schema for r in uc.revisions] == ["2024", "2025"]
        sc = policy.screen_use_case(s, system, uc.business_id)
        assert (sc.outcome, sc.presumed) == ("presumed", True)
        p = sc.result["precedent"]
        assert (p["year"], p["determination"], p["framework"], p["flags"]) == (2024, "rights-impacting", "M-24-10", True)
        assert p["source"].startswith("revision 1") and p["mapped"]
        gamma = uc.business_id
    with db.transaction() as s:  # a one-line use case: the screen cannot run
        bid = inventory.create_use_case(s, owner, component="CBP", reason="new", settings=settings, values={
            "use_case_name": "Notes helper", "development_stage": "Deployed", "problem_solved": "Summarizes notes."}
        ).business_id
    with db.transaction() as s:
        sc = policy.screen_use_case(s, owner, bid)
        assert (sc.outcome, sc.presumed) == ("insufficient_information", False)
        assert sc.result["missing"] == ["problem_solved", "benefits", "system_outputs"]
    with db.transaction() as s:
        checks = [c for c in inventory.run_checks(s, system, bid)[bid] if c["rule"] == "screen:insufficient-information"]
        assert [c["field"] for c in checks] == ["problem_solved", "benefits", "system_outputs"]
        assert all(c["severity"] == "error" and "impact screen" in c["message"] for c in checks)
        uc = inventory.get_use_case(s, system, bid)
        req = requirements_of(s, uc)
        assert (req.affirmative, req.basis) == (None, "insufficient information")
        assert sorted(u.business_id for u, _ in policy.needing_determination(s, system)) == sorted([gamma, bid])


def test_insufficient_information_check_persists_until_screened_with_enough(db, settings, system, make_user, actor_of):
    """A new revision nobody screened does not clear the check (issue #18); screening again with enough
    information does; on both databases."""
    from raigov.inventory import service as inventory
    from raigov.policy import service as policy

    make_user("cbp.owner", "submitter@CBP")
    owner = actor_of("cbp.owner")

    def checks(s, bid):
        return [c for c in inventory.run_checks(s, system, bid)[bid] if c["rule"] == "screen:insufficient-information"]

    with db.transaction() as s:
        bid = inventory.create_use_case(s, owner, component="CBP", reason="new", settings=settings, values={
            "use_case_name": "Notes helper", "development_stage": "Deployed", "problem_solved": "Summarizes notes."}
        ).business_id
    with db.transaction() as s:
        assert policy.screen_use_case(s, owner, bid).outcome == "insufficient_information"
    with db.transaction() as s:  # a new revision, still thin, not screened: the check stays, saying so
        inventory.edit_use_case(s, owner, bid, {"benefits": "Saves time."}, reason="benefit")
    with db.transaction() as s:
        got = checks(s, bid)
        assert [c["field"] for c in got] == ["problem_solved", "benefits", "system_outputs"]
        assert all("screen it again" in c["message"] and "revision 1" in c["message"] for c in got)
    with db.transaction() as s:  # answered at length, but not screened yet: the check still stands
        inventory.edit_use_case(s, owner, bid, {
            "problem_solved": "Staff write long case notes by hand and spend hours summarizing them for reviews.",
            "system_outputs": "A draft summary of each case note that an officer reads, edits and approves."},
            reason="answers")
    with db.transaction() as s:
        assert checks(s, bid)
    with db.transaction() as s:  # screened again with enough information: gone
        assert policy.screen_use_case(s, owner, bid).outcome != "insufficient_information"
    with db.transaction() as s:
        assert checks(s, bid) == []
