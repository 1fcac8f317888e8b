"""Arbitrary bytes percent-encoded into the ``path`` query parameter of every route that takes
one, sent to a real server process: the answer is 200 or a 4xx with the error body, never a
5xx; bytes that are not UTF-8 or a path the rules refuse is ``invalid_path``; an accepted
write reads back and lists under the name the bytes spell, decoded exactly once.

NEXUS_PATH_FUZZ_EXAMPLES=2000 runs a long version (see README).
"""

from __future__ import annotations

import itertools
import socket
from collections.abc import Iterator
from urllib.parse import quote, quote_from_bytes

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nexus.api.models import API_PREFIX
from nexus.client.http import ADMIN_SOCKET_URL, HttpClient
from tests.support.path_inputs import TRICKS, canonical, examples, name_of, parent_of
from tests.support.team_server import start_team_server

BASE = "/workspace/wire"
ERROR_FIELDS = {"code", "reason", "message", "path"}
# (method, route, other query parameters): every route with a path in its query string.
# alice owns BASE; the audit log is the admin's.
ROUTES = [
    ("GET", "/files/content", ""),
    ("PUT", "/files/content", ""),
    ("POST", "/files/append", ""),
    ("GET", "/files/stat", ""),
    ("GET", "/files/exists", ""),
    ("GET", "/files/list", "&recursive=true"),
    ("DELETE", "/files", ""),
    ("GET", "/files/versions", ""),
    ("GET", "/locks", ""),
    ("GET", "/activity", ""),
    ("GET", "/permissions/objects", "&relation=can_read"),
    ("GET", "/permissions/subjects", "&relation=can_read"),
    ("GET", "/permissions/expand", "&relation=can_read"),
    ("GET", "/admin/audit", ""),
]
_numbers = itertools.count()


class Wire:
    def __init__(self, url: str, keys: dict[str, str]):
        self.url = url
        self.clients = {
            user: httpx.Client(headers={"Authorization": f"Bearer {keys[user]}"}, timeout=30)
            for user in ("alice", "admin")
        }
        self.http = self.clients["alice"]

    def send(self, method: str, route: str, query: bytes, body: bytes = b"") -> httpx.Response:
        """``query`` goes on the wire exactly as given (no re-encoding by httpx)."""
        target = (API_PREFIX + route).encode() + b"?" + query
        url = httpx.URL(self.url).copy_with(raw_path=target)
        client = self.clients["admin" if route.startswith("/admin/") else "alice"]
        return client.request(method, url, content=body if method in ("PUT", "POST") else None)

    def names(self, directory: str) -> list[str]:
        answer = self.http.get(self.url + API_PREFIX + "/files/list", params={"path": directory})
        assert answer.status_code == 200, answer.text
        return [entry["name"] for entry in answer.json()["entries"]]


@pytest.fixture(scope="module")
def wire(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Wire]:
    server, keys = start_team_server(tmp_path_factory.mktemp("query-fuzz") / "data")
    try:
        with HttpClient(ADMIN_SOCKET_URL, None, uds=server.admin_socket) as system:
            system.mkdir(BASE)  # alice's to fill, not to delete
            system.grant_permission("user", "alice", "file", BASE, "owner")
        connection = Wire(server.url, keys)
        yield connection
        for client in connection.clients.values():
            client.close()
        assert "Traceback" not in server.log()
    finally:
        server.stop()


def assert_answered(answer: httpx.Response) -> None:
    """200, or a 4xx carrying the error body."""
    assert answer.status_code < 500, answer.text
    if answer.status_code >= 400:
        assert set(answer.json()["error"]) == ERROR_FIELDS, answer.text


def expect_for(raw: bytes, *, file: bool = False) -> str | None:
    """The path ``raw`` spells when decoded once, or None when it must be invalid_path."""
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        return None
    return canonical(text, file=file)


