"""ASGI app: HTTP <-> files; auth, one error mapper, no business rules."""

from nexus.server.app import build_app

__all__ = ["build_app"]
