"""Lone surrogates (``"\\ud800"`` in JSON) are not Unicode scalar values: every route answers
them with a 400 naming the bad field, never a 500 from rendering or storing them."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nexus.config import ServerSettings
from nexus.errors import NexusValidationError, encodable, shown
from nexus.files import SYSTEM, NexusService, open_service
from nexus.paths import normalize
from nexus.server.app import build_app

LONE = "\ud800"


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[NexusService]:
    data = tmp_path_factory.mktemp("surrogates") / "data"
    opened = open_service(ServerSettings(data_dir=data))
    opened.admin.create_user(SYSTEM, "admin", "Admin", "admin@example.com")
    opened.admin.create_user(SYSTEM, "bob", "Bob", "bob@example.com")
    yield opened
    opened.close()


@pytest.fixture(scope="module")
def client(service: NexusService) -> Iterator[TestClient]:
    with TestClient(build_app(service), raise_server_exceptions=False) as test_client:
        yield test_client


@pytest.fixture(scope="module")
def headers(service: NexusService) -> dict[str, str]:
    key = service.admin.create_api_key(SYSTEM, "admin", "test").key
    return {"Authorization": f"Bearer {key}", "Content-Type": "application/json"}


def post(client: TestClient, headers: dict[str, str], url: str, body: Any) -> Any:
    # json.dumps escapes the surrogate as \ud800, as a browser's JSON.stringify does.
    return client.post(url, content=json.dumps(body).encode("ascii"), headers=headers)


def request(**overrides: str) -> dict[str, str]:
    base = {
        "subject_type": "user",
        "subject_id": "bob",
        "relation": "can_read",
        "object_id": "/workspace",
    }
    return base | overrides


BAD_PATH = f"/workspace/{LONE}"
CASES: list[tuple[str, Any, str]] = [
    ("/api/v1/permissions/check", request(object_id=BAD_PATH), "invalid_path"),
    ("/api/v1/permissions/check", request(subject_id=f"b{LONE}"), "invalid_subject_id"),
    ("/api/v1/permissions/explain", request(object_id=BAD_PATH), "invalid_path"),
    ("/api/v1/permissions/explain", request(subject_id=f"b{LONE}"), "invalid_subject_id"),
    ("/api/v1/permissions/grant", request(object_id=BAD_PATH), "invalid_path"),
    ("/api/v1/permissions/grant", request(subject_id=f"b{LONE}"), "invalid_subject_id"),
    ("/api/v1/permissions/revoke", request(object_id=BAD_PATH), "invalid_path"),
    ("/api/v1/permissions/revoke", request(subject_id=f"b{LONE}"), "invalid_subject_id"),
    ("/api/v1/permissions/check-batch", {"checks": [request(object_id=BAD_PATH)]}, "invalid_path"),
    (
        "/api/v1/permissions/write",
        {"relationships": [request(subject_id=f"b{LONE}")]},
        "invalid_subject_id",
    ),
    ("/api/v1/permissions/delete", {"object_id": BAD_PATH}, "invalid_path"),
    (
        "/api/v1/permissions/delete",
        {"object_id": "/workspace", "subject_type": "user", "subject_id": f"b{LONE}"},
        "invalid_subject_id",
    ),
    ("/api/v1/files/mkdir", {"path": BAD_PATH}, "invalid_path"),
    ("/api/v1/files/move", {"src": BAD_PATH, "dst": "/workspace/x"}, "invalid_path"),
    ("/api/v1/groups", {"name": f"g{LONE}"}, "invalid_group"),
    ("/api/v1/groups", {"name": "g", "description": LONE}, "invalid_description"),
    ("/api/v1/sessions", {"name": f"s{LONE}"}, "invalid_name"),
    ("/api/v1/sessions", {"name": "s", "description": LONE}, "invalid_description"),
    ("/api/v1/admin/users/bob/keys", {"description": LONE}, "invalid_description"),
]


@pytest.mark.parametrize(("url", "body", "reason"), CASES)
def test_a_lone_surrogate_is_a_400_naming_the_field(
    client: TestClient, headers: dict[str, str], url: str, body: Any, reason: str
) -> None:
    response = post(client, headers, url, body)
    assert response.status_code == 400, response.text
    error = response.json()["error"]
    assert error["code"] == "invalid_argument"
    assert error["reason"] == reason
    # The echo is escaped, not dropped: the caller sees which value was refused.
    if reason == "invalid_path":
        assert error["path"] == "/workspace/\\ud800"


def test_raw_surrogate_bytes_in_the_body_are_a_400(
    client: TestClient, headers: dict[str, str]
) -> None:
    body = b'{"path": "/workspace/\xed\xa0\x80"}'  # the UTF-8-style encoding of U+D800
    response = client.post("/api/v1/files/mkdir", content=body, headers=headers)
    assert response.status_code == 400


def test_paths_refuse_surrogates_as_invalid_path() -> None:
    with pytest.raises(NexusValidationError) as caught:
        normalize(f"/a/{LONE}b")
    assert caught.value.detail_code == "invalid_path"
    assert caught.value.path is not None
    caught.value.path.encode("utf-8")  # the echoed path is always encodable


def test_the_error_echo_always_encodes() -> None:
    for value in (LONE, [f"x{LONE}"], f"{LONE * 500}"):
        shown(value).encode("utf-8")
    assert encodable(f"a{LONE}b") == "a\\ud800b"
    assert encodable("plain é 😀") == "plain é 😀"


ANY_TEXT = st.text(alphabet=st.characters(codec=None), max_size=20)
FIELD = st.one_of(
    ANY_TEXT,
    ANY_TEXT.map(lambda text: "/workspace/" + text),
    st.sampled_from(["user", "group", "bob", "can_read", "owner", "/workspace", "*"]),
    st.just(LONE),
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(subject_type=FIELD, subject_id=FIELD, relation=FIELD, object_type=FIELD, object_id=FIELD)
def test_any_text_in_a_check_is_answered_never_a_500(
    client: TestClient,
    headers: dict[str, str],
    subject_type: str,
    subject_id: str,
    relation: str,
    object_type: str,
    object_id: str,
) -> None:
    body = {
        "subject_type": subject_type,
        "subject_id": subject_id,
        "relation": relation,
        "object_type": object_type,
        "object_id": object_id,
    }
    for url in ("/api/v1/permissions/check", "/api/v1/permissions/explain"):
        response = post(client, headers, url, body)
        assert response.status_code < 500, response.text
        if any("\ud800" <= ch <= "\udfff" for value in body.values() for ch in value):
            assert response.status_code == 400, response.text
