"""Proposals and determinations in the database (both backends): separate records, who may decide,
the CAIO's routing, agency answers kept as the agency's, disagreements, re-screening never overwrites."""

import pytest
import sqlalchemy as sa

from raigov.errors import PermissionDenied, ValidationFailed
from raigov.inventory import service as inventory
from raigov.policy import service as policy
from raigov.policy.models import Determination, Screening
from tests.conftest import IN_CI, SHARED


def real_file(name):
    p = SHARED / "data" / "federal-ai-inventory" / name
    if not p.exists():
        if IN_CI:
            pytest.fail(f"CI=true and {p} is missing")
        pytest.skip(f"{p} is missing")
    return p

FR_USE_CASE = {
    "use_case_name": "Biometric entry-exit face matching",
    "development_stage": "Deployed",
    "problem_solved": "Uses facial recognition to verify the identity of travelers at ports of entry against "
                      "passport photos; a mismatch refers the traveler to secondary inspection by an officer.",
    "system_outputs": "A match or no-match result for each traveler.",
}


@pytest.fixture
def people(db, make_user, actor_of):
    make_user("cbp.owner", "submitter@CBP")
    make_user("caio", "caio")
    make_user("delegate", "caio_delegate")
    make_user("privacy", "privacy_reviewer")
    return {u: actor_of(u) for u in ("cbp.owner", "caio", "delegate", "privacy")}


def _new(db, settings, owner, values=FR_USE_CASE):
    with db.transaction() as s:
        return inventory.create_use_case(s, owner, component="CBP", values=values, reason="new", settings=settings).business_id


def test_screen_proposes_and_determination_is_separate(db, settings, people):
    bid = _new(db, settings, people["cbp.owner"])
    with db.transaction() as s:
        sc = policy.screen_use_case(s, people["cbp.owner"], bid)
        assert sc.presumed is True and sc.pack.startswith("omb-m-25-21@") and sc.categories
        assert sc.result["trace"] and any(c["item"] in sc.categories for c in sc.result["categories"])
    with db.transaction() as s:
        with pytest.raises(PermissionDenied):  # an owner proposes, never determines
            policy.decide(s, people["cbp.owner"], bid, "not-high-impact", "we think so")
        with pytest.raises(ValidationFailed) as e:
            policy.decide(s, people["caio"], bid, "high-impact", "   ")
        assert e.value.errors[0].field == "reason"
        with pytest.raises(ValidationFailed) as e:
            policy.decide(s, people["caio"], bid, "maybe", "x")
        assert e.value.errors[0].field == "decision"
    with db.transaction() as s:
        d = policy.decide(s, people["caio"], bid, "high-impact", "Face recognition at the border decides referrals.")
        assert (d.status, d.created_by, d.screening_id is not None) == ("in_force", "user:caio", True)
    with db.transaction() as s:  # re-screening adds a proposal and leaves the determination alone
        policy.screen_use_case(s, people["caio"], bid)
        uc = inventory.get_use_case(s, people["caio"], bid)
        assert s.scalar(sa.select(sa.func.count()).select_from(Screening)) == 2
        assert [x.decision for x in policy.determinations(s, uc)] == ["high-impact"]


def test_presumed_but_not_goes_to_the_caio(db, settings, people):
    bid = _new(db, settings, people["cbp.owner"])
    with db.transaction() as s:
        policy.screen_use_case(s, people["caio"], bid)
        d = policy.decide(s, people["delegate"], bid, "presumed-not-high-impact",
                          "The output is not a principal basis: an officer inspects every referral.")
        assert d.status == "awaiting_caio"
    with db.transaction() as s:
        with pytest.raises(PermissionDenied):
            policy.confirm(s, people["delegate"], bid, "confirming my own")
        d2 = policy.confirm(s, people["caio"], bid, "Agreed after review of the referral process.")
        assert (d2.decision, d2.status, d2.created_by) == ("presumed-not-high-impact", "in_force", "user:caio")
    with db.transaction() as s:
        uc = inventory.get_use_case(s, people["caio"], bid)
        assert [x.status for x in policy.determinations(s, uc)] == ["awaiting_caio", "in_force"]
        dis = policy.disagreements(s, people["caio"])
        assert [x.business_id for x in dis] == [bid] and dis[0].presumed is True


def test_under_m_24_10_only_the_caio_decides(db, settings, system, people):
    from raigov.inventory.formats import read_inventory

    with db.transaction() as s:
        inventory.import_inventory(s, system, read_inventory(real_file("2024_consolidated_ai_inventory_raw_v2.csv")),
                                   settings, agency="DHS")
        bid = s.scalar(sa.select(inventory.UseCase.business_id).order_by(inventory.UseCase.id).limit(1))
    with db.transaction() as s:
        with pytest.raises(PermissionDenied, match="M-24-10"):
            policy.decide(s, people["delegate"], bid, "neither", "not rights-impacting")
        d = policy.decide(s, people["caio"], bid, "neither", "An internal analytic tool.")
        assert d.framework == "M-24-10"


def test_agency_answers_are_recorded_as_the_agencys(db, settings, system):
    from raigov.inventory.formats import read_inventory

    with db.transaction() as s:
        inventory.import_inventory(
            s, system, read_inventory(real_file("2025_0128_ocio-dhs-ai-use-case-inventory.xlsx")), settings
        )
    with db.transaction() as s:
        assert policy.record_agency_answers(s, system) == 238
    with db.transaction() as s:
        assert policy.record_agency_answers(s, system) == 0  # once per revision
        counts = dict(s.execute(sa.select(Determination.decision, sa.func.count()).group_by(Determination.decision)).all())
        assert counts == {"high-impact": 55, "presumed-not-high-impact": 49, "not-high-impact": 134}
        src = s.scalar(sa.select(Determination.source).limit(1))
        assert src.startswith("agency: import:2025_0128_ocio-dhs-ai-use-case-inventory.xlsx")


def test_reviewers_cannot_screen_or_decide(db, settings, people):
    bid = _new(db, settings, people["cbp.owner"])
    with db.transaction() as s:
        with pytest.raises(PermissionDenied):
            policy.screen_use_case(s, people["privacy"], bid)
        with pytest.raises(PermissionDenied):
            policy.decide(s, people["privacy"], bid, "high-impact", "x")
