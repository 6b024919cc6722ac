"""The decision's JSON (a contract with operational systems: keep the field names and meanings) and the other
inputs of the oversight API. Strict: a wrong type is refused, never coerced; an unknown field is refused."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from raigov.errors import FieldError, PayloadTooLarge, ValidationFailed
from raigov.oversight.remedy_schemas import NoticeGivenIn

MAX_BATCH = 10_000
MAX_AI_OUTPUT_CHARS = 16_000


class DecisionIn(BaseModel):
    """One AI-assisted decision, as the operational system reports it."""

    model_config = ConfigDict(extra="forbid", strict=True)
    decision_id: str = Field(min_length=1, max_length=200, description="the system's own id of the decision; "
                             "the key (with the use case and the system) that makes a retry safe")
    use_case: str = Field(min_length=1, max_length=120, description="the use case's business id, e.g. DHS-0123")
    ai_version: str = Field(min_length=1, max_length=200, description="the model or system version that produced the output")
    kind: str = Field(min_length=1, max_length=40, description="what was decided: a kind of kinds.yaml (arrest, search, "
                      "seizure, citation, civil_fine, injunction, benefit_denial, benefit_reduction, other_adverse, "
                      "favourable, informational)")
    subject: str = Field(min_length=1, max_length=500, description="the subject's identifier: raigov keeps only its "
                         "HMAC-SHA-256 under the agency's key, never the identifier")
    ai_output: dict[str, Any] | str = Field(description="what the AI produced (an object or a text)")
    reviewer: str | None = Field(max_length=200, description="the user name of the person who reviewed the output; "
                                 "null when human_action is none")
    human_action: Literal["accepted", "modified", "overrode", "none"]
    rationale: str = Field(max_length=10_000, description="why the decision was taken")
    other_bases: list[str] = Field(max_length=50, description="the bases of the decision other than the AI output")
    decided_at: dt.datetime = Field(description="when it was decided (RFC 3339 with a time zone)")
    corrects: str | None = Field(default=None, min_length=1, max_length=200,
                                 description="the decision_id of an earlier decision (same use case and system) "
                                             "this one corrects")
    notice: NoticeGivenIn | None = Field(default=None, description="optional: whether and how the person was "
                                         "notified ({\"given\": true, \"method\": \"letter\"})")


class BatchIn(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)
    decisions: list[DecisionIn] = Field(min_length=1, max_length=MAX_BATCH)


class OperatorIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    username: str = Field(min_length=1, max_length=200)
    trained_on: dt.date
    expires_on: dt.date


class OptOutIn(BaseModel):
    model_config = ConfigDict(extra="forbid")
    subject: str = Field(min_length=1, max_length=500, description="the U.S. citizen's identifier (kept only as HMAC)")
    us_citizen: Literal[True] = Field(description="the staff member confirms that the person is a U.S. citizen")


_MESSAGES = {"extra_forbidden": "unknown field", "missing": "this field is required",
             "json_invalid": "the body is not valid JSON"}


def field_errors(exc: ValidationError, prefix: str = "") -> list[FieldError]:
    out = []
    for e in exc.errors():
        loc = ".".join(str(x) for x in e.get("loc", ()))
        code = e.get("type", "invalid")
        msg = _MESSAGES.get(code, e.get("msg", "invalid"))
        out.append(FieldError(f"{prefix}{loc}" if loc else (prefix.rstrip(".") or "body"), msg, code))
    return out


def parse_decision(raw: bytes) -> DecisionIn:
    try:
        return DecisionIn.model_validate_json(raw or b"")
    except ValidationError as exc:
        errors = field_errors(exc)
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors[:5]), errors=errors) from None


def parse_batch(raw: bytes) -> list[DecisionIn]:
    """``{"decisions": [...]}`` of 1 to 10,000 decisions; more is 413 (PayloadTooLarge) naming `decisions`."""
    try:
        return BatchIn.model_validate_json(raw or b"").decisions
    except ValidationError as exc:
        errors = field_errors(exc)
        if any(e.field == "decisions" and e.code == "too_long" for e in errors):
            raise PayloadTooLarge(f"decisions: at most {MAX_BATCH} decisions in one batch",
                                  errors=[FieldError("decisions", f"at most {MAX_BATCH}", "too_long")]) from None
        raise ValidationFailed("; ".join(f"{e.field}: {e.message}" for e in errors[:5]), errors=errors[:100]) from None
