"""HttpClient validates file infos into plain dicts (TypedDicts), as the models did."""

from __future__ import annotations

import pytest

from nexus.errors import NexusError

from .fakes import FILE_INFO, FakeServer


def test_a_server_without_restricted_reads_as_not_restricted() -> None:
    older = {key: value for key, value in FILE_INFO.items() if key != "restricted"}
    server = FakeServer().reply(body=older).reply(body={"entries": [older]})
    client = server.client()
    assert client.stat("/workspace/a.txt") == {**older, "restricted": False}
    assert client.list_files("/workspace") == [{**older, "restricted": False}]


def test_fields_a_newer_server_adds_are_left_out() -> None:
    newer = {**FILE_INFO, "colour": "blue"}
    server = FakeServer().reply(body=newer).reply(body={"entries": [newer, FILE_INFO]})
    client = server.client()
    assert client.move("/workspace/b.txt", "/workspace/a.txt") == FILE_INFO
    assert client.list_files("/workspace") == [FILE_INFO, FILE_INFO]


@pytest.mark.parametrize(
    "bad", [{"size": "large"}, {"type": "link"}, {"version": None}, {"path": 3}]
)
def test_a_malformed_entry_fails_the_whole_listing(bad: dict[str, object]) -> None:
    server = FakeServer().reply(body={"entries": [FILE_INFO, {**FILE_INFO, **bad}]})
    with pytest.raises(NexusError, match=r"unexpected answer .*\(expected FileList\)") as info:
        server.client().list_files("/workspace")
    assert type(info.value) is NexusError
    server.reply(body={**FILE_INFO, **bad})
    with pytest.raises(NexusError, match=r"\(expected FileInfo\)"):
        server.client().stat("/workspace/a.txt")
