"""Identity services: org units, users, roles, sign-in (password and OIDC), sessions, API tokens.

Each function takes the SQLAlchemy session of the caller's unit of work and the acting `Actor`,
checks permission against the matrix, validates, writes, and appends one audit event per change.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from raigov.audit.service import record
from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.errors import AuthenticationFailed, Conflict, LockedOut, NotFound, PermissionDenied, ValidationFailed
from raigov.identity import credentials
from raigov.identity.models import ApiToken, OrgUnit, RoleAssignment, SignInAttempt, User, WebSession
from raigov.identity.permissions import Actor, Grant, require
from raigov.identity.roles import DEPARTMENT_ONLY, ROLES
from raigov.identity.schemas import RoleGrantIn, RoleOut, TokenOut, UserCreate, UserOut

GENERIC_SIGN_IN_FAILURE = "The username or password is incorrect."
LOCKED_MESSAGE = "Too many failed sign-in attempts. Try again later or ask an administrator."


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
    grants = tuple(Grant(r.role, r.org_unit.code if r.org_unit else None) for r in user.roles)
    kind = "service" if user.kind == "service" else "user"
    return Actor(kind=kind, username=user.username, user_id=user.id, grants=grants, unit_ancestors=ancestors_map(session))


def get_user(session: Session, username: str) -> User:
    user = session.scalar(
        select(User).options(selectinload(User.roles).selectinload(RoleAssignment.org_unit)).where(
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
        roles=[RoleOut(role=r.role, component=r.org_unit.code if r.org_unit else None) for r in user.roles],
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
            select(User).options(selectinload(User.roles).selectinload(RoleAssignment.org_unit), selectinload(User.org_unit))
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
    for g in data.roles:
        _add_role(session, actor, user, g)
    session.flush()
    record(session, actor, "identity.user.create", "user", user.username, _user_state(user),
           {"roles": [f"{g.role}@{g.component or 'department'}" for g in data.roles], "kind": user.kind})
    return user


def _add_role(session: Session, actor: Actor, user: User, g: RoleGrantIn) -> RoleAssignment:
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
    for r in user.roles:
        if r.role == g.role and (r.org_unit_id or None) == (unit.id if unit else None):
            raise Conflict(f"{user.username} already holds {g.role} {'for ' + unit.code if unit else 'department-wide'}")
    ra = RoleAssignment(role=g.role, org_unit=unit, granted_at=utcnow(), granted_by=actor.label)
    user.roles.append(ra)
    return ra


def grant_role(session: Session, actor: Actor, username: str, grant: RoleGrantIn) -> User:
    require(actor, "role.manage")
    user = get_user(session, username)
    if actor.username == user.username and actor.kind == "user":
        raise PermissionDenied("nobody may change their own roles")
    _add_role(session, actor, user, grant)
    session.flush()
    record(session, actor, "identity.role.grant", "user", user.username, _user_state(user),
           {"role": grant.role, "component": grant.component or "department"})
    return user


def revoke_role(session: Session, actor: Actor, username: str, role: str, component: str | None = None) -> User:
    require(actor, "role.manage")
    user = get_user(session, username)
    if actor.username == user.username and actor.kind == "user":
        raise PermissionDenied("nobody may change their own roles")
    unit = unit_by_code(session, component) if component else None
    unit_id = unit.id if unit and not (unit.kind == "department" and role in DEPARTMENT_ONLY) else None
    match = [r for r in user.roles if r.role == role and r.org_unit_id == unit_id]
    if not match:
        raise NotFound(f"{user.username} does not hold {role} {'for ' + component if component else 'department-wide'}")
    for r in match:
        user.roles.remove(r)
    session.flush()
    record(session, actor, "identity.role.revoke", "user", user.username, _user_state(user),
           {"role": role, "component": component or "department"})
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
    """Clear the failed attempts that lock an account."""
    require(actor, "user.manage")
    user = get_user(session, username)
    session.execute(delete(SignInAttempt).where(SignInAttempt.username == user.username, SignInAttempt.success.is_(False)))
    record(session, actor, "identity.user.unlock", "user", user.username, _user_state(user))


# ---------------------------------------------------------------- password sign-in

def _recent_failures(session: Session, username: str, settings: Settings, now: datetime) -> tuple[int, datetime | None]:
    since = now - timedelta(minutes=max(settings.login_window_minutes, settings.login_lockout_minutes))
    rows = session.scalars(
        select(SignInAttempt).where(SignInAttempt.username == username, SignInAttempt.at >= since)
        .order_by(SignInAttempt.at.desc())
    ).all()
    failures = []
    for a in rows:
        if a.success:
            break
        failures.append(a.at)
    return len(failures), (failures[0] if failures else None)


def is_locked(session: Session, username: str, settings: Settings, now: datetime | None = None) -> bool:
    now = now or utcnow()
    n, last = _recent_failures(session, username.strip().lower(), settings, now)
    return n >= settings.login_max_failures and last is not None and now - last < timedelta(minutes=settings.login_lockout_minutes)


def authenticate_password(session: Session, username: str, password: str, settings: Settings, ip: str | None = None) -> User:
    """Check a password sign-in. Raises AuthenticationFailed with one generic message whether the
    name or the password is wrong, and LockedOut after too many recent failures (counted per name
    typed, so that unknown names lock the same way and reveal nothing)."""
    name = (username or "").strip().lower()[:254]
    now = utcnow()
    if is_locked(session, name, settings, now):
        session.add(SignInAttempt(username=name, ip=ip, at=now, success=False))
        record(session, Actor(kind="anonymous", username=name or "?"), "identity.sign_in.refuse", "user", name or "?", None, {"ip": ip})
        raise LockedOut(LOCKED_MESSAGE)
    user = session.scalar(select(User).where(User.username == name)) if name else None
    ok = credentials.verify_password(user.password_hash if user else None, password or "")
    if not ok or user is None or not user.is_active or user.kind != "person":
        session.add(SignInAttempt(username=name, ip=ip, at=now, success=False))
        record(session, Actor(kind="anonymous", username=name or "?"), "identity.sign_in.fail", "user", name or "?", None, {"ip": ip})
        raise AuthenticationFailed(GENERIC_SIGN_IN_FAILURE)
    if credentials.needs_rehash(user.password_hash):
        user.password_hash = credentials.hash_password(password)
    session.add(SignInAttempt(username=name, ip=ip, at=now, success=True))
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
           ws.id, {"user": user.username, "method": method, "expires_at": ws.expires_at.isoformat()}, {"ip": ip, "method": method})
    return token


def resolve_session(session: Session, token: str | None, settings: Settings) -> User | None:
    """The user of a valid, unexpired, recently active session token; None otherwise."""
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
    if now - ws.last_seen_at > timedelta(minutes=1):  # keep writes rare
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


def resolve_api_token(session: Session, token: str | None) -> User | None:
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
    if t.last_used_at is None or now - t.last_used_at > timedelta(minutes=5):
        t.last_used_at = now
    return user


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
