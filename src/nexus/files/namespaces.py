"""The fixed namespaces: roots every user may list, sessions, and inboxes."""

from __future__ import annotations

from nexus.paths import segments

WORKSPACE = "/workspace"
SESSIONS = "/sessions"
NOTIFICATIONS = "/workspace/.notifications"

# Listable by every signed-in user (the listing shows only what the caller can read);
# owned by the system, never deleted, moved or restricted.
ROOTS = ("/", WORKSPACE, SESSIONS, NOTIFICATIONS)


def is_root(path: str) -> bool:
    return path in ROOTS


def inbox_user(path: str) -> str | None:
    """The user whose inbox ``path`` is in or is (``/workspace/.notifications/{user}/...``)."""
    parts = segments(path)
    if len(parts) >= 3 and parts[0] == "workspace" and parts[1] == ".notifications":
        return parts[2]
    return None


def inbox_path(user_id: str) -> str:
    return f"{NOTIFICATIONS}/{user_id}"


def session_id_of(path: str) -> str | None:
    """The session a path lies in (``/sessions/{id}/...``), if any."""
    parts = segments(path)
    if len(parts) >= 2 and parts[0] == "sessions":
        return parts[1]
    return None


def session_path(session_id: str) -> str:
    return f"{SESSIONS}/{session_id}"
