"""The jobs' vocabularies. StrEnums: a member is the very string stored."""

from __future__ import annotations

from enum import StrEnum


class NoticeStatus(StrEnum):
    PENDING = "pending"
    SENT = "sent"
    FAILED = "failed"
