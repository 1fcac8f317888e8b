"""Argument checks that need no server, shared by the HTTP and the embedded client.

Each function returns the value in the form the client sends on (``bytes`` for data, the
canonical string for a path) or raises :class:`NexusValidationError` naming the argument.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence

from nexus import paths
from nexus.api.models import MAX_BATCH_SIZE
from nexus.errors import NexusValidationError, has_surrogate

_CODE = "invalid_argument"


def _type_name(value: object) -> str:
    return type(value).__name__


def data(value: object, name: str = "data") -> bytes:
    """File content: bytes, bytearray or memoryview; ``str`` is rejected with a hint."""
    if isinstance(value, bytes):
        return value
    if isinstance(value, bytearray | memoryview):
        return bytes(value)
    if isinstance(value, str):
        raise NexusValidationError(
            f"{name} must be bytes, not str: encode text first, e.g. {name}.encode('utf-8')",
            code=_CODE,
        )
    raise NexusValidationError(
        f"{name} must be bytes, bytearray or memoryview, not {_type_name(value)}", code=_CODE
    )


# Bytes read from a file object per chunk when streaming it.
_CHUNK = 1024 * 1024


def content(value: object, name: str = "data") -> bytes | Iterator[bytes]:
    """What ``write`` takes: bytes-like (returned as bytes), or a binary file object or an
    iterable of bytes-like chunks (returned as an iterator of bytes, checked as it goes)."""
    if isinstance(value, bytes | bytearray | memoryview | str):
        return data(value, name)
    if isinstance(value, io.TextIOBase):
        raise NexusValidationError(
            f"{name} is a text file: open it in binary mode ('rb')", code=_CODE
        )
    read = getattr(value, "read", None)
    if callable(read):
        return _file_chunks(read, name)
    if isinstance(value, Iterable) and not isinstance(value, Mapping):
        return (data(chunk, name) for chunk in value)
    raise NexusValidationError(
        f"{name} must be bytes, a binary file or an iterable of bytes, not {_type_name(value)}",
        code=_CODE,
    )


def _file_chunks(read: Callable[[int], object], name: str) -> Iterator[bytes]:
    while chunk := read(_CHUNK):
        yield data(chunk, name)


def path(value: object, name: str = "path") -> str:
    """A Nexus path in canonical form (absolute, no '.', '..' or empty segments)."""
    if not isinstance(value, str):
        raise NexusValidationError(
            f"{name} must be a string, not {_type_name(value)}", code="invalid_path"
        )
    return paths.normalize(value)


def destination(value: object, name: str = "dst") -> str:
    """A move's or copy's destination in canonical form, keeping a trailing slash: the
    service refuses to make a file of a path spelled as a directory (``new/``)."""
    canonical = path(value, name)
    return canonical + "/" if paths.names_directory(value) else canonical


def file_path(value: object, name: str = "path") -> str:
    """A path that names a file (written or appended to): no trailing slash."""
    path(value, name)
    return paths.normalize_file(value)


def relationship_object(object_type: object, value: object, name: str = "object_id") -> str:
    """A relationship's object: a path for files (the one object type there is), so a bad
    one is ``invalid_path`` as for every other path argument."""
    if object_type == "file":
        return path(value, name)
    return text(value, name)


def optional_relationship_object(object_type: object, value: object) -> str | None:
    """A filter's object: files unless another type is named."""
    return None if value is None else relationship_object(object_type or "file", value)


def text(value: object, name: str, *, allow_empty: bool = False) -> str:
    """A string argument (an id, a name, a relation)."""
    if not isinstance(value, str):
        raise NexusValidationError(f"{name} must be a string, not {_type_name(value)}", code=_CODE)
    if not allow_empty and not value.strip():
        raise NexusValidationError(f"{name} must not be empty", code=_CODE)
    if has_surrogate(value):
        # Not Unicode: it cannot go on the wire (nor be stored), whatever the field.
        raise NexusValidationError(f"{name} is not valid Unicode (lone surrogate)", code=_CODE)
    return value


