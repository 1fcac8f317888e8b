"""Timestamps on the wire: ISO 8601, UTC, without an offset (see nexus.api.models)."""

from __future__ import annotations

from datetime import UTC, datetime

_UTC_SUFFIX = "+00:00"


def iso(timestamp: float) -> str:
    # Cutting the offset off the text is a third cheaper than replace(tzinfo=None) first,
    # and listings format two of these per entry.
    return datetime.fromtimestamp(timestamp, UTC).isoformat()[: -len(_UTC_SUFFIX)]


def iso_or_none(timestamp: float | None) -> str | None:
    return None if timestamp is None else iso(timestamp)
