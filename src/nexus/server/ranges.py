"""The HTTP ``Range`` header (RFC 9110 section 14): which bytes of a file a GET asks for.

Decisions: one range per request. A header with several ranges (``bytes=0-1,5-6``) or in
another unit is ignored (the whole file, 200), as RFC 9110 allows; a single range that is
malformed, backwards or starts at or past the end is refused with 416. ``If-Range`` holding
the file's current ETag keeps the range; anything else (another ETag, a weak one, a date)
makes it a request for the whole file, since the caller's copy is not this version.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class ByteRange:
    """Bytes ``start`` to ``end`` inclusive, as Content-Range counts them."""

    start: int
    end: int

    @property
    def length(self) -> int:
        return self.end - self.start + 1


class RangeNotSatisfiable(Exception):
    """The one range asked for selects no byte of the file (or cannot be read)."""


def requested_range(
    header: str | None, if_range: str | None, etag: str, size: int
) -> ByteRange | None:
    """The range to serve, or None for the whole file; RangeNotSatisfiable for a 416."""
    if not header:
        return None
    unit, _, spec = header.partition("=")
    if unit.strip().lower() != "bytes" or "," in spec:
        return None
    if if_range is not None and if_range.strip() != etag:
        return None
    first, dash, last = spec.strip().partition("-")
    first, last = first.strip(), last.strip()
    if not dash or not _digits(first, last):
        raise RangeNotSatisfiable(f"malformed range {header!r}")
    if not first:  # bytes=-n: the last n bytes
        suffix = _position(last)
        if suffix == 0 or size == 0:
            raise RangeNotSatisfiable(f"range {header!r} selects nothing")
        return ByteRange(max(size - suffix, 0), size - 1)
    start = _position(first)
    end = _position(last) if last else size - 1
    if end < start:
        raise RangeNotSatisfiable(f"range {header!r} ends before it starts")
    if start >= size:
        raise RangeNotSatisfiable(f"range {header!r} starts at or past the end ({size} bytes)")
    return ByteRange(start, min(end, size - 1))


# Twenty digits reach past any file size: a longer number is a position past every end
# (a client asking for "the rest" with a huge length), read as this bound, not parsed.
_MAX_DIGITS = 20
_PAST_ANY_END = 10**_MAX_DIGITS


def _digits(first: str, last: str) -> bool:
    """Both parts are unsigned decimal numbers or empty, and not both empty."""
    if not (first or last):
        return False
    return all((not part) or (part.isascii() and part.isdigit()) for part in (first, last))


def _position(digits: str) -> int:
    significant = digits.lstrip("0") or "0"  # RFC 9110 allows leading zeros
    return _PAST_ANY_END if len(significant) > _MAX_DIGITS else int(significant)
