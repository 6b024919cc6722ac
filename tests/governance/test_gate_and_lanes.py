"""The gate's pure decision for every reason code, and the lanes configuration: a bad file is refused naming
the key; requirements follow the determination, the packs and the routes."""

from __future__ import annotations

import datetime as dt

import pytest
import yaml

from raigov.errors import ValidationFailed
from raigov.governance import gate as G
from raigov.governance.lanes import config, parse_config, requirements
from raigov.policy.packs import current_registry

NOW = dt.datetime(2026, 6, 1, 12, 0, tzinfo=dt.UTC)
TODAY = NOW.date()


def _base(**kw) -> G.GateInput:
    g = G.GateInput(business_id="DHS-1", status="active", affirmative=True, basis="determination", face_recognition=False,
                    risk_acceptance="current")
    for k, v in kw.items():
        setattr(g, k, v)
    return g


def codes(g):
    return [r["code"] for r in G.decide(g, NOW).reasons]


def test_clean_use_case_is_authorized():
    ans = G.decide(_base(reviews=[G.ReviewState("privacy", "Privacy Office", "approved")],
                         practices=[G.PracticeState("P1", "t", "done"), G.PracticeState("P2", "t", "not_applicable")]), NOW)
    assert ans.authorized is True and ans.reasons == []
    assert ans.as_dict()["as_of"] == "2026-06-01T12:00:00Z"


@pytest.mark.parametrize("change, expected", [
    ({"status": "retired"}, ["retired"]),
    ({"status": "draft"}, ["draft"]),
    ({"affirmative": None, "risk_acceptance": "not-required"}, ["no_determination"]),
    ({"basis": "awaiting CAIO"}, ["determination_awaiting_caio"]),
    ({"reviews": [G.ReviewState("crcl", "CRCL", "missing")]}, ["review_missing"]),
    ({"reviews": [G.ReviewState("crcl", "CRCL", "open")]}, ["review_open"]),
    ({"reviews": [G.ReviewState("crcl", "CRCL", "changes_requested")]}, ["review_open"]),
    ({"reviews": [G.ReviewState("crcl", "CRCL", "denied")]}, ["review_denied"]),
    ({"reviews": [G.ReviewState("crcl", "CRCL", "approved_with_conditions", overdue_conditions=2)]}, ["condition_overdue"]),
    ({"practices": [G.PracticeState("P1", "t", "in_progress")]}, ["practice_not_met"]),
    ({"practices": [G.PracticeState("P1", "t", "waived")],
      "waivers": [G.WaiverState("P1", "active", TODAY - dt.timedelta(days=1), TODAY)]}, ["waiver_expired"]),
    ({"practices": [G.PracticeState("P1", "t", "waived")],
      "waivers": [G.WaiverState("P1", "active", TODAY + dt.timedelta(days=90), TODAY - dt.timedelta(days=366))]},
     ["waiver_not_recertified"]),
    ({"practices": [G.PracticeState("P1", "t", "waived")], "waivers": [G.WaiverState("P1", "revoked", TODAY, TODAY)]},
     ["waiver_revoked"]),
    ({"risk_acceptance": "missing"}, ["risk_not_accepted"]),
    ({"risk_acceptance": "stale"}, ["risk_acceptance_stale"]),
    ({"evidence": [G.EvidenceState(7, "PIA", TODAY - dt.timedelta(days=1))]}, ["evidence_expired"]),
    ({"evidence": [G.EvidenceState(7, "PIA", TODAY)]}, []),  # expires at the end of its day
    ({"face_recognition": True}, ["bias_test_missing"]),
    ({"face_recognition": True, "last_bias_test": TODAY - dt.timedelta(days=1096)}, ["bias_test_stale"]),
    ({"face_recognition": True, "last_bias_test": TODAY - dt.timedelta(days=1095)}, []),
])
def test_each_reason(change, expected):
    assert codes(_base(**change)) == expected


def test_pilot_exempts_practices_only_while_it_runs():
    practices = [G.PracticeState("P1", "t", "not_started")]
    running = G.PilotState("active", TODAY - dt.timedelta(days=5), TODAY + dt.timedelta(days=5))
    ended = G.PilotState("active", TODAY - dt.timedelta(days=50), TODAY - dt.timedelta(days=1))
    assert codes(_base(practices=practices, pilots=[running], risk_acceptance="missing")) == []
    assert codes(_base(practices=practices, pilots=[ended], risk_acceptance="missing")) == [
        "pilot_expired", "practice_not_met", "risk_not_accepted"]


