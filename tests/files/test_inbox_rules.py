"""Inboxes: senders drop plain files; only the recipient organises the inbox."""

from __future__ import annotations

import pytest

from nexus.errors import NexusPermissionError, NexusValidationError
from nexus.files import NexusService, Principal

INBOX = "/workspace/.notifications/bob"


def test_senders_drop_files_but_make_no_folders(
    service: NexusService, people: dict[str, Principal]
) -> None:
    alice, bob = people["alice"], people["bob"]
    service.files.write(alice, f"{INBOX}/hello.json", b"{}")
    with pytest.raises(NexusPermissionError):
        service.files.write(alice, f"{INBOX}/sub/x.json", b"x")
    with pytest.raises(NexusPermissionError):
        service.files.mkdir(alice, f"{INBOX}/folder")
    with pytest.raises(NexusPermissionError):
        service.files.write(alice, f"{INBOX}/hello.json", b"overwrite")
    names = [info["path"] for info in service.files.list(bob, INBOX, recursive=True)]
    assert names == [f"{INBOX}/hello.json"]
    assert service.files.read(bob, f"{INBOX}/hello.json")[0] == b"{}"

    service.files.write(bob, f"{INBOX}/archive/hello.json", b"{}")  # the recipient may
    with pytest.raises(NexusValidationError):
        service.files.write(alice, "/workspace/.notifications/nobody/x.json", b"x")
