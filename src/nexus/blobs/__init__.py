"""Content-addressed bytes; knows nothing about paths, users or SQL."""

from nexus.blobs.store import BlobStore, LocalBlobStore

__all__ = ["BlobStore", "LocalBlobStore"]
