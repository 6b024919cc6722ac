"""Identity services: org units, users, roles, sign-in (password and OIDC), sessions, API tokens.

Each function takes the SQLAlchemy session of the caller's unit of work and the acting `Actor`,
checks permission against the matrix, validates, writes, and appends one audit event per change.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from raigov.audit.service import record
from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.errors import AuthenticationFailed, Conflict, LockedOut, NotFound, PermissionDenied, ValidationFailed
from raigov.identity import credentials
from raigov.identity.models import ApiToken, OrgUnit, PendingRoleGrant, RoleAssignment, SignInAttempt, User, WebSession
from raigov.identity.permissions import Actor, Grant, can, require
from raigov.identity.roles import CONFIRMERS_OF, DECIDING_ROLES, DEPARTMENT_ONLY, ROLES
from raigov.identity.schemas import PendingGrantOut, RoleGrantIn, RoleOut, TokenOut, UserCreate, UserOut

GENERIC_SIGN_IN_FAILURE = "The username or password is incorrect."
LOCKED_MESSAGE = "Too many failed sign-in attempts. Try again in {wait}, or ask an administrator."


# ---------------------------------------------------------------- org units

def org_units(session: Session) -> list[OrgUnit]:
    return list(session.scalars(select(OrgUnit).order_by(OrgUnit.id)).all())


def unit_by_code(session: Session, code: str, field: str = "component") -> OrgUnit:
    unit = session.scalar(select(OrgUnit).where(func.upper(OrgUnit.code) == code.strip().upper()))
    if unit is None:
        known = ", ".join(u.code for u in org_units(session))
        raise ValidationFailed.one(field, f"unknown org unit {code!r}; known units: {known}")
    return unit


_ANCESTORS: dict[str, tuple[float, dict[str, tuple[str, ...]]]] = {}
_ANCESTORS_TTL = 60.0  # seconds: org units are seeded by migrations and change only with a new release


def ancestors_map(session: Session) -> dict[str, tuple[str, ...]]:
    """Org unit code -> (itself, its parent, ..., the department). Kept a minute per database: every
    request of every operational system needs it to build its actor."""
    import time

    key = session.get_bind().url.render_as_string(hide_password=True)
    hit = _ANCESTORS.get(key)
    if hit is not None and time.monotonic() - hit[0] < _ANCESTORS_TTL:
        return hit[1]
    out = _ancestors_map(session)
    _ANCESTORS[key] = (time.monotonic(), out)
    return out


def _ancestors_map(session: Session) -> dict[str, tuple[str, ...]]:
    units = org_units(session)
    by_id = {u.id: u for u in units}
    out: dict[str, tuple[str, ...]] = {}
    for u in units:
        chain, cur = [], u
        while cur is not None:
            chain.append(cur.code)
            cur = by_id.get(cur.parent_id) if cur.parent_id else None
        out[u.code] = tuple(chain)
    return out


def units_under(session: Session, codes: set[str] | frozenset[str]) -> set[str]:
    """The org units `codes` and every unit below them, as `can()` reads a grant's scope: a grant for a
    component reaches its sub-units; a grant for the department's own unit reaches that unit only."""
    from raigov.identity.permissions import is_department

    wanted = {c.upper() for c in codes}
    out = {c for c in codes}
    for code, chain in ancestors_map(session).items():
        if any(a.upper() in wanted and (a == code or not is_department(a)) for a in chain):
            out.add(code)
    return out


# ---------------------------------------------------------------- actors

def actor_for(session: Session, user: User) -> Actor:
    """The actor of a signed-in account: its confirmed grants only (pending ones live in another table and
    give nothing)."""
    grants = tuple(Grant(r.role, r.org_unit.code if r.org_unit else None) for r in user.roles)
    kind = "service" if user.kind == "service" else "user"
    return Actor(kind=kind, username=user.username, user_id=user.id, grants=grants, unit_ancestors=ancestors_map(session))


def get_user(session: Session, username: str) -> User:
    user = session.scalar(
        select(User).options(selectinload(User.roles).selectinload(RoleAssignment.org_unit),
                             selectinload(User.pending_roles).selectinload(PendingRoleGrant.org_unit)).where(
            User.username == username.strip().lower()
        )
    )
    if user is None:
        raise NotFound(f"no user {username!r}")
    return user


