from __future__ import annotations

from collections.abc import Callable, Sequence
from unittest.mock import create_autospec

import pytest
from click.testing import CliRunner, Result

from nexus.cli.context import CliState, ConnectionOptions
from nexus.cli.main import cli
from nexus.client.interface import NexusClient

Run = Callable[..., Result]


@pytest.fixture(autouse=True)
def clean_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("NEXUS_URL", "NEXUS_API_KEY", "NEXUS_ADMIN_SOCKET", "NEXUS_DATA_DIR"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture
def fake() -> NexusClient:
    """A NexusClient double whose methods check their arguments against the interface."""
    client: NexusClient = create_autospec(NexusClient, instance=True)
    return client


@pytest.fixture
def seen_options() -> list[ConnectionOptions]:
    return []


@pytest.fixture
def run(fake: NexusClient, seen_options: list[ConnectionOptions]) -> Run:
    def factory(options: ConnectionOptions) -> NexusClient:
        seen_options.append(options)
        return fake

    def invoke(args: Sequence[str], stdin: bytes | str | None = None) -> Result:
        state = CliState(client_factory=factory)
        return CliRunner().invoke(cli, list(args), obj=state, input=stdin)

    return invoke
