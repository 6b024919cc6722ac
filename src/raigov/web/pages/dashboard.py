"""The governance dashboard: department-wide for the CAIO's office, a component's numbers for its AI lead,
the lanes' queues for reviewers. Read-only."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(prefix="/dashboard", include_in_schema=False)
