"""Each HttpClient call sends the documented request and returns the model's dict."""

from __future__ import annotations

from typing import Any

import pytest

from nexus.errors import NexusFileNotFoundError, NexusValidationError

from .fakes import FILE_INFO, GROUP, GROUP_CHANGE, KEY, RECORD, SESSION, USER, FakeServer


@pytest.fixture
def server() -> FakeServer:
    return FakeServer()


def query(server: FakeServer) -> dict[str, str]:
    return dict(server.last.url.params)


def test_api_key_is_sent_as_bearer_token(server: FakeServer) -> None:
    server.reply(body={"user_id": "alice", "is_admin": False})
    assert server.client("nxk_secret").whoami() == {"user_id": "alice", "is_admin": False}
    assert server.last.headers["Authorization"] == "Bearer nxk_secret"
    assert server.last.url.path == "/api/v1/whoami"
    assert server.last.url.host == "nexus.test"


def test_no_authorization_header_without_a_key(server: FakeServer) -> None:
    server.reply(body={"user_id": "system", "is_admin": True})
    server.client(None).whoami()
    assert "Authorization" not in server.last.headers


def test_write_sends_raw_bytes_and_conditions(server: FakeServer) -> None:
    server.reply(body=FILE_INFO)
    info = server.client().write("/workspace/a.txt", bytearray(b"hello"), if_version=1)
    assert info == FILE_INFO
    assert server.last.method == "PUT"
    assert server.last.url.path == "/api/v1/files/content"
    assert query(server) == {"path": "/workspace/a.txt", "if_version": "1"}
    assert server.last.content == b"hello"
    assert server.last.headers["Content-Type"] == "application/octet-stream"


def test_write_if_none_match(server: FakeServer) -> None:
    server.reply(body=FILE_INFO)
    server.client().write("/workspace/a.txt", b"x", if_none_match=True)
    assert query(server) == {"path": "/workspace/a.txt", "if_none_match": "true"}


def test_write_rejects_str_before_any_request(server: FakeServer) -> None:
    with pytest.raises(NexusValidationError, match="encode"):
        server.client().write("/workspace/a.txt", "text")  # type: ignore[arg-type]
    with pytest.raises(NexusValidationError, match="if_version must be an int"):
        server.client().write("/workspace/a.txt", b"x", if_version=True)
    with pytest.raises(NexusValidationError):
        server.client().write("workspace/a.txt", b"x")
    assert server.requests == []


def test_paths_with_special_characters_travel_in_the_query(server: FakeServer) -> None:
    server.reply(content=b"data")
    path = "/workspace/a b&c=d?#%.txt"
    assert server.client().read(path) == b"data"
    assert query(server) == {"path": path}


def test_read_a_version(server: FakeServer) -> None:
    server.reply(content=b"old")
    assert server.client().read("/workspace/a.txt", version=1) == b"old"
    assert server.last.method == "GET"
    assert query(server) == {"path": "/workspace/a.txt", "version": "1"}


def test_read_with_metadata_describes_the_version_read(server: FakeServer) -> None:
    headers = {
        "ETag": '"' + "a" * 64 + '"',
        "X-Nexus-Version": "1",
        "X-Nexus-Owner": "alice",
        "X-Nexus-Modified": "2026-01-01T09:00:00",
        "X-Nexus-Created": FILE_INFO["created"],
    }
    server.reply(content=b"hello world", headers=headers)
    # One response: a later write cannot mix into the metadata of the version read.
    result = server.client().read_with_metadata("/workspace/a.txt")
    assert result == {
        "content": b"hello world",
        "metadata": {
            "version": 1,
            "etag": "a" * 64,
            "size": 11,
            "modified": "2026-01-01T09:00:00",
            "owner": "alice",
            "path": "/workspace/a.txt",
            "created": FILE_INFO["created"],
            "type": "file",
        },
    }


def test_exists_stat_append_list(server: FakeServer) -> None:
    client = server.client()
    server.reply(body={"exists": False})
    assert client.exists("/workspace/nothing") is False
    assert server.last.url.path == "/api/v1/files/exists"
    server.reply(body=FILE_INFO)
    assert client.stat("/workspace/a.txt")["version"] == 2
    server.reply(body=FILE_INFO)
    client.append("/workspace/a.txt", memoryview(b"more"))
    assert (server.last.method, server.last.url.path) == ("POST", "/api/v1/files/append")
    assert server.last.content == b"more"
    server.reply(body={"entries": [FILE_INFO, FILE_INFO]})
    assert client.list_files("/workspace", recursive=True) == [FILE_INFO, FILE_INFO]
    assert query(server) == {"path": "/workspace", "recursive": "true"}


def test_delete_mkdir_move_restrict(server: FakeServer) -> None:
    client = server.client()
    server.reply(body={"path": "/workspace/d", "deleted": True})
    client.delete("/workspace/d", recursive=True)
    assert server.last.method == "DELETE"
    assert query(server) == {"path": "/workspace/d", "recursive": "true"}
    server.reply(body=FILE_INFO)
    client.mkdir("/workspace/d/", parents=False)
    assert server.last_json() == {"path": "/workspace/d", "parents": False, "exist_ok": True}
    server.reply(body=FILE_INFO)
    client.move("/workspace/a", "/workspace/b")
    assert server.last_json() == {"src": "/workspace/a", "dst": "/workspace/b"}
    server.reply(body=FILE_INFO)
    client.set_restricted("/workspace/c", restricted=False)
    assert server.last.url.path == "/api/v1/files/restrict"
    assert server.last_json() == {"path": "/workspace/c", "restricted": False}


