"""Settings from RAIGOV_* environment variables (pydantic-settings).

There is no built-in secret key: with none set, one is generated into the data directory on first
use (mode 0600) and reused afterwards.
"""

from __future__ import annotations

import os
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal
from zoneinfo import ZoneInfo

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RAIGOV_", extra="ignore")

    data_dir: Path = Field(default=Path("./var"), description="Where the SQLite file, keys and evidence live")
    database_url: str | None = Field(default=None, description="SQLAlchemy URL; default: SQLite in data_dir")
    migration_database_url: str | None = Field(
        default=None, description="PostgreSQL: the schema owner's URL, used only by `raigov db upgrade`")
    database_runtime_role: str | None = Field(
        default=None, description="PostgreSQL: the role granted the runtime privileges; default: the user of database_url")
    secret_key: str | None = Field(default=None, description="Signs CSRF tokens; generated if unset")
    base_url: str = "http://127.0.0.1:8000"
    agency_name: str = "U.S. Department of Homeland Security"
    agency_code: str = "DHS"
    agency_timezone: str = "America/New_York"

    session_lifetime_minutes: int = Field(default=480, ge=5, le=7 * 24 * 60)
    session_idle_minutes: int = Field(default=60, ge=5, le=24 * 60)
    cookie_secure: bool | None = Field(default=None, description="Secure cookies; default: when base_url is https")
    # sign-in throttling (identity.service.throttle): per (name typed, client address), after login_max_failures
    # failures each further attempt waits 2^k seconds, at most login_lockout_minutes; failures are remembered
    # login_window_minutes (a success from that address forgets them). Per client address across names: at
    # most login_client_max_failures failures per login_client_window_minutes, then it waits.
    login_max_failures: int = Field(default=5, ge=1, le=100)
    login_window_minutes: int = Field(default=24 * 60, ge=1)
    login_lockout_minutes: int = Field(default=15, ge=1)
    login_client_max_failures: int = Field(default=10, ge=1)
    login_client_window_minutes: int = Field(default=15, ge=1)
    password_min_length: int = Field(default=12, ge=8)
    token_default_days: int = Field(default=90, ge=1, le=366)
    token_max_days: int = Field(default=366, ge=1, le=3660)

    max_json_body_bytes: int = Field(default=1_000_000, ge=1024)
    upload_limit_bytes: int = Field(default=50 * 1024 * 1024, ge=1024)
    genai_max_prompt_chars: int = Field(default=200_000, ge=1, le=10_000_000, description=(
        "The GenAI guard refuses a longer prompt (413; never truncated)"))
    oversight_batch_limit_bytes: int = Field(
        default=16 * 1024 * 1024, ge=1024,
        description="The largest body of POST /api/v1/decisions/batch (up to 10,000 decisions)")
    oversight_gate_cache_seconds: float = Field(
        default=300, ge=0, le=3600,
        description="The longest the decision API reuses, in one process, the rows a use case's gate answer is "
                    "decided from while the audit trail shows no change of state (audit.service.epoch: every "
                    "change appends an event, so a reused read is as current as a fresh one); the answer itself "
                    "is decided again on every request. 0: read on every request")
    db_lock_wait_seconds: float = Field(
        default=5.0, ge=0, le=600,
        description="How long a web request waits for a database lock held by another writer (SQLite's write lock, "
                    "PostgreSQL row and audit-append locks) before it is answered 503 with Retry-After")
    busy_retry_after_seconds: int = Field(default=5, ge=1, le=3600, description="Retry-After of that 503")
    public_recheck_ms: int = Field(default=0, ge=0, le=60_000, description=(
        "How often the public pages' fast path checks (os.stat) the build files a page kept in memory was made from "
        "(0: on every request). The kept bytes are the verified ones either way; a file changed on disk is refused "
        "and a new build served at most this much later (docs/disclosure.md)"))
    oversight_group_max: int = Field(default=32, ge=1, le=1000, description=(
        "Single decisions (POST /api/v1/decisions) of the same API token that arrive while one of theirs is being "
        "written are written together, up to this many, in one transaction and one audit event (group commit, "
        "oversight/combine.py); each request keeps its own answer. 1: each alone"))
    keepalive_max_requests: int = Field(default=100, ge=0, le=1_000_000, description=(
        "Requests a client's keep-alive connection may carry before the server closes it (`Connection: close` on "
        "the last response; the client opens another): under `raigov serve --workers N` a reopened connection goes "
        "to the less busy worker mostly, so a few long-lived connections do not pile up on one process "
        "(web/middleware.py KeepAliveLimit). 0: never"))
    upload_retention_hours: int = Field(default=24, ge=1, le=24 * 30, description=(
        "`raigov jobs run` deletes inventory uploads (DATA_DIR/uploads) older than this that were never imported"))

    smtp_host: str | None = None
    smtp_port: int = 587
    smtp_user: str | None = None
    smtp_password: str | None = None
    smtp_from: str = "raigov@localhost"
    smtp_starttls: bool = True
    notice_digest: Literal["off", "daily"] = Field(
        default="off", description="off: each notice its own e-mail; daily: one digest per recipient per day")

    oidc_issuer: str | None = Field(default=None, description="Agency identity provider; enables OIDC sign-in")
    oidc_client_id: str | None = None
    oidc_client_secret: str | None = None
    oidc_display_name: str = "Agency single sign-on"
    oidc_scopes: str = "openid email profile"

    policy_dir: Path | None = Field(default=None, description="Extra policy packs of the agency")

    @field_validator("data_dir")
    @classmethod
    def _absolute(cls, v: Path) -> Path:
        return v.expanduser().resolve()

    @field_validator("agency_timezone")
    @classmethod
    def _zone(cls, v: str) -> str:
        try:
            ZoneInfo(v)
        except Exception:  # noqa: BLE001 - ZoneInfoNotFoundError, ValueError (a path), ...
            raise ValueError(f"not an IANA time zone name (e.g. America/New_York): {v!r}") from None
        return v

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'raigov.sqlite3'}"

    @property
    def secure_cookies(self) -> bool:
        if self.cookie_secure is not None:
            return self.cookie_secure
        return self.base_url.startswith("https://")

    @property
    def oidc_enabled(self) -> bool:
        return bool(self.oidc_issuer and self.oidc_client_id)

    def ensure_data_dir(self) -> Path:
        self.data_dir.mkdir(parents=True, exist_ok=True)
        return self.data_dir

    def secret(self) -> bytes:
        """The secret key: from RAIGOV_SECRET_KEY, else generated once into the data directory."""
        if self.secret_key:
            return self.secret_key.encode()
        return read_or_create_secret_file(self.ensure_data_dir() / "secret_key", lambda: secrets.token_hex(32))


def read_or_create_secret_file(path: Path, make) -> bytes:
    """Read a secret file, or create it atomically with mode 0600 (never readable by others)."""
    try:
        return path.read_bytes().strip()
    except FileNotFoundError:
        pass
    value = make()
    data = value if isinstance(value, bytes) else value.encode()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race: use its value
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return data.strip()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()


def reset_settings() -> None:
    get_settings.cache_clear()
