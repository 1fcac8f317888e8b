"""The OpenAPI document says what the server does (tests/e2e/test_schemathesis.py fuzzes a
real server from it; these are the facts it relies on, checked in-process)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jsonschema_rs
import pytest

from nexus.config import ServerSettings
from nexus.files import open_service
from nexus.paths import FILE_PATH_PATTERN, PATH_PATTERN
from nexus.server.app import build_app


@pytest.fixture
def document(tmp_path: Path) -> Iterator[dict[str, Any]]:
    service = open_service(ServerSettings(data_dir=tmp_path / "data", max_lock_ttl=600.0))
    try:
        yield build_app(service).openapi()
    finally:
        service.close()


def _operations(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    for route, operations in document["paths"].items():
        for method, operation in operations.items():
            yield f"{method.upper()} {route}", operation


def _patterns(node: object) -> Iterator[str]:
    if isinstance(node, dict):
        if isinstance(node.get("pattern"), str):
            yield node["pattern"]
        for value in node.values():
            yield from _patterns(value)
    elif isinstance(node, list):
        for value in node:
            yield from _patterns(value)


def test_errors_are_documented_as_they_are_sent(document: dict[str, Any]) -> None:
    # Bad input is a 400 with our error body; FastAPI's 422 shape is never sent.
    for name, operation in _operations(document):
        assert "422" not in operation["responses"], name
    assert "HTTPValidationError" not in document["components"]["schemas"]
    error = {"$ref": "#/components/schemas/ErrorBody"}
    for name, operation in _operations(document):
        if name.split()[1].startswith("/api/"):
            for status in ("400", "401", "403", "404"):
                answer = operation["responses"][status]["content"]["application/json"]
                assert answer["schema"] == error, (name, status)


def test_every_pattern_compiles_in_a_json_schema_validator(document: dict[str, Any]) -> None:
    # A pattern a validator cannot compile is ignored by it (the first path pattern was).
    patterns = set(_patterns(document))
    assert {PATH_PATTERN, FILE_PATH_PATTERN} <= patterns
    for pattern in patterns:
        jsonschema_rs.validator_for({"type": "string", "pattern": pattern})


def test_paths_are_described_where_they_are_taken(document: dict[str, Any]) -> None:
    def query(name: str, parameter: str) -> dict[str, Any]:
        operation = dict(_operations(document))[name]
        found = next(p for p in operation["parameters"] if p["name"] == parameter)
        schema: dict[str, Any] = found["schema"]
        return schema

    assert query("GET /api/v1/files/stat", "path")["pattern"] == PATH_PATTERN
    assert query("PUT /api/v1/files/content", "path")["pattern"] == FILE_PATH_PATTERN
    assert query("POST /api/v1/files/append", "path")["pattern"] == FILE_PATH_PATTERN
    move = document["components"]["schemas"]["MoveRequest"]["properties"]
    assert move["src"]["pattern"] == move["dst"]["pattern"] == PATH_PATTERN
    grant = document["components"]["schemas"]["PermissionRequest"]["properties"]
    assert grant["relation"]["enum"] == ["owner", "can_write", "can_read", "can_execute"]


def test_file_content_travels_as_documented(document: dict[str, Any]) -> None:
    read = document["paths"]["/api/v1/files/content"]["get"]
    headers = {p["name"] for p in read["parameters"] if p["in"] == "header"}
    assert headers == {"Range", "If-Range"}
    responses = read["responses"]
    for status in ("200", "206"):
        assert set(responses[status]["content"]) == {"application/octet-stream"}
        assert {"ETag", "Content-Length", "X-Nexus-Version"} <= set(responses[status]["headers"])
    assert "Content-Range" in responses["206"]["headers"]
    assert "Content-Range" in responses["416"]["headers"]
    assert set(responses["416"]["content"]) == {"application/json"}
    for route, method in (("/api/v1/files/content", "put"), ("/api/v1/files/append", "post")):
        body = document["paths"][route][method]["requestBody"]
        assert set(body["content"]) == {"application/octet-stream"}


def test_the_lock_ttl_limit_is_this_servers(document: dict[str, Any]) -> None:
    for model in ("LockRequest", "ExtendLockRequest"):
        ttl = document["components"]["schemas"][model]["properties"]["ttl"]
        assert ttl["maximum"] == 600.0
        assert ttl["exclusiveMinimum"] == 0
