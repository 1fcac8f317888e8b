"""The path patterns the OpenAPI document gives agree with what the server accepts.

A client (or a fuzzer) that trusts the document must never be told a valid path is invalid,
and a path that matches the pattern is valid unless it breaks a byte limit (which the
document states in words: a pattern counts characters, not UTF-8 bytes).
"""

from __future__ import annotations

import re
import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from nexus.errors import NexusValidationError
from nexus.paths import (
    FILE_PATH_PATTERN,
    MAX_PATH_BYTES,
    MAX_SEGMENT_BYTES,
    PATH_PATTERN,
    normalize,
    normalize_file,
)

PATH = re.compile(PATH_PATTERN)
FILE_PATH = re.compile(FILE_PATH_PATTERN)

# Names near every rule, alone and glued together: dots, control characters (C0, DEL, C1),
# NFD spellings, names at and over the byte limits.
_FRAGMENTS = st.sampled_from(
    [
        *(".", "..", "a", "é", "e\u0301", "\x00", "\n", "\x1f", "\x7f", "\x85", "\x9f", "\xa0"),
        *(" ", "#?%*[", "%2e%2e", "\u212b", "x" * 255, "é" * 127, "é" * 128, "\U0001f600" * 63),
    ]
)
_NAMES = st.one_of(
    st.lists(_FRAGMENTS, max_size=3).map("".join),
    st.text(max_size=8),
)
_CANDIDATES = st.builds(
    lambda lead, names, trail: lead + "/".join(names) + trail,
    st.sampled_from(["/", "", "//", "./"]),
    st.lists(_NAMES, max_size=6),
    st.sampled_from(["", "/", "//"]),
)


def _within_byte_limits(path: str) -> bool:
    canonical = unicodedata.normalize("NFC", path)
    names = canonical.strip("/").split("/")
    return len(path.encode()) <= MAX_PATH_BYTES and all(
        len(part.encode()) <= MAX_SEGMENT_BYTES for part in names
    )


def _accepted(check: object, path: str) -> bool:
    try:
        check(path)  # type: ignore[operator]
    except NexusValidationError:
        return False
    return True


@given(_CANDIDATES)
def test_every_path_the_server_accepts_matches_the_documented_pattern(path: str) -> None:
    # fullmatch reads `$` as JSON Schema's ECMA 262 does (Python's also matches before "\n").
    if _accepted(normalize, path):
        assert PATH.fullmatch(path), path
    # The root passes normalize_file but is the one directory every write refuses
    # (is_a_directory), so the file pattern leaves it out.
    if _accepted(normalize_file, path) and path != "/":
        assert FILE_PATH.fullmatch(path), path


@given(_CANDIDATES)
def test_a_path_matching_the_pattern_is_accepted_within_the_byte_limits(path: str) -> None:
    if not _within_byte_limits(path):
        return
    if PATH.fullmatch(path):
        assert _accepted(normalize, path), path
    if FILE_PATH.fullmatch(path):
        assert _accepted(normalize_file, path), path


@pytest.mark.parametrize(
    ("path", "directory", "file"),
    [
        ("/", True, False),
        ("/workspace/a b#?%.txt", True, True),
        ("/workspace/dir/", True, False),
        ("/workspace/...", True, True),
        ("/workspace/.hidden", True, True),
        ("/workspace/../etc", False, False),
        ("/workspace/./a", False, False),
        ("/workspace//a", False, False),
        ("workspace/a", False, False),
        ("/workspace/a\n", False, False),
        ("/workspace/a\x7f", False, False),
        ("/workspace/a\x85b", False, False),
        ("/" + "/".join(["d"] * 32), True, True),
        ("/" + "/".join(["d"] * 33), False, False),
    ],
)
def test_the_patterns_on_examples(path: str, directory: bool, file: bool) -> None:
    assert bool(PATH.fullmatch(path)) is directory
    assert bool(FILE_PATH.fullmatch(path)) is file
