"""The demo agency's governance, made through the services as the demo people would: lanes and practices
for every use case the agency determined high-impact or that is face recognition; reviews approved, in
progress and sent back; practices done with evidence and others overdue; one use case fully authorized
(signed risk acceptance); a waiver; a pilot; last year's data call certified and published and this year's under way with one
component certified (``raigov.demo.datacall``).
Idempotent: skipped when reviews already exist."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from raigov.clock import agency_today
from raigov.config import Settings
from raigov.demo.datacall import load_data_calls
from raigov.governance import service as gov
from raigov.governance.models import Review
from raigov.governance.vocab import REVIEW_UNDECIDED, PracticeStatus, ReviewStatus
from raigov.identity import service as identity
from raigov.identity.permissions import Actor
from raigov.inventory.models import UseCase
from raigov.inventory.vocab import UseCaseStatus

# a small PDF: the demo's evidence file (a real PDF header, no active content)
DEMO_PDF = (b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Count 0/Kids[]>>endobj\n"
            b"trailer<</Root 1 0 R>>\n%%EOF\n")
LANE_PEOPLE = {"component_ai_lead": None, "privacy": "privacy", "crcl": "crcl", "legal": "legal", "ocio": "ocio",
               "independent": "rug"}
SECTIONS = {
    "A_purpose_benefit": "Shortens traveler processing at the gate by about 40% compared with manual document checks.",
    "B_data_model_quality": "Vendor model tested by S&T on a demographically balanced volunteer set; data summary attached.",
    "C_impacts": "Privacy: photos of U.S. citizens deleted within 12 hours. Civil rights: differentials under 1.2x "
                 "across groups; opt-out at the podium for U.S. citizens.",
    "D_reassessment": "Every year and after any model change, with renewed testing at the Maryland Test Facility.",
    "E_costs": "USD 2.1 M a year; savings of 38,000 officer hours.",
}


def _actor(session: Session, username: str) -> Actor:
    return identity.actor_for(session, identity.get_user(session, username))


def load_governance(session: Session, settings: Settings, system: Actor) -> dict:
    """The demo agency's governance state: reviews, practices, evidence, an assessment, risk acceptances,
    waivers and a pilot, through the services. Long because it is a script: one demo object after the
    other, in the order a person would create them."""
    if session.scalar(select(func.count()).select_from(Review)):
        return {}
    today = agency_today(settings)
    ucs = session.scalars(select(UseCase).where(UseCase.status == UseCaseStatus.ACTIVE).order_by(UseCase.business_id)).all()
    governed: list[tuple[UseCase, gov.Requirements]] = []
    for uc in ucs:
        req = gov.requirements_of(session, uc)
        if req.lanes or req.practices:
            gov.sync(session, system, uc.business_id)
            governed.append((uc, req))
    if not governed:
        return {}
    session.flush()
    caio = _actor(session, "caio")
    people = {u: _actor(session, u) for u in {p for p in LANE_PEOPLE.values() if p}}
    leads = {"CBP": "cbp.lead", "TSA": "tsa.lead"}
    store_owner = {}

    def lead_of(uc):
        comp = uc.org_unit.code if uc.org_unit else None
        return _actor(session, leads[comp]) if comp in leads else caio

    def approve_all(uc, skip: set[str] = frozenset()):
        for r in gov.reviews_of(session, system, uc.business_id):
            if r.lane in skip or r.status not in REVIEW_UNDECIDED:
                continue
            who = people.get(LANE_PEOPLE.get(r.lane) or "") or lead_of(uc)
            if gov.lane_refusal(gov.config(), who, uc, gov.config().lanes[r.lane]):
                continue
            gov.decide(session, who, r.id, ReviewStatus.APPROVED, f"{gov.config().lanes[r.lane].title}: no objection (demo)")

    def owner_of(uc):
        owner = next((p.user.username for p in uc.people if p.role == "owner"), None)
        return _actor(session, owner) if owner else lead_of(uc)

    def evidence_for(uc, practice_items):
        owner = owner_of(uc)
        comp = uc.org_unit.code if uc.org_unit else None
        ev_id = store_owner.get(comp)  # one report per component, reused (linked) across its use cases
        for item in practice_items:
            if ev_id is None:
                ev = gov.add_file(session, owner, settings, uc.business_id, DEMO_PDF, filename="demo-test-report.pdf",
                                  title="Pre-deployment test and bias evaluation (demo)", category="bias_test",
                                  dated_on=today - dt.timedelta(days=120), expires_on=today + dt.timedelta(days=600),
                                  practice=item)
                ev_id = store_owner[comp] = ev.id
            else:
                gov.link_evidence(session, owner, ev_id, uc.business_id, item)
            gov.update_practice(session, owner, uc.business_id, item, status=PracticeStatus.DONE)

    def sign(uc):
        gov.save_assessment(session, owner_of(uc), uc.business_id, SECTIONS)
        pkg = gov.acceptance_package(session, uc)
        gov.accept_risk(session, caio, uc.business_id, "I accept the residual risk (demo).",
                        package_sha256=pkg["sha256"], method="demo load")
        gov.update_practice(session, owner_of(uc), uc.business_id, "M-25-21.4(b)(ii)", status=PracticeStatus.DONE)

    # the components with an AI lead among the demo people come first (their use cases can be carried through),
    # CBP's before TSA's: the demo operational system is CBP's, so the gate it asks shows an authorized use case
    def order(t):
        comp = t[0].org_unit.code if t[0].org_unit else None
        return (0 if comp == "CBP" else 1 if comp in leads else 2, t[0].business_id)

    governed.sort(key=order)
    done = {"authorized": None, "waiver": None, "pilot": None, "sent_back": None, "overdue": []}
    # 1. the first high-impact use case: everything done, the risk accepted: authorized
    for i, (uc, req) in enumerate(governed):
        items = [p["item"] for p in req.practices]
        if i == 0 and "M-25-21.4(b)(ii)" in items:
            approve_all(uc)
            evidence_for(uc, [x for x in items if x != "M-25-21.4(b)(ii)"])
            sign(uc)
            done["authorized"] = uc.business_id
        elif i == 1 and "M-25-21.4(b)(ii)" in items:
            # all reviews approved, all but one practice done; the last one waived by the CAIO
            approve_all(uc)
            rest = [x for x in items if x != "M-25-21.4(b)(ii)"]
            evidence_for(uc, rest[:-1])
            gov.grant_waiver(session, caio, uc.business_id, rest[-1], grounds="impedes-operations",
                             determination="The feedback channel cannot be offered at remote ports this year.",
                             risk_assessment="Residual risk low: feedback collected by the component's contact centre.",
                             public_summary=f"{rest[-1]} waived for {uc.business_id} until the new kiosks arrive.",
                             expires_on=today + dt.timedelta(days=45))
            sign(uc)
            done["waiver"] = uc.business_id
        elif i == 2:
            gov.certify_pilot(session, caio, uc.business_id, scale="Two terminals at one airport", max_participants=5000,
                              starts_on=today - dt.timedelta(days=30), ends_on=today + dt.timedelta(days=60),
                              opt_in_out="Signs at the lane; travelers may choose the manual lane at any time.",
                              practices_applied="Pre-deployment testing and monitoring; human review of every no-match.")
            approve_all(uc, skip={"legal", "independent"})
            done["pilot"] = uc.business_id
        elif i == 3:
            reviews = {r.lane: r for r in gov.reviews_of(session, system, uc.business_id)}
            if "privacy" in reviews:
                gov.decide(session, people["privacy"], reviews["privacy"].id, ReviewStatus.CHANGES_REQUESTED,
                           "Please attach the PIA and describe the retention of images.")
                done["sent_back"] = uc.business_id
        elif i % 3 == 0 and items:
            # overdue practices: their due dates have passed, the reviews half done
            for item in items[:2]:
                gov.update_practice(session, owner_of(uc), uc.business_id, item, status=PracticeStatus.IN_PROGRESS,
                                    due_on=today - dt.timedelta(days=10 + i))
            done["overdue"].append(uc.business_id)
            approve_all(uc, skip={"crcl", "legal", "independent", "ocio"})
    # the annual data calls: last year's certified and published, this year's under way with one component certified

    done["data_call"] = load_data_calls(session, settings, system, caio, today)
    return done
