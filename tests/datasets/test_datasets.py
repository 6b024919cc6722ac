"""The dataset registry (issue #20, item 3), on both databases: a version registered with a file whose
SHA-256 is not the one stated is refused and nothing is written; an evaluation run whose input hash is a
version's is found on the data card; the impact assessment's data section is pre-filled from the use case's
datasets (a hand-written oracle); who may do what; bad input writes nothing."""

from __future__ import annotations

import hashlib

import pytest
from sqlalchemy import func, select

from raigov.audit.models import AuditEvent
from raigov.datasets import reads
from raigov.datasets import service as ds
from raigov.datasets.models import Dataset, DatasetUseCase, DatasetVersion
from raigov.datasets.schemas import DatasetIn, VersionIn
from raigov.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from raigov.evaluation.models import EvaluationRun
from raigov.inventory.models import UseCase

FILE_V1 = b"subject,group,score\n1,a,0.91\n2,b,0.42\n"
FILE_V2 = b"subject,group,score\n1,a,0.91\n2,b,0.42\n3,a,0.77\n"
SHA_V1, SHA_V2 = hashlib.sha256(FILE_V1).hexdigest(), hashlib.sha256(FILE_V2).hexdigest()
CARD = {"name": "Entry photos 2019-2023", "component": "CBP", "owner": "CBP Office of Field Operations",
        "source": "traveler photos taken at entry", "provenance": "captured by CBP cameras at 12 airports",
        "collection_method": "live capture at primary inspection", "starts_on": "2019-01-01", "ends_on": "2023-12-31",
        "pii": True, "protected_characteristics": ["sex", "race", "age"], "pta": "PTA 2019-044",
        "pia": "DHS/CBP/PIA-056", "sorn": "DHS/CBP-007", "retention": "12 hours for U.S. citizens; 75 years otherwise",
        "quality_notes": "3% of images below the quality threshold", "known_limits": "few travelers over 80"}


def test_versions_by_hash_runs_matched_and_the_prefilled_assessment_section(db, people, use_cases):
    fr = use_cases["fr"]
    with db.transaction() as s:
        d = ds.create_dataset(s, people["lead"], DatasetIn(**CARD))
        did = d.id
        ds.add_version(s, people["te.cbp"], did, VersionIn(label="2024-01", sha256=SHA_V1, filename="v1.csv"), FILE_V1)
        ds.add_version(s, people["te.cbp"], did, VersionIn(label="2024-06", sha256=SHA_V2.upper()))  # hash only
        ds.link_use_case(s, people["owner"], did, fr, "testing")
        ds.link_use_case(s, people["owner"], did, fr, "training")
        # two runs whose input is a version, one whose input is not, one of TSA's
        uc_id = s.scalar(select(UseCase.id).where(UseCase.business_id == fr))
        for sha, comp in ((SHA_V1, "CBP"), (SHA_V2, "CBP"), ("0" * 64, "CBP"), (SHA_V1, "TSA")):
            s.add(EvaluationRun(use_case_id=uc_id if comp == "CBP" else None, kind="biometric", status="done",
                                input_filename="in.csv", input_sha256=sha, outcome="pass", created_by="user:te.cbp",
                                component=comp))
    with db.transaction(read=True) as s:
        runs = sorted(s.scalars(select(EvaluationRun.id)))
        view = reads.dataset_view(s, people["te.cbp"], did)
        assert [(v["label"], v["sha256"], v["size"]) for v in view["versions"]] == [
            ("2024-06", SHA_V2, None), ("2024-01", SHA_V1, len(FILE_V1))]
        assert [(r["run"], r["version"], r["use_case"]) for r in view["runs"]] == [
            (runs[0], "2024-01", fr), (runs[1], "2024-06", fr)], "TSA's run is not the CBP T&E engineer's to read"
        assert [r["run"] for r in reads.dataset_view(s, people["caio"], did)["runs"]] == [runs[0], runs[1], runs[3]]
        assert [(u["id"], u["purpose"]) for u in view["use_cases"]] == [(fr, "testing"), (fr, "training")]

        section = reads.assessment_data_section(s, people["owner"], uc_id)
    assert section == (
        "From the dataset registry:\n"
        "- Entry photos 2019-2023 (used for training and testing): owner CBP Office of Field Operations; "
        "source: traveler photos taken at entry; provenance: captured by CBP cameras at 12 airports; "
        "collected by live capture at primary inspection; covers 2019-01-01 to 2023-12-31; holds personally "
        "identifiable information; protected characteristics: Age, Race, Sex; covered by PTA PTA 2019-044, "
        "PIA DHS/CBP/PIA-056, SORN DHS/CBP-007; retention: 12 hours for U.S. citizens; 75 years otherwise; "
        f"newest version 2024-06 (SHA-256 {SHA_V2[:16]}…); quality: 3% of images below the quality threshold; "
        "known limits: few travelers over 80.")
    with db.transaction(read=True) as s:  # TSA's lead reads no CBP dataset: nothing pre-filled, no card
        assert reads.assessment_data_section(s, people["tsa.lead"], uc_id) == ""
        with pytest.raises(NotFound):
            reads.dataset_view(s, people["tsa.lead"], did)
        assert reads.list_datasets(s, people["tsa.lead"]) == []


