"""Error answers, bad answers and unreachable servers become nexus.errors exceptions."""

from __future__ import annotations

import socket
from pathlib import Path

import httpx
import pytest

from nexus.client.http import HttpClient
from nexus.client.interface import NexusClient
from nexus.errors import (
    ERROR_CLASSES,
    NexusAuthenticationError,
    NexusError,
    NexusFileNotFoundError,
    NexusPermissionError,
    NexusRateLimitError,
    NexusValidationError,
)

from .fakes import FakeServer


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.code)
def test_every_error_code_maps_back_to_its_class(cls: type[NexusError]) -> None:
    server = FakeServer()
    body = {
        "error": {
            "code": cls.code,
            "reason": "some_reason",
            "message": f"it failed with {cls.code}",
            "path": "/workspace/x",
        }
    }
    server.reply(cls.http_status, body)
    with pytest.raises(NexusError) as info:
        server.client().stat("/workspace/x")
    assert type(info.value) is cls
    assert info.value.message == f"it failed with {cls.code}"
    assert info.value.path == "/workspace/x"
    assert info.value.detail_code == "some_reason"


def test_permission_error_is_also_a_builtin_permission_error() -> None:
    server = FakeServer()
    error = {"code": "permission_denied", "reason": "permission_denied", "message": "no"}
    server.reply(403, {"error": error})
    with pytest.raises(PermissionError):
        server.client().read("/workspace/secret")


def test_relationship_not_found_keeps_its_reason() -> None:
    server = FakeServer()
    error = {"code": "not_found", "reason": "relationship_not_found", "message": "no such"}
    server.reply(404, {"error": error})
    with pytest.raises(NexusFileNotFoundError) as info:
        server.client().revoke_permission("user", "bob", "file", "/w", "can_read")
    assert info.value.detail_code == "relationship_not_found"
    assert info.value.path is None


def test_unknown_code_maps_to_the_root_class() -> None:
    server = FakeServer()
    server.reply(418, {"error": {"code": "teapot", "reason": "teapot", "message": "short"}})
    with pytest.raises(NexusError) as info:
        server.client().whoami()
    assert type(info.value) is NexusError
    assert info.value.message == "short"


def test_429_carries_its_retry_after_seconds() -> None:
    server = FakeServer()
    error = {"code": "rate_limited", "reason": "too_many_auth_failures", "message": "slow down"}
    server.reply(429, {"error": error}, headers={"Retry-After": "17"})
    with pytest.raises(NexusRateLimitError) as info:
        server.client().whoami()
    assert (info.value.retry_after, info.value.detail_code) == (17, "too_many_auth_failures")
    assert info.value.message == "slow down"


@pytest.mark.parametrize(
    ("header", "seconds"),
    # Without whole seconds to go by (none, an HTTP date, nonsense): retry after one.
    [("5", 5), (None, 1), ("Wed, 21 Oct 2026 07:28:00 GMT", 1), ("-3", 1)],
)
def test_429_from_a_proxy_without_our_body_is_still_a_rate_limit_error(
    header: str | None, seconds: int
) -> None:
    server = FakeServer()
    server.reply(429, text="Too Many Requests", headers={"Retry-After": header} if header else {})
    with pytest.raises(NexusRateLimitError, match="answered HTTP 429") as info:
        server.client().whoami()
    assert info.value.retry_after == seconds


def test_401_without_a_body_is_an_authentication_error() -> None:
    server = FakeServer()
    server.reply(401, text="Unauthorized")
    with pytest.raises(NexusAuthenticationError, match="rejected the API key"):
        server.client().whoami()


def test_401_with_any_code_is_an_authentication_error() -> None:
    server = FakeServer()
    server.reply(401, {"error": {"code": "error", "reason": "bad_key", "message": "bad key"}})
    with pytest.raises(NexusAuthenticationError, match="bad key"):
        server.client().whoami()


def test_error_without_json_body_uses_the_status() -> None:
    server = FakeServer()
    server.reply(403, text="<html>forbidden</html>")
    with pytest.raises(NexusPermissionError, match="HTTP 403"):
        server.client().whoami()
    server.reply(502, text="Bad Gateway")
    with pytest.raises(NexusError, match="HTTP 502: Bad Gateway"):
        server.client().whoami()


def test_unexpected_success_body_is_a_nexus_error() -> None:
    server = FakeServer()
    server.reply(200, {"surprise": True})
    with pytest.raises(NexusError, match="unexpected answer") as info:
        server.client().stat("/workspace/x")
    assert type(info.value) is NexusError
    server.reply(200, text="not json")
    with pytest.raises(NexusError, match="unexpected answer"):
        server.client().whoami()


def test_transport_failure_names_the_url() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused", request=request)

    client = HttpClient("http://nexus.test:2026", "k", transport=httpx.MockTransport(refuse))
    with pytest.raises(NexusError) as info:
        client.whoami()
    assert type(info.value) is NexusError
    assert "cannot reach Nexus server at http://nexus.test:2026" in str(info.value)
    assert "nexus serve" in str(info.value)
    assert info.value.__cause__ is None


def test_timeout_is_a_nexus_error() -> None:
    def slow(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("timed out", request=request)

    client = HttpClient("http://nexus.test", "k", timeout=2, transport=httpx.MockTransport(slow))
    with pytest.raises(NexusError, match="did not answer within 2 seconds"):
        client.read("/workspace/a")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
    return port


def test_real_closed_port_gives_a_clear_error() -> None:
    url = f"http://127.0.0.1:{_free_port()}"
    with HttpClient(url, "k", timeout=5) as client, pytest.raises(NexusError) as info:
        client.whoami()
    assert f"cannot reach Nexus server at {url}" in str(info.value)


def test_missing_unix_socket_names_the_socket(tmp_path: Path) -> None:
    sock = tmp_path / "admin-2026.sock"
    client = HttpClient("http://nexus-admin", None, uds=str(sock))
    with client, pytest.raises(NexusError) as info:
        client.list_users()
    assert f"admin socket {sock}" in str(info.value)


def test_bad_url_is_rejected() -> None:
    with pytest.raises(NexusValidationError, match="http:// or https://"):
        HttpClient("localhost:2026", "k")


def test_client_is_a_context_manager_that_closes() -> None:
    server = FakeServer()
    with server.client() as client:
        assert isinstance(client, NexusClient)
    server.reply(body={"user_id": "a", "is_admin": False})
    with pytest.raises(NexusError, match="is closed"):
        client.whoami()
    assert server.requests == []


def test_interface_is_abstract() -> None:
    with pytest.raises(TypeError):
        NexusClient()  # type: ignore[abstract]
