"""Use cases: the only package that combines authz, metadata, blobs and identity."""

from nexus.files.principal import SYSTEM, Principal
from nexus.files.service import NexusService, open_service

__all__ = ["SYSTEM", "NexusService", "Principal", "open_service"]
