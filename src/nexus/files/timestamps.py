"""Timestamps on the wire: ISO 8601, UTC, without an offset (see nexus.api.models)."""

from __future__ import annotations

from datetime import UTC, datetime


def iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).replace(tzinfo=None).isoformat()


def iso_or_none(timestamp: float | None) -> str | None:
    return None if timestamp is None else iso(timestamp)
