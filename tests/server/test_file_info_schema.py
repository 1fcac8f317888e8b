"""FileInfo is a TypedDict, not a model: the OpenAPI document must still describe it fully."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nexus.api.models import FileInfo
from nexus.config import ServerSettings
from nexus.files import open_service
from nexus.server.app import build_app


@pytest.fixture
def document(tmp_path: Path) -> Iterator[dict[str, Any]]:
    service = open_service(ServerSettings(data_dir=tmp_path / "data"))
    try:
        yield build_app(service).openapi()
    finally:
        service.close()


def test_openapi_documents_every_field_of_file_info(document: dict[str, Any]) -> None:
    schema = document["components"]["schemas"]["FileInfo"]
    assert set(schema["properties"]) == set(FileInfo.__annotations__)
    assert set(schema["required"]) == set(FileInfo.__annotations__) - {"restricted"}
    properties = schema["properties"]
    assert properties["type"]["enum"] == ["file", "directory"]
    assert properties["size"]["type"] == "integer"
    assert properties["restricted"] == {"type": "boolean", "title": "Restricted", "default": False}
    assert "0 for directories" in properties["version"]["description"]
    assert "null for directories" in properties["etag"]["description"]
    assert {"type": "null"} in properties["owner"]["anyOf"]


def test_file_routes_answer_with_file_info(document: dict[str, Any]) -> None:
    def answer(route: str, method: str) -> Any:
        ok = document["paths"][f"/api/v1/files{route}"][method]["responses"]["200"]
        return ok["content"]["application/json"]["schema"]

    for route, method in [("/stat", "get"), ("/content", "put"), ("/mkdir", "post")]:
        assert answer(route, method) == {"$ref": "#/components/schemas/FileInfo"}
    assert answer("/list", "get") == {"$ref": "#/components/schemas/FileList"}
    entries = document["components"]["schemas"]["FileList"]["properties"]["entries"]
    assert entries["items"] == {"$ref": "#/components/schemas/FileInfo"}
