"""One exception tree for server and clients.

Every class has a stable machine-readable ``code`` and the HTTP status the server answers
with. The HTTP client maps ``code`` back to the class, so embedded and HTTP modes raise the
same exception for the same failure.
"""

from __future__ import annotations

import re
from typing import ClassVar


class NexusError(Exception):
    """Root of every error Nexus raises on purpose."""

    code: ClassVar[str] = "error"
    http_status: ClassVar[int] = 400

    def __init__(self, message: str, *, path: str | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.path = path
        # A subclass may carry a more specific code (e.g. "unknown_relation") than its default.
        self.detail_code = code or self.code

    def __str__(self) -> str:
        return self.message


class NexusValidationError(NexusError, ValueError):
    """Bad path or argument."""

    code = "invalid_argument"
    http_status = 400


class NexusAuthenticationError(NexusError):
    """Missing, wrong, revoked or expired API key."""

    code = "unauthenticated"
    http_status = 401


class NexusPermissionError(NexusError, PermissionError):
    """The caller may not do this (or may not learn whether the target exists)."""

    code = "permission_denied"
    http_status = 403


class NexusFileNotFoundError(NexusError, FileNotFoundError):
    """The caller can see that nothing is there."""

    code = "not_found"
    http_status = 404


class NexusFileExistsError(NexusError, FileExistsError):
    """The target already exists."""

    code = "already_exists"
    http_status = 409


class NexusConflictError(NexusError):
    """A conditional write lost: the file moved on since the version the caller named."""

    code = "version_conflict"
    http_status = 412


class NexusLockedError(NexusError):
    """The target is locked by someone else."""

    code = "locked"
    http_status = 423


class NexusPayloadTooLargeError(NexusError):
    """A request body or file is over the configured limit."""

    code = "payload_too_large"
    http_status = 413


class NexusRateLimitError(NexusError):
    """Too many requests for one API key, or too many failed authentications from one address.

    ``retry_after`` is how many whole seconds to wait before the budget allows another request
    (the server's ``Retry-After`` header; always at least 1)."""

    code = "rate_limited"
    http_status = 429

    def __init__(
        self,
        message: str,
        *,
        retry_after: int = 1,
        path: str | None = None,
        code: str | None = None,
    ):
        super().__init__(message, path=path, code=code)
        self.retry_after = max(1, retry_after)


def encodable(text: str) -> str:
    """``text`` with anything UTF-8 cannot encode (lone surrogates) escaped as ``\\udXXX``.

    Error messages and paths echo user input; an answer that cannot be encoded would turn a
    400 into a 500, so everything rendered into an error passes through here."""
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def has_surrogate(text: str) -> bool:
    """Whether ``text`` holds a lone surrogate: not a Unicode scalar value, never valid input."""
    return _SURROGATE.search(text) is not None


_SURROGATE = re.compile("[\ud800-\udfff]")


def shown(value: object, limit: int = 80) -> str:
    """``repr(value)`` cut to ``limit`` characters, for echoing user input in messages."""
    text = encodable(repr(value))
    return text if len(text) <= limit else text[: limit - 5] + "...'" + f" ({len(text)} chars)"


ERROR_CLASSES: tuple[type[NexusError], ...] = (
    NexusValidationError,
    NexusAuthenticationError,
    NexusPermissionError,
    NexusFileNotFoundError,
    NexusFileExistsError,
    NexusConflictError,
    NexusLockedError,
    NexusPayloadTooLargeError,
    NexusRateLimitError,
)

_BY_CODE: dict[str, type[NexusError]] = {cls.code: cls for cls in ERROR_CLASSES}


def error_class_for(code: str) -> type[NexusError]:
    """The exception class for a wire error code; unknown codes map to the root class."""
    return _BY_CODE.get(code, NexusError)
