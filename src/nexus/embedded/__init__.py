"""The embedded client: the same interface as the HTTP client, running the files service
in-process on a local data dir (a top-level adapter beside `server`)."""

from nexus.embedded.client import EmbeddedClient, open_embedded

__all__ = ["EmbeddedClient", "open_embedded"]
