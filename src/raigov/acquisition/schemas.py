"""The acquisition API's bodies (pydantic)."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class RequirementIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    status: Literal["met", "missing", "waived"]
    clause: str = Field("", max_length=4000, description="met: the clause or the evidence that meets it")
    reason: str = Field("", max_length=4000, description="waived: why the requirement is waived")


class ContractIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    number: str = Field(..., min_length=1, max_length=60, description="the solicitation or contract number")
    kind: Literal["solicitation", "contract"] = "contract"
    title: str = Field(..., min_length=1, max_length=300)
    vendor: str = Field("", max_length=200, description="the vendor's name (none yet for a solicitation)")
    component: str | None = Field(None, max_length=20, description="the owning component's code (none: the department)")
    awarded_on: dt.date | None = None
    starts_on: dt.date | None = None
    ends_on: dt.date | None = None
    option_dates: list[dt.date] = Field(default_factory=list, max_length=20)
    use_cases: list[str] = Field(default_factory=list, max_length=200, description="use case ids the contract serves")
    requirements: dict[str, RequirementIn] = Field(default_factory=dict,
                                                   description="requirement key -> its state (others: missing)")


class LinkIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    use_case: str = Field(..., min_length=1, max_length=40)