def user_out(user: User) -> UserOut:
    return UserOut(
        username=user.username,
        display_name=user.display_name,
        email=user.email,
        kind=user.kind,
        org_unit=user.org_unit.code if user.org_unit else None,
        is_active=user.is_active,
        roles=[RoleOut(role=r.role, component=r.org_unit.code if r.org_unit else None) for r in user.roles]
        + [RoleOut(role=p.role, component=p.org_unit.code if p.org_unit else None, status="pending", pending_id=p.id,
                   requested_by=p.requested_by) for p in user.pending_roles],
        created_at=user.created_at,
        last_sign_in_at=user.last_sign_in_at,
    )


def _user_state(user: User) -> dict:
    """What the audit digest covers: never the password hash itself, only whether one is set."""
    return {
        "username": user.username,
        "display_name": user.display_name,
        "email": user.email,
        "kind": user.kind,
        "org_unit_id": user.org_unit_id,
        "is_active": user.is_active,
        "has_password": user.password_hash is not None,
        "roles": sorted(f"{r.role}@{r.org_unit_id or 'dept'}" for r in user.roles),
        **({"pending_roles": sorted(f"{p.role}@{p.org_unit_id or 'dept'}" for p in user.pending_roles)}
           if user.pending_roles else {}),
    }


# ---------------------------------------------------------------- users and roles

def check_password_policy(settings: Settings, username: str, password: str, field: str = "password") -> None:
    if len(password) < settings.password_min_length:
        raise ValidationFailed.one(field, f"must be at least {settings.password_min_length} characters", "too_short")
    if username and username.lower() in password.lower():
        raise ValidationFailed.one(field, "must not contain the username", "contains_username")
    if len(set(password)) < 4:
        raise ValidationFailed.one(field, "is too repetitive", "too_simple")


def list_users(session: Session, actor: Actor) -> list[User]:
    require(actor, "user.read")
    return list(
        session.scalars(
            select(User).options(selectinload(User.roles).selectinload(RoleAssignment.org_unit), selectinload(User.org_unit),
                                 selectinload(User.pending_roles).selectinload(PendingRoleGrant.org_unit))
            .order_by(User.username)
        ).all()
    )


def create_user(session: Session, actor: Actor, data: UserCreate, settings: Settings) -> User:
    require(actor, "user.manage")
    username = data.username.lower()
    if session.scalar(select(User.id).where(User.username == username)):
        raise Conflict(f"user {username!r} already exists", errors=[])
    if data.email and session.scalar(select(User.id).where(func.lower(User.email) == data.email.lower())):
        raise ValidationFailed.one("email", f"{data.email} is already used by another account", "duplicate")
    if data.kind == "service":
        if data.password:
            raise ValidationFailed.one("password", "a service account signs in with API tokens, not a password")
        if any(g.role != "service" for g in data.roles):
            raise ValidationFailed.one("roles", "a service account holds only the service role")
    elif any(g.role == "service" for g in data.roles):
        raise ValidationFailed.one("roles", "the service role is for service accounts (kind=service)")
    if data.password:
        check_password_policy(settings, username, data.password)
    unit = unit_by_code(session, data.org_unit, "org_unit") if data.org_unit else None
    user = User(
        username=username,
        display_name=data.display_name,
        email=data.email.lower() if data.email else None,
        kind=data.kind,
        org_unit=unit,
        password_hash=credentials.hash_password(data.password) if data.password else None,
        is_active=True,
        created_at=utcnow(),
    )
    session.add(user)
    session.flush()
    made = [(g, _add_role(session, actor, user, g)) for g in data.roles]
    session.flush()
    details: dict = {"roles": [f"{g.role}@{g.component or 'department'}" for g, m in made if isinstance(m, RoleAssignment)],
                     "kind": user.kind}
    pending = [f"{g.role}@{g.component or 'department'}" for g, m in made if isinstance(m, PendingRoleGrant)]
    if pending:
        details["pending_roles"] = pending  # waiting for a second person (confirm_grant)
    record(session, actor, "identity.user.create", "user", user.username, _user_state(user), details)
    return user