PERMISSION = {
    "subject_type": "user",
    "subject_id": "bob",
    "object_type": "file",
    "object_id": "/workspace/shared",
    "relation": "can_write",
}


def test_permissions(server: FakeServer) -> None:
    client = server.client()
    server.reply(body={"created": False, "relationship": RECORD, "revision": 7})
    result = client.grant_permission(**PERMISSION)
    assert result == {"created": False, "relationship": RECORD, "revision": 7}
    assert server.last.url.path == "/api/v1/permissions/grant"
    assert server.last_json() == PERMISSION
    server.reply(body={"deleted": True, "revision": 8})
    assert client.revoke_permission(**PERMISSION) == {"deleted": True, "revision": 8}
    server.reply(body={"allowed": True})
    assert client.check_permission(**PERMISSION) is True
    server.reply(body={"allowed": False})
    assert client.check_permission(**PERMISSION) is False
    server.reply(body={"permissions": [RECORD]})
    assert client.list_permissions(object_type="file", subject_id="bob") == [RECORD]
    assert server.last.url.path == "/api/v1/permissions"
    assert query(server) == {"object_type": "file", "subject_id": "bob"}


def test_groups_encode_names_in_the_url(server: FakeServer) -> None:
    client = server.client()
    server.reply(body=GROUP_CHANGE)
    assert client.create_group("developers", description="Development team") == GROUP_CHANGE
    assert server.last_json() == {"name": "developers", "description": "Development team"}
    server.reply(body=GROUP)
    client.get_group("a b?c")
    assert server.last.url.raw_path == b"/api/v1/groups/a%20b%3Fc"
    # '/', '.' and '..' cannot be one URL segment; no group is named so: not found, no request.
    requests_before = len(server.requests)
    for odd in ("a/b", ".", ".."):
        with pytest.raises(NexusFileNotFoundError) as raised:
            client.get_group(odd)
        assert raised.value.detail_code == "group_not_found"
    assert len(server.requests) == requests_before
    server.reply(body={"groups": [GROUP]})
    assert client.list_groups() == [GROUP]
    server.reply(body=GROUP_CHANGE)
    client.add_user_to_group("bob", "developers")
    assert server.last.url.path == "/api/v1/groups/developers/members"
    assert server.last_json() == {"subject_type": "user", "subject_id": "bob"}
    server.reply(body=GROUP_CHANGE)
    client.add_group_to_group("frontend", "developers")
    assert server.last_json() == {"subject_type": "group", "subject_id": "frontend"}
    server.reply(body=GROUP_CHANGE)
    client.remove_user_from_group("bob", "developers")
    assert server.last.method == "DELETE"
    assert server.last.url.path == "/api/v1/groups/developers/members/user/bob"
    server.reply(body=GROUP_CHANGE)
    client.remove_group_from_group("frontend", "developers")
    assert server.last.url.path == "/api/v1/groups/developers/members/group/frontend"
    server.reply(body={"path": "developers", "deleted": True})
    client.delete_group("developers")
    assert server.last.method == "DELETE"


def test_sessions(server: FakeServer) -> None:
    client = server.client()
    server.reply(body=SESSION)
    assert client.create_session(name="alice-research", ttl=3600) == SESSION
    assert server.last_json() == {"name": "alice-research", "description": None, "ttl": 3600}
    server.reply(body={"sessions": [SESSION]})
    assert client.list_sessions(all_users=True) == [SESSION]
    assert query(server) == {"all": "true"}
    server.reply(body={"sessions": []})
    client.list_sessions()
    assert query(server) == {}
    server.reply(body={"path": "/sessions/s1", "deleted": True})
    client.delete_session("s1")
    assert (server.last.method, server.last.url.path) == ("DELETE", "/api/v1/sessions/s1")


def test_users_and_keys(server: FakeServer) -> None:
    client = server.client()
    server.reply(body=USER)
    assert client.create_user("alice", "Alice Smith", "alice@example.com") == USER
    assert server.last_json() == {
        "id": "alice",
        "name": "Alice Smith",
        "email": "alice@example.com",
        "admin": False,
    }
    server.reply(body={"users": [USER]})
    assert client.list_users() == [USER]
    server.reply(body=USER)
    client.update_user("alice", disabled=True)
    assert server.last.method == "PATCH"
    assert server.last_json() == {"disabled": True}
    server.reply(body={"path": "alice", "deleted": True})
    client.delete_user("alice")
    assert (server.last.method, server.last.url.path) == ("DELETE", "/api/v1/admin/users/alice")
    new_key: dict[str, Any] = {"key": "nxk_secret", "info": KEY}
    server.reply(body=new_key)
    assert client.create_api_key("alice", description="Alice's key", expires_in=60) == new_key
    assert server.last.url.path == "/api/v1/admin/users/alice/keys"
    assert server.last_json() == {"description": "Alice's key", "expires_in": 60}
    server.reply(body={"keys": [KEY]})
    assert client.list_api_keys(user_id="alice") == [KEY]
    assert query(server) == {"user_id": "alice"}
    server.reply(body={**KEY, "revoked": True})
    assert client.revoke_api_key("k1")["revoked"] is True
    assert (server.last.method, server.last.url.path) == ("DELETE", "/api/v1/admin/keys/k1")
