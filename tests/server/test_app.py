"""The HTTP layer in-process: authentication, the error body, raw bytes, limits."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from nexus.config import ServerSettings
from nexus.files import SYSTEM, NexusService, open_service
from nexus.server.app import build_app


@pytest.fixture
def service(tmp_path: Path) -> Iterator[NexusService]:
    opened = open_service(ServerSettings(data_dir=tmp_path / "data", max_file_bytes=1024))
    yield opened
    opened.close()


@pytest.fixture
def client(service: NexusService) -> Iterator[TestClient]:
    with TestClient(build_app(service)) as test_client:
        yield test_client


@pytest.fixture
def alice_key(service: NexusService) -> str:
    service.admin.create_user(SYSTEM, "admin", "Admin", "admin@example.com")
    service.admin.create_user(SYSTEM, "alice", "Alice", "alice@example.com")
    return service.admin.create_api_key(SYSTEM, "alice", "test").key


def test_health_needs_no_key(client: TestClient) -> None:
    response = client.get("/health")
    assert response.status_code == 200
    assert response.json()["status"] == "ok"
    assert response.json()["version"]


@pytest.mark.parametrize(
    ("headers", "reason"),
    [
        ({}, "missing_key"),
        ({"Authorization": "Bearer nxk_not-a-real-key"}, "unauthenticated"),
        ({"Authorization": "Basic YWxpY2U6cHc="}, "malformed_header"),
        ({"Authorization": "Bearer "}, "malformed_header"),
    ],
)
def test_every_api_route_needs_a_valid_key(
    client: TestClient, headers: dict[str, str], reason: str
) -> None:
    response = client.get("/api/v1/files/list", params={"path": "/"}, headers=headers)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    error = response.json()["error"]
    assert error["code"] == "unauthenticated"
    assert error["reason"] == reason


def test_unknown_route_answers_with_the_error_body(client: TestClient, alice_key: str) -> None:
    response = client.get("/api/v1/nothing-here", headers={"Authorization": f"Bearer {alice_key}"})
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


def test_a_route_with_a_trailing_slash_is_not_found_not_redirected(
    client: TestClient, alice_key: str
) -> None:
    response = client.get(
        "/api/v1/files/exists/",
        params={"path": "/workspace"},
        headers={"Authorization": f"Bearer {alice_key}", "Host": "evil.example"},
        follow_redirects=False,
    )
    assert response.status_code == 404
    assert "location" not in response.headers
    assert response.json()["error"]["code"] == "not_found"


def test_a_method_the_route_does_not_take_is_a_405_naming_the_allowed_ones(
    client: TestClient, alice_key: str
) -> None:
    response = client.request(
        "TRACE", "/api/v1/files/stat", headers={"Authorization": f"Bearer {alice_key}"}
    )
    assert response.status_code == 405
    assert response.headers["allow"] == "GET"  # RFC 9110: a 405 lists what it takes
    assert response.json()["error"]["reason"] == "http_error"
    # One path, a route per method: the answer names them all, not the first route's.
    content = client.request(
        "TRACE", "/api/v1/files/content", headers={"Authorization": f"Bearer {alice_key}"}
    )
    assert content.headers["allow"] == "GET, PUT"


def test_content_round_trips_as_raw_bytes(client: TestClient, alice_key: str) -> None:
    auth = {"Authorization": f"Bearer {alice_key}"}
    payload = bytes(range(256))
    written = client.put(
        "/api/v1/files/content",
        params={"path": "/workspace/a b#?%.bin"},
        content=payload,
        headers=auth,
    )
    assert written.status_code == 200, written.text
    assert written.json()["version"] == 1
    read = client.get(
        "/api/v1/files/content", params={"path": "/workspace/a b#?%.bin"}, headers=auth
    )
    assert read.content == payload
    assert read.headers["content-type"] == "application/octet-stream"
    assert read.headers["x-nexus-version"] == "1"
    assert read.headers["etag"] == f'"{written.json()["etag"]}"'


def test_body_over_the_limit_is_refused_and_nothing_is_written(
    client: TestClient, alice_key: str
) -> None:
    auth = {"Authorization": f"Bearer {alice_key}"}
    response = client.put(
        "/api/v1/files/content",
        params={"path": "/workspace/big"},
        content=b"x" * 2048,
        headers=auth,
    )
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    exists = client.get("/api/v1/files/exists", params={"path": "/workspace/big"}, headers=auth)
    assert exists.json() == {"exists": False}


@pytest.mark.parametrize(
    ("params", "status"),
    [
        ({"path": "relative"}, 400),
        ({"path": "/workspace/../etc"}, 400),
        ({"path": "/workspace//x"}, 400),
        ({"path": "/workspace/x\x00y"}, 400),
        ({}, 400),
        ({"path": "/workspace/x", "version": "zero"}, 400),
    ],
)
def test_bad_input_is_a_400_with_a_stable_code(
    client: TestClient, alice_key: str, params: dict[str, str], status: int
) -> None:
    auth = {"Authorization": f"Bearer {alice_key}"}
    response = client.get("/api/v1/files/content", params=params, headers=auth)
    assert response.status_code == status
    assert response.json()["error"]["code"] == "invalid_argument"


@pytest.mark.parametrize(
    ("route", "body"),
    [
        ("/api/v1/files/mkdir", {"path": "/workspace/d", "parents": 0}),
        ("/api/v1/files/mkdir", {"path": "/workspace/d", "exist_ok": "true"}),
        ("/api/v1/files/restrict", {"path": "/workspace/d", "restricted": 1}),
        ("/api/v1/sessions", {"name": "s", "ttl": "60"}),
        ("/api/v1/sessions", {"name": "s", "ttl": True}),
        ("/api/v1/sessions", {"name": "s", "ttl": 60.5}),
        ("/api/v1/files/move", {"src": "/workspace/d", "dst": 5}),
    ],
)
def test_json_values_must_have_the_documented_type(
    client: TestClient, alice_key: str, route: str, body: dict[str, object]
) -> None:
    # No coercion: 0 is not false and "60" is not 60, as the OpenAPI document says.
    response = client.post(route, json=body, headers={"Authorization": f"Bearer {alice_key}"})
    assert response.status_code == 400, response.text
    assert response.json()["error"]["reason"] == "invalid_request"
    assert client.get(
        "/api/v1/files/exists",
        params={"path": "/workspace/d"},
        headers={"Authorization": f"Bearer {alice_key}"},
    ).json() == {"exists": False}


def test_a_whole_json_number_is_an_integer(client: TestClient, alice_key: str) -> None:
    # JSON Schema's "integer" includes 60.0 and 6e1, so the server takes them as 60.
    auth = {"Authorization": f"Bearer {alice_key}", "Content-Type": "application/json"}
    for spelled in ("60.0", "6e1"):
        body = '{"name": "s", "ttl": ' + spelled + "}"
        created = client.post("/api/v1/sessions", content=body, headers=auth)
        assert created.status_code == 200, created.text
        assert created.json()["expires"] is not None


def test_malformed_json_body_is_a_400(client: TestClient, alice_key: str) -> None:
    auth = {"Authorization": f"Bearer {alice_key}", "Content-Type": "application/json"}
    response = client.post("/api/v1/permissions/grant", content=b"{not json", headers=auth)
    assert response.status_code == 400
    assert response.json()["error"]["reason"] == "invalid_request"


def test_openapi_document_describes_the_api(client: TestClient) -> None:
    document = client.get("/openapi.json").json()
    assert "/api/v1/files/content" in document["paths"]
    put = document["paths"]["/api/v1/files/content"]["put"]
    assert "application/octet-stream" in put["requestBody"]["content"]


def test_authentication_comes_before_body_parsing(client: TestClient) -> None:
    response = client.post(
        "/api/v1/permissions/grant",
        content=b"{bad",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 401
    assert response.json()["error"]["reason"] == "missing_key"


def test_a_key_with_trailing_words_is_a_malformed_header(
    client: TestClient, alice_key: str
) -> None:
    response = client.get("/api/v1/whoami", headers={"Authorization": f"Bearer {alice_key} extra"})
    assert response.status_code == 401
    assert response.json()["error"]["reason"] == "malformed_header"


def test_framework_errors_use_our_codes(client: TestClient, alice_key: str) -> None:
    auth = {"Authorization": f"Bearer {alice_key}", "Content-Type": "application/json"}
    deep = b"[" * 100_000
    response = client.post("/api/v1/permissions/grant", content=deep, headers=auth)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_argument"


@pytest.mark.parametrize("version", ["9223372036854775808", "99999999999999999999999", "0"])
def test_out_of_range_versions_are_a_400(client: TestClient, alice_key: str, version: str) -> None:
    auth = {"Authorization": f"Bearer {alice_key}"}
    client.put("/api/v1/files/content", params={"path": "/workspace/v"}, content=b"x", headers=auth)
    response = client.get(
        "/api/v1/files/content", params={"path": "/workspace/v", "version": version}, headers=auth
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "invalid_argument"
