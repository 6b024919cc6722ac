"""The dataset registry's API bodies (pydantic)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

PURPOSES = {"training": "Training", "testing": "Testing", "operation": "Operation"}
CHARACTERISTICS = {
    "race": "Race", "ethnicity": "Ethnicity", "color": "Color", "national_origin": "National origin",
    "religion": "Religion", "sex": "Sex", "gender_identity": "Gender identity", "sexual_orientation": "Sexual orientation",
    "age": "Age", "disability": "Disability", "medical_condition": "Medical condition", "citizenship": "Citizenship",
}


class DatasetIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(..., min_length=1, max_length=200)
    component: str | None = Field(None, max_length=20, description="the owning component's code (none: the department)")
    owner: str = Field(..., min_length=1, max_length=200, description="the person or office accountable for the data")
    source: str = Field(..., min_length=1, max_length=4000)
    provenance: str = Field("", max_length=4000)
    collection_method: str = Field("", max_length=4000)
    starts_on: dt.date | None = Field(None, description="first day the data covers")
    ends_on: dt.date | None = Field(None, description="last day the data covers")
    pii: bool = False
    protected_characteristics: list[str] = Field(default_factory=list, max_length=20)
    pta: str = Field("", max_length=200, description="the privacy threshold analysis that covers it")
    pia: str = Field("", max_length=200, description="the privacy impact assessment that covers it")
    sorn: str = Field("", max_length=200, description="the system of records notice that covers it")
    retention: str = Field("", max_length=4000)
    quality_notes: str = Field("", max_length=4000)
    known_limits: str = Field("", max_length=4000)


class VersionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    label: str = Field(..., min_length=1, max_length=60)
    sha256: str = Field(..., min_length=64, max_length=64, description="the SHA-256 of the version's file, hex")
    filename: str = Field("", max_length=300)
    note: str = Field("", max_length=4000)


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    use_case: str = Field(..., min_length=1, max_length=40)
    purpose: Literal["training", "testing", "operation"]
