"""Argument checks shared by the use cases (the same errors for HTTP and embedded callers)."""

from __future__ import annotations

from nexus.api.described import MAX_TTL_SECONDS, MAX_VERSION
from nexus.errors import NexusValidationError, has_surrogate


def require_text(field: str, value: object) -> str:
    if not isinstance(value, str) or not value:
        raise NexusValidationError(f"{field} must be a non-empty string", code=f"invalid_{field}")
    if has_surrogate(value):
        # Not a Unicode scalar value: it can be neither stored nor matched.
        raise NexusValidationError(
            f"{field} is not valid Unicode (lone surrogate)", code=f"invalid_{field}"
        )
    return value


def optional_ttl(field: str, value: object) -> int | None:
    """A lifetime in seconds: None, or a whole number from 1 to ten years."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise NexusValidationError(f"{field} must be a whole number of seconds", code="invalid_ttl")
    if not 1 <= value <= MAX_TTL_SECONDS:
        raise NexusValidationError(
            f"{field} must be between 1 and {MAX_TTL_SECONDS} seconds", code="invalid_ttl"
        )
    return value


def optional_version(field: str, value: object, minimum: int) -> int | None:
    """A version number: None, or a whole number from ``minimum`` to MAX_VERSION."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise NexusValidationError(f"{field} must be a whole number", code="invalid_version")
    if not minimum <= value <= MAX_VERSION:
        raise NexusValidationError(
            f"{field} must be between {minimum} and {MAX_VERSION}", code="invalid_version"
        )
    return value
