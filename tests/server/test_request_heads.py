"""Request heads on the wire: a bound on their size (431) and the API's JSON error body for
requests the HTTP parser refuses, against a real server."""

from __future__ import annotations

import contextlib
import json
import socket
from collections.abc import Iterator

import httpx
import pytest

from nexus.server.protocol import MAX_HEAD_BYTES
from tests.support.server_process import ServerProcess
from tests.support.team_server import start_team_server

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ServerProcess, str]]:
    process, keys = start_team_server(tmp_path_factory.mktemp("heads") / "data")
    try:
        yield process, keys["alice"]
        assert "Traceback" not in process.log()
    finally:
        process.stop()


def exchange(url: str, *requests: bytes) -> bytes:
    """Send ``requests`` in one write and read until the server closes the connection."""
    address = httpx.URL(url)
    with socket.create_connection((address.host, address.port or 80), timeout=30) as sock:
        # Refused mid-send, the answer is still there to read.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            sock.sendall(b"".join(requests))
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                answer += chunk
    return answer


def request(key: str, path: str, *, extra: bytes = b"", close: bool = True) -> bytes:
    return (
        f"GET {path} HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer {key}\r\n".encode()
        + extra
        + (b"Connection: close\r\n" if close else b"")
        + b"\r\n"
    )


def error_of(answer: bytes) -> tuple[int, dict[str, object]]:
    head, _, body = answer.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    assert b"content-type: application/json" in head.lower(), head
    return status, json.loads(body)["error"]


def test_a_head_over_the_bound_is_a_431_with_the_error_body(
    server: tuple[ServerProcess, str],
) -> None:
    process, key = server
    big = b"X-Big: " + b"a" * (MAX_HEAD_BYTES + 1) + b"\r\n"
    status, error = error_of(exchange(process.url, request(key, "/api/v1/whoami", extra=big)))
    assert status == 431
    assert error["reason"] == "request_header_fields_too_large"
    # Many headers add up the same way, and no key is needed to be refused.
    many = b"".join(b"X-H%d: %s\r\n" % (i, b"b" * 1000) for i in range(80))
    status, _ = error_of(exchange(process.url, request("nxk_none", "/health", extra=many)))
    assert status == 431


def test_heads_under_the_bound_and_big_bodies_are_served(
    server: tuple[ServerProcess, str],
) -> None:
    process, key = server
    near = b"X-Near: " + b"a" * (MAX_HEAD_BYTES - 1024) + b"\r\n"
    answer = exchange(process.url, request(key, "/api/v1/whoami", extra=near))
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:200]
    # A body far bigger than the bound, in the same write as its head, is not a head.
    body = b"z" * (4 * MAX_HEAD_BYTES)
    put = (
        f"PUT /api/v1/files/content?path=/workspace/heads/big.bin HTTP/1.1\r\nHost: x\r\n"
        f"Authorization: Bearer {key}\r\nContent-Length: {len(body)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode() + body
    answer = exchange(process.url, put)
    assert answer.startswith(b"HTTP/1.1 200 "), answer[:300]
    read = httpx.get(
        process.url + "/api/v1/files/content",
        params={"path": "/workspace/heads/big.bin"},
        headers={"Authorization": f"Bearer {key}"},
    )
    assert read.content == body


def test_pipelined_requests_are_each_answered(server: tuple[ServerProcess, str]) -> None:
    process, key = server
    filler = b"X-Fill: " + b"f" * (MAX_HEAD_BYTES // 2) + b"\r\n"
    answers = exchange(
        process.url,
        request(key, "/api/v1/whoami", extra=filler, close=False),
        request(key, "/api/v1/whoami", extra=filler, close=False),
        request(key, "/api/v1/whoami", extra=filler),
    )
    assert answers.count(b"HTTP/1.1 200 ") == 3, answers[:300]


def test_a_request_the_parser_refuses_gets_the_error_body(
    server: tuple[ServerProcess, str],
) -> None:
    process, key = server
    raw = request(key, "/api/v1/files/list?path=/workspace/a b")
    status, error = error_of(exchange(process.url, raw))
    assert (status, error["code"], error["reason"]) == (400, "invalid_argument", "invalid_request")
