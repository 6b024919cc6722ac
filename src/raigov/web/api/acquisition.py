"""JSON API of acquisition: solicitations and contracts, their AI contract requirements, vendors. Thin: every
rule is in raigov.acquisition.service (writes) and raigov.acquisition.reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from raigov.acquisition import reads
from raigov.acquisition import service as acq
from raigov.acquisition.requirements import catalogue
from raigov.acquisition.schemas import ContractIn, LinkIn, RequirementIn
from raigov.identity.permissions import Actor
from raigov.inventory import service as inventory
from raigov.web.api.v1 import ERRORS
from raigov.web.deps import api_actor, may, uow
from raigov.web.params import RowId

router = APIRouter(prefix="/api/v1/acquisition", tags=["acquisition"])
ActorDep = Annotated[Actor, Depends(api_actor)]


@router.get("/requirements", responses=ERRORS, summary="The AI contract requirements with their citations")
def requirements(actor: ActorDep):
    c = catalogue()
    return {"version": c.version, "requirements": [{"key": r.key, "title": r.title, "text": r.text,
                                                    "citations": list(r.citations)} for r in c.requirements]}


@router.get("/contracts", responses=ERRORS, summary="The solicitations and contracts you may read")
def contracts(request: Request, actor: ActorDep):
    with uow(request) as s:
        return reads.list_contracts(s, actor)


@router.post("/contracts", status_code=201, responses=ERRORS, dependencies=[may(acq.MANAGE)],
             summary="Record a solicitation or contract (every requirement not given is missing)")
def create_contract(request: Request, actor: ActorDep, body: ContractIn):
    with uow(request) as s:
        c = acq.create_contract(s, actor, body)
        return reads.contract_view(s, actor, c.number)


@router.get("/contracts/{number}", responses=ERRORS, summary="A contract with the state of every requirement")
def contract(request: Request, actor: ActorDep, number: str):
    with uow(request) as s:
        return reads.contract_view(s, actor, number)


@router.put("/contracts/{number}/requirements/{key}", responses=ERRORS, dependencies=[may(acq.MANAGE)],
            summary="Record a requirement as met (clause), missing, or waived (reason)")
def set_requirement(request: Request, actor: ActorDep, number: str, key: str, body: RequirementIn):
    with uow(request) as s:
        acq.set_requirement(s, actor, number, key, body)
        return reads.contract_view(s, actor, number)


@router.post("/contracts/{number}/use-cases", responses=ERRORS, dependencies=[may(acq.MANAGE)],
             summary="The contract serves a use case")
def link(request: Request, actor: ActorDep, number: str, body: LinkIn):
    with uow(request) as s:
        acq.link_use_case(s, actor, number, body.use_case)
        return reads.contract_view(s, actor, number)


@router.delete("/contracts/{number}/use-cases/{business_id}", responses=ERRORS, dependencies=[may(acq.MANAGE)],
               summary="The contract no longer serves the use case")
def unlink(request: Request, actor: ActorDep, number: str, business_id: str):
    with uow(request) as s:
        acq.link_use_case(s, actor, number, business_id, unlink=True)
        return reads.contract_view(s, actor, number)


@router.get("/vendors", responses=ERRORS, summary="The vendors of the contracts you may read")
def vendors(request: Request, actor: ActorDep):
    with uow(request) as s:
        return reads.list_vendors(s, actor)


@router.get("/vendors/{vendor_id}", responses=ERRORS, summary="A vendor's contracts and the use cases they touch")
def vendor(request: Request, actor: ActorDep, vendor_id: RowId):
    with uow(request) as s:
        return reads.vendor_view(s, actor, vendor_id)


@router.get("/use-cases/{business_id}/contracts", responses=ERRORS,
            summary="The solicitations and contracts you may read that serve a use case")
def use_case_contracts(request: Request, actor: ActorDep, business_id: str):
    with uow(request) as s:
        uc = inventory.get_use_case(s, actor, business_id)
        return reads.use_case_contracts(s, actor, uc.id)
