"""Rules for user ids and group names."""

from __future__ import annotations

import re

from nexus.api.described import NAME_PATTERN
from nexus.errors import NexusValidationError, shown

# The built-in admin identity of the local admin socket and the embedded client; it owns the
# namespace roots. No account can take this id.
SYSTEM_USER = "system"

# fullmatch: `$` alone would also take a name followed by a newline.
_NAME = re.compile(NAME_PATTERN)
_RULE = (
    "1-64 characters: lowercase letters, digits, '.', '_' or '-', starting with a letter or digit"
)


def validate_user_id(user_id: object) -> str:
    if not isinstance(user_id, str) or not _NAME.fullmatch(user_id):
        raise NexusValidationError(
            f"invalid user id {shown(user_id)}: {_RULE}", code="invalid_user_id"
        )
    if user_id == SYSTEM_USER:
        raise NexusValidationError(f"user id {shown(user_id)} is reserved", code="invalid_user_id")
    return user_id


def validate_group_name(name: object) -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise NexusValidationError(
            f"invalid group name {shown(name)}: {_RULE}", code="invalid_group"
        )
    return name
