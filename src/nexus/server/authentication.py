"""Authentication runs before routing and body parsing: a request without a valid key learns
nothing from the API (not even whether its body would have parsed)."""

from __future__ import annotations

from starlette.types import ASGIApp, Receive, Scope, Send

from nexus.api.models import API_PREFIX
from nexus.errors import NexusAuthenticationError, NexusError
from nexus.files import SYSTEM, NexusService, Principal
from nexus.server.admin_socket import is_local_admin
from nexus.server.errors import error_response
from nexus.server.execution import short_read

PRINCIPAL_STATE = "principal"


def bearer_key(scope: Scope) -> str | None:
    """The key of an ``Authorization: Bearer <key>`` header; None when there is no header."""
    values = [value for name, value in scope["headers"] if name == b"authorization"]
    if not values:
        return None
    if len(values) > 1:
        raise NexusAuthenticationError(
            "more than one Authorization header", code="malformed_header"
        )
    scheme, _, rest = values[0].decode("latin-1").strip().partition(" ")
    key: str = rest.strip()
    if scheme.lower() != "bearer" or not key or " " in key:
        raise NexusAuthenticationError(
            "malformed Authorization header: use 'Bearer <key>'", code="malformed_header"
        )
    return key


class AuthenticationMiddleware:
    def __init__(self, app: ASGIApp, service: NexusService):
        self.app = app
        self.service = service

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not scope["path"].startswith(API_PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        try:
            principal = await self._principal(scope)
        except NexusError as error:
            response = error_response(
                error.http_status, error.code, error.detail_code, error.message, error.path
            )
            await response(scope, receive, send)
            return
        scope.setdefault("state", {})[PRINCIPAL_STATE] = principal
        await self.app(scope, receive, send)

    async def _principal(self, scope: Scope) -> Principal:
        # The admin socket only accepts the server's own OS user (checked on connect).
        if is_local_admin(scope):
            return SYSTEM
        key = bearer_key(scope)
        if key is None:
            raise NexusAuthenticationError(
                "missing API key: send 'Authorization: Bearer <key>'", code="missing_key"
            )
        return await short_read(self.service, self.service.auth.authenticate, key)
