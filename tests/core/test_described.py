"""What the OpenAPI document says about arguments (nexus.api.described) matches the rules the
service applies."""

from __future__ import annotations

import re
import sys

import pytest

from nexus.api.described import (
    EMAIL_PATTERN,
    LISTED_RELATIONS,
    NAME_PATTERN,
    NOT_BLANK_PATTERN,
    OBJECT_TYPES,
    RELATIONS,
    SUBJECT_TYPES,
    WHITESPACE,
)
from nexus.errors import NexusValidationError
from nexus.files.permission_ops import VISIBLE_RELATIONS
from nexus.files.schema import GRANTABLE_RELATIONS, OBJECT_TYPE_FILE
from nexus.files.schema import SUBJECT_TYPES as SCHEMA_SUBJECT_TYPES
from nexus.identity.names import validate_group_name, validate_user_id


def test_the_enumerations_are_the_permission_schemas() -> None:
    assert RELATIONS == GRANTABLE_RELATIONS
    assert LISTED_RELATIONS == VISIBLE_RELATIONS
    assert SUBJECT_TYPES == SCHEMA_SUBJECT_TYPES
    assert OBJECT_TYPES == (OBJECT_TYPE_FILE,)


def test_whitespace_is_what_str_strip_removes() -> None:
    spaces = {chr(code) for code in range(sys.maxunicode + 1) if chr(code).isspace()}
    assert set(WHITESPACE) == spaces
    blank = re.compile(NOT_BLANK_PATTERN)
    assert all(blank.search(space) is None for space in spaces)
    assert blank.search(" x ") and blank.search("\ufeff")  # not whitespace to Python


@pytest.mark.parametrize(
    ("email", "valid"),
    [
        ("alice@example.com", True),
        ("a@b@c.d", True),  # the domain is all after the first '@'
        ("alice@localhost", False),
        ("@example.com", False),
        ("alice smith@example.com", False),
        ("alice@example.com\n", False),
        ("alice@example.com\x85", False),
    ],
)
def test_the_email_pattern(email: str, valid: bool) -> None:
    assert bool(re.fullmatch(EMAIL_PATTERN, email)) is valid


@pytest.mark.parametrize("name", ["bob", "b", "dev-team.2", "x" * 64, "x" * 65, "Bob", "-x", "x\n"])
def test_the_name_pattern_is_the_rule_for_user_ids_and_group_names(name: str) -> None:
    documented = re.fullmatch(NAME_PATTERN, name) is not None
    for validate in (validate_user_id, validate_group_name):
        try:
            validate(name)
        except NexusValidationError:
            assert not documented
        else:
            assert documented
