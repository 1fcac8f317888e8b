from __future__ import annotations

import pytest

from nexus.client import HttpClient, connect_http
from nexus.config import ClientSettings
from nexus.errors import NexusValidationError


def test_connect_http_uses_url_key_and_timeout() -> None:
    settings = ClientSettings.from_env(
        {"url": "http://localhost:2026/", "api_key": "nxk_a", "timeout": 5}, environ={}
    )
    with connect_http(settings) as client:
        assert isinstance(client, HttpClient)
        assert client.url == "http://localhost:2026"
        assert client._http.headers["Authorization"] == "Bearer nxk_a"
        assert client._http.timeout.read == 5


def test_connect_http_needs_a_url() -> None:
    with pytest.raises(NexusValidationError, match="NEXUS_URL"):
        connect_http(ClientSettings.from_env({}, environ={}))
