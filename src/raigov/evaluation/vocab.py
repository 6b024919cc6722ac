"""Evaluation's vocabularies. StrEnums: a member is the very string stored."""

from __future__ import annotations

from enum import StrEnum


class RunKind(StrEnum):
    CLASSIFIER = "classifier"
    BIOMETRIC = "biometric"


class RunStatus(StrEnum):
    RUNNING = "running"
    DONE = "done"
    FAILED = "failed"