def needs_second_person(actor: Actor, role: str) -> bool:
    """A grant of a deciding role by anyone but the operator's shell (the bootstrap path) waits for a second
    person."""
    return role in DECIDING_ROLES and actor.kind != "system"


def _add_role(session: Session, actor: Actor, user: User, g: RoleGrantIn) -> RoleAssignment | PendingRoleGrant:
    """Add a grant: at once, or pending a second person for a deciding role (needs_second_person)."""
    if g.role not in ROLES:
        raise ValidationFailed.one("role", f"unknown role {g.role!r}")
    if user.kind == "service" and g.role != "service":
        raise ValidationFailed.one("role", "a service account holds only the service role")
    if user.kind != "service" and g.role == "service":
        raise ValidationFailed.one("role", "the service role is for service accounts")
    unit = None
    if g.component:
        unit = unit_by_code(session, g.component)
        if unit.kind == "department" and g.role in DEPARTMENT_ONLY:
            unit = None  # "caio for DHS" is the CAIO role; any other role for DHS is scoped to the department's own
    if unit is not None and g.role in DEPARTMENT_ONLY:
        raise ValidationFailed.one("component", f"the {g.role} role is held department-wide only")
    where = f"for {unit.code}" if unit else "department-wide"
    for r in user.roles:
        if r.role == g.role and (r.org_unit_id or None) == (unit.id if unit else None):
            raise Conflict(f"{user.username} already holds {g.role} {where}")
    for p in user.pending_roles:
        if p.role == g.role and (p.org_unit_id or None) == (unit.id if unit else None):
            raise Conflict(f"a grant of {g.role} {where} to {user.username} already waits for a second person")
    if needs_second_person(actor, g.role):
        pending = PendingRoleGrant(role=g.role, org_unit=unit, requested_at=utcnow(), requested_by=actor.label)
        user.pending_roles.append(pending)
        return pending
    ra = RoleAssignment(role=g.role, org_unit=unit, granted_at=utcnow(), granted_by=actor.label)
    user.roles.append(ra)
    return ra


def grant_role(session: Session, actor: Actor, username: str, grant: RoleGrantIn) -> User:
    """Grant a role. A deciding role granted by a person is stored pending: it gives nothing until a
    second person confirms it (confirm_grant); the operator's shell (Actor.system) grants at once."""
    require(actor, "role.manage")
    user = get_user(session, username)
    if actor.username == user.username and actor.kind == "user":
        raise PermissionDenied("nobody may change their own roles")
    made = _add_role(session, actor, user, grant)
    session.flush()
    details: dict = {"role": grant.role, "component": grant.component or "department"}
    if isinstance(made, PendingRoleGrant):
        details.update(status="pending", pending_id=made.id)
    else:
        details["status"] = "active"
    record(session, actor, "identity.role.grant", "user", user.username, _user_state(user), details)
    return user


def _pending_of(user: User, pending_id: int) -> PendingRoleGrant:
    for p in user.pending_roles:
        if p.id == pending_id:
            return p
    raise NotFound(f"{user.username} has no grant {pending_id} waiting for confirmation")


def pending_grant_id(session: Session, username: str, role: str, component: str | None = None) -> int:
    """The id of the pending grant of `role` (department-wide, or for `component`) to `username`."""
    user = get_user(session, username)
    unit = unit_by_code(session, component) if component else None
    unit_id = unit.id if unit and unit.kind != "department" else None
    for p in user.pending_roles:
        if p.role == role and (p.org_unit_id or None) == unit_id:
            return p.id
    raise NotFound(f"no grant of {role} {'for ' + component if component else 'department-wide'} to "
                   f"{user.username} waits for confirmation")


def _check_second_person(actor: Actor, user: User, p: PendingRoleGrant, confirming: bool) -> None:
    require(actor, "role.confirm")
    if actor.user_id == user.id or (actor.kind == "user" and actor.username == user.username):
        raise PermissionDenied("nobody confirms or declines a grant of a role to themselves")
    if not confirming:
        return
    if actor.label == p.requested_by:
        raise PermissionDenied("the person who asked for a grant does not confirm it: a second person does")
    needed = CONFIRMERS_OF.get(p.role)
    if needed and not any(g.role in needed and g.org_unit is None for g in actor.grants):
        raise PermissionDenied(f"a grant of the {p.role} role is confirmed only by another {' or '.join(needed)}")


