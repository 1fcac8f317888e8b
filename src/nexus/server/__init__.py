"""ASGI app: HTTP <-> files; auth, one error mapper, no business rules.

Nothing is imported here: `nexus` CLI commands load `nexus.server.command` on every start,
and must not pay for FastAPI and the storage stack unless they serve.
"""
