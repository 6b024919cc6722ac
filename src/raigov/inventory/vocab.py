"""Inventory's vocabularies. StrEnums: a member is the very string stored (`UseCaseStatus.ACTIVE == "active"`)."""

from __future__ import annotations

from enum import StrEnum


class UseCaseStatus(StrEnum):
    DRAFT = "draft"  # being written by its owner; not in the inventory yet
    ACTIVE = "active"
    RETIRED = "retired"