def _raw():
    from importlib import resources

    return yaml.safe_load(resources.files("raigov.governance").joinpath("lanes.yaml").read_text())


@pytest.mark.parametrize("mutate, key", [
    (lambda r: r.update(colour="blue"), "colour"),
    (lambda r: r["lanes"]["privacy"].update(roles=["nobody"]), "lanes.privacy.roles"),
    (lambda r: r["lanes"]["privacy"].update(scope="galaxy"), "lanes.privacy.scope"),
    (lambda r: r["routes"][0].update(lanes=["no-such-lane"]), "routes[0].lanes"),
    (lambda r: r["routes"][1].update(when={"item": "x"}), "routes[1].when"),
    (lambda r: r.update(review_due_days=-3), "review_due_days"),
])
def test_bad_lanes_file_names_the_key(mutate, key):
    raw = _raw()
    mutate(raw)
    with pytest.raises(ValidationFailed) as e:
        parse_config(raw, "agency-lanes.yaml")
    assert e.value.errors[0].field == f"agency-lanes.yaml: {key}"


def test_shipped_lanes_file_and_requirements():
    cfg = config()
    assert cfg.lanes["independent"].independent and cfg.lanes["component_ai_lead"].scope == "component"
    reg = current_registry()
    m2521, m2410 = reg.get("omb-m-25-21"), reg.get("omb-m-24-10")
    hi = requirements(cfg, affirmative=True, basis="determination", framework="M-25-21", decision="high-impact",
                      framework_pack=m2521, review_items=[], dhs_practices=[], face_recognition=False)
    assert set(hi.lanes) == {"component_ai_lead", "privacy", "crcl", "legal", "independent"}
    assert [p["item"] for p in hi.practices] == [f"M-25-21.4(b)({x})" for x in ("i", "ii", "iii", "iv", "v", "vi", "vii")]
    # M-24-10: safety-impacting gets §5(c)(iv) only; rights-impacting adds §5(c)(v)
    safety = requirements(cfg, affirmative=True, basis="determination", framework="M-24-10", decision="safety-impacting",
                          framework_pack=m2410, review_items=[], dhs_practices=[], face_recognition=False)
    rights = requirements(cfg, affirmative=True, basis="determination", framework="M-24-10", decision="rights-impacting",
                          framework_pack=m2410, review_items=[], dhs_practices=[], face_recognition=False)
    s_items = {p["item"] for p in safety.practices}
    r_items = {p["item"] for p in rights.practices}
    assert len(s_items) == 9 and all("(iv)" in i for i in s_items)
    assert s_items < r_items and len(r_items - s_items) == 6 and all("(v)" in i for i in r_items - s_items)
    # not high-impact but face recognition: Privacy, CRCL and OCIO, no memo practices
    fr = requirements(cfg, affirmative=False, basis="determination", framework="M-25-21", decision="not-high-impact",
                      framework_pack=m2521, review_items=[{"item": "D026-11.Review", "citation": "DHS Dir. 026-11"}],
                      dhs_practices=[], face_recognition=True)
    assert set(fr.lanes) == {"privacy", "crcl", "ocio"} and fr.practices == []
    assert fr.lanes["ocio"] == [{"item": "D026-11.Review", "citation": "DHS Dir. 026-11"}]


def test_reasons_give_whole_titles_and_one_wording():
    """Issue #14: a practice's title was cut at 80 characters mid-word ('disparate impac)'); a determination
    waiting for the CAIO is worded as everywhere else."""
    title = ("All FR/FC uses thoroughly tested to ensure no unintended bias or disparate impact, in accordance "
             "with national standards")
    reasons = G.decide(_base(practices=[G.PracticeState("D026-11.Testing", title, "not_started")]), NOW).reasons
    assert [r["message"] for r in reasons] == [f"D026-11.Testing: “{title}” is not started"]
    from raigov.policy.vocab import DETERMINATION_WORDS

    [waiting] = G.decide(_base(basis="awaiting CAIO"), NOW).reasons
    assert DETERMINATION_WORDS["presumed-not-high-impact"].lower() in waiting["message"].lower()