def encoded(raw: bytes, how: str) -> bytes:
    if how == "every byte":
        return "".join(f"%{byte:02X}" for byte in raw).encode()
    if how == "as a client does":
        return quote_from_bytes(raw, safe="/").encode()
    return quote(quote_from_bytes(raw, safe="/"), safe="/").encode()  # twice


def check_one(wire: Wire, raw: bytes, how: str) -> None:
    query = encoded(raw, how)
    expected = expect_for(raw) if how != "twice" else expect_for(query.replace(b"%25", b"%"))
    for method, route, extra in ROUTES:
        answer = wire.send(method, route, b"path=" + query + extra.encode())
        assert_answered(answer)
        if expected is None:
            assert answer.status_code == 400, (method, route, raw, answer.text)
            assert answer.json()["error"]["reason"] == "invalid_path", answer.text


PATH_BYTES = st.one_of(
    st.binary(max_size=40).map(lambda tail: BASE.encode() + b"/" + tail),
    st.binary(max_size=40),
    st.text(st.characters(), max_size=20).map(
        lambda text: (BASE + "/" + text).encode("utf-8", "surrogatepass")
    ),
    st.sampled_from(TRICKS).map(
        lambda trick: (BASE + "/" + trick).encode("utf-8", "surrogatepass")
    ),
)


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(raw=PATH_BYTES, how=st.sampled_from(["every byte", "as a client does", "twice"]))
def test_any_bytes_in_the_path_parameter_are_answered(wire: Wire, raw: bytes, how: str) -> None:
    check_one(wire, raw, how)


