"""Rate limits against real `nexus serve` processes: a key over its budget gets 429 with
Retry-After (and NexusRateLimitError in the client) while other keys go on; failed
authentications from one address get 429 while valid keys from it do not; the admin socket,
/health and the OpenAPI document are never limited; servers on one Redis share a budget.

Each test has its own keys, and its own client address (X-Forwarded-For, which uvicorn takes
from 127.0.0.1 as a proxy's), so the budgets of one test never reach another."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

import nexus
from nexus.client.http import ADMIN_SOCKET_URL, HttpClient
from nexus.config import ServerSettings
from nexus.files import SYSTEM, open_service
from tests.support.redis import require_redis
from tests.support.server_process import ServerProcess

pytestmark = pytest.mark.e2e

KEY_LIMIT = 5  # per second: a tiny window, so the budget comes back within the test
FAILURE_LIMIT = 3  # per minute
WHOAMI = "/api/v1/whoami"


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {
        "NEXUS_RATE_LIMIT": f"{KEY_LIMIT}/second",
        "NEXUS_AUTH_FAILURE_LIMIT": f"{FAILURE_LIMIT}/minute",
    }
    started = ServerProcess(tmp_path_factory.mktemp("limits") / "data", env=env).start()
    with HttpClient(ADMIN_SOCKET_URL, None, uds=started.admin_socket) as system:
        for user in ("admin", "alice", "bob"):
            system.create_user(user, user.title(), f"{user}@example.com")
    yield started
    started.stop()


def admin_socket(server: ServerProcess) -> HttpClient:
    return HttpClient(ADMIN_SOCKET_URL, None, uds=server.admin_socket)


def new_key(server: ServerProcess, user: str) -> str:
    with admin_socket(server) as system:
        return str(system.create_api_key(user)["key"])


def caller(server: ServerProcess, key: str | None, address: str) -> httpx.Client:
    """Raw HTTP from ``address`` (as a proxy in front would say it) with ``key``."""
    headers = {"X-Forwarded-For": address}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return httpx.Client(base_url=server.url, headers=headers, timeout=10)


def until_refused(client: httpx.Client, most: int) -> list[httpx.Response]:
    """GET whoami until the first 429 (included), at most ``most`` requests."""
    answers = []
    for _ in range(most):
        answers.append(client.get(WHOAMI))
        if answers[-1].status_code == 429:
            break
    return answers


def assert_rate_limited(response: httpx.Response, reason: str, longest_wait: int) -> int:
    """The 429 answer: the error body, and Retry-After in whole seconds; returns it."""
    assert response.status_code == 429, response.text
    retry_after = int(response.headers["retry-after"])
    assert 1 <= retry_after <= longest_wait
    error: dict[str, Any] = response.json()["error"]
    assert set(error) == {"code", "reason", "message", "path"}
    assert (error["code"], error["reason"], error["path"]) == ("rate_limited", reason, None)
    return retry_after


def test_a_key_over_its_budget_gets_429_and_other_keys_go_on(server: ServerProcess) -> None:
    alice_key, alice_other_key, bob_key = (
        new_key(server, "alice"),
        new_key(server, "alice"),
        new_key(server, "bob"),
    )
    with caller(server, alice_key, "10.1.0.1") as alice:
        answers = until_refused(alice, KEY_LIMIT * 2)
        assert [answer.status_code for answer in answers[:KEY_LIMIT]] == [200] * KEY_LIMIT
        # The sliding window may let one more through when the burst straddles its boundary.
        assert len(answers) <= KEY_LIMIT + 2
        retry_after = assert_rate_limited(answers[-1], "rate_limited", 1)
        assert f"{KEY_LIMIT} per 1 second" in answers[-1].json()["error"]["message"]

        # The budget is the key's: another user's key and the same user's other key go on.
        for key in (bob_key, alice_other_key):
            with caller(server, key, "10.1.0.1") as other:
                assert other.get(WHOAMI).status_code == 200

        # And it comes back once the window has passed.
        time.sleep(retry_after)
        assert alice.get(WHOAMI).status_code == 200


def test_the_http_client_raises_nexus_rate_limit_error(server: ServerProcess) -> None:
    alice = HttpClient(server.url, new_key(server, "alice"))
    with alice, pytest.raises(nexus.NexusRateLimitError) as refused:
        for _ in range(KEY_LIMIT * 2):
            alice.whoami()
    assert isinstance(refused.value, nexus.NexusError)
    assert refused.value.retry_after == 1
    assert refused.value.detail_code == "rate_limited"
    assert "rate limit" in str(refused.value)


def test_failed_authentications_from_one_address_get_429_not_valid_keys(
    server: ServerProcess,
) -> None:
    revoked = new_key(server, "bob")
    with admin_socket(server) as system:
        system.revoke_api_key(system.list_api_keys("bob")[-1]["id"])
    address = "10.2.0.1"
    # Wrong, revoked and malformed keys all count against the address.
    with caller(server, "nxk_" + "x" * 43, address) as wrong:
        assert wrong.get(WHOAMI).status_code == 401
    with caller(server, revoked, address) as with_revoked:
        assert with_revoked.get(WHOAMI).status_code == 401
    with caller(server, None, address) as malformed:
        answer = malformed.get(WHOAMI, headers={"Authorization": "Basic abc"})
        assert answer.status_code == 401
        # One over the budget: 429 instead of 401, with Retry-After.
        refused = malformed.get(WHOAMI, headers={"Authorization": "Bearer nope"})
        assert_rate_limited(refused, "too_many_auth_failures", 60)
        assert address in refused.json()["error"]["message"]
        # /health and the API description need no key and are never refused.
        assert malformed.get("/health").status_code == 200
        assert malformed.get("/openapi.json").status_code == 200

    # Someone else's failures never lock out a valid key from the same address.
    with caller(server, new_key(server, "alice"), address) as alice:
        assert alice.get(WHOAMI).status_code == 200
    # The budget is the address's: another address still gets its own 401s.
    with caller(server, "nxk_" + "x" * 43, "10.2.0.2") as elsewhere:
        assert elsewhere.get(WHOAMI).status_code == 401


def test_the_admin_socket_is_never_limited(server: ServerProcess) -> None:
    with admin_socket(server) as system:
        for _ in range(KEY_LIMIT * 4):
            assert system.whoami()["user_id"] == "system"


def test_a_key_over_its_budget_is_refused_before_its_body_is_read(
    server: ServerProcess,
) -> None:
    key = new_key(server, "alice")
    with caller(server, key, "10.3.0.1") as alice:
        assert until_refused(alice, KEY_LIMIT * 2)[-1].status_code == 429
    # A 1 MB JSON body (under the JSON limit, which would read it whole first) is announced
    # and none of it sent: the answer comes at once.
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
        raw.sendall(
            b"POST /api/v1/files/mkdir HTTP/1.1\r\nHost: x\r\n"
            + f"Authorization: Bearer {key}\r\n".encode()
            + b"Content-Type: application/json\r\nContent-Length: 1000000\r\n\r\n"
        )
        head = raw.recv(65536).partition(b"\r\n\r\n")[0]
    assert head.startswith(b"HTTP/1.1 429"), head


def test_servers_on_one_redis_share_a_keys_budget(tmp_path: Path) -> None:
    budget = 6
    env = {
        "NEXUS_RATE_LIMIT": f"{budget}/minute",
        "NEXUS_RATE_LIMIT_STORAGE": require_redis(),
    }
    # Two servers on one store (data dir and database: the key is an HMAC under its secret).
    # The store is made first, so both can start at once.
    data_dir = tmp_path / "data"
    store = open_service(ServerSettings(data_dir=data_dir))
    try:
        store.admin.create_user(SYSTEM, "admin", "Admin", "admin@example.com")
        key = store.admin.create_api_key(SYSTEM, "admin", "shared").key  # a new random key id
    finally:
        store.close()
    servers = [ServerProcess(data_dir, env=env) for _ in range(2)]
    try:
        with ThreadPoolExecutor(2) as starting:
            list(starting.map(ServerProcess.start, servers))
        callers = [caller(server, key, "10.4.0.1") for server in servers]
        answers = []
        for turn in range(budget * 2 + 1):  # alternating: each server alone would allow 12
            answers.append(callers[turn % 2].get(WHOAMI))
            if answers[-1].status_code == 429:
                break
        statuses = [answer.status_code for answer in answers]
        # A minute's window: one more only if the burst straddled its boundary.
        assert budget <= statuses.count(200) <= budget + 1, statuses
        assert_rate_limited(answers[-1], "rate_limited", 60)
        # Both servers now refuse the key.
        for client in callers:
            assert client.get(WHOAMI).status_code == 429
            client.close()
    finally:
        for server in servers:
            server.stop()


def test_serve_refuses_to_start_on_a_redis_that_does_not_answer(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    from nexus.server import command, run

    started: list[object] = []
    monkeypatch.setattr(run, "serve", lambda settings, access_log: started.append(settings))
    arguments = ["--data-dir", str(tmp_path), "--rate-limit-storage", "redis://127.0.0.1:1"]
    refused = CliRunner().invoke(command.serve, arguments)
    assert refused.exit_code == 1, refused.output
    assert "redis://127.0.0.1:1 does not answer" in refused.output
    assert started == []


def test_limits_are_documented_in_the_api_description(server: ServerProcess) -> None:
    document = json.loads(httpx.get(f"{server.url}/openapi.json", timeout=10).text)
    responses = document["paths"]["/api/v1/whoami"]["get"]["responses"]
    assert "429" in responses
