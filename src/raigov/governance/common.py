"""Small helpers shared by the governance services (reviews, practices, waivers, the gate's reads): a
required text, an active user by name, a use case's component and people, the lock that
serialises writes to one use case, and a practice's active waiver. Nothing here checks a permission: the
services that call these do, first."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.errors import ValidationFailed
from raigov.governance.models import Waiver
from raigov.governance.vocab import WaiverStatus
from raigov.identity.models import User
from raigov.inventory.models import UseCase
from raigov.inventory.service import component_of

__all__ = ["active_user", "active_waiver", "clean", "component_of", "lock_use_case", "people"]


def clean(text: str | None, field: str, what: str) -> str:
    """`text` stripped; ValidationFailed naming `field` (``what`` says what is missing) when it is
    blank."""
    t = (text or "").strip()
    if not t:
        raise ValidationFailed.one(field, what, "missing")
    return t


def active_user(session: Session, username: str, field: str = "username") -> User:
    """The active user named `username`; ValidationFailed naming `field` otherwise."""
    u = session.scalar(select(User).where(User.username == (username or "").strip().lower()))
    if u is None or not u.is_active:
        raise ValidationFailed.one(field, f"no active user {username!r}")
    return u


def people(uc: UseCase, role: str | None = None) -> set[int]:
    """The user ids of the use case's owners and developers (or of one `role`)."""
    return {p.user_id for p in uc.people if role is None or p.role == role}


def lock_use_case(session: Session, uc: UseCase) -> None:
    """Serialise the writes that add rows to one use case (a review cycle, practices, a pilot): a second
    writer waits here until the first commits, then sees its rows."""
    session.execute(select(UseCase.id).where(UseCase.id == uc.id).with_for_update())


def active_waiver(session: Session, uc: UseCase, item: str) -> Waiver | None:
    """The active waiver of the use case's practice `item` (None: not waived)."""
    return session.scalar(select(Waiver).where(Waiver.use_case_id == uc.id, Waiver.practice_item == item,
                                               Waiver.status == WaiverStatus.ACTIVE))
