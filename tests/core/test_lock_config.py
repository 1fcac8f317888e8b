"""The longest lock a server grants: 24 h by default, NEXUS_MAX_LOCK_TTL or --max-lock-ttl."""

from __future__ import annotations

import pytest
from click.testing import CliRunner

from nexus.config import ServerSettings
from nexus.errors import NexusValidationError
from nexus.server.command import serve


def test_default_and_environment() -> None:
    assert ServerSettings.from_env({}).max_lock_ttl == 86400
    assert ServerSettings.from_env({"NEXUS_MAX_LOCK_TTL": "90.5"}).max_lock_ttl == 90.5
    overridden = ServerSettings.from_env({"NEXUS_MAX_LOCK_TTL": "90"}, max_lock_ttl=30.0)
    assert overridden.max_lock_ttl == 30


@pytest.mark.parametrize("text", ["0", "-5", "abc", "nan", "inf", " "])
def test_a_bad_environment_value_is_refused(text: str) -> None:
    with pytest.raises(NexusValidationError) as info:
        ServerSettings.from_env({"NEXUS_MAX_LOCK_TTL": text})
    assert info.value.detail_code == "invalid_config"


def test_serve_refuses_a_bad_flag_and_env_before_starting() -> None:
    refused = CliRunner().invoke(serve, ["--max-lock-ttl", "0"])
    assert refused.exit_code == 2
    refused = CliRunner().invoke(serve, [], env={"NEXUS_MAX_LOCK_TTL": "never"})
    assert refused.exit_code == 1 and "NEXUS_MAX_LOCK_TTL" in refused.output
