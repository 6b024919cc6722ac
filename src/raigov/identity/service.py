"""Identity services: org units, users, roles, sign-in (password and OIDC), sessions, API tokens.

The code is in this module (actors, users and roles, API tokens, OIDC) and beside it: ``units`` (org units)
and ``signin`` (password sign-in and its throttle, web sessions); this module re-exports their public names.

Each function takes the SQLAlchemy session of the caller's unit of work and the acting `Actor`,
checks permission against the matrix, validates, writes, and appends one audit event per change.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session, selectinload

from raigov.audit.epoch_cache import EpochCache
from raigov.audit.service import record
from raigov.config import Settings
from raigov.db.base import utcnow
from raigov.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationFailed,
)
from raigov.identity import credentials
from raigov.identity.models import (
    ApiToken,
    PendingRoleGrant,
    RoleAssignment,
    SignInAttempt,
    User,
    WebSession,
)
from raigov.identity.permissions import Actor, Grant, can, require
from raigov.identity.roles import CONFIRMERS_OF, DECIDING_ROLES, DEPARTMENT_ONLY, ROLES
from raigov.identity.schemas import PendingGrantOut, RoleGrantIn, RoleOut, TokenOut, UserCreate, UserOut
from raigov.identity.signin import (
    GENERIC_SIGN_IN_FAILURE,
    LOCKED_MESSAGE,
    Throttle,
    authenticate_password,
    end_all_sessions,
    end_session,
    is_locked,
    resolve_session,
    start_session,
    throttle,
)
from raigov.identity.units import ancestors_map, org_units, unit_by_code, units_under

__all__ = [
    "GENERIC_SIGN_IN_FAILURE", "LOCKED_MESSAGE", "Throttle", "actor_for", "ancestors_map",
    "authenticate_password", "check_password_policy", "confirm_grant", "create_token", "create_user",
    "decline_grant", "end_all_sessions", "end_session", "get_user", "grant_role", "is_locked",
    "list_pending_grants", "list_tokens", "list_users", "needs_second_person", "oidc_sign_in", "org_units",
    "pending_grant_id", "resolve_api_token", "resolve_session", "revoke_role", "revoke_token", "set_active",
    "set_password", "start_session", "throttle", "token_out", "touch_api_token", "touch_session",
    "unit_by_code", "units_under", "unlock", "user_out",
]


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


def new_password(settings: Settings, username: str, prefix: str = "", nbytes: int = 15) -> str:
    """A random password that passes :func:`check_password_policy` for ``username``.

    A random string can spell the username (``rug`` in ``...4RuGr...``, case-insensitively), so draw again until
    the policy accepts it; for any username of two or more characters that takes one draw nearly always."""
    while True:
        password = prefix + secrets.token_urlsafe(nbytes)
        try:
            check_password_policy(settings, username, password)
        except ValidationFailed:
            continue
        return password


def list_users(session: Session, actor: Actor) -> list[User]:
    require(actor, "identity.user.read")
    return list(
        session.scalars(
            select(User).options(selectinload(User.roles).selectinload(RoleAssignment.org_unit), selectinload(User.org_unit),
                                 selectinload(User.pending_roles).selectinload(PendingRoleGrant.org_unit))
            .order_by(User.username)
        ).all()
    )


def create_user(session: Session, actor: Actor, data: UserCreate, settings: Settings) -> User:
    require(actor, "identity.user.manage")
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
    require(actor, "identity.role.manage")
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
    require(actor, "identity.role.confirm")
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
    (identity.role.confirm); for the caio role another CAIO; never the person who asked, never the grantee."""
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
    if not (can(actor, "identity.role.confirm") or can(actor, "identity.role.manage") or can(actor, "identity.user.read")):
        require(actor, "identity.role.confirm")
    rows = session.execute(
        select(PendingRoleGrant, User.username, User.display_name).join(User, User.id == PendingRoleGrant.user_id)
        .options(selectinload(PendingRoleGrant.org_unit)).order_by(PendingRoleGrant.requested_at, PendingRoleGrant.id)
    ).all()
    askers = {p.requested_by.removeprefix("user:") for p, _, _ in rows if p.requested_by.startswith("user:")}
    names = dict(session.execute(select(User.username, User.display_name).where(User.username.in_(askers))).all()) \
        if askers else {}
    return [PendingGrantOut(id=p.id, username=u, display_name=d, role=p.role,
                            component=p.org_unit.code if p.org_unit else None, requested_by=p.requested_by,
                            requested_at=p.requested_at,
                            requested_by_name=names.get(p.requested_by.removeprefix("user:"))) for p, u, d in rows]


def revoke_role(session: Session, actor: Actor, username: str, role: str, component: str | None = None) -> User:
    require(actor, "identity.role.manage")
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
    require(actor, "identity.user.manage")
    user = get_user(session, username)
    if actor.username == user.username and actor.kind == "user":
        raise PermissionDenied("nobody may deactivate their own account")
    user.is_active = active
    if not active:
        end_all_sessions(session, user)
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
        require(actor, "identity.user.manage")
    if user.kind == "service":
        raise ValidationFailed.one("password", "a service account has no password")
    check_password_policy(settings, user.username, password)
    user.password_hash = credentials.hash_password(password)
    end_all_sessions(session, user)
    session.flush()
    record(session, actor, "identity.user.set_password", "user", user.username, _user_state(user))
    return user


def unlock(session: Session, actor: Actor, username: str) -> None:
    """Clear the failed sign-in attempts of this name (from every address) that slow its sign-ins down."""
    require(actor, "identity.user.manage")
    user = get_user(session, username)
    session.execute(delete(SignInAttempt).where(SignInAttempt.username == user.username, SignInAttempt.success.is_(False)))
    record(session, actor, "identity.user.unlock", "user", user.username, _user_state(user))