def confirm_grant(session: Session, actor: Actor, username: str, pending_id: int) -> User:
    """The second person: a pending grant of a deciding role takes effect. Someone of the CAIO's office
    (role.confirm); for the caio role another CAIO; never the person who asked, never the grantee."""
    user = get_user(session, username)
    p = _pending_of(user, pending_id)
    _check_second_person(actor, user, p, confirming=True)
    component = p.org_unit.code if p.org_unit else None
    if any(r.role == p.role and r.org_unit_id == p.org_unit_id for r in user.roles):
        raise Conflict(f"{user.username} already holds {p.role} {'for ' + component if component else 'department-wide'}")
    requested_by = p.requested_by
    user.roles.append(RoleAssignment(role=p.role, org_unit=p.org_unit, granted_at=utcnow(), granted_by=requested_by,
                                     confirmed_by=actor.label))
    user.pending_roles.remove(p)
    session.flush()
    record(session, actor, "identity.role.confirm", "user", user.username, _user_state(user),
           {"role": p.role, "component": component or "department", "pending_id": pending_id,
            "requested_by": requested_by})
    return user


def decline_grant(session: Session, actor: Actor, username: str, pending_id: int, reason: str | None = None) -> User:
    """Someone of the CAIO's office refuses a pending grant: it is removed, and the refusal audited."""
    user = get_user(session, username)
    p = _pending_of(user, pending_id)
    _check_second_person(actor, user, p, confirming=False)
    reason = (reason or "").strip()
    if len(reason) > 1000:
        raise ValidationFailed.one("reason", "at most 1000 characters")
    component = p.org_unit.code if p.org_unit else None
    details = {"role": p.role, "component": component or "department", "pending_id": pending_id,
               "requested_by": p.requested_by}
    if reason:
        details["reason"] = reason
    user.pending_roles.remove(p)
    session.flush()
    record(session, actor, "identity.role.decline", "user", user.username, _user_state(user), details)
    return user


def list_pending_grants(session: Session, actor: Actor) -> list[PendingGrantOut]:
    """Grants waiting for a second person, oldest first: for those who confirm them, and for those who
    manage or read accounts."""
    if not (can(actor, "role.confirm") or can(actor, "role.manage") or can(actor, "user.read")):
        require(actor, "role.confirm")
    rows = session.execute(
        select(PendingRoleGrant, User.username, User.display_name).join(User, User.id == PendingRoleGrant.user_id)
        .options(selectinload(PendingRoleGrant.org_unit)).order_by(PendingRoleGrant.requested_at, PendingRoleGrant.id)
    ).all()
    return [PendingGrantOut(id=p.id, username=u, display_name=d, role=p.role,
                            component=p.org_unit.code if p.org_unit else None, requested_by=p.requested_by,
                            requested_at=p.requested_at) for p, u, d in rows]


def revoke_role(session: Session, actor: Actor, username: str, role: str, component: str | None = None) -> User:
    require(actor, "role.manage")
    user = get_user(session, username)
    if actor.username == user.username and actor.kind == "user":
        raise PermissionDenied("nobody may change their own roles")
    unit = unit_by_code(session, component) if component else None
    unit_id = unit.id if unit and not (unit.kind == "department" and role in DEPARTMENT_ONLY) else None
    match = [r for r in user.roles if r.role == role and r.org_unit_id == unit_id]
    pending = [p for p in user.pending_roles if p.role == role and p.org_unit_id == unit_id]
    if not match and not pending:
        raise NotFound(f"{user.username} does not hold {role} {'for ' + component if component else 'department-wide'}")
    for r in match:
        user.roles.remove(r)
    for p in pending:  # a grant still waiting for a second person is withdrawn
        user.pending_roles.remove(p)
    session.flush()
    record(session, actor, "identity.role.revoke", "user", user.username, _user_state(user),
           {"role": role, "component": component or "department", **({"status": "pending"} if pending and not match else {})})
    return user


