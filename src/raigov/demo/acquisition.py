"""The demo agency's acquisition and data (issue #20): two vendors with contracts, one missing the data-rights
clause (it serves the use case whose review was sent back, so the gate names it there); the datasets behind
the face-recognition use case, and its test run, whose input is a version of the test set. Made through the
services as the demo people would. Idempotent: skipped when a contract exists."""

from __future__ import annotations

import datetime as dt
import hashlib

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from raigov.acquisition import service as acq
from raigov.acquisition.models import Contract
from raigov.acquisition.requirements import catalogue
from raigov.acquisition.schemas import ContractIn
from raigov.clock import agency_today
from raigov.config import Settings
from raigov.datasets import service as ds
from raigov.datasets.schemas import DatasetIn, VersionIn
from raigov.evaluation import service as evaluation
from raigov.identity import service as identity
from raigov.identity.models import OrgUnit
from raigov.inventory.models import UseCase
from raigov.inventory.vocab import UseCaseStatus

# the test set's demo file: one row per comparison (its SHA-256 is the version's and the run's input hash)
TEST_SET = ("subject,group,genuine,score\n" + "".join(
    f"{i},{'ab'[i % 2]},{int(i % 3 == 0)},{(i * 37 % 100) / 100:.2f}\n" for i in range(1, 61))).encode()
CLAUSES = {"test_evaluation": "H.5 Test and evaluation: government testing at the Maryland Test Facility; results delivered",
           "data_rights": "H.7 Rights in data: FAR 52.227-14 Alternate IV; all data and outputs are the government's",
           "no_training_on_agency_data": "H.8 No use of government data to train or improve models without written consent",
           "capabilities_limits": "CDRL A003 Model card: capabilities, limits and test conditions",
           "data_provenance": "CDRL A004 Training data provenance statement",
           "incident_notification": "H.11 Incident notification within 24 hours",
           "monitoring_access": "H.12 Post-award performance monitoring: monthly metrics and audit access",
           "portability": "H.14 Transition: data and models delivered in open formats at contract end",
           "sustainability": "CDRL A009 Energy use and efficiency report, yearly"}


def _face_recognition_use_case(session: Session, preferred: str | None) -> UseCase | None:
    uc = session.scalar(select(UseCase).where(UseCase.business_id == preferred)) if preferred else None
    if uc is not None and uc.is_face_recognition:
        return uc
    return session.scalar(select(UseCase).join(OrgUnit, OrgUnit.id == UseCase.org_unit_id)
                          .where(OrgUnit.code == "CBP", UseCase.is_face_recognition,
                                 UseCase.status == UseCaseStatus.ACTIVE).order_by(UseCase.business_id).limit(1))


def load_acquisition_and_data(session: Session, settings: Settings, done: dict) -> dict:
    """Long because it is a script: the two contracts, then the two datasets, their versions and links, then
    the test run, in the order a person would record them."""
    if session.scalar(select(func.count()).select_from(Contract)):
        return {}
    lead = identity.actor_for(session, identity.get_user(session, "cbp.lead"))
    today = agency_today(settings)
    fr = _face_recognition_use_case(session, done.get("authorized"))
    other = done.get("sent_back")
    year = today.year
    all_met = {k: {"status": "met", "clause": CLAUSES[k]} for k in catalogue().codes()}
    out = {}
    if fr is not None:
        acq.create_contract(session, lead, ContractIn(
            number=f"70B03C{year % 100}C00000112", title="Biometric matching service for entry-exit (demo)",
            vendor="Vistaface Inc.", component="CBP", awarded_on=today - dt.timedelta(days=400),
            starts_on=today - dt.timedelta(days=390), ends_on=today + dt.timedelta(days=80),
            option_dates=[today + dt.timedelta(days=45)], use_cases=[fr.business_id], requirements=all_met))
        out["face_recognition"] = fr.business_id
    if other:
        acq.create_contract(session, lead, ContractIn(
            number=f"70B03C{year % 100}C00000431", title="Document analytics platform (demo)", vendor="Lingua Analytics LLC",
            component="CBP", awarded_on=today - dt.timedelta(days=200), starts_on=today - dt.timedelta(days=190),
            ends_on=today + dt.timedelta(days=540), use_cases=[other],
            requirements={k: v for k, v in all_met.items() if k != "data_rights"}))
        out["contract_missing_data_rights"] = other
    if fr is None:
        return out
    gallery = ds.create_dataset(session, lead, DatasetIn(
        name="Entry photo gallery (demo)", component="CBP", owner="CBP Office of Field Operations",
        source="Photos of travelers taken at entry and passport photos from the State Department",
        provenance="Captured by CBP cameras at 12 airports; passport photos shared under an interagency agreement",
        collection_method="Live capture at primary inspection", starts_on=dt.date(year - 5, 1, 1),
        ends_on=dt.date(year - 1, 12, 31), pii=True, protected_characteristics=["age", "race", "sex"],
        pta="PTA CBP-2019-044", pia="DHS/CBP/PIA-056", sorn="DHS/CBP-007",
        retention="12 hours for U.S. citizens; 75 years for others (SORN)",
        quality_notes="3% of images below the capture quality threshold, removed before training",
        known_limits="Few travelers over 80 and under 14; low light at two terminals"))
    ds.add_version(session, lead, gallery.id, VersionIn(label=f"{year - 1}-12", sha256=hashlib.sha256(
        b"entry photo gallery, demo manifest").hexdigest(), filename="gallery-manifest.csv"))
    ds.link_use_case(session, lead, gallery.id, fr.business_id, "training")
    ds.link_use_case(session, lead, gallery.id, fr.business_id, "operation")
    test_set = ds.create_dataset(session, lead, DatasetIn(
        name="Demographic test set (demo)", component="CBP", owner="S&T Biometric and Identity Technology Center",
        source="Volunteers photographed at the Maryland Test Facility",
        provenance="Collected by S&T with the volunteers' consent, balanced by age, sex and skin tone",
        collection_method="Scenario testing with volunteers", starts_on=dt.date(year - 2, 3, 1),
        ends_on=dt.date(year - 2, 5, 31), pii=True, protected_characteristics=["age", "race", "sex"],
        pia="DHS/S&T/PIA-031", retention="Until the end of the test program, then destroyed",
        quality_notes="Every comparison labelled genuine or impostor by hand",
        known_limits="60 volunteers: wide confidence intervals for small groups"))
    ds.add_version(session, lead, test_set.id, VersionIn(label="v1", sha256=hashlib.sha256(TEST_SET).hexdigest(),
                                                         filename="test-set.csv"), TEST_SET)
    ds.link_use_case(session, lead, test_set.id, fr.business_id, "testing")
    path = settings.ensure_data_dir() / "demo-test-set.csv"
    path.write_bytes(TEST_SET)
    try:
        evaluation.record_run(session, lead, settings, path, "biometric",
                              {"score": "score", "genuine": "genuine", "groups": ["group"], "subject": "subject"},
                              {"data": {"rows": 60, "file": "test-set.csv"}}, b"%PDF-1.4\n%%EOF\n",
                              business_id=fr.business_id, attach=False)
    finally:
        path.unlink(missing_ok=True)
    return out
