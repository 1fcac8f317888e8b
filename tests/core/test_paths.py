"""The canonical path form."""

from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexus.errors import NexusValidationError
from nexus.paths import (
    ancestors,
    is_within,
    join,
    name,
    normalize,
    normalize_file,
    parent,
    segments,
)


@pytest.mark.parametrize(
    ("given_path", "canonical"),
    [
        ("/", "/"),
        ("/workspace", "/workspace"),
        ("/workspace/", "/workspace"),
        ("/a b/#?%*[\"':", "/a b/#?%*[\"':"),
        ("/cafe\u0301", "/caf\u00e9"),  # NFD spelled the NFC way
    ],
)
def test_canonical_forms(given_path: str, canonical: str) -> None:
    assert normalize(given_path) == canonical


@pytest.mark.parametrize(
    ("bad", "rule"),
    [
        ("", "empty"),
        ("relative/path", "absolute"),
        ("//", "empty segment"),
        ("/a//b", "empty segment"),
        ("/a/./b", "'.'"),
        ("/a/../b", "'..'"),
        ("/..", "'..'"),
        ("/a\x00b", "control"),
        ("/a\nb", "control"),
        ("/" + "x" * 256, "255"),
        ("/" + "/".join(["y" * 200] * 21), "4096"),
        ("/" + "/".join(["d"] * 33), "32 levels"),
        ("/\ud800", "surrogate"),
    ],
)
def test_invalid_paths_name_the_rule(bad: str, rule: str) -> None:
    with pytest.raises(NexusValidationError) as raised:
        normalize(bad)
    assert rule in str(raised.value)
    assert raised.value.detail_code == "invalid_path"


def test_thirty_two_levels_are_allowed() -> None:
    deepest = "/" + "/".join(["d"] * 32)
    assert normalize(deepest) == deepest


@pytest.mark.parametrize("not_a_string", [None, 3, b"/bytes", ["/a"]])
def test_non_strings_are_rejected(not_a_string: object) -> None:
    with pytest.raises(NexusValidationError):
        normalize(not_a_string)


def test_helpers() -> None:
    assert segments("/") == [] and segments("/a/b") == ["a", "b"]
    assert parent("/a/b") == "/a" and parent("/a") == "/" and parent("/") == "/"
    assert name("/a/b.txt") == "b.txt" and name("/") == ""
    assert join("/a", "b") == "/a/b" and join("/", "b") == "/b"
    assert list(ancestors("/a/b/c")) == ["/", "/a", "/a/b"]
    assert is_within("/jack/x", "/jack") and is_within("/jack", "/jack")
    assert not is_within("/jackson", "/jack")


@given(st.text(max_size=60))
def test_normalize_is_idempotent_or_rejects(text: str) -> None:
    candidate = "/" + text
    try:
        once = normalize(candidate)
    except NexusValidationError:
        return
    assert normalize(once) == once
    assert once == unicodedata.normalize("NFC", once)
    assert all(part not in ("", ".", "..") for part in segments(once))


def test_a_file_path_may_not_end_in_a_slash() -> None:
    assert normalize_file("/workspace/a.txt") == "/workspace/a.txt"
    with pytest.raises(NexusValidationError, match="names a directory"):
        normalize_file("/workspace/trail/")


def test_errors_echo_only_a_prefix_of_huge_input() -> None:
    with pytest.raises(NexusValidationError) as raised:
        normalize("/" + "x" * 70_000)
    assert len(str(raised.value)) < 300


def test_the_length_limit_is_on_the_canonical_form() -> None:
    # U+0958 is 3 bytes and 6 after NFC (a composition exclusion): 17 segments of 42 stay
    # under 255 bytes each but pass 4,096 in all only once normalized.
    expanding = "/" + "/".join(["\u0958" * 42] * 17)
    assert len(expanding.encode()) < 4096 < len(unicodedata.normalize("NFC", expanding).encode())
    with pytest.raises(NexusValidationError, match="4096"):
        normalize(expanding)
    # An NFD spelling longer than 4,096 bytes of a path that is not: the same path.
    composed = "/" + "/".join(["\u00e9" * 100] * 20)  # 4,020 bytes
    decomposed = unicodedata.normalize("NFD", composed)  # 6,020 bytes
    assert normalize(decomposed) == composed
    # A trailing slash is not part of the path: 4,096 bytes and a slash are allowed.
    longest = "/" + "/".join(["x" * 255] * 16)[: 4096 - 1]
    assert len(longest.encode()) == 4096
    assert normalize(longest + "/") == longest
    with pytest.raises(NexusValidationError, match="4096"):
        normalize(longest + "x")
