"""What the OpenAPI document says about arguments the service checks itself.

These annotations only describe a value: pydantic does not enforce them, so a bad value
still reaches the service, which answers with its stable code (``invalid_path``,
``unknown_relation``, ...) exactly as it does for embedded callers. They must stay true:
tests/core/test_path_pattern.py compares the path patterns with the server's rules, and
tests/e2e/test_schemathesis.py fuzzes a real server from the document.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BeforeValidator, WithJsonSchema

from nexus.paths import FILE_PATH_PATTERN, MAX_PATH_BYTES, PATH_PATTERN

# The relations a grant may name on a file, and the subjects it may name.
RELATIONS = ("owner", "can_write", "can_read", "can_execute")
# What a listing of grants may be filtered by: those and group membership and management.
LISTED_RELATIONS = (*RELATIONS, "member", "manager")
SUBJECT_TYPES = ("user", "group")
OBJECT_TYPES = ("file",)
# User ids and group names (nexus.identity.names matches them whole).
NAME_PATTERN = r"^[a-z0-9][a-z0-9._-]{0,63}$"
# Lock tokens are `nxl_` and 43 characters; anything longer cannot be one.
MAX_TOKEN_CHARS = 256
# Versions are 32-bit integers in the database (PostgreSQL INTEGER).
MAX_VERSION = 2**31 - 1
# Ten years: longer lifetimes (of sessions, keys) are almost surely a unit mistake.
MAX_TTL_SECONDS = 10 * 365 * 24 * 3600

_PATH_RULES = (
    "canonical (docs/paths.md): absolute, '/'-separated, no empty, '.' or '..' names, no "
    "control characters, at most 32 levels; at most 255 UTF-8 bytes a name and 4,096 the path"
)
PATH_DESCRIPTION = f"Absolute Nexus path, e.g. /workspace/a.txt; {_PATH_RULES}"
FILE_PATH_DESCRIPTION = (
    f"Absolute Nexus path of a file, e.g. /workspace/a.txt (no trailing '/'); {_PATH_RULES}"
)


# Python's whitespace (what str.strip() removes; tests/core/test_described.py checks the
# list), spelled out for patterns: ECMA 262's \\s is a slightly different set.
WHITESPACE = "\t\n\v\f\r\x1c\x1d\x1e\x1f \x85\xa0\u1680" + "".join(
    map(chr, [*range(0x2000, 0x200B), 0x2028, 0x2029, 0x202F, 0x205F, 0x3000])
)
_WHITESPACE = "".join(f"\\u{ord(space):04x}" for space in WHITESPACE)
# Text that is not all whitespace (the service strips it before checking it is there).
NOT_BLANK_PATTERN = f"[^{_WHITESPACE}]"
# local@domain, the domain with a dot, no whitespace anywhere (nexus.identity.users).
EMAIL_PATTERN = f"^[^@{_WHITESPACE}]+@[^{_WHITESPACE}]*\\.[^{_WHITESPACE}]*$"


def _string(**schema: Any) -> WithJsonSchema:
    return WithJsonSchema({"type": "string", **schema})


def _integer(minimum: int, maximum: int) -> WithJsonSchema:
    return WithJsonSchema({"type": "integer", "minimum": minimum, "maximum": maximum})


def _whole_number(value: object) -> object:
    """JSON has numbers, not ints and floats: 60.0 and 6e1 are the integer 60 (JSON Schema
    says so too). Request bodies are strict otherwise: true or "60" is not a number."""
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


_WHOLE = BeforeValidator(_whole_number)


def text(max_chars: int, *, blank: bool = True) -> WithJsonSchema:
    """A string of at most ``max_chars`` characters; with ``blank=False``, not empty and not
    only whitespace."""
    if blank:
        return _string(maxLength=max_chars)
    return _string(minLength=1, maxLength=max_chars, pattern=NOT_BLANK_PATTERN)


# A path to a file or a directory; a trailing '/' names the same directory.
AnyPath = Annotated[str, _string(pattern=PATH_PATTERN, maxLength=MAX_PATH_BYTES)]
# A path that must name a file: write and append.
FilePath = Annotated[str, _string(pattern=FILE_PATH_PATTERN, maxLength=MAX_PATH_BYTES)]
Name = Annotated[str, _string(pattern=NAME_PATTERN)]
RelationName = Annotated[str, _string(enum=list(RELATIONS))]
ListedRelationName = Annotated[str, _string(enum=list(LISTED_RELATIONS))]
SubjectTypeName = Annotated[str, _string(enum=list(SUBJECT_TYPES))]
ObjectTypeName = Annotated[str, _string(enum=list(OBJECT_TYPES))]
# A user id, a group name, or '*' (every user): the service tells whether it exists.
SubjectId = Annotated[str, _string(minLength=1)]
Version = Annotated[int, _integer(1, MAX_VERSION), _WHOLE]
# if_version: the version a write expects to find.
ExpectedVersion = Annotated[int, _integer(0, MAX_VERSION), _WHOLE]
TtlSeconds = Annotated[int, _integer(1, MAX_TTL_SECONDS), _WHOLE]
Email = Annotated[str, _string(maxLength=320, pattern=EMAIL_PATTERN)]