def set_active(session: Session, actor: Actor, username: str, active: bool) -> User:
    require(actor, "user.manage")
    user = get_user(session, username)
    if actor.username == user.username and actor.kind == "user":
        raise PermissionDenied("nobody may deactivate their own account")
    user.is_active = active
    if not active:
        _end_all_sessions(session, user)
    session.flush()
    record(session, actor, "identity.user.activate" if active else "identity.user.deactivate", "user",
           user.username, _user_state(user))
    return user


def set_password(session: Session, actor: Actor, username: str, password: str, settings: Settings,
                 current_password: str | None = None) -> User:
    user = get_user(session, username)
    own = actor.kind == "user" and actor.username == user.username
    if own:
        if not credentials.verify_password(user.password_hash, current_password or ""):
            raise ValidationFailed.one("current_password", "is not correct")
    else:
        require(actor, "user.manage")
    if user.kind == "service":
        raise ValidationFailed.one("password", "a service account has no password")
    check_password_policy(settings, user.username, password)
    user.password_hash = credentials.hash_password(password)
    _end_all_sessions(session, user)
    session.flush()
    record(session, actor, "identity.user.set_password", "user", user.username, _user_state(user))
    return user


def unlock(session: Session, actor: Actor, username: str) -> None:
    """Clear the failed sign-in attempts of this name (from every address) that slow its sign-ins down."""
    require(actor, "user.manage")
    user = get_user(session, username)
    session.execute(delete(SignInAttempt).where(SignInAttempt.username == user.username, SignInAttempt.success.is_(False)))
    record(session, actor, "identity.user.unlock", "user", user.username, _user_state(user))


# ---------------------------------------------------------------- password sign-in

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
    - identity.sign_in.locked, per name, when its failures from one address start the delays and at each
      doubling after (F, 2F, 4F, ...): the count, the attempts refused meanwhile and the next wait;
    - identity.sign_in.client_locked, per client address, when it reaches the limit across names.
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
            record(session, who, "identity.sign_in.client_locked", "sign_in_client", client, None,
                   {**summary, "wait_seconds": settings.login_client_window_minutes * 60})
    f = settings.login_max_failures
    if n >= f and _is_power_of_two(n // f) and n % f == 0:
        record(session, who, "identity.sign_in.locked", "user", name or "?", None,
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
    record(session, Actor(kind="user", username=user.username, user_id=user.id), "identity.sign_in", "session",
           ws.id, {"user": user.username, "method": method, "expires_at": ws.expires_at.isoformat()}, {"ip": ip, "method": method})
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


def touch_session(session: Session, token: str) -> None:
    """Note that a live session was just used (at most once a minute, so writes stay rare)."""
    ws = session.scalar(select(WebSession).where(WebSession.token_hash == credentials.token_hash(token)))
    now = utcnow()
    if ws is not None and ws.revoked_at is None and now - ws.last_seen_at > timedelta(minutes=1):
        ws.last_seen_at = now


def end_session(session: Session, token: str | None) -> None:
    if not token:
        return
    ws = session.scalar(select(WebSession).where(WebSession.token_hash == credentials.token_hash(token)))
    if ws is None or ws.revoked_at is not None:
        return
    ws.revoked_at = utcnow()
    user = session.get(User, ws.user_id)
    record(session, Actor(kind="user", username=user.username if user else "?", user_id=ws.user_id),
           "identity.sign_out", "session", ws.id, {"revoked": True})


def _end_all_sessions(session: Session, user: User) -> None:
    now = utcnow()
    for ws in session.scalars(select(WebSession).where(WebSession.user_id == user.id, WebSession.revoked_at.is_(None))):
        ws.revoked_at = now


# ---------------------------------------------------------------- API tokens

def token_out(t: ApiToken) -> TokenOut:
    return TokenOut(id=t.id, name=t.name, prefix=t.prefix, created_at=t.created_at, expires_at=t.expires_at,
                    revoked_at=t.revoked_at, last_used_at=t.last_used_at)


def create_token(session: Session, actor: Actor, username: str, name: str, settings: Settings,
                 expires_in_days: int | None = None) -> tuple[str, ApiToken]:
    """A personal access token for `username` (one's own, or any account's for an admin)."""
    user = get_user(session, username)
    own = actor.kind in ("user", "service") and actor.username == user.username
    require(actor, "token.create_own" if own and actor.kind == "user" else "token.manage")
    if not user.is_active:
        raise ValidationFailed.one("username", "the account is deactivated")
    days = expires_in_days or settings.token_default_days
    if days > settings.token_max_days:
        raise ValidationFailed.one("expires_in_days", f"at most {settings.token_max_days} days")
    token = credentials.new_token()
    now = utcnow()
    t = ApiToken(user_id=user.id, name=name, prefix=token[:10], token_hash=credentials.token_hash(token),
                 created_at=now, expires_at=now + timedelta(days=days))
    session.add(t)
    session.flush()
    record(session, actor, "identity.token.create", "api_token", t.id,
           {"user": user.username, "name": name, "prefix": t.prefix, "expires_at": t.expires_at.isoformat()},
           {"user": user.username, "name": name, "prefix": t.prefix})
    return token, t


def list_tokens(session: Session, actor: Actor, username: str) -> list[ApiToken]:
    user = get_user(session, username)
    if not (actor.kind == "user" and actor.username == user.username):
        require(actor, "token.manage")
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)).all())


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    t = session.get(ApiToken, token_id)
    if t is None:
        raise NotFound(f"no token {token_id}")
    own = actor.user_id is not None and actor.user_id == t.user_id
    if not own:
        require(actor, "token.manage")
    if t.revoked_at is None:
        t.revoked_at = utcnow()
        session.flush()
        record(session, actor, "identity.token.revoke", "api_token", t.id, {"revoked_at": t.revoked_at.isoformat()},
               {"prefix": t.prefix})
    return t


