"""Nexus: a multi-user file server for teams and AI agents.

``nexus.connect()`` returns a client: over HTTP when a URL is given (``config["url"]`` or
``NEXUS_URL``), otherwise an embedded instance on a local data dir with the same interface.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING

from nexus.errors import (
    NexusAuthenticationError,
    NexusConflictError,
    NexusError,
    NexusFileExistsError,
    NexusFileNotFoundError,
    NexusLockedError,
    NexusPayloadTooLargeError,
    NexusPermissionError,
    NexusRateLimitError,
    NexusValidationError,
)
from nexus.version import __version__

if TYPE_CHECKING:
    from nexus.client.interface import NexusClient

__all__ = [
    "NexusAuthenticationError",
    "NexusConflictError",
    "NexusError",
    "NexusFileExistsError",
    "NexusFileNotFoundError",
    "NexusLockedError",
    "NexusPayloadTooLargeError",
    "NexusPermissionError",
    "NexusRateLimitError",
    "NexusValidationError",
    "__version__",
    "connect",
]


def connect(config: Mapping[str, object] | None = None) -> NexusClient:
    """Open a client: HTTP with a URL, else embedded on ``NEXUS_DATA_DIR`` (./nexus-data)."""
    from nexus.config import ClientSettings

    settings = ClientSettings.from_env(config)
    if settings.url:
        from nexus.client.connect import connect_http

        return connect_http(settings)
    # Imported here so HTTP-only users never load the server-side packages.
    from nexus.embedded import open_embedded

    return open_embedded(settings)
