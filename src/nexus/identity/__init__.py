"""Users, groups (as entities), API keys and sessions."""

from nexus.identity.groups import Group, GroupStore
from nexus.identity.keys import ApiKey, KeyHolder, KeyStore
from nexus.identity.names import SYSTEM_USER, validate_group_name, validate_user_id
from nexus.identity.secret import load_or_create_secret
from nexus.identity.sessions import Session, SessionStore
from nexus.identity.users import User, UserStore

__all__ = [
    "SYSTEM_USER",
    "ApiKey",
    "Group",
    "GroupStore",
    "KeyHolder",
    "KeyStore",
    "Session",
    "SessionStore",
    "User",
    "UserStore",
    "load_or_create_secret",
    "validate_group_name",
    "validate_user_id",
]