def resolve_api_token(session: Session, token: str | None, *, touch: bool = True) -> User | None:
    if not token or not token.startswith(credentials.TOKEN_PREFIX):
        return None
    t = session.scalar(select(ApiToken).where(ApiToken.token_hash == credentials.token_hash(token)))
    now = utcnow()
    if t is None or t.revoked_at is not None or t.expires_at <= now:
        return None
    user = session.scalar(select(User).options(selectinload(User.roles).selectinload(RoleAssignment.org_unit))
                          .where(User.id == t.user_id))
    if user is None or not user.is_active:
        return None
    if touch and (t.last_used_at is None or now - t.last_used_at > timedelta(minutes=5)):
        t.last_used_at = now
    return user


def touch_api_token(session: Session, token: str) -> None:
    """Note that a token was just used (at most every five minutes)."""
    t = session.scalar(select(ApiToken).where(ApiToken.token_hash == credentials.token_hash(token)))
    now = utcnow()
    if t is not None and t.revoked_at is None and (t.last_used_at is None or now - t.last_used_at > timedelta(minutes=5)):
        t.last_used_at = now


# ---------------------------------------------------------------- OIDC

def oidc_sign_in(session: Session, issuer: str, claims: dict) -> User:
    """Match a verified ID token to an account: by (issuer, subject) once linked, else by a
    verified e-mail address of an existing person account (which is then linked). raigov does not
    create accounts from the identity provider: roles are granted here, by an administrator."""
    sub = str(claims.get("sub") or "")
    if not sub:
        raise AuthenticationFailed("the identity provider sent no subject")
    user = session.scalar(select(User).where(User.oidc_issuer == issuer, User.oidc_subject == sub))
    if user is None:
        email = (claims.get("email") or "").lower()
        if not email or claims.get("email_verified") is False:
            raise AuthenticationFailed("no raigov account is linked to this identity; ask an administrator")
        user = session.scalar(select(User).where(func.lower(User.email) == email, User.kind == "person"))
        if user is None:
            raise AuthenticationFailed("no raigov account is linked to this identity; ask an administrator")
        if user.oidc_subject and (user.oidc_issuer, user.oidc_subject) != (issuer, sub):
            raise AuthenticationFailed("this account is linked to another identity")
        user.oidc_issuer, user.oidc_subject = issuer, sub
        record(session, Actor(kind="user", username=user.username, user_id=user.id), "identity.oidc.link", "user",
               user.username, _user_state(user), {"issuer": issuer})
    if not user.is_active:
        raise AuthenticationFailed("the account is deactivated")
    return user
