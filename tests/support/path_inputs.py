"""Path inputs for the fuzz tests, and what the rules of docs/paths.md make of each.

``canonical`` restates the rules of docs/paths.md on its own (it does not call
``nexus.paths``), so a server, client or CLI that accepts or refuses differently, or a rule
changed in one place only, shows up as a disagreement. The strategies mix hypothesis text
over all of Unicode (surrogates, control characters, unassigned code points), NFD spellings,
raw bytes decoded the ways a caller might decode them, lengths and depths around the limits,
and the tricks path-traversal attacks use.
"""

from __future__ import annotations

import os
import unicodedata

from hypothesis import strategies as st

SEGMENT_BYTES, PATH_BYTES, DEPTH = 255, 4096, 32


def examples(default: int) -> int:
    """How many examples a path fuzz test runs: NEXUS_PATH_FUZZ_EXAMPLES for a long run."""
    return int(os.environ.get("NEXUS_PATH_FUZZ_EXAMPLES", default))


def canonical(path: object, *, file: bool = False) -> str | None:
    """The canonical form of ``path``, or None when the rules refuse it. ``file``: the path
    must name a file (a trailing slash names a directory)."""
    if not isinstance(path, str) or not path.startswith("/"):
        return None
    if any(0xD800 <= ord(char) <= 0xDFFF for char in path):
        return None  # not Unicode: a lone surrogate
    if any(unicodedata.category(char) == "Cc" for char in path):
        return None  # NUL, C0, DEL and C1 controls
    form = unicodedata.normalize("NFC", path)
    if form == "/":
        return form
    if form.endswith("/"):
        if file:
            return None
        form = form[:-1]
    names = form[1:].split("/")
    if len(names) > DEPTH or len(form.encode()) > PATH_BYTES:
        return None
    for name in names:
        if name in ("", ".", "..") or len(name.encode()) > SEGMENT_BYTES:
            return None
    return form


def parent_of(path: str) -> str:
    return path.rsplit("/", 1)[0] or "/"


def name_of(path: str) -> str:
    return path.rsplit("/", 1)[1]


# Tricks from path-traversal reports and the issue: every one is a name or a rule.
TRICKS = [
    "..",
    ".",
    "",
    "a/../b",
    "a/./b",
    "a//b",
    "a/",
    "a//",
    "/",
    "%2e%2e",
    "%2E%2e",
    "%252e%252e",
    "%2f",
    "a%2fb",
    "%00",
    "..%2f",
    "\\",
    "..\\..\\etc",
    "a\\b",
    "a b",
    " leading and trailing ",
    "#",
    "?",
    "%",
    "*",
    "[",
    "]",
    "[b]bold",
    "[b]x[/b]",
    "x[/]",
    ":thumbs_up:",
    "{x}",
    '"quoted"',
    "'single'",
    "c:",
    "C:\\Windows",
    "a:b",
    "a;b=c",
    "a&b=c",
    "a+b",
    "~",
    "$HOME",
    "`id`",
    "😀",
    "日本語",
    "cafe\u0301",
    "caf\u00e9",
    "\u1100\u1161\u11a8",  # Hangul jamo: NFC composes them into one syllable
    "\u0958",  # NFC decomposes it (a composition exclusion): longer after NFC
    "\ufeffbom",
    "\u202eevil",
    "\u200b",
    "\u2028line",
    "\x85nel",
    "\x7f",
    "\t",
    "\r\n",
    "\x00",
    "\ud800",
    "\udcff",
    "\ufffd",
    "\uffff",
    "．．",  # fullwidth dots: NFC keeps them, only NFKC would make them '..'
    "／",  # fullwidth solidus: a name, not a separator
    "...",
    ".hidden",
    "..a",
    "a..",
    "-rf",
    "--help",
]

_ANY_CHARACTER = st.characters()  # every code point, surrogates and controls included
_NAME_CHARACTER = st.one_of(
    st.characters(codec="utf-8", exclude_categories=["Cc", "Cs"]),
    st.sampled_from(list(" #?%*[]\"':;&=+\\.~-é😀\u0301\u00e9")),
)


def _decoded(raw: bytes, how: str) -> str:
    if how == "surrogateescape":  # what Python does with argv bytes and file names
        return raw.decode("utf-8", "surrogateescape")
    if how == "replace":
        return raw.decode("utf-8", "replace")
    return raw.decode("latin-1")  # a client that never heard of UTF-8


RAW_BYTES_TEXT = st.builds(
    _decoded,
    st.binary(max_size=40),
    st.sampled_from(["surrogateescape", "replace", "latin-1"]),
)


def _long_name(size: int, char: str) -> str:
    return char * max(1, size // len(char.encode()))


LONG_NAME = st.builds(
    _long_name, st.integers(SEGMENT_BYTES - 6, SEGMENT_BYTES + 4), st.sampled_from("aé日😀")
)
NAME = st.one_of(
    st.text(_NAME_CHARACTER, min_size=1, max_size=12),
    st.text(_ANY_CHARACTER, min_size=1, max_size=12),
    st.text(_NAME_CHARACTER, min_size=1, max_size=12).map(
        lambda text: unicodedata.normalize("NFD", text)
    ),
    RAW_BYTES_TEXT,
    st.sampled_from(TRICKS),
    LONG_NAME,
)
RELATIVE = st.one_of(
    st.lists(NAME, min_size=1, max_size=4).map("/".join),
    st.text(_ANY_CHARACTER, max_size=30),
    st.sampled_from(TRICKS),
)


def under(base: str, *, depth_left: int) -> st.SearchStrategy[str]:
    """Raw inputs below ``base``: ``base + '/' + whatever``, around the depth and length
    limits too, plus inputs that are not below it at all."""
    deep = st.integers(depth_left - 2, depth_left + 2).map(
        lambda count: base + "/" + "/".join(["d"] * count)
    )
    long_path = st.integers(0, 8).flatmap(
        lambda extra: st.just(_long_path(base, PATH_BYTES - 4 + extra))
    )
    expanding = st.integers(15, 24).map(
        lambda count: base + "/" + "/".join(["\u0958" * 42] * count)
    )
    return st.one_of(
        RELATIVE.map(lambda text: base + "/" + text),
        RELATIVE.map(lambda text: base + "/" + text + "/"),
        RELATIVE.map(lambda text: base + text),
        deep,
        long_path,
        expanding,
        st.text(_ANY_CHARACTER, max_size=20),
    )


def _long_path(base: str, size: int) -> str:
    """``base`` + segments of 200 bytes, up to exactly ``size`` bytes in all."""
    path = base
    while len(path.encode()) + 201 <= size:
        path += "/" + "x" * 200
    remaining = size - len(path.encode()) - 1
    return path + "/" + "y" * remaining if remaining > 0 else path
