"""Build an HTTP client from settings (the embedded choice is made by ``nexus.connect``)."""

from __future__ import annotations

from nexus.client.http import HttpClient
from nexus.config import ClientSettings
from nexus.errors import NexusValidationError


def connect_http(settings: ClientSettings) -> HttpClient:
    """An :class:`HttpClient` for ``settings.url`` with ``settings.api_key``."""
    if not settings.url:
        raise NexusValidationError(
            "no server URL: pass config={'url': ...} or set NEXUS_URL", code="invalid_argument"
        )
    return HttpClient(settings.url, settings.api_key, timeout=settings.timeout)
