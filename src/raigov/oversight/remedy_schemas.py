"""The inputs of notices and appeals: the optional `notice` of a decision's JSON (a new optional key of the
contract: a decision without it is read exactly as before), an appeal, its decision, a use case's notice."""

from __future__ import annotations

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from raigov.oversight.remedies import remedies


class NoticeGivenIn(BaseModel):
    """Whether and how the person the decision is about was told (M-24-10 §5(c)(v)(D))."""

    model_config = ConfigDict(extra="forbid", strict=True)
    given: bool = Field(description="whether the person was given the use case's notice")
    method: str | None = Field(default=None, max_length=20, description="how: in_person, letter, email, portal, "
                               "phone or other (required when given is true)")

    @field_validator("method")
    @classmethod
    def _known(cls, v: str | None) -> str | None:
        if v is not None and v not in remedies().notice_methods:
            raise ValueError(f"one of {', '.join(remedies().notice_methods)}")
        return v

    @model_validator(mode="after")
    def _method_when_given(self):
        if self.given and self.method is None:
            raise ValueError("method: required when given is true")
        return self


class AppealIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    grounds: str = Field(min_length=1, max_length=10_000, description="why the person contests the decision "
                         "(no identifiers: the decision already names its subject by pseudonym)")


class AppealDecisionIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    outcome: Literal["upheld", "modified", "reversed"]
    rationale: str = Field(min_length=1, max_length=10_000, description="why, for the record and the person")


class UseCaseNoticeIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    what_ai_does: str = Field(min_length=1, max_length=4000, description="what the AI does, in plain language")
    human_review: str = Field(min_length=1, max_length=4000, description="how to get a human review")
    appeal: str = Field(min_length=1, max_length=4000, description="how to appeal a decision")
    opt_out: str = Field(default="", max_length=4000, description="how to opt out, where it applies")
