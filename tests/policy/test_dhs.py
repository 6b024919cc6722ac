"""Each DHS prohibition and FR/FC rule, positive and negative (incl. negation and look-alikes)."""

import datetime as dt

import pytest

from raigov.policy.screen import screen


def uc(text, topic="Other", **extra):
    v = {"use_case_name": "Use case", "topic_area": topic, "problem_solved": text, "benefits": "", "system_outputs": ""}
    v.update(extra)
    return v


@pytest.fixture(scope="module")
def d13908(registry):
    return registry.get("dhs-139-08")


@pytest.fixture(scope="module")
def d02611(registry):
    return registry.get("dhs-026-11")


@pytest.fixture(scope="module")
def d13907(registry):
    return registry.get("dhs-139-07")


def prohibited(v, pack):
    return [f.item for f in screen(v, pack).prohibited]


CASES_13908 = {
    "D139-08.Prohibition.SoleBasis": [
        (uc("The model automatically denies benefit applications without human review."), True),
        (uc("Scores cargo; officers decide arrests based solely on the model output.", topic="Law Enforcement"), True),
        (uc("Risk scores are reviewed by an officer; the score is never the sole basis of an arrest.",
            topic="Law Enforcement"), False),
        (uc("Summarizes reports without human review before publication to staff."), False),
        (uc("Flags benefit claims for review.", **{"raigov.sole_basis": True, "raigov.benefit_denial": True}), True),
    ],
    "D139-08.Prohibition.ProtectedCharacteristics": [
        (uc("Ranks travelers for secondary inspection based on race and religion.",
            demographic_features=["a) Race/Ethnicity", "d) Religious Affiliation"]), True),
        (uc("Ranks travelers for secondary inspection based on race and religion.",
            demographic_features=["k) None of the above"]), False),
        (uc("Tests the model for disparities by race.", demographic_features=["a) Race/Ethnicity"]), False),
    ],
    "D139-08.Prohibition.MassSurveillance": [
        (uc("Indiscriminate monitoring of social media of all residents in the city."), True),
        (uc("Large-scale tracking of every traveler's phone location in the public area."), True),
        (uc("Monitors server logs for large-scale outages."), False),
        (uc("The system does not perform mass surveillance."), False),
    ],
    "D139-08.Prohibition.Profiling": [
        (uc("Profiles individuals by national origin to select them for interviews."), True),
        (uc("Builds user profiles of website visitors by browser type."), False),
    ],
    "D139-08.Prohibition.FaceRecognitionSoleBasis": [
        (uc("Facial recognition match triggers arrests without human review.", topic="Law Enforcement"), True),
        (uc("Face recognition leads are verified by trained examiners before any action.", topic="Law Enforcement",
            **{"raigov.human_review": True}), False),
        (uc("Face recognition used by officers.", topic="Law Enforcement", **{"raigov.human_review": False}), True),
        (uc("The tool does not use face recognition; arrests are made without human review of plate reads.",
            topic="Law Enforcement"), False),
        (uc("Employees unlock laptops with facial recognition without human review."), False),
    ],
}


@pytest.mark.parametrize("item,idx", [(k, i) for k, v in CASES_13908.items() for i in range(len(v))])
def test_139_08_prohibitions(d13908, item, idx):
    v, expected = CASES_13908[item][idx]
    assert (item in prohibited(v, d13908)) is expected, screen(v, d13908).as_dict(trace=False)["prohibited"]


def test_139_08_principles_always_listed(d13908):
    r = screen(uc("Summarizes reports."), d13908)
    assert {f.item for f in r.principles} >= {"D139-08.Principle.Lawful", "D139-08.Principle.HumanCentered"}
    assert all(f.status == "secondary" for f in r.prohibited)


def test_026_11_fr_requirements(d02611):
    fr = uc("Facial recognition verifies travelers' identity at boarding gates.", topic="Transportation")
    r = screen(fr, d02611)
    assert {"D026-11.Testing", "D026-11.OptOut"} <= {f.item for f in r.practices} | set()  # practices need no presumption
    assert "D026-11.Review" in [f.item for f in r.reviews]
    assert "D026-11.TestCadence" in [f.item for f in r.clocks]
    assert r.prohibited == []
    # opt-out not offered for a non-law-enforcement FR use
    r = screen(dict(fr, **{"raigov.us_citizen_opt_out": False}), d02611)
    assert "D026-11.OptOutMissing" in [f.item for f in r.prohibited]
    # ... unless the law requires the use
    r = screen(dict(fr, **{"raigov.us_citizen_opt_out": False, "raigov.opt_out_required_by_law_exception": True}), d02611)
    assert r.prohibited == []
    # law enforcement: no opt-out duty, but never the sole basis
    le = uc("Facial recognition identifies suspects for criminal investigators.", topic="Law Enforcement")
    r = screen(le, d02611)
    assert "D026-11.OptOut" not in [f.item for f in r.practices] and r.prohibited == []
    r = screen(dict(le, **{"raigov.sole_basis": True}), d02611)
    assert [f.item for f in r.prohibited] == ["D026-11.NotSoleBasis"]


def test_026_11_test_cadence(d02611):
    v = uc("Face capture at kiosks.", development_stage="Deployed", **{"raigov.last_test_date": "2021-05-01"})
    r = screen(v, d02611, today=dt.date(2025, 6, 1))
    assert "D026-11.TestOverdue" in [f.item for f in r.prohibited]
    v["raigov.last_test_date"] = "2024-05-01"
    assert screen(v, d02611, today=dt.date(2025, 6, 1)).prohibited == []


def test_026_11_negation_and_lookalike(d02611):
    for text in ("This tool does not use facial recognition.", "Counts vehicles on the highway."):
        r = screen(uc(text), d02611)
        assert r.practices == [] and r.reviews == [] and r.prohibited == []


def test_139_07_genai_access(d13907):
    v = uc("Staff use ChatGPT to draft first versions of public announcements.", classification="Generative AI")
    r = screen(v, d13907)
    assert {"PS139-07.Access.Supervisor", "PS139-07.Access.Training", "PS139-07.Access.RulesOfBehavior"} <= {
        f.item for f in r.practices}
    assert r.prohibited == []
    r = screen(dict(v, **{"raigov.supervisor_approval": False}), d13907)
    assert "PS139-07.Access.Missing" in [f.item for f in r.prohibited]
    r = screen(dict(v, **{"raigov.input_data_classes": ["pii"]}), d13907)
    f = next(f for f in r.prohibited if f.item == "PS139-07.Data.Prohibited")
    assert f.status == "unverified"
    # an internal tool (DHSChat) is not a commercial tool
    assert screen(uc("Staff use DHSChat, an internal generative AI tool."), d13907).practices == []