@settings(max_examples=examples(30), deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(tail=st.binary(min_size=1, max_size=30))
def test_an_accepted_name_is_the_bytes_decoded_once(wire: Wire, tail: bytes) -> None:
    folder = f"{BASE}/w{next(_numbers)}"
    raw = folder.encode() + b"/" + tail
    expected = expect_for(raw, file=True)
    answer = wire.send("PUT", "/files/content", b"path=" + encoded(raw, "every byte"), tail)
    assert_answered(answer)
    if expected is None:
        assert answer.json()["error"]["reason"] == "invalid_path", answer.text
        assert wire.send("GET", "/files/exists", b"path=" + folder.encode()).json() == {
            "exists": False
        }  # nothing half made
        return
    assert answer.status_code == 200, answer.text
    assert answer.json()["path"] == expected
    read = wire.http.get(
        wire.url + API_PREFIX + "/files/content", params={"path": expected}
    )  # httpx encodes it its own way
    assert read.content == tail
    assert wire.names(parent_of(expected)).count(name_of(expected)) == 1


@pytest.mark.parametrize(
    ("query", "reason"),
    [
        (b"path=/workspace/wire/%2e%2e", "invalid_path"),
        (b"path=/workspace/wire/%2E%2E/x", "invalid_path"),
        (b"path=/workspace/wire%2f%2e%2e", "invalid_path"),
        (b"path=/workspace/wire/%2e", "invalid_path"),
        (b"path=/workspace/wire/a%00b", "invalid_path"),
        (b"path=/workspace/wire//x", "invalid_path"),
        (b"path=/workspace/wire/%ff", "invalid_path"),
        (b"path=/workspace/wire/%ed%a0%80", "invalid_path"),  # a surrogate, UTF-8 style
        (b"path=/workspace/wire/%c0%ae%c0%ae", "invalid_path"),  # overlong '..'
        (b"path=/workspace/wire/pct%zz", "invalid_path"),  # not an escape: no guessing
        (b"path=/workspace/wire/pct%2", "invalid_path"),
        (b"path=/workspace/wire/pct%", "invalid_path"),
        (b"path=/workspace/wire&recursive=tr%zzue", "invalid_request"),
        (b"path=/workspace/wire/a&path=/workspace", "invalid_path"),  # which one?
        (b"path=/workspace/wire&recursive=true&recursive=false", "invalid_request"),
        (b"path=/workspace/wire&recursive=%ff", "invalid_request"),
    ],
)
def test_tricks_in_the_query_string_are_refused(wire: Wire, query: bytes, reason: str) -> None:
    for method, route, _extra in ROUTES[:7]:
        answer = wire.send(method, route, query)
        assert answer.status_code == 400, (route, answer.text)
        assert answer.json()["error"]["reason"] == reason, (route, answer.text)


def test_percent_encoding_is_decoded_exactly_once(wire: Wire) -> None:
    # %252e%252e is the name '%2e%2e' (decoded once), never '..' (decoded twice).
    for name in ("%2e%2e", "%2E%2e", "%2f", "%25", "%"):
        path = f"{BASE}/{name}"
        query = b"path=" + quote(path, safe="/").encode()
        answer = wire.send("PUT", "/files/content", query, name.encode())
        assert (answer.status_code, answer.json()["name"]) == (200, name), answer.text
        assert wire.send("GET", "/files/content", query).content == name.encode()
    assert {"%2e%2e", "%2E%2e", "%2f", "%25", "%"} <= set(wire.names(BASE))
    # '%2f' decoded is '/', a separator like any other: a%2fb is the folder a, file b.
    answer = wire.send("PUT", "/files/content", f"path={BASE}/a%2fb".encode(), b"ab")
    assert answer.json()["path"] == f"{BASE}/a/b"


@pytest.mark.parametrize(
    "target",
    [
        b"/api/v1/files/list?path=/workspace/wire/\xc3\xa9",  # raw UTF-8, not percent-encoded
        b"/api/v1/files/list?path=/workspace/wire/\xff",
        b"/api/v1/files/list?path=/workspace/wire/a b",
        b"/api/v1/files/list?path=/workspace/wire/\x00",
    ],
)
def test_raw_bytes_in_the_request_line_are_a_400(wire: Wire, target: bytes) -> None:
    """Bytes a URL may not hold: the HTTP parser refuses them (a 400 with the API's error
    body) before any route could misread them."""
    address = httpx.URL(wire.url)
    with socket.create_connection((address.host, address.port or 80), timeout=10) as sock:
        sock.sendall(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        answer = b""
        while chunk := sock.recv(65536):
            answer += chunk
    assert answer.startswith(b"HTTP/1.1 400 "), answer[:200]
    assert b'"reason": "invalid_request"' in answer, answer[:300]


def test_names_with_odd_characters_round_trip_byte_exact(wire: Wire) -> None:
    folder = f"{BASE}/names"
    names = [
        t
        for t in TRICKS
        if "/" not in t and canonical(f"{folder}/{t}", file=True) == f"{folder}/{t}"
    ]
    assert {"a b", "#", "?", "%", "*", "[", '"quoted"', "'single'", "a:b", "😀"} <= set(names)
    route = wire.url + API_PREFIX + "/files/content"
    for name in names:
        path = f"{folder}/{name}"
        written = wire.http.put(route, params={"path": path}, content=name.encode())
        assert (written.status_code, written.json()["path"]) == (200, path), written.text
        assert wire.http.get(route, params={"path": path}).content == name.encode()
    assert sorted(wire.names(folder)) == sorted(names)


def test_answers_name_the_canonical_path_not_the_spelling(wire: Wire) -> None:
    spelt = f"{BASE}/cafe\u0301/"  # NFD, with a trailing slash
    canonical_path = f"{BASE}/caf\u00e9"
    query = b"path=" + quote(spelt, safe="/").encode()
    made = wire.clients["alice"].post(wire.url + API_PREFIX + "/files/mkdir", json={"path": spelt})
    assert made.json()["path"] == canonical_path, made.text
    for method, route in (("GET", "/files/stat"), ("GET", "/locks"), ("DELETE", "/files")):
        answer = wire.send(method, route, query)
        assert answer.json()["path"] == canonical_path, (route, answer.text)
