"""Data call pages: the CAIO's progress of the annual reporting cycle and a component lead's certification."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/datacall", include_in_schema=False)