def optional_text(value: object, name: str, *, allow_empty: bool = False) -> str | None:
    return None if value is None else text(value, name, allow_empty=allow_empty)


def integer(value: object, name: str, *, minimum: int | None = None) -> int:
    """An int (a bool is not accepted as an int)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise NexusValidationError(f"{name} must be an int, not {_type_name(value)}", code=_CODE)
    if minimum is not None and value < minimum:
        raise NexusValidationError(f"{name} must be at least {minimum}, got {value}", code=_CODE)
    return value


def optional_integer(value: object, name: str, *, minimum: int | None = None) -> int | None:
    return None if value is None else integer(value, name, minimum=minimum)


def boolean(value: object, name: str) -> bool:
    """A real bool (not 0/1, not a string)."""
    if not isinstance(value, bool):
        raise NexusValidationError(f"{name} must be a bool, not {_type_name(value)}", code=_CODE)
    return value


def optional_boolean(value: object, name: str) -> bool | None:
    return None if value is None else boolean(value, name)


def permission(
    subject_type: object,
    subject_id: object,
    object_type: object,
    object_id: object,
    relation: object,
) -> dict[str, str]:
    """The five parts of a relationship, as the fields of ``PermissionRequest``."""
    return {
        "subject_type": text(subject_type, "subject_type"),
        "subject_id": text(subject_id, "subject_id"),
        "object_type": text(object_type, "object_type"),
        "object_id": relationship_object(object_type, object_id),
        "relation": text(relation, "relation"),
    }


_REQUEST_FIELDS = ("subject_type", "subject_id", "relation", "object_type", "object_id")


def permission_requests(value: object, name: str) -> list[dict[str, str]]:
    """Checks or relationships: a list of dicts with subject_type, subject_id, relation,
    object_id and optionally object_type (default "file"); at most MAX_BATCH_SIZE."""
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Sequence):
        raise NexusValidationError(
            f"{name} must be a list of dicts, not {_type_name(value)}", code=_CODE
        )
    if len(value) > MAX_BATCH_SIZE:
        raise NexusValidationError(
            f"too many {name}: {len(value)} (at most {MAX_BATCH_SIZE} per call)",
            code="batch_too_large",
        )
    requests: list[dict[str, str]] = []
    for index, item in enumerate(value):
        where = f"{name}[{index}]"
        if not isinstance(item, Mapping):
            raise NexusValidationError(
                f"{where} must be a dict, not {_type_name(item)}", code=_CODE
            )
        unknown = sorted(str(key) for key in item if key not in _REQUEST_FIELDS)
        if unknown:
            raise NexusValidationError(
                f"{where} has unknown fields: {', '.join(unknown)} "
                f"(expected {', '.join(_REQUEST_FIELDS)})",
                code=_CODE,
            )
        fields = {"object_type": "file", **item}
        request = {
            field: text(fields.get(field), f"{where}.{field}")
            for field in _REQUEST_FIELDS
            if field != "object_id"
        }
        request["object_id"] = relationship_object(
            request["object_type"], fields.get("object_id"), f"{where}.object_id"
        )
        requests.append(request)
    return requests


def lock_ttl(value: object, name: str = "ttl") -> float:
    """A lock's lifetime in seconds: a finite number above 0 (the server has the maximum)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise NexusValidationError(
            f"{name} must be a number of seconds, not {_type_name(value)}", code="invalid_ttl"
        )
    if not (math.isfinite(value) and value > 0):
        raise NexusValidationError(
            f"{name} must be a number of seconds above 0, not {value!r}", code="invalid_ttl"
        )
    return float(value)


def lock_token(value: object, name: str = "token") -> str:
    """A lock token as lock() returned it (the server decides whether it is the right one)."""
    if not isinstance(value, str) or not value or has_surrogate(value):
        raise NexusValidationError(
            f"{name} must be the lock token that lock() returned", code="invalid_token"
        )
    return value
