"""Acquisition (issue #20, item 2), on both databases: a use case served by a contract in force that misses an
AI contract requirement is not authorized, with a reason naming the contract and the requirement, until the
requirement is met or waived; the vendor page; who may do what; bad input writes nothing; the clock."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from raigov.acquisition import clock, reads
from raigov.acquisition import service as acq
from raigov.acquisition.models import Contract, ContractRequirement, ContractUseCase, Vendor
from raigov.acquisition.requirements import catalogue
from raigov.acquisition.schemas import ContractIn, RequirementIn
from raigov.audit.models import AuditEvent
from raigov.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from raigov.governance import service as gov

ALL_MET = {k: {"status": "met", "clause": f"clause H-{i + 1}"} for i, k in enumerate(catalogue().codes())}


def contract(number: str, use_cases: list[str], missing: tuple[str, ...] = (), **over) -> ContractIn:
    reqs = {k: v for k, v in ALL_MET.items() if k not in missing}
    return ContractIn(**{"number": number, "title": "Translation service", "vendor": "Lingua Corp", "component": "CBP",
                         "starts_on": "2025-01-01", "ends_on": "2099-12-31", "use_cases": use_cases,
                         "requirements": reqs, **over})


def gate(db, people, bid):
    with db.transaction(read=True) as s:
        return gov.authorization(s, people["caio"], bid)


def test_a_missing_requirement_is_a_gate_reason_until_met_or_waived(db, people, use_cases):
    low = use_cases["low"]
    assert gate(db, people, low).authorized, "the fixture's use case is authorized before any contract"
    with db.transaction() as s:
        acq.create_contract(s, people["lead"], contract(" 70b03c25-c-0001 ", [low], missing=("data_rights",)))
    answer = gate(db, people, low)
    assert not answer.authorized
    assert answer.reasons == [{
        "code": "contract_requirement_missing", "contract": "70B03C25-C-0001", "requirement": "data_rights",
        "message": "contract 70B03C25-C-0001 with Lingua Corp lacks the AI contract requirement 'Data rights and "
                   "ownership': record the clause that meets it, or waive it with a reason"}]

    with db.transaction() as s:  # met: the reason is gone
        acq.set_requirement(s, people["lead"], "70b03c25-c-0001", "data_rights",
                            RequirementIn(status="met", clause="FAR 52.227-14 Alt IV, §H.7"))
    assert gate(db, people, low).authorized
    with db.transaction() as s:  # missing again, then waived by the CAIO: gone again
        acq.set_requirement(s, people["lead"], "70B03C25-C-0001", "data_rights", RequirementIn(status="missing"))
    assert [r["code"] for r in gate(db, people, low).reasons] == ["contract_requirement_missing"]
    with pytest.raises(PermissionDenied):  # the lead does not waive
        with db.transaction() as s:
            acq.set_requirement(s, people["lead"], "70B03C25-C-0001", "data_rights",
                                RequirementIn(status="waived", reason="public data only"))
    with db.transaction() as s:
        acq.set_requirement(s, people["caio"], "70B03C25-C-0001", "data_rights",
                            RequirementIn(status="waived", reason="only public web pages are sent"))
    assert gate(db, people, low).authorized

    # a contract that has ended no longer counts; a second one in force with two gaps gives two reasons
    with db.transaction() as s:
        acq.create_contract(s, people["lead"], contract("OLD-1", [low], missing=("portability",), ends_on="2020-12-31",
                                                        starts_on="2019-01-01"))
        acq.create_contract(s, people["lead"], contract("NEW-2", [], missing=("sustainability", "data_provenance"),
                                                        vendor="lingua corp"))
        acq.link_use_case(s, people["lead"], "NEW-2", low)
    answer = gate(db, people, low)
    assert [(r["contract"], r["requirement"]) for r in answer.reasons] == [("NEW-2", "data_provenance"),
                                                                           ("NEW-2", "sustainability")]

    with db.transaction(read=True) as s:
        vendors = reads.list_vendors(s, people["lead"])
        assert [(v["name"], v["contracts"], v["with_gaps"], v["use_cases"]) for v in vendors] == [("Lingua Corp", 3, 2, 1)]
        v = reads.vendor_view(s, people["lead"], vendors[0]["id"])
        assert [c["number"] for c in v["contracts"]] == ["70B03C25-C-0001", "NEW-2", "OLD-1"]
        assert [u["id"] for u in v["use_cases"]] == [low]
        view = reads.contract_view(s, people["auditor"], "70B03C25-C-0001")
        dr = next(r for r in view["requirements"] if r["key"] == "data_rights")
        assert (dr["status"], dr["reason"], dr["clause"]) == ("waived", "only public web pages are sent", "")
        assert dr["citations"][0] == "M-25-21 §2(d)"
        assert not view["may_manage"]
        # TSA's lead reads none of CBP's contracts
        assert reads.list_contracts(s, people["tsa.lead"]) == []
        with pytest.raises(NotFound):
            reads.contract_view(s, people["tsa.lead"], "NEW-2")
        actions = [a for (a,) in s.execute(select(AuditEvent.action).where(AuditEvent.action.like("acquisition.%"))
                                           .order_by(AuditEvent.seq))]
    assert actions == ["acquisition.contract.create", "acquisition.requirement.update", "acquisition.requirement.update",
                       "acquisition.requirement.waive", "acquisition.contract.create", "acquisition.contract.create",
                       "acquisition.contract.link"]


def counts(s):
    return tuple(s.scalar(select(func.count()).select_from(m))
                 for m in (Contract, Vendor, ContractRequirement, ContractUseCase, AuditEvent))


def test_bad_input_and_permissions_write_nothing(db, settings, people, use_cases):
    low = use_cases["low"]
    with db.transaction() as s:
        acq.create_contract(s, people["lead"], contract("C-1", [low]))
    with db.transaction(read=True) as s:
        before = counts(s)
    refused = [
        (people["lead"], contract("c-1", [low], vendor="Someone Else"), Conflict, "number"),
        (people["lead"], contract("C-2", [low, "DHS-9999"], vendor="New Vendor"), ValidationFailed, "use_cases.1"),
        (people["lead"], contract("C-2", [], requirements={"telepathy": {"status": "met", "clause": "x"}}),
         ValidationFailed, "requirements.telepathy"),
        (people["lead"], contract("C-2", [], requirements={"data_rights": {"status": "met", "clause": " "}}),
         ValidationFailed, "requirements.data_rights.clause"),
        (people["lead"], contract("C-2", [], starts_on="2026-01-01", ends_on="2025-01-01"), ValidationFailed, "ends_on"),
        (people["lead"], contract("C-2", [], vendor=""), ValidationFailed, "vendor"),
        (people["lead"], contract("C-2", [], component="NOPE"), ValidationFailed, "component"),
        (people["lead"], contract("C-2", [], requirements={"data_rights": {"status": "waived", "reason": "r"}}),
         PermissionDenied, None),
        (people["tsa.lead"], contract("C-2", []), PermissionDenied, None),
        (people["owner"], contract("C-2", []), PermissionDenied, None),
        (people["auditor"], contract("C-2", []), PermissionDenied, None),
    ]
    for actor, data, error, field in refused:
        with pytest.raises(error) as exc:
            with db.transaction() as s:
                acq.create_contract(s, actor, data)
        if field:
            assert exc.value.errors[0].field == field, (field, exc.value.detail)
    with pytest.raises(ValidationFailed, match="no use case"):
        with db.transaction() as s:
            acq.link_use_case(s, people["lead"], "C-1", "DHS-9999")
    with pytest.raises(Conflict):
        with db.transaction() as s:
            acq.link_use_case(s, people["lead"], "C-1", low)
    with pytest.raises(NotFound):
        with db.transaction() as s:
            acq.set_requirement(s, people["tsa.lead"], "C-1", "data_rights", RequirementIn(status="missing"))
    with pytest.raises(ValidationFailed) as exc:
        with db.transaction() as s:
            acq.set_requirement(s, people["caio"], "C-1", "data_rights", RequirementIn(status="waived", reason=""))
    assert exc.value.errors[0].field == "reason"
    with db.transaction(read=True) as s:
        assert counts(s) == before
        assert s.scalar(select(func.count()).select_from(Vendor).where(Vendor.name == "New Vendor")) == 0
        # the clock: C-1 ends on 2099-12-31; 31 days before, a reminder to CBP's lead; on the day, the CAIO too
        n = clock.due(s, dt.date(2099, 11, 30), settings)
        assert [(x.key, x.level, [r.username for r in x.recipients]) for x in n] == [
            (f"contract:{n[0].object_id}:ends:2099-12-31", "reminder", ["lead"])]
        assert "C-1 (Translation service, Lingua Corp) ends 2099-12-31 (in 31 days)" in n[0].body
        n = clock.due(s, dt.date(2099, 12, 31), settings)
        assert [(x.level, [r.username for r in x.recipients]) for x in n] == [("escalation", ["lead", "caio"])]


def test_clock_of_contract_end_and_options():
    """Hand-worked: 90 days before the end, 60 before an option; escalation on the day; nothing outside."""
    today = dt.date(2026, 12, 4)
    ends = today + dt.timedelta(days=90)
    assert clock.events("C", ends, [], today) == [("ends", ends, clock.REMINDER)]
    assert clock.events("C", today + dt.timedelta(days=91), [], today) == []
    assert clock.events("C", today, ["2027-02-02", "2027-02-03", "2026-12-03"], today) == [
        ("ends", today, clock.ESCALATION), ("option", dt.date(2027, 2, 2), clock.REMINDER)]  # 60 days; 61; past
    assert clock.events("C", None, ["2026-12-04"], today) == [("option", today, clock.ESCALATION)]
