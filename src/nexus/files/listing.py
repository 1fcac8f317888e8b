"""Directory listings filtered by the caller's permissions.

A big folder is the hot case (10,000 entries): the children come in one query, their
permissions in one engine batch, and nothing is asked per entry.
"""

from __future__ import annotations

from itertools import compress
from operator import itemgetter

from sqlalchemy import Connection

from nexus.api.models import FileInfo
from nexus.files.access import Access
from nexus.files.convert import file_info
from nexus.files.namespaces import SESSIONS, is_root
from nexus.files.principal import Principal
from nexus.metadata import DIRECTORY, Entry
from nexus.paths import child_path, segments


def is_session_directory(path: str) -> bool:
    parts = segments(path)
    return len(parts) == 2 and parts[0] == SESSIONS.strip("/")


def list_directory(
    conn: Connection,
    access: Access,
    principal: Principal,
    path: str,
    directory: Entry,
    recursive: bool,
) -> list[FileInfo]:
    """What the caller can read below ``directory`` (at ``path``), sorted by path."""
    found: list[FileInfo] = []
    frontier: list[tuple[str, Entry]] = [(path, directory)]
    tree = access.runtime.tree
    while frontier:
        next_frontier: list[tuple[str, Entry]] = []
        for directory_path, parent_entry in frontier:
            children = tree.children(conn, parent_entry.id)
            readable = access.can_many(conn, principal, "can_read", children)
            # Namespace roots (seen by everyone) sit right below the root or another
            # namespace root, session folders right below /sessions (itself a root):
            # elsewhere no entry needs a path test.
            if is_root(directory_path):
                _add_below_root(
                    conn,
                    access,
                    directory_path,
                    children,
                    readable,
                    recursive,
                    found,
                    next_frontier,
                )
                continue
            # The common case, a folder of 10,000: only the readable children, picked in C.
            prefix = child_path(directory_path, "")
            for child in compress(children, readable):
                entry_path = prefix + child.name
                found.append(file_info(child, entry_path))
                if recursive and child.kind == DIRECTORY:
                    next_frontier.append((entry_path, child))
        frontier = next_frontier
    found.sort(key=_PATH)
    return found


_PATH = itemgetter("path")


def _add_below_root(
    conn: Connection,
    access: Access,
    directory_path: str,
    children: list[Entry],
    readable: list[bool],
    recursive: bool,
    found: list[FileInfo],
    next_frontier: list[tuple[str, Entry]],
) -> None:
    """``list_directory``'s step for the children of a namespace root."""
    in_sessions = directory_path == SESSIONS
    for child, can_read in zip(children, readable, strict=True):
        entry_path = child_path(directory_path, child.name)
        if not (can_read or is_root(entry_path)):
            continue
        if in_sessions and access.is_expired_session(conn, entry_path):
            continue  # expired: gone for readers before the sweeper runs
        found.append(file_info(child, entry_path))
        if recursive and child.is_directory:
            next_frontier.append((entry_path, child))
