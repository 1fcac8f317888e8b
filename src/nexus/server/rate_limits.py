"""Rate limits: a budget of requests per API key, and of failed authentications per client
address, both answered HTTP 429 with ``Retry-After`` once spent.

Counting is the `limits` library's (the engine under Flask-Limiter and slowapi), with its
*sliding window counter* strategy: two counters per key and window (this one and the last,
weighted by how much of the last still overlaps), so a hit costs O(1) time and memory at any
limit. The exact *moving window* keeps one timestamp per request: 30,000 entries per busy key,
and an O(n) list insert per hit in memory. The counter's price is an estimate that assumes
the last window's requests were spread evenly, which is what a budget needs, not a ledger;
a *fixed window* would let a client spend two budgets across a window boundary.

Each request costs one counter hit per configured limit (one with the defaults): the key's,
after authentication, or the address's, after a failed one; never a database query. Counters
live in this process by default (``memory://``, a dict behind a lock, microseconds: called on
the event loop directly) or in Redis (``redis://host:port``: every server process shares one
budget per key), called through the library's asyncio API so a slow Redis never blocks the
event loop. When Redis cannot be
reached the request is served (and the failure logged, at most once a minute): the limits
protect the server's capacity, not anyone's data, and a limiter outage must not take the file
server down with it.

The local admin socket's app gets none of this (its callers are the server's own OS user),
and neither do ``/health`` and the OpenAPI document, which need no key: a health checker
polling from one address must never be locked out, and they cost less than a limiter hit.
"""

from __future__ import annotations

import ipaddress
import logging
import math
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from limits import RateLimitItem, parse_many
from limits.aio.strategies import SlidingWindowCounterRateLimiter as SharedLimiter
from limits.errors import StorageError
from limits.storage import MemoryStorage, storage_from_string
from limits.strategies import SlidingWindowCounterRateLimiter as LocalLimiter
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from nexus.api.models import API_PREFIX
from nexus.config import ServerSettings
from nexus.errors import NexusRateLimitError
from nexus.files import Principal
from nexus.server.authentication import PRINCIPAL_STATE
from nexus.server.errors import error_response

log = logging.getLogger("nexus.server")

# Redis keys start with this, so a shared Redis shows whose they are.
REDIS_KEY_PREFIX = "nexus"
# A Redis that stops answering fails requests open after this long, instead of hanging them.
REDIS_TIMEOUT_SECONDS = 1.0
STORAGE_ERROR_LOG_SECONDS = 60.0


class _Counters(Protocol):
    async def hit(self, item: RateLimitItem, *identifiers: str) -> bool: ...

    async def reset_time(self, item: RateLimitItem, *identifiers: str) -> float: ...


class _LocalCounters:
    """In this process: synchronous and lock-protected, microseconds per hit."""

    def __init__(self) -> None:
        self._limiter = LocalLimiter(MemoryStorage())

    async def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        return self._limiter.hit(item, *identifiers)

    async def reset_time(self, item: RateLimitItem, *identifiers: str) -> float:
        return self._limiter.get_window_stats(item, *identifiers).reset_time


class _SharedCounters:
    """In Redis, shared by every server process that names the same one."""

    def __init__(self, uri: str):
        storage = storage_from_string(
            "async+" + uri,
            implementation="redispy",  # the redis package, from limits' redis extra
            key_prefix=REDIS_KEY_PREFIX,
            wrap_exceptions=True,
            socket_timeout=REDIS_TIMEOUT_SECONDS,
            socket_connect_timeout=REDIS_TIMEOUT_SECONDS,
        )
        self._limiter = SharedLimiter(storage)

    async def hit(self, item: RateLimitItem, *identifiers: str) -> bool:
        return await self._limiter.hit(item, *identifiers)

    async def reset_time(self, item: RateLimitItem, *identifiers: str) -> float:
        return (await self._limiter.get_window_stats(item, *identifiers)).reset_time


def check_storage(settings: ServerSettings) -> None:
    """`nexus serve` refuses to start on a Redis that does not answer: serving with every
    limit failing open would look like working limits. RuntimeError with the reason."""
    uri = settings.rate_limit_storage
    unused = settings.rate_limit is None and settings.auth_failure_limit is None
    if uri.startswith("memory://") or unused:
        return
    storage = storage_from_string(
        uri, key_prefix=REDIS_KEY_PREFIX, socket_connect_timeout=REDIS_TIMEOUT_SECONDS
    )
    if not storage.check():
        raise RuntimeError(
            f"the rate limit storage {uri} does not answer "
            "(NEXUS_RATE_LIMIT_STORAGE / --rate-limit-storage)"
        )


@dataclass(frozen=True)
class Refusal:
    message: str
    reason: str
    retry_after: int


