"""Type checks for the activity calls before they go on the wire; the server checks the
values and answers with the same codes (invalid_limit, invalid_cursor, invalid_time)."""

from __future__ import annotations

from nexus.errors import NexusValidationError, has_surrogate


def _type_name(value: object) -> str:
    return type(value).__name__


def _whole(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def limit(value: object) -> int:
    if not _whole(value):
        raise NexusValidationError(
            f"limit must be a whole number, not {_type_name(value)}", code="invalid_limit"
        )
    assert isinstance(value, int)
    return value


def before(value: object) -> int | None:
    if value is not None and not _whole(value):
        raise NexusValidationError(
            f"before must be an event id (a whole number), not {_type_name(value)}",
            code="invalid_cursor",
        )
    assert value is None or isinstance(value, int)
    return value


def moment(value: object, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise NexusValidationError(
            f"{name} must be an ISO 8601 date or time string, not {_type_name(value)}",
            code="invalid_time",
        )
    if value is not None and has_surrogate(value):
        raise NexusValidationError(
            f"{name} is not valid Unicode (lone surrogate)", code="invalid_time"
        )
    return value


def text(value: object, name: str) -> str | None:
    if value is not None and not isinstance(value, str):
        raise NexusValidationError(
            f"{name} must be a string, not {_type_name(value)}", code=f"invalid_{name}"
        )
    if value is not None and has_surrogate(value):
        raise NexusValidationError(
            f"{name} is not valid Unicode (lone surrogate)", code=f"invalid_{name}"
        )
    return value
