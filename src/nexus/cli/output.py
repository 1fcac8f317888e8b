"""Printing: JSON, human lines, and the one error line."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import click

from nexus.errors import NexusError

F = TypeVar("F", bound=Callable[..., Any])


def json_option(command: F) -> F:
    """``--json``: print the raw answer as JSON instead of text."""
    return click.option("--json", "as_json", is_flag=True, help="Print the raw answer as JSON.")(
        command
    )


def echo_json(value: Any) -> None:
    click.echo(json.dumps(value, indent=2, ensure_ascii=False, default=str))


def symbol(mark: str) -> str:
    """``mark`` plus a space, or nothing when stdout cannot encode it."""
    encoding = getattr(sys.stdout, "encoding", None) or "utf-8"
    try:
        mark.encode(encoding)
    except (UnicodeEncodeError, LookupError):
        return ""
    return mark + " "


def error_line(error: NexusError) -> str:
    """``Error: <message> (<code>)``; the finer reason is added when there is one."""
    code = error.code
    if error.detail_code and error.detail_code != error.code:
        code = f"{error.code}: {error.detail_code}" if code != "error" else error.detail_code
    suffix = f" ({code})" if code != "error" else ""
    return f"Error: {error.message}{suffix}"


def report_error(error: NexusError) -> None:
    click.echo(error_line(error), err=True)


def relationship(
    subject_type: str, subject_id: str, relation: str, object_type: str, object_id: str
) -> str:
    return f"{subject_type} {subject_id} {relation} on {object_type} {object_id}"
