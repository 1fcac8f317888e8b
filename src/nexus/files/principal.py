"""Who is asking."""

from __future__ import annotations

from dataclasses import dataclass

from nexus.identity import SYSTEM_USER


@dataclass(frozen=True, slots=True)
class Principal:
    user_id: str
    is_admin: bool
    # The API key the request came with (None: the admin socket or an embedded client).
    key_id: str | None = None

    @property
    def is_system(self) -> bool:
        return self.user_id == SYSTEM_USER


# The identity of the local admin socket and of the embedded client by default.
SYSTEM = Principal(SYSTEM_USER, True)