def counts(s):
    return tuple(s.scalar(select(func.count()).select_from(m))
                 for m in (Dataset, DatasetVersion, DatasetUseCase, AuditEvent))


def test_a_file_not_matching_its_hash_and_other_bad_input_write_nothing(db, people, use_cases):
    with db.transaction() as s:
        did = ds.create_dataset(s, people["lead"], DatasetIn(**CARD)).id
        ds.add_version(s, people["lead"], did, VersionIn(label="v1", sha256=SHA_V1), FILE_V1)
    with db.transaction(read=True) as s:
        before = counts(s)

    def refused(fn, error, field=None):
        with pytest.raises(error) as exc:
            with db.transaction() as s:
                fn(s)
        if field:
            assert exc.value.errors[0].field == field, exc.value.detail
        return exc.value

    e = refused(lambda s: ds.add_version(s, people["lead"], did, VersionIn(label="v2", sha256=SHA_V1), FILE_V2),
                ValidationFailed, "file")
    assert SHA_V2 in e.detail and "not registered" in e.detail
    refused(lambda s: ds.add_version(s, people["lead"], did, VersionIn(label="v2", sha256="g" * 64)), ValidationFailed,
            "sha256")
    refused(lambda s: ds.add_version(s, people["lead"], did, VersionIn(label="v1", sha256=SHA_V2)), Conflict, "label")
    refused(lambda s: ds.create_dataset(s, people["lead"], DatasetIn(**{**CARD, "name": "entry photos 2019-2023"})),
            Conflict, "name")
    refused(lambda s: ds.create_dataset(s, people["lead"], DatasetIn(**{**CARD, "name": "B", "ends_on": "2018-01-01"})),
            ValidationFailed, "ends_on")
    refused(lambda s: ds.create_dataset(s, people["lead"], DatasetIn(**{**CARD, "name": "B",
                                                                        "protected_characteristics": ["sex", "height"]})),
            ValidationFailed, "protected_characteristics.1")
    refused(lambda s: ds.link_use_case(s, people["lead"], did, "DHS-9999", "training"), ValidationFailed, "use_case")
    refused(lambda s: ds.link_use_case(s, people["lead"], did, use_cases["fr"], "marketing"), ValidationFailed, "purpose")
    # the matrix: the auditor and a Privacy reviewer read but do not change; TSA's lead does not reach CBP's dataset
    for who in ("auditor", "privacy"):
        refused(lambda s, who=who: ds.add_version(s, people[who], did, VersionIn(label="v3", sha256=SHA_V2)),
                PermissionDenied)
        refused(lambda s, who=who: ds.create_dataset(s, people[who], DatasetIn(**{**CARD, "name": "C"})), PermissionDenied)
    refused(lambda s: ds.add_version(s, people["tsa.lead"], did, VersionIn(label="v3", sha256=SHA_V2)), NotFound)
    refused(lambda s: ds.create_dataset(s, people["tsa.lead"], DatasetIn(**CARD | {"name": "C"})), PermissionDenied)
    with db.transaction(read=True) as s:
        assert counts(s) == before
        assert reads.dataset_view(s, people["auditor"], did)["may_manage"] is False
        assert [d["name"] for d in reads.list_datasets(s, people["privacy"])] == [CARD["name"]]
