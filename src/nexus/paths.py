"""The one canonical path form, enforced at the edge of every API.

A canonical path is absolute, ``/``-separated, Unicode NFC, with no empty, ``.`` or ``..``
segments and no NUL or control characters; a segment is at most 255 UTF-8 bytes, the whole
path at most 4,096 and 32 segments deep. A single trailing slash names the same directory.
Anything else raises :class:`NexusValidationError` naming the rule it broke.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from typing import TypeGuard

from nexus.errors import NexusValidationError, encodable, has_surrogate, shown

MAX_SEGMENT_BYTES = 255
MAX_PATH_BYTES = 4096
# Grants reach down the tree one level at a time, and a permission check is bounded to 50
# nested steps (nexus.authz.engine): 32 levels leave room for relation hops and nested
# groups above the deepest file (cloud drives bound nesting too, e.g. 100 levels).
MAX_PATH_DEPTH = 32
ROOT = "/"
_LONGEST_SPELLING = 4 * MAX_PATH_BYTES


def _reject(path: str, rule: str) -> NexusValidationError:
    # Echo at most a prefix: a 70 KB path need not come back twice in the answer.
    return NexusValidationError(
        f"invalid path {shown(path)}: {rule}",
        path=encodable(path[:MAX_PATH_BYTES]),
        code="invalid_path",
    )


# Unicode category Cc is exactly C0, DEL and C1: one regex scan instead of a lookup per
# character (paths are checked on every request and for every listed name).
_CONTROL_CHARACTER = re.compile("[\x00-\x1f\x7f-\x9f]")


def _has_control_character(text: str) -> bool:
    return _CONTROL_CHARACTER.search(text) is not None


def normalize(path: object) -> str:
    """Return the canonical form of ``path`` or raise NexusValidationError."""
    if not isinstance(path, str):
        raise NexusValidationError(
            f"path must be a string, not {type(path).__name__}", code="invalid_path"
        )
    if path == "":
        raise _reject(path, "path is empty")
    if not path.startswith("/"):
        raise _reject(path, "path must be absolute (start with '/')")
    if _has_control_character(path):
        raise _reject(path, "path contains a NUL or control character")
    if has_surrogate(path):
        raise _reject(path, "path is not valid Unicode (lone surrogate)")
    too_long = f"path is longer than {MAX_PATH_BYTES} bytes"
    # A cheap bound before normalizing: NFC makes at most 4 code points of one, and each
    # code point of the canonical form is at least a byte.
    if len(path) > _LONGEST_SPELLING:
        raise _reject(path, too_long)
    canonical = unicodedata.normalize("NFC", path)
    if canonical == ROOT:
        return ROOT
    body = canonical[1:-1] if canonical.endswith("/") else canonical[1:]
    # The limits are on the canonical form: NFC lengthens some names (U+0958 becomes two
    # code points) and shortens others, so the spelling given says nothing about them.
    if len(body.encode("utf-8")) + 1 > MAX_PATH_BYTES:
        raise _reject(path, too_long)
    segments = body.split("/")
    if len(segments) > MAX_PATH_DEPTH:
        raise _reject(path, f"path is more than {MAX_PATH_DEPTH} levels deep")
    for segment in segments:
        if segment == "":
            raise _reject(path, "path has an empty segment ('//')")
        if segment in (".", ".."):
            raise _reject(path, f"path has a {segment!r} segment")
        if len(segment.encode("utf-8")) > MAX_SEGMENT_BYTES:
            raise _reject(path, f"a path segment is longer than {MAX_SEGMENT_BYTES} bytes")
    return "/" + "/".join(segments)


def normalize_file(path: object) -> str:
    """Like :func:`normalize`, for a path that must name a file: no trailing slash."""
    canonical = normalize(path)
    if names_directory(path):
        raise _reject(path, "a path ending in '/' names a directory, not a file")
    return canonical


def names_directory(path: object) -> TypeGuard[str]:
    """Whether ``path`` is spelled with a trailing slash, which names a directory (the root
    aside, which is one anyway)."""
    return isinstance(path, str) and len(path) > 1 and path.endswith("/")


def refuse_file_as_directory(path: str, kind_is_file: bool, spelled: object) -> None:
    """A move or copy of a file to a path spelled as a directory (``new/``) would make a
    file of that name: refused, as ``mv a.txt new/`` is when ``new`` is no directory."""
    if kind_is_file and names_directory(spelled):
        raise NexusValidationError(
            f"invalid destination {shown(path + '/')}: a path ending in '/' names a "
            "directory, and the source is a file",
            path=path,
            code="not_a_directory",
        )


def segments(path: str) -> list[str]:
    """The names along a canonical path; the root has none."""
    return [] if path == ROOT else path[1:].split("/")


def parent(path: str) -> str:
    """The directory that holds a canonical path; the root is its own parent."""
    if path == ROOT:
        return ROOT
    head = path.rsplit("/", 1)[0]
    return head or ROOT


def name(path: str) -> str:
    """The last segment of a canonical path ('' for the root)."""
    return "" if path == ROOT else path.rsplit("/", 1)[1]


def join(directory: str, child: str) -> str:
    """Append one segment to a canonical directory path (the result is validated)."""
    return normalize(directory.rstrip("/") + "/" + child)


def child_path(directory: str, stored_name: str) -> str:
    """The path of an entry already in the tree: its name was validated when it was
    created, so listings skip re-validating thousands of names."""
    return ("" if directory == ROOT else directory) + "/" + stored_name


def ancestors(path: str) -> Iterator[str]:
    """Every proper ancestor of a canonical path, from the root down."""
    current = ROOT
    parts = segments(path)
    for part in parts[:-1]:
        yield current
        current = current.rstrip("/") + "/" + part
    if parts:
        yield current


def is_within(path: str, directory: str) -> bool:
    """True when ``path`` is ``directory`` or lies below it (never a longer sibling name)."""
    if directory == ROOT:
        return True
    return path == directory or path.startswith(directory + "/")


# The canonical form as a regular expression, for the OpenAPI document (ECMA 262 and
# Python `re` read it alike). It states every rule a pattern can: absolute, no empty, `.`
# or `..` segment, no control character, at most MAX_PATH_DEPTH segments. The byte limits
# (255 a segment, 4,096 the path, counted in UTF-8) are not regular over characters: the
# document gives them in words. (Bounding each segment's characters as well made the
# pattern too big for validators to compile.)
_NAME_CHARACTER = r"[^/\x00-\x1f\x7f-\x9f]"
_NAME_START = r"[^/.\x00-\x1f\x7f-\x9f]"  # a first character that is not a dot
_SEGMENT = (
    rf"(?:{_NAME_START}{_NAME_CHARACTER}*"
    rf"|\.{_NAME_START}{_NAME_CHARACTER}*"
    rf"|\.\.{_NAME_CHARACTER}+)"
)
_MORE_SEGMENTS = rf"(?:/{_SEGMENT}){{0,{MAX_PATH_DEPTH - 1}}}"
# Any canonical path, a trailing slash allowed ("the same directory").
PATH_PATTERN = rf"^/(?:{_SEGMENT}{_MORE_SEGMENTS}/?)?$"
# A path that names a file (normalize_file): not the root, no trailing slash.
FILE_PATH_PATTERN = rf"^/{_SEGMENT}{_MORE_SEGMENTS}$"
