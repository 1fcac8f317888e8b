"""Settings as frozen dataclasses; the only module that reads ``os.environ``."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from urllib.parse import urlsplit

from nexus.errors import NexusValidationError

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 2026
DEFAULT_DATA_DIR = "./nexus-data"
# 500 requests a second per key, averaged over any minute: an agent doing hundreds a second
# stays below it, and a burst above that (a fan-out of thousands of reads) only spends part of
# the minute's budget. A runaway loop flat out on one key (several threads) is held to that
# rate within the minute, so it cannot take the whole server from everyone else. One limit,
# so each request costs one counter hit.
DEFAULT_RATE_LIMIT = "30000/minute"
# Failed authentications per client address: a person mistyping a key, or a whole office
# behind one address with a few stale scripts, stays far below 60 a minute; a key guesser or a
# loop retrying a revoked key does not. Valid keys from the address are never refused for it.
DEFAULT_AUTH_FAILURE_LIMIT = "60/minute"
# Rate limit storages (limits URIs) Nexus supports: in-process, or a shared Redis (TLS, Unix).
RATE_LIMIT_STORAGE_SCHEMES = ("memory", "redis", "rediss", "redis+unix")


@dataclass(frozen=True)
class ServerSettings:
    """What `nexus serve` and the embedded client need to open a store."""

    data_dir: Path = field(default_factory=lambda: Path(DEFAULT_DATA_DIR))
    host: str = DEFAULT_HOST
    port: int = DEFAULT_PORT
    # None means the embedded SQLite database inside data_dir.
    database_url: str | None = None
    # Largest accepted file body, in bytes.
    max_file_bytes: int = 1024 * 1024 * 1024
    # Largest accepted JSON (non-file-content) request body, in bytes: refused before parsing.
    max_json_bytes: int = 8 * 1024 * 1024
    # Largest append: its bytes are held in memory while the file's new version is made
    # (the old content is copied in chunks), so they are bounded far below max_file_bytes.
    max_append_bytes: int = 16 * 1024 * 1024
    # Session lifetime when the caller gives no ttl (seconds); None means no expiry.
    default_session_ttl: int | None = None
    # Longest lock a caller may take or extend to (seconds); longer asks are refused.
    max_lock_ttl: float = 24 * 3600.0
    # Version retention (see nexus.files.retention); 0 turns a rule off. A version goes when
    # it is more than keep_last - 1 versions behind the current one, or was replaced more
    # than keep_days days ago; the current version always stays.
    version_keep_last: int = 100
    version_keep_days: int = 90
    # Unreferenced blobs (and temp files) younger than this are never collected: a write
    # stores its blob before its metadata commits (see nexus.blobs.collector).
    blob_grace_seconds: int = 3600
    # How often `nexus serve` prunes versions and collects blobs (seconds).
    storage_sweep_seconds: int = 3600
    # Activity log events older than this many days are deleted by the sweeper; 0 keeps all.
    activity_keep_days: int = 90
    # Server worker processes sharing the sockets (`nexus serve --workers`): one per core
    # uses the machine; each has its own database pool and caches.
    workers: int = 1
    # Requests per API key, in the syntax of the `limits` library ("600/minute", several
    # separated by ";"); None is "off". See nexus.server.rate_limits.
    rate_limit: str | None = DEFAULT_RATE_LIMIT
    # Failed authentications per client address before they are answered 429; None is "off".
    auth_failure_limit: str | None = DEFAULT_AUTH_FAILURE_LIMIT
    # Where the budgets are counted: in this process, or a Redis all server processes share.
    rate_limit_storage: str = "memory://"
    # How often `nexus serve` removes expired sessions and their files (seconds).
    session_sweep_seconds: float = 30.0

    @property
    def resolved_database_url(self) -> str:
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'nexus.db').resolve()}"

    @property
    def blob_dir(self) -> Path:
        return self.data_dir / "blobs"

    @property
    def secret_file(self) -> Path:
        return self.data_dir / "server.secret"

    @property
    def server_info_file(self) -> Path:
        """Written while a server runs: its port and admin socket, for `nexus admin --data-dir`."""
        return self.data_dir / "server.json"

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, **overrides: object
    ) -> ServerSettings:
        env = os.environ if environ is None else environ
        settings = cls()
        if env.get("NEXUS_DATA_DIR"):
            settings = replace(settings, data_dir=Path(env["NEXUS_DATA_DIR"]))
        if env.get("NEXUS_DATABASE_URL"):
            settings = replace(settings, database_url=env["NEXUS_DATABASE_URL"])
        for variable, setting in _BYTE_VARIABLES:
            if env.get(variable):
                limit = _byte_limit(variable, env[variable])
                settings = replace(settings, **{setting: limit})  # type: ignore[arg-type]
        if env.get("NEXUS_MAX_LOCK_TTL"):
            settings = replace(
                settings, max_lock_ttl=_seconds("NEXUS_MAX_LOCK_TTL", env["NEXUS_MAX_LOCK_TTL"])
            )
        if env.get("NEXUS_SESSION_SWEEP_SECONDS"):
            every = _seconds("NEXUS_SESSION_SWEEP_SECONDS", env["NEXUS_SESSION_SWEEP_SECONDS"])
            settings = replace(settings, session_sweep_seconds=every)
        for variable, setting, minimum in _STORAGE_VARIABLES:
            if env.get(variable):
                value = _whole_number(variable, env[variable], minimum)
                settings = replace(settings, **{setting: value})  # type: ignore[arg-type]
        settings = _with_rate_limits(settings, env, overrides)
        given = {key: value for key, value in overrides.items() if value is not None}
        for setting in _RATE_LIMIT_SETTINGS:
            given.pop(setting, None)
        if "data_dir" in given:
            given["data_dir"] = Path(str(given["data_dir"]))
        return replace(settings, **given)  # type: ignore[arg-type]


_BYTE_VARIABLES = (
    ("NEXUS_MAX_FILE_BYTES", "max_file_bytes"),
    ("NEXUS_MAX_JSON_BYTES", "max_json_bytes"),
    ("NEXUS_MAX_APPEND_BYTES", "max_append_bytes"),
)


def _byte_limit(name: str, text: str) -> int:
    if not text.strip().isdigit() or int(text) < 1:
        raise NexusValidationError(
            f"{name} must be a positive whole number of bytes, not {text!r}",
            code="invalid_config",
        )
    return int(text)


# (environment variable, setting, smallest value): 0 turns a retention rule off.
_STORAGE_VARIABLES = (
    ("NEXUS_VERSION_KEEP_LAST", "version_keep_last", 0),
    ("NEXUS_VERSION_KEEP_DAYS", "version_keep_days", 0),
    ("NEXUS_BLOB_GRACE_SECONDS", "blob_grace_seconds", 1),
    ("NEXUS_STORAGE_SWEEP_SECONDS", "storage_sweep_seconds", 1),
    ("NEXUS_ACTIVITY_KEEP_DAYS", "activity_keep_days", 0),
    ("NEXUS_WORKERS", "workers", 1),
)


# Each rate limit setting: its environment variable and `nexus serve` option, named in errors.
_RATE_LIMIT_SETTINGS = {
    "rate_limit": ("NEXUS_RATE_LIMIT", "--rate-limit"),
    "auth_failure_limit": ("NEXUS_AUTH_FAILURE_LIMIT", "--auth-failure-limit"),
    "rate_limit_storage": ("NEXUS_RATE_LIMIT_STORAGE", "--rate-limit-storage"),
}


def _with_rate_limits(
    settings: ServerSettings, env: Mapping[str, str], overrides: Mapping[str, object]
) -> ServerSettings:
    """The rate limit settings, from a flag or else the environment, checked either way."""

    def given(setting: str) -> tuple[str, str] | None:
        variable, option = _RATE_LIMIT_SETTINGS[setting]
        if overrides.get(setting) is not None:
            return option, str(overrides[setting])
        return (variable, env[variable]) if env.get(variable) else None

    if found := given("rate_limit"):
        settings = replace(settings, rate_limit=parse_rate_limit(*found))
    if found := given("auth_failure_limit"):
        settings = replace(settings, auth_failure_limit=parse_rate_limit(*found))
    if found := given("rate_limit_storage"):
        settings = replace(settings, rate_limit_storage=parse_rate_limit_storage(*found))
    return settings


def parse_rate_limit(name: str, text: str) -> str | None:
    """``text`` checked as a rate limit ("600/minute", several joined by ";"); None for "off".

    ``name`` (the variable or option it came from) goes in the error."""
    text = text.strip()
    if text.lower() == "off":
        return None
    # Imported only here: clients, which read this module too, never load it.
    from limits import parse_many

    try:
        items = parse_many(text)
    except ValueError:
        items = []
    if not items or any(item.amount < 1 for item in items):
        raise NexusValidationError(
            f"{name} must be 'off' or rate limits such as '600/minute' or "
            f"'20/second;600/minute' (at least 1 request each), not {text!r}",
            code="invalid_config",
        )
    return text


def parse_rate_limit_storage(name: str, text: str) -> str:
    """``text`` checked as a storage URI of the `limits` library that Nexus supports."""
    text = text.strip()
    scheme = urlsplit(text).scheme if "://" in text else ""
    if scheme not in RATE_LIMIT_STORAGE_SCHEMES:
        schemes = ", ".join(f"{known}://" for known in RATE_LIMIT_STORAGE_SCHEMES)
        raise NexusValidationError(
            f"{name} must be a storage URI starting with one of {schemes} "
            f"(e.g. redis://127.0.0.1:6379), not {text!r}",
            code="invalid_config",
        )
    return text


def _whole_number(name: str, text: str, minimum: int) -> int:
    if not text.strip().isdigit() or int(text) < minimum:
        raise NexusValidationError(
            f"{name} must be a whole number of at least {minimum}, not {text!r}",
            code="invalid_config",
        )
    return int(text)


def _seconds(name: str, text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not (math.isfinite(value) and value > 0):
        raise NexusValidationError(
            f"{name} must be a positive number of seconds, not {text!r}", code="invalid_config"
        )
    return value


def admin_socket_path(port: int, environ: Mapping[str, str] | None = None) -> Path:
    """Where the server on ``port`` listens for local admin calls.

    A per-OS-user directory (mode 0700) keeps other users from squatting the name; the port
    in the file name lets `nexus admin` find the server named by NEXUS_URL.
    """
    env = os.environ if environ is None else environ
    if env.get("NEXUS_ADMIN_SOCKET"):
        return Path(env["NEXUS_ADMIN_SOCKET"])
    runtime = env.get("XDG_RUNTIME_DIR") or tempfile.gettempdir()
    return Path(runtime) / f"nexus-{os.getuid()}" / f"admin-{port}.sock"


CLIENT_CONFIG_KEYS = frozenset({"url", "api_key", "data_dir", "timeout"})


@dataclass(frozen=True)
class ClientSettings:
    """How a client or the CLI reaches a server."""

    url: str | None = None
    api_key: str | None = None
    data_dir: Path | None = None
    timeout: float = 30.0

    @property
    def port(self) -> int:
        if not self.url:
            return DEFAULT_PORT
        parsed = urlsplit(self.url)
        if parsed.port:
            return parsed.port
        return 443 if parsed.scheme == "https" else 80

    @classmethod
    def from_env(
        cls, config: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None
    ) -> ClientSettings:
        """Explicit config wins; NEXUS_URL / NEXUS_API_KEY / NEXUS_DATA_DIR fill the gaps."""
        env = os.environ if environ is None else environ
        given = dict(config or {})
        unknown = sorted(set(given) - CLIENT_CONFIG_KEYS)
        if unknown:
            # A misspelt "url" would otherwise silently open an embedded store instead.
            raise NexusValidationError(
                f"unknown config key(s) {', '.join(map(repr, unknown))}: "
                f"use {', '.join(sorted(CLIENT_CONFIG_KEYS))}",
                code="invalid_config",
            )
        url = given.get("url") or env.get("NEXUS_URL") or None
        api_key = _api_key(given.get("api_key"), env.get("NEXUS_API_KEY"))
        data_dir = given.get("data_dir") or env.get("NEXUS_DATA_DIR") or None
        timeout = given.get("timeout", 30.0)
        if isinstance(timeout, bool) or not isinstance(timeout, int | float) or timeout <= 0:
            raise NexusValidationError(
                "timeout must be a positive number of seconds", code="invalid_config"
            )
        return cls(
            url=str(url) if url else None,
            api_key=api_key,
            data_dir=Path(str(data_dir)) if data_dir else None,
            timeout=float(timeout),
        )


def _api_key(given: object, from_env: str | None) -> str | None:
    """The key to use: the given one, else the environment's. One that is set but empty is
    an error, not "no key": without a key the CLI acts as the admin through the local
    socket, and `export NEXUS_API_KEY=$(cat missing-file)` in a script meant to run as a
    user must not quietly make it the admin."""
    for value, source in ((given, "api_key"), (from_env, "NEXUS_API_KEY")):
        if value is None:
            continue
        if not isinstance(value, str):
            raise NexusValidationError(
                f"{source} must be a string, not {type(value).__name__}", code="invalid_config"
            )
        if not value.strip():
            raise NexusValidationError(
                f"{source} is set but empty: give a key, or leave it unset to act through "
                "the local admin socket",
                code="invalid_config",
            )
        if not all("!" <= char <= "~" for char in value):
            # Keys are visible ASCII; anything else cannot go in an HTTP header (it raised a
            # UnicodeEncodeError, or "cannot reach the server" for a newline).
            raise NexusValidationError(
                f"{source} holds a character no API key has (spaces, control characters "
                "or non-ASCII): check what was pasted",
                code="invalid_config",
            )
        return value
    return None


def admin_socket_override(environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    return env.get("NEXUS_ADMIN_SOCKET") or None
