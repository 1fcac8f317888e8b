"""Request body limits: JSON bodies are refused over ``max_json_bytes`` before they are read or
parsed; raw file content keeps ``max_file_bytes``."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner
from fastapi.testclient import TestClient
from starlette.types import Message

from nexus.config import ServerSettings
from nexus.errors import NexusValidationError
from nexus.files import SYSTEM, NexusService, open_service
from nexus.server.admin_socket import LocalAdminApp
from nexus.server.app import build_app
from tests.support.server_process import ServerProcess

JSON_LIMIT = 1024
FILE_LIMIT = 64 * 1024
APPEND_LIMIT = 16 * 1024
JSON = {"Content-Type": "application/json"}


@pytest.fixture
def service(tmp_path: Path) -> Iterator[NexusService]:
    settings = ServerSettings(
        data_dir=tmp_path / "data",
        max_file_bytes=FILE_LIMIT,
        max_json_bytes=JSON_LIMIT,
        max_append_bytes=APPEND_LIMIT,
    )
    opened = open_service(settings)
    yield opened
    opened.close()


@pytest.fixture
def client(service: NexusService) -> Iterator[TestClient]:
    with TestClient(build_app(service)) as test_client:
        yield test_client


@pytest.fixture
def auth(service: NexusService) -> dict[str, str]:
    service.admin.create_user(SYSTEM, "admin", "Admin", "admin@example.com")
    service.admin.create_user(SYSTEM, "alice", "Alice", "alice@example.com")
    return {"Authorization": f"Bearer {service.admin.create_api_key(SYSTEM, 'alice', 't').key}"}


def padded(document: object, size: int) -> bytes:
    """``document`` as JSON, padded with trailing whitespace (still valid JSON) to ``size``."""
    text = json.dumps(document).encode()
    assert len(text) <= size
    return text + b" " * (size - len(text))


def in_chunks(data: bytes, size: int = 100) -> Iterator[bytes]:
    # A generator body makes httpx send Transfer-Encoding: chunked, without Content-Length.
    for start in range(0, len(data), size):
        yield data[start : start + size]


def assert_too_large(response: httpx.Response, setting: str, limit: int) -> None:
    assert response.status_code == 413
    assert response.headers["connection"] == "close"
    error = response.json()["error"]
    assert set(error) == {"code", "reason", "message", "path"}
    assert error["code"] == "payload_too_large"
    assert error["reason"] == "payload_too_large"
    assert error["path"] is None
    assert f"limit of {limit} bytes ({setting})" in error["message"]


@pytest.mark.parametrize("chunked", [False, True])
def test_json_body_at_the_limit_is_accepted_and_one_byte_more_is_refused(
    client: TestClient, auth: dict[str, str], chunked: bool
) -> None:
    def mkdir(path: str, size: int) -> httpx.Response:
        body = padded({"path": path}, size)
        content = in_chunks(body) if chunked else body
        response: httpx.Response = client.post(
            "/api/v1/files/mkdir",
            content=content,
            headers={**auth, **JSON},
        )
        return response

    assert mkdir("/workspace/fits", JSON_LIMIT).status_code == 200
    refused = mkdir("/workspace/over", JSON_LIMIT + 1)
    assert_too_large(refused, "max_json_bytes", JSON_LIMIT)
    if not chunked:
        assert f"request body of {JSON_LIMIT + 1} bytes" in refused.json()["error"]["message"]
    exists = client.get("/api/v1/files/exists", params={"path": "/workspace/over"}, headers=auth)
    assert exists.json() == {"exists": False}


def test_content_length_over_the_limit_is_refused_without_reading_the_body(
    service: NexusService,
) -> None:
    app = LocalAdminApp(build_app(service))  # no key needed: only the limit is under test
    received: list[Message] = []
    sent: list[Message] = []

    async def receive() -> Message:
        received.append({})
        raise AssertionError("the body was read")

    async def send(message: Message) -> None:
        sent.append(message)

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": "/api/v1/permissions/check-batch",
        "raw_path": b"/api/v1/permissions/check-batch",
        "root_path": "",
        "query_string": b"",
        "headers": [(b"content-type", b"application/json"), (b"content-length", b"60000000")],
        "client": ("127.0.0.1", 1),
        "server": ("127.0.0.1", 2026),
        "state": {},
    }
    asyncio.run(app(scope, receive, send))
    assert received == []
    assert sent[0]["status"] == 413
    body = json.loads(b"".join(message.get("body", b"") for message in sent[1:]))
    assert body["error"]["code"] == "payload_too_large"
    assert "60000000 bytes" in body["error"]["message"]


def test_file_content_above_the_json_limit_keeps_the_file_limit(
    client: TestClient, auth: dict[str, str]
) -> None:
    payload = b"x" * (JSON_LIMIT * 8)
    written = client.put(
        "/api/v1/files/content", params={"path": "/workspace/a.bin"}, content=payload, headers=auth
    )
    assert written.status_code == 200, written.text
    appended = client.post(
        "/api/v1/files/append",
        params={"path": "/workspace/a.bin"},
        content=in_chunks(payload, 1000),
        headers=auth,
    )
    assert appended.status_code == 200, appended.text
    assert appended.json()["size"] == 2 * len(payload)
    too_big = client.put(
        "/api/v1/files/content",
        params={"path": "/workspace/b.bin"},
        content=b"x" * (FILE_LIMIT + 1),
        headers=auth,
    )
    assert_too_large(too_big, "max_file_bytes", FILE_LIMIT)


def test_json_limit_applies_to_every_other_route_and_method(
    client: TestClient, auth: dict[str, str]
) -> None:
    # GET /files/content takes no raw body: only PUT /content and POST /append are file routes.
    response = client.request(
        "GET",
        "/api/v1/files/content",
        params={"path": "/workspace/a.bin"},
        content=b"x" * (JSON_LIMIT + 1),
        headers=auth,
    )
    assert_too_large(response, "max_json_bytes", JSON_LIMIT)


def test_without_a_key_the_answer_is_401_not_413(client: TestClient) -> None:
    response = client.post("/api/v1/permissions/check-batch", content=b" " * (JSON_LIMIT + 1))
    assert response.status_code == 401


def test_appends_have_a_limit_of_their_own(client: TestClient, auth: dict[str, str]) -> None:
    # An append's bytes are held in memory: bounded far below the file limit.
    route = "/api/v1/files/append"
    path = {"path": "/workspace/log.txt"}
    assert client.post(route, params=path, content=b"x" * APPEND_LIMIT, headers=auth).is_success
    refused = client.post(route, params=path, content=b"y" * (APPEND_LIMIT + 1), headers=auth)
    assert refused.status_code == 413
    assert refused.json()["error"]["code"] == "payload_too_large"
    content = client.get("/api/v1/files/content", params=path, headers=auth).content
    assert content == b"x" * APPEND_LIMIT  # nothing of the refused append


def test_limits_come_from_the_environment_and_are_validated() -> None:
    settings = ServerSettings.from_env(
        {
            "NEXUS_MAX_JSON_BYTES": "4096",
            "NEXUS_MAX_FILE_BYTES": "100000",
            "NEXUS_MAX_APPEND_BYTES": "2000",
        }
    )
    assert (settings.max_json_bytes, settings.max_file_bytes) == (4096, 100000)
    assert settings.max_append_bytes == 2000
    assert ServerSettings.from_env({}).max_json_bytes == 8 * 1024 * 1024
    assert ServerSettings.from_env({}).max_append_bytes == 16 * 1024 * 1024
    overridden = ServerSettings.from_env({"NEXUS_MAX_JSON_BYTES": "4096"}, max_json_bytes=10)
    assert overridden.max_json_bytes == 10
    for variable in ("NEXUS_MAX_JSON_BYTES", "NEXUS_MAX_FILE_BYTES", "NEXUS_MAX_APPEND_BYTES"):
        for bad in ("0", "-1", "8M", "1.5"):
            with pytest.raises(NexusValidationError) as caught:
                ServerSettings.from_env({variable: bad})
            assert caught.value.detail_code == "invalid_config"
            assert variable in caught.value.message


def test_serve_flags_set_the_limits(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from nexus.server import command, run

    seen: list[ServerSettings] = []
    monkeypatch.setattr(run, "serve", lambda settings, access_log: seen.append(settings))
    result = CliRunner().invoke(
        command.serve,
        [
            "--data-dir",
            str(tmp_path),
            "--max-json-bytes",
            "2048",
            "--max-file-bytes",
            "9999",
            "--max-append-bytes",
            "777",
        ],
    )
    assert result.exit_code == 0, result.output
    assert (seen[0].max_json_bytes, seen[0].max_file_bytes) == (2048, 9999)
    assert seen[0].max_append_bytes == 777
    for flag in ("--max-json-bytes", "--max-file-bytes", "--max-append-bytes"):
        refused = CliRunner().invoke(command.serve, [flag, "0"])
        assert refused.exit_code == 2


@pytest.mark.e2e
def test_real_server_refuses_large_json_and_files_before_reading_them(tmp_path: Path) -> None:
    # The rate limits are on (the defaults): a 413 is still a 413 behind them.
    limit, file_limit = 4096, 20000
    env = {"NEXUS_MAX_JSON_BYTES": str(limit), "NEXUS_MAX_FILE_BYTES": str(file_limit)}
    server = ServerProcess(tmp_path / "data", env=env).start()
    try:
        admin = httpx.Client(
            transport=httpx.HTTPTransport(uds=server.admin_socket),
            base_url="http://nexus-admin",
            timeout=10,
        )
        with admin:
            admin.post(
                "/api/v1/admin/users",
                json={"id": "alice", "name": "Alice", "email": "a@x.io"},
            ).raise_for_status()
            created = admin.post("/api/v1/admin/users/alice/keys", json={"description": "t"})
            created.raise_for_status()
        auth = {"Authorization": f"Bearer {created.json()['key']}"}
        url = f"{server.url}/api/v1/permissions/check-batch"
        with httpx.Client(timeout=10, headers={**auth, **JSON}) as client:
            # A streamed (chunked) body one byte over the limit.
            over = client.post(url, content=in_chunks(padded({"checks": []}, limit + 1), 512))
            assert_too_large(over, "max_json_bytes", limit)
            under = client.post(url, content=in_chunks(padded({"checks": []}, limit), 512))
            assert under.status_code == 200, under.text
            assert under.json()["results"] == []

            # File content has its own limit, declared or streamed.
            files = f"{server.url}/api/v1/files/content"
            fits = client.put(files, params={"path": "/workspace/f"}, content=b"x" * file_limit)
            assert fits.status_code == 200, fits.text
            over = client.put(
                files, params={"path": "/workspace/g"}, content=b"x" * (file_limit + 1)
            )
            assert_too_large(over, "max_file_bytes", file_limit)
            streamed = client.put(
                files,
                params={"path": "/workspace/g"},
                content=in_chunks(b"x" * (file_limit + 1), 4096),
            )
            assert streamed.status_code == 413
            assert streamed.json()["error"]["code"] == "payload_too_large"
            assert f"limit of {file_limit} bytes" in streamed.json()["error"]["message"]

        # A huge declared length is answered at once: none of the 100 MB is ever sent.
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as raw:
            raw.sendall(
                b"POST /api/v1/permissions/check-batch HTTP/1.1\r\nHost: x\r\n"
                + f"Authorization: {auth['Authorization']}\r\n".encode()
                + b"Content-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"
            )
            answer = b""
            while chunk := raw.recv(65536):
                answer += chunk
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 413"), head
        assert json.loads(body)["error"]["code"] == "payload_too_large"
    finally:
        server.stop()
