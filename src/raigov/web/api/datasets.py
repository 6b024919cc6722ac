"""JSON API of the dataset registry: data cards, versions (SHA-256), links to use cases, the evaluation runs
whose input matches a version, a use case's datasets and its pre-filled assessment data section. Thin: every
rule is in raigov.datasets.service (writes) and raigov.datasets.reads."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from raigov.datasets import reads
from raigov.datasets import service as ds
from raigov.datasets.schemas import DatasetIn, LinkIn, VersionIn
from raigov.identity.permissions import Actor
from raigov.inventory import service as inventory
from raigov.web.api.v1 import ERRORS
from raigov.web.deps import api_actor, may, uow
from raigov.web.params import RowId

router = APIRouter(prefix="/api/v1", tags=["datasets"])
ActorDep = Annotated[Actor, Depends(api_actor)]


@router.get("/datasets", responses=ERRORS, summary="The datasets you may read")
def datasets(request: Request, actor: ActorDep):
    with uow(request) as s:
        return reads.list_datasets(s, actor)


@router.post("/datasets", status_code=201, responses=ERRORS, dependencies=[may(ds.MANAGE)],
             summary="Register a dataset's data card")
def create(request: Request, actor: ActorDep, body: DatasetIn):
    with uow(request) as s:
        d = ds.create_dataset(s, actor, body)
        return reads.dataset_view(s, actor, d.id)


@router.get("/datasets/{dataset_id}", responses=ERRORS,
            summary="A data card, its versions, the use cases using it and the runs whose input matches a version")
def dataset(request: Request, actor: ActorDep, dataset_id: RowId):
    with uow(request) as s:
        return reads.dataset_view(s, actor, dataset_id)


@router.put("/datasets/{dataset_id}", responses=ERRORS, dependencies=[may(ds.MANAGE)],
            summary="Replace a dataset's data card (its name and component stay)")
def update(request: Request, actor: ActorDep, dataset_id: RowId, body: DatasetIn):
    with uow(request) as s:
        ds.update_dataset(s, actor, dataset_id, body)
        return reads.dataset_view(s, actor, dataset_id)


@router.post("/datasets/{dataset_id}/versions", status_code=201, responses=ERRORS, dependencies=[may(ds.MANAGE)],
             summary="Register a version by its SHA-256 (the CLI and the page also check a file against it)")
def add_version(request: Request, actor: ActorDep, dataset_id: RowId, body: VersionIn):
    with uow(request) as s:
        ds.add_version(s, actor, dataset_id, body)
        return reads.dataset_view(s, actor, dataset_id)


@router.post("/datasets/{dataset_id}/use-cases", responses=ERRORS, dependencies=[may(ds.MANAGE)],
             summary="A use case uses the dataset for training, testing or operation")
def link(request: Request, actor: ActorDep, dataset_id: RowId, body: LinkIn):
    with uow(request) as s:
        ds.link_use_case(s, actor, dataset_id, body.use_case, body.purpose)
        return reads.dataset_view(s, actor, dataset_id)


@router.get("/use-cases/{business_id}/datasets", responses=ERRORS,
            summary="A use case's datasets and its impact assessment's data section pre-filled from them")
def use_case_datasets(request: Request, actor: ActorDep, business_id: str):
    with uow(request) as s:
        uc = inventory.get_use_case(s, actor, business_id)
        return {"use_case": uc.business_id, "datasets": reads.use_case_datasets(s, actor, uc.id),
                "assessment_section": {"B_data_model_quality": reads.assessment_data_section(s, actor, uc.id)}}
