"""Inputs and outputs of the identity services (pydantic; unknown fields are refused)."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator

from raigov.identity.roles import ROLES

USERNAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{1,62}[a-z0-9]$"
RoleName = Literal[tuple(ROLES)]  # the fixed list of roles: an enum in the OpenAPI


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RoleGrantIn(Strict):
    role: RoleName = Field(description="One of the raigov roles")
    component: str | None = Field(default=None, description="Org unit code; omit for department-wide")

    @field_validator("role", mode="before")
    @classmethod
    def _known_role(cls, v):
        if isinstance(v, str):
            v = v.strip()
            if v not in ROLES:
                raise ValueError(f"unknown role {v!r}; roles are: {', '.join(ROLES)}")
        return v


class UserCreate(Strict):
    username: str = Field(pattern=USERNAME_PATTERN, description="Lower-case letters, digits, . _ -")
    display_name: str = Field(min_length=1, max_length=200)
    email: EmailStr | None = None
    kind: str = Field(default="person", pattern="^(person|service)$")
    org_unit: str | None = Field(default=None, description="Home org unit code")
    password: str | None = Field(default=None, max_length=1024)
    roles: list[RoleGrantIn] = Field(default_factory=list)


class RoleOut(BaseModel):
    role: RoleName
    component: str | None
    status: str = Field(default="active", description="active, or pending: a deciding role waiting for a second person")
    pending_id: int | None = Field(default=None, description="For a pending grant: the id to confirm or decline it by")
    requested_by: str | None = Field(default=None, description="For a pending grant: who asked for it")


class GrantDecline(Strict):
    reason: str | None = Field(default=None, max_length=1000, description="Why the grant is refused (kept in the audit trail)")


class PendingGrantOut(BaseModel):
    id: int
    username: str
    display_name: str
    role: str
    component: str | None
    requested_by: str
    requested_at: datetime
    requested_by_name: str | None = Field(default=None, description="The display name of who asked, when a person")


class UserOut(BaseModel):
    username: str
    display_name: str
    email: str | None
    kind: str
    org_unit: str | None
    is_active: bool
    roles: list[RoleOut]
    created_at: datetime
    last_sign_in_at: datetime | None


class TokenCreate(Strict):
    name: str = Field(min_length=1, max_length=100)
    # the OpenAPI states the server's limit, the setting RAIGOV_TOKEN_MAX_DAYS (web/openapi.py); 3660 is the
    # highest that setting may be
    expires_in_days: int | None = Field(default=None, ge=1, le=3660,
                                        json_schema_extra={"x-raigov-maximum": "token_max_days"})


class TokenOut(BaseModel):
    id: int
    name: str
    prefix: str
    created_at: datetime
    expires_at: datetime
    revoked_at: datetime | None
    last_used_at: datetime | None


class TokenCreated(TokenOut):
    token: str = Field(description="Shown once; only its hash is kept")
