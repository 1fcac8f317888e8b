"""A recording fake server for HttpClient tests (an httpx.MockTransport handler)."""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import httpx

from nexus.client.http import HttpClient

FILE_INFO: dict[str, Any] = {
    "path": "/workspace/a.txt",
    "name": "a.txt",
    "type": "file",
    "size": 5,
    "modified": "2026-01-02T03:04:05.000001",
    "created": "2026-01-01T00:00:00",
    "version": 2,
    "etag": "e" * 64,
    "owner": "alice",
    "restricted": False,
}
RECORD: dict[str, Any] = {
    "subject_type": "user",
    "subject_id": "bob",
    "relation": "can_write",
    "object_type": "file",
    "object_id": "/workspace/shared",
    "granted_by": "alice",
    "created": "2026-01-01T00:00:00",
}
GROUP: dict[str, Any] = {
    "name": "developers",
    "description": "Development team",
    "created": "2026-01-01T00:00:00",
    "created_by": "admin",
    "members": ["user:bob"],
}
# What membership changes answer: the group plus the revision of the write.
GROUP_CHANGE: dict[str, Any] = {**GROUP, "revision": 7}
SESSION: dict[str, Any] = {
    "id": "s1",
    "name": "alice-research",
    "description": None,
    "created": "2026-01-01T00:00:00",
    "expires": None,
    "user_id": "alice",
    "path": "/sessions/s1",
}
USER: dict[str, Any] = {
    "id": "alice",
    "name": "Alice Smith",
    "email": "alice@example.com",
    "is_admin": False,
    "disabled": False,
    "created": "2026-01-01T00:00:00",
}
KEY: dict[str, Any] = {
    "id": "k1",
    "user_id": "alice",
    "prefix": "nxk_abcd",
    "description": "Alice's key",
    "created": "2026-01-01T00:00:00",
    "expires": None,
    "revoked": False,
}

Reply = httpx.Response | Callable[[httpx.Request], httpx.Response]


class FakeServer:
    """Answers every request with the next queued reply and records the requests."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []
        self.replies: list[Reply] = []

    def reply(self, status: int = 200, body: Any = None, **kwargs: Any) -> FakeServer:
        if body is not None:
            kwargs["json"] = body
        self.replies.append(httpx.Response(status, **kwargs))
        return self

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        if not self.replies:
            raise AssertionError(f"unexpected request {request.method} {request.url}")
        reply = self.replies.pop(0)
        return reply(request) if callable(reply) else reply

    @property
    def last(self) -> httpx.Request:
        return self.requests[-1]

    def last_json(self) -> Any:
        return json.loads(self.last.content)

    def client(self, api_key: str | None = "nxk_test") -> HttpClient:
        return HttpClient("http://nexus.test:2026/", api_key, transport=httpx.MockTransport(self))
