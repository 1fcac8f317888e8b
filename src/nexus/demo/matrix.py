"""Who can read and write where, found by trying it, shown as a table."""

from __future__ import annotations

from collections.abc import Mapping

from rich.table import Table
from rich.text import Text

from nexus.client import NexusClient
from nexus.demo.report import Report, attempt

READ_WRITE = "read+write"
READ = "read"
NONE = "none"

# Folder label -> (folder, a file in it that its owner wrote).
Folders = Mapping[str, tuple[str, str]]
# Folder label -> user -> READ_WRITE / READ / NONE.
Expected = Mapping[str, Mapping[str, str]]

_STYLE = {READ_WRITE: "green", READ: "yellow", NONE: "dim"}


def _access(report: Report, user: str, client: NexusClient, folder: str, sample: str) -> str:
    """Try it: read ``sample``; write (then delete) a probe file in ``folder``."""
    can_read = attempt(lambda: client.read(f"{folder}/{sample}")).ok
    probe = f"{folder}/.probe-{user}"
    can_write = attempt(lambda: client.write(probe, b"probe")).ok
    if can_write:
        client.delete(probe)
    # The user's own permission check must agree with what just happened.
    for relation, happened in (("can_read", can_read), ("can_write", can_write)):
        answer = client.check_permission("user", user, "file", folder, relation)
        report.expect(
            f"{user}'s check_permission({relation}) on {folder} agrees with trying it",
            answer == happened,
            f"(check said {answer}, trying it said {happened})",
            quiet=True,
        )
    if can_write and can_read:
        return READ_WRITE
    if can_read:
        return READ
    return NONE if not can_write else "write only"


def show_access(
    report: Report,
    title: str,
    clients: Mapping[str, NexusClient],
    folders: Folders,
    expected: Expected,
) -> None:
    """Print who can do what on each folder; every cell is an expected outcome."""
    table = Table(title=title, title_justify="left", title_style="bold")
    table.add_column("folder")
    for user in clients:
        table.add_column(user)
    for label, (folder, sample) in folders.items():
        row: list[Text | str] = [label]
        for user, client in clients.items():
            actual = _access(report, user, client, folder, sample)
            want = expected[label][user]
            passed = report.expect(
                f"{user} has {want} access to {label}",
                actual == want,
                f"(found {actual})",
                quiet=True,
            )
            if passed:
                row.append(Text(actual, style=_STYLE.get(actual, "")))
            else:
                row.append(Text(f"{actual} (expected {want})", style="bold red"))
        table.add_row(*row)
    report.console.print(table)
