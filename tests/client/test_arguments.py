from __future__ import annotations

import pytest

from nexus.client import arguments as check
from nexus.errors import NexusValidationError


def test_bytes_like_data_becomes_bytes() -> None:
    assert check.data(b"abc") == b"abc"
    assert check.data(bytearray(b"abc")) == b"abc"
    assert check.data(memoryview(b"abc")) == b"abc"
    assert type(check.data(bytearray(b"x"))) is bytes


def test_str_data_is_rejected_with_a_hint_to_encode() -> None:
    with pytest.raises(NexusValidationError) as info:
        check.data("hello")
    assert "encode" in str(info.value)
    assert info.value.detail_code == "invalid_argument"


@pytest.mark.parametrize("value", [None, 3, ["a"], object()])
def test_other_data_types_are_rejected(value: object) -> None:
    with pytest.raises(NexusValidationError, match="bytes"):
        check.data(value)


@pytest.mark.parametrize("value", [True, False, 1.0, "1", None])
def test_integer_rejects_bools_floats_and_strings(value: object) -> None:
    with pytest.raises(NexusValidationError, match="if_version must be an int"):
        check.integer(value, "if_version")


def test_integer_accepts_ints_and_checks_minimum() -> None:
    assert check.integer(3, "n") == 3
    assert check.optional_integer(None, "n") is None
    with pytest.raises(NexusValidationError, match="at least 1"):
        check.integer(0, "ttl", minimum=1)


@pytest.mark.parametrize("value", [0, 1, "true", None])
def test_boolean_rejects_non_bools(value: object) -> None:
    with pytest.raises(NexusValidationError, match="recursive must be a bool"):
        check.boolean(value, "recursive")


def test_path_is_normalised_and_validated() -> None:
    assert check.path("/a/b/") == "/a/b"
    with pytest.raises(NexusValidationError) as info:
        check.path("relative/path")
    assert info.value.detail_code == "invalid_path"
    with pytest.raises(NexusValidationError, match="string"):
        check.path(b"/bytes")
    with pytest.raises(NexusValidationError):
        check.path("/a/../b")


def test_text_rejects_empty_and_non_strings() -> None:
    assert check.text("bob", "subject_id") == "bob"
    assert check.text("", "description", allow_empty=True) == ""
    with pytest.raises(NexusValidationError, match="subject_id must not be empty"):
        check.text("  ", "subject_id")
    with pytest.raises(NexusValidationError, match="subject_id must be a string"):
        check.text(7, "subject_id")


def test_permission_returns_the_request_fields() -> None:
    assert check.permission("user", "bob", "file", "/w", "can_read") == {
        "subject_type": "user",
        "subject_id": "bob",
        "object_type": "file",
        "object_id": "/w",
        "relation": "can_read",
    }
    with pytest.raises(NexusValidationError, match="relation"):
        check.permission("user", "bob", "file", "/w", None)
