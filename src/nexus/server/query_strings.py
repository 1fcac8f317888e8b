"""Query strings are decoded exactly once and strictly, before any route sees them.

Paths travel in the ``path`` query parameter, percent-encoded. The framework decodes an
escape that is not UTF-8 (``%ff``, the surrogate ``%ed%a0%80``) to U+FFFD, which would
make different byte strings the same name, and takes the last of repeated parameters,
where a proxy in front may check the first. Both are refused here with a 400 naming the
parameter, as are raw bytes outside printable ASCII (a URL carries them percent-encoded)
and a ``%`` not followed by two hex digits (taken literally, ``%zz`` and ``%25zz`` would
be two spellings of one name).
"""

from __future__ import annotations

import re
from urllib.parse import unquote_to_bytes

from starlette.types import ASGIApp, Receive, Scope, Send

from nexus.errors import NexusValidationError
from nexus.server.errors import error_response

# One regex scan (every request runs this; a per-byte test cost ~50 ns a byte).
_NOT_PRINTABLE = re.compile(rb"[^\x21-\x7e]")
# A '%' that does not start an escape (RFC 3986: '%' HEXDIG HEXDIG).
_BAD_ESCAPE = re.compile(rb"%(?![0-9A-Fa-f]{2})")
# Parameters holding a path: their errors are reported as a bad path.
PATH_PARAMETERS = frozenset({"path", "object_id"})


def _decoded(raw: bytes, parameter: str | None) -> str:
    if _BAD_ESCAPE.search(raw) is not None:
        shown = raw.decode("ascii")
        shown = shown if len(shown) <= 80 else shown[:75] + "..."
        raise _refusal(parameter, f"'{shown}' has a '%' that is not followed by two hex digits")
    try:
        return unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8")
    except UnicodeDecodeError:
        text = unquote_to_bytes(raw.replace(b"+", b" ")).decode("utf-8", "backslashreplace")
        shown_text = text if len(text) <= 80 else text[:75] + "..."
        problem = f"'{shown_text}' is not UTF-8 once percent-decoded"
        raise _refusal(parameter, problem, path=text) from None


def _refusal(
    parameter: str | None, problem: str, *, path: str | None = None
) -> NexusValidationError:
    if parameter in PATH_PARAMETERS:
        return NexusValidationError(f"invalid path: {problem}", path=path, code="invalid_path")
    where = "query parameter name" if parameter is None else f"query parameter {parameter!r}"
    return NexusValidationError(f"{where}: {problem}", code="invalid_request")


def check_query_string(query: bytes) -> None:
    """Raise NexusValidationError for a query string the app would misread."""
    if _NOT_PRINTABLE.search(query) is not None:
        raise _refusal(None, "the query string must be percent-encoded printable ASCII")
    seen: set[str] = set()
    for pair in query.split(b"&"):
        if not pair:
            continue
        raw_name, _, raw_value = pair.partition(b"=")
        name = _decoded(raw_name, None)
        if name in seen:
            raise _refusal(name, "given more than once")
        seen.add(name)
        _decoded(raw_value, name)


class QueryStringMiddleware:
    def __init__(self, app: ASGIApp):
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope.get("query_string"):
            try:
                check_query_string(scope["query_string"])
            except NexusValidationError as error:
                response = error_response(
                    error.http_status, error.code, error.detail_code, error.message, error.path
                )
                await response(scope, receive, send)
                return
        await self.app(scope, receive, send)
