"""The local Redis (127.0.0.1:6379) that servers share rate limit budgets through.

Locally its tests skip when Redis is down; in CI (CI=true) they fail instead, as the
PostgreSQL tests do."""

from __future__ import annotations

import os

import pytest

REDIS_URL = os.environ.get("NEXUS_TEST_REDIS", "redis://127.0.0.1:6379")


def redis_available() -> bool:
    import redis

    try:
        with redis.Redis.from_url(REDIS_URL, socket_connect_timeout=2) as client:
            return bool(client.ping())
    except redis.RedisError:
        return False


def require_redis() -> str:
    """The Redis URL; skips (fails in CI) when nothing answers there."""
    if redis_available():
        return REDIS_URL
    if os.environ.get("CI"):
        pytest.fail(f"Redis is required in CI but not reachable at {REDIS_URL}")
    pytest.skip(f"Redis not reachable at {REDIS_URL}")
