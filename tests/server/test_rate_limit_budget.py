"""The rate limiter's parts: whom failures are counted against, and a storage outage."""

from __future__ import annotations

import asyncio
import logging

import pytest

from nexus.config import ServerSettings
from nexus.server.rate_limits import Budget, RateLimits, client_address
from tests.support.server_process import free_port


@pytest.mark.parametrize(
    ("client", "counted_as"),
    [
        (("192.0.2.7", 5000), "192.0.2.7"),
        # One IPv6 host usually holds a whole /64: counting single addresses would give it
        # 2**64 budgets.
        (("2001:db8:1:2:aaaa::1", 5000), "2001:db8:1:2::/64"),
        (("2001:db8:1:2:ffff:1:2:3", 5000), "2001:db8:1:2::/64"),
        (("::ffff:192.0.2.7", 5000), "192.0.2.7"),
        (("testclient", 50000), "testclient"),
        (None, "unknown"),
    ],
)
def test_failures_are_counted_per_address(client: tuple[str, int] | None, counted_as: str) -> None:
    assert client_address({"type": "http", "client": client}) == counted_as


def test_an_unreachable_redis_lets_requests_through_and_is_logged_once(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # Nothing listens on this port: every hit fails at once (connection refused).
    settings = ServerSettings(
        rate_limit="1/minute", rate_limit_storage=f"redis://127.0.0.1:{free_port()}"
    )
    budget = RateLimits.from_settings(settings).per_key
    assert isinstance(budget, Budget)

    async def spend_three() -> list[object]:
        return [await budget.spend("key_1") for _ in range(3)]

    with caplog.at_level(logging.ERROR, logger="nexus.server"):
        assert asyncio.run(spend_three()) == [None, None, None]
    assert [record.message for record in caplog.records].count(caplog.records[0].message) == 1
    assert "serving without limits" in caplog.records[0].message


def test_several_limits_are_each_enforced() -> None:
    settings = ServerSettings(rate_limit="100/minute;2/hour", auth_failure_limit=None)
    limits = RateLimits.from_settings(settings)
    assert limits.auth_failures is None and limits.per_key is not None
    budget = limits.per_key

    async def spend(times: int) -> list[str | None]:
        return [
            None if (over := await budget.spend("k")) is None else str(over) for _ in range(times)
        ]

    assert asyncio.run(spend(3)) == [None, None, "2 per 1 hour"]