class Budget:
    """One setting's limits (e.g. "20/second;600/minute") for one kind of identifier."""

    def __init__(self, counters: _Counters, limits: Sequence[RateLimitItem], kind: str):
        self._counters = counters
        self._limits = tuple(limits)
        self._kind = kind
        self._storage_failed_at = -math.inf

    async def spend(self, identifier: str) -> RateLimitItem | None:
        """Count one request for ``identifier``; the limit it is over, or None when allowed."""
        try:
            for item in self._limits:
                if not await self._counters.hit(item, self._kind, identifier):
                    return item
        except StorageError as error:
            self._log_storage_error(error)
        return None

    async def retry_after(self, item: RateLimitItem, identifier: str) -> int:
        """Whole seconds until ``item`` allows ``identifier`` another request, at least 1."""
        try:
            reset_time = await self._counters.reset_time(item, self._kind, identifier)
        except StorageError as error:
            self._log_storage_error(error)
            return item.get_expiry()
        return max(1, math.ceil(reset_time - time.time()))

    def _log_storage_error(self, error: StorageError) -> None:
        now = time.monotonic()
        if now - self._storage_failed_at >= STORAGE_ERROR_LOG_SECONDS:
            self._storage_failed_at = now
            log.error("rate limit storage failed, serving without limits: %s", error)


@dataclass(frozen=True)
class RateLimits:
    """The server's budgets; None where a setting is "off"."""

    per_key: Budget | None
    auth_failures: Budget | None

    @classmethod
    def from_settings(cls, settings: ServerSettings) -> RateLimits:
        if settings.rate_limit is None and settings.auth_failure_limit is None:
            return cls(None, None)
        uri = settings.rate_limit_storage
        counters: _Counters = (
            _LocalCounters() if uri.startswith("memory://") else _SharedCounters(uri)
        )

        def budget(text: str | None, kind: str) -> Budget | None:
            return None if text is None else Budget(counters, parse_many(text), kind)

        return cls(budget(settings.rate_limit, "key"), budget(settings.auth_failure_limit, "ip"))


async def _refuse(scope: Scope, receive: Receive, send: Send, refusal: Refusal) -> None:
    error = NexusRateLimitError(
        refusal.message, retry_after=refusal.retry_after, code=refusal.reason
    )
    response = error_response(error.http_status, error.code, error.detail_code, error.message)
    response.headers["Retry-After"] = str(error.retry_after)
    await response(scope, receive, send)


class KeyRateLimitMiddleware:
    """Inside authentication: spends one request of the caller's API key's budget."""

    def __init__(self, app: ASGIApp, *, budget: Budget):
        self.app = app
        self.budget = budget

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        principal: Principal | None = scope.get("state", {}).get(PRINCIPAL_STATE)
        key_id = None if principal is None else principal.key_id
        if key_id is not None:
            over = await self.budget.spend(key_id)
            if over is not None:
                retry_after = await self.budget.retry_after(over, key_id)
                message = (
                    f"this API key is over its rate limit of {over} (rate_limit): "
                    f"retry in {retry_after} s"
                )
                await _refuse(scope, receive, send, Refusal(message, "rate_limited", retry_after))
                return
        await self.app(scope, receive, send)


def client_address(scope: Scope) -> str:
    """Whom failed authentications are counted against: the peer's IP address (behind a
    trusted proxy, the one uvicorn took from X-Forwarded-For); for IPv6 its /64 network,
    which one host usually holds whole."""
    client = scope.get("client")
    host = str(client[0]) if client else "unknown"
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return host
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network((address, 64), strict=False))
    return str(address)


class AuthFailureLimitMiddleware:
    """Outside authentication: every 401 it answers spends one failure of the client
    address's budget; once spent, failures are answered 429 instead.

    Only failures are counted and only failures are refused: a request with a valid key is
    served whatever its address has failed (many people can share one address), and is
    under its key's budget instead."""

    def __init__(self, app: ASGIApp, *, budget: Budget):
        self.app = app
        self.budget = budget

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        refused = False

        async def counted_send(message: Message) -> None:
            nonlocal refused
            if message["type"] == "http.response.start" and message["status"] == 401:
                address = client_address(scope)
                over = await self.budget.spend(address)
                if over is not None:
                    refused = True
                    retry_after = await self.budget.retry_after(over, address)
                    message_text = (
                        f"too many failed authentications from {address}, over the limit of "
                        f"{over} (auth_failure_limit): retry in {retry_after} s"
                    )
                    refusal = Refusal(message_text, "too_many_auth_failures", retry_after)
                    await _refuse(scope, receive, send, refusal)
                    return
            if not refused:
                await send(message)

        await self.app(scope, receive, counted_send)
