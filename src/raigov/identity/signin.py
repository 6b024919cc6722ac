"""Password sign-in (throttled per name and client address, failures aggregated in the audit trail) and web
sessions (start, resolve, end)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from raigov.audit.service import record
from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.errors import (
    AuthenticationFailed,
    LockedOut,
)
from raigov.identity import credentials
from raigov.identity.models import (
    SignInAttempt,
    User,
    WebSession,
)
from raigov.identity.permissions import Actor

GENERIC_SIGN_IN_FAILURE = "The username or password is incorrect."


LOCKED_MESSAGE = "Too many failed sign-in attempts. Try again in {wait}, or ask an administrator."


@dataclass(frozen=True)
class Throttle:
    """Where a (name, client address) stands. `wait` seconds before the next attempt is checked (0: now);
    `by`: "account" (the name from this address), "client" (this address across names) or ""."""

    wait: float
    by: str
    failures: int          # failures of the name from this address (since its last success there)
    first_failure: datetime | None
    refused: int           # attempts refused unchecked meanwhile
    client_failures: int   # failures from this address, any name, in the client window


def _same_ip(ip: str | None):
    return SignInAttempt.ip.is_(None) if ip is None else SignInAttempt.ip == ip


def _delay(settings: Settings, failures: int) -> float:
    """Seconds to wait after `failures` failures of a name from one address: none up to login_max_failures,
    then 1, 2, 4, ... seconds, at most login_lockout_minutes."""
    k = failures - settings.login_max_failures
    if k < 0:
        return 0.0
    return float(min(2 ** min(k, 30), settings.login_lockout_minutes * 60))


def throttle(session: Session, username: str, ip: str | None, settings: Settings, now: datetime | None = None) -> Throttle:
    """Growing delays per (name typed, client address), rather than a lock of the account for everyone; and a
    limit per client address across names. Unknown names are throttled the same way (nothing is revealed)."""
    now = now or utcnow()
    name = (username or "").strip().lower()[:254]
    rows = session.execute(
        select(SignInAttempt.at, SignInAttempt.success, SignInAttempt.throttled)
        .where(SignInAttempt.username == name, _same_ip(ip), SignInAttempt.at <= now,
               SignInAttempt.at >= now - timedelta(minutes=settings.login_window_minutes))
        .order_by(SignInAttempt.at.desc(), SignInAttempt.id.desc())
    ).all()
    failures: list[datetime] = []
    refused = 0
    for at, success, was_throttled in rows:
        if success:
            break
        if was_throttled:
            refused += 1
        else:
            failures.append(at)
    wait, by = 0.0, ""
    if failures:
        wait = max(0.0, (failures[0] + timedelta(seconds=_delay(settings, len(failures))) - now).total_seconds())
        by = "account" if wait > 0 else ""
    client_window = timedelta(minutes=settings.login_client_window_minutes)
    recent = session.scalars(
        select(SignInAttempt.at)
        .where(_same_ip(ip), SignInAttempt.success.is_(False), SignInAttempt.throttled.is_(False),
               SignInAttempt.at <= now, SignInAttempt.at >= now - client_window)
        .order_by(SignInAttempt.at.desc()).limit(settings.login_client_max_failures)
    ).all()
    client_failures = len(recent)
    if client_failures >= settings.login_client_max_failures:
        client_wait = max(0.0, (recent[-1] + client_window - now).total_seconds())
        if client_wait > wait:
            wait, by = client_wait, "client"
    return Throttle(wait, by, len(failures), failures[-1] if failures else None, refused, client_failures)


def is_locked(session: Session, username: str, settings: Settings, now: datetime | None = None) -> bool:
    """Whether sign-ins of this name must wait from some address (the admin page shows it; unlock clears it)."""
    now = now or utcnow()
    name = username.strip().lower()
    ips = session.scalars(
        select(SignInAttempt.ip).where(SignInAttempt.username == name, SignInAttempt.success.is_(False),
                                       SignInAttempt.at >= now - timedelta(minutes=settings.login_window_minutes))
        .distinct()
    ).all()
    return any(throttle(session, name, ip, settings, now).by == "account" for ip in ips)


def _wait_words(seconds: int) -> str:
    return f"{seconds} seconds" if seconds < 120 else f"{(seconds + 59) // 60} minutes"


def _is_power_of_two(n: int) -> bool:
    return n > 0 and n & (n - 1) == 0


def _audit_failure(session: Session, name: str, ip: str | None, settings: Settings, before: Throttle, now: datetime) -> None:
    """Failed sign-ins are aggregated in the trail, not one event per attempt (each attempt stays a row of
    sign_in_attempts):
    - identity.sign_in.fail, per client address, when its failures in the client window reach 1, 2, 4, 8, ...:
      the count and the names tried;
    - identity.sign_in.throttle, per name, when its failures from one address start the delays and at each
      doubling after (F, 2F, 4F, ...): the count, the attempts refused meanwhile and the next wait;
    - identity.client.throttle, per client address, when it reaches the limit across names.
    Attempts refused while waiting append nothing."""
    who = Actor(kind="anonymous", username=name or "?")
    client = ip or "local"
    n_client = before.client_failures + 1
    n = before.failures + 1
    if _is_power_of_two(n_client) or n_client == settings.login_client_max_failures:
        names = sorted(set(session.scalars(
            select(SignInAttempt.username).where(
                _same_ip(ip), SignInAttempt.success.is_(False), SignInAttempt.throttled.is_(False), SignInAttempt.at <= now,
                SignInAttempt.at >= now - timedelta(minutes=settings.login_client_window_minutes))).all()))
        summary = {"ip": ip, "failures": n_client, "names": len(names), "usernames": names[:20],
                   "window_minutes": settings.login_client_window_minutes}
        if _is_power_of_two(n_client):
            record(session, who, "identity.sign_in.fail", "sign_in_client", client, None, summary)
        if n_client == settings.login_client_max_failures:
            record(session, who, "identity.client.throttle", "sign_in_client", client, None,
                   {**summary, "wait_seconds": settings.login_client_window_minutes * 60})
    f = settings.login_max_failures
    if n >= f and _is_power_of_two(n // f) and n % f == 0:
        record(session, who, "identity.sign_in.throttle", "user", name or "?", None,
               {"ip": ip, "failures": n, "refused": before.refused,
                "since": (before.first_failure or now).isoformat(), "wait_seconds": int(_delay(settings, n))})


def authenticate_password(session: Session, username: str, password: str, settings: Settings, ip: str | None = None,
                          now: datetime | None = None) -> User:
    """Check a password sign-in. Raises AuthenticationFailed with one generic message whether the name or the
    password is wrong, and LockedOut (with the seconds to wait) while the name from this client address, or
    this address across names, must wait (throttle): an attacker elsewhere slows down only themselves."""
    name = (username or "").strip().lower()[:254]
    now = now or utcnow()
    state = throttle(session, name, ip, settings, now)
    if state.wait > 0:
        session.add(SignInAttempt(username=name, ip=ip, at=now, success=False, throttled=True))
        seconds = max(1, math.ceil(state.wait))
        raise LockedOut(LOCKED_MESSAGE.format(wait=_wait_words(seconds)), retry_after=seconds)
    user = session.scalar(select(User).where(User.username == name)) if name else None
    ok = credentials.verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.is_active or user.kind != "person":
        session.add(SignInAttempt(username=name, ip=ip, at=now, success=False, throttled=False))
        session.flush()
        _audit_failure(session, name, ip, settings, state, now)
        raise AuthenticationFailed(GENERIC_SIGN_IN_FAILURE)
    if credentials.needs_rehash(user.password_hash):
        user.password_hash = credentials.hash_password(password)
    session.add(SignInAttempt(username=name, ip=ip, at=now, success=True, throttled=False))
    return user


# ---------------------------------------------------------------- sessions

def start_session(session: Session, user: User, settings: Settings, *, ip: str | None = None, method: str = "password") -> str:
    """Create a web session for a signed-in person; returns the cookie token (shown once)."""
    if user.kind != "person" or not user.is_active:
        raise AuthenticationFailed("this account cannot sign in to the web pages")
    token = credentials.new_token("rgs_")
    now = utcnow()
    ws = WebSession(token_hash=credentials.token_hash(token), user_id=user.id, created_at=now, last_seen_at=now,
                    expires_at=now + timedelta(minutes=settings.session_lifetime_minutes), ip=ip, method=method)
    session.add(ws)
    user.last_sign_in_at = now
    session.flush()
    record(session, Actor(kind="user", username=user.username, user_id=user.id), "identity.session.create", "session",
           ws.id, {"user": user.username, "method": method, "expires_at": ws.expires_at.isoformat()},
           {"ip": ip, "method": method})
    return token


def resolve_session(session: Session, token: str | None, settings: Settings, *, touch: bool = True) -> User | None:
    """The user of a valid, unexpired, recently active session token; None otherwise. `touch=False`:
    write nothing (the web reads here and calls `touch_session` apart, best effort)."""
    if not token:
        return None
    ws = session.scalar(select(WebSession).where(WebSession.token_hash == credentials.token_hash(token)))
    if ws is None or ws.revoked_at is not None:
        return None
    now = utcnow()
    if ws.expires_at <= now or now - ws.last_seen_at > timedelta(minutes=settings.session_idle_minutes):
        return None
    user = session.get(User, ws.user_id)
    if user is None or not user.is_active or user.kind != "person":
        return None
    if touch and now - ws.last_seen_at > timedelta(minutes=1):  # keep writes rare
        ws.last_seen_at = now
    return user


def end_session(session: Session, token: str | None) -> None:
    if not token:
        return
    ws = session.scalar(select(WebSession).where(WebSession.token_hash == credentials.token_hash(token)))
    if ws is None or ws.revoked_at is not None:
        return
    ws.revoked_at = utcnow()
    user = session.get(User, ws.user_id)
    record(session, Actor(kind="user", username=user.username if user else "?", user_id=ws.user_id),
           "identity.session.revoke", "session", ws.id, {"revoked": True})


def end_all_sessions(session: Session, user: User) -> None:
    now = utcnow()
    for ws in session.scalars(select(WebSession).where(WebSession.user_id == user.id, WebSession.revoked_at.is_(None))):
        ws.revoked_at = now