# ---------------------------------------------------------------- sessions


def touch_session(session: Session, token: str) -> None:
    """Note that a live session was just used (at most once a minute, so writes stay rare)."""
    ws = session.scalar(select(WebSession).where(WebSession.token_hash == credentials.token_hash(token)))
    now = utcnow()
    if ws is not None and ws.revoked_at is None and now - ws.last_seen_at > timedelta(minutes=1):
        ws.last_seen_at = now


# ---------------------------------------------------------------- API tokens

def token_out(t: ApiToken) -> TokenOut:
    return TokenOut(id=t.id, name=t.name, prefix=t.prefix, created_at=t.created_at, expires_at=t.expires_at,
                    revoked_at=t.revoked_at, last_used_at=t.last_used_at)


def create_token(session: Session, actor: Actor, username: str, name: str, settings: Settings,
                 expires_in_days: int | None = None) -> tuple[str, ApiToken]:
    """A personal access token for `username` (one's own, or any account's for an admin)."""
    user = get_user(session, username)
    own = actor.kind in ("user", "service") and actor.username == user.username
    require(actor, "identity.token.create_own" if own and actor.kind == "user" else "identity.token.manage")
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
        require(actor, "identity.token.manage")
    return list(session.scalars(select(ApiToken).where(ApiToken.user_id == user.id).order_by(ApiToken.id)).all())


def revoke_token(session: Session, actor: Actor, token_id: int) -> ApiToken:
    t = session.get(ApiToken, token_id)
    if t is None:
        raise NotFound(f"no token {token_id}")
    own = actor.user_id is not None and actor.user_id == t.user_id
    if not own:
        require(actor, "identity.token.manage")
    if t.revoked_at is None:
        t.revoked_at = utcnow()
        session.flush()
        record(session, actor, "identity.token.revoke", "api_token", t.id, {"revoked_at": t.revoked_at.isoformat()},
               {"prefix": t.prefix})
    return t


def _token_and_user(session: Session, token: str | None) -> tuple[ApiToken, User] | None:
    """A valid token's row and its active account with their roles, or None."""
    if not token or not token.startswith(credentials.TOKEN_PREFIX):
        return None
    t = session.scalar(select(ApiToken).where(ApiToken.token_hash == credentials.token_hash(token)))
    if t is None or t.revoked_at is not None or t.expires_at <= utcnow():
        return None
    user = session.scalar(select(User).options(selectinload(User.roles).selectinload(RoleAssignment.org_unit))
                          .where(User.id == t.user_id))
    if user is None or not user.is_active:
        return None
    return t, user


def resolve_api_token(session: Session, token: str | None, *, touch: bool = True) -> User | None:
    found = _token_and_user(session, token)
    if found is None:
        return None
    t, user = found
    now = utcnow()
    if touch and (t.last_used_at is None or now - t.last_used_at > timedelta(minutes=5)):
        t.last_used_at = now
    return user


_API_ACTORS = EpochCache(maxsize=5_000)  # token hash -> (actor, expires_at), per database
API_ACTOR_MAX_AGE = 60.0  # seconds: a bound besides the epoch
TOUCH_EVERY = timedelta(minutes=5)
_TOUCHED: dict[str, float] = {}  # token hash -> when this process last noted its use (monotonic seconds)


def resolve_api_actor(session: Session, token: str | None) -> Actor | None:
    """The actor of a valid API token (its account active, the token neither revoked nor expired), or None.
    The token's row and its account's grants are reused within this process while the audit trail's epoch is
    unchanged (revoking a token, deactivating an account, granting or taking a role each append an event, so
    the next request sees it) and for at most a minute; expiry is checked on every call. Operational systems
    send a decision a request: this spares four reads of each."""
    if not token or not token.startswith(credentials.TOKEN_PREFIX):
        return None
    digest = credentials.token_hash(token)

    def read() -> tuple[Actor, object] | None:
        found = _token_and_user(session, token)
        return None if found is None else (actor_for(session, found[1]), found[0].expires_at)

    found = _API_ACTORS.get(session, digest, read, max_age=API_ACTOR_MAX_AGE, keep_none=False)
    if found is None or found[1] <= utcnow():
        return None
    return found[0]


def api_token_use_to_note(token: str, now: float) -> bool:
    """Whether this process should note the token's use now (``touch_api_token``, which writes at most every five
    minutes anyway): not when it noted it less than five minutes ago (``api_token_use_noted``), so that a system
    sending decisions does not pay a write transaction per request."""
    last = _TOUCHED.get(credentials.token_hash(token))
    return last is None or now - last >= TOUCH_EVERY.total_seconds()


def api_token_use_noted(token: str, now: float) -> None:
    """The token's use was noted (its transaction committed): not again from this process for five minutes."""
    if len(_TOUCHED) > 10_000:
        _TOUCHED.clear()
    _TOUCHED[credentials.token_hash(token)] = now


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


def display_names(session: Session, labels) -> dict[str, str]:
    """{actor label: the person's display name} for the `user:` labels given (`user:caio` -> "Casey Alvarez");
    a label of no known person is left out (pages then show it with `who`)."""
    wanted = {str(x).removeprefix("user:"): str(x) for x in labels if x and str(x).startswith("user:")}
    if not wanted:
        return {}
    rows = session.execute(select(User.username, User.display_name).where(User.username.in_(sorted(wanted)))).all()
    return {wanted[u]: d for u, d in rows if d}
