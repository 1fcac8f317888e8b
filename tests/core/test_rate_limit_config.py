"""Rate limit settings: NEXUS_RATE_LIMIT, NEXUS_AUTH_FAILURE_LIMIT, NEXUS_RATE_LIMIT_STORAGE
and their `nexus serve` flags; bad values are refused before the server starts."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from nexus.config import DEFAULT_AUTH_FAILURE_LIMIT, DEFAULT_RATE_LIMIT, ServerSettings
from nexus.errors import NexusValidationError
from nexus.server.command import serve

VARIABLES = ("NEXUS_RATE_LIMIT", "NEXUS_AUTH_FAILURE_LIMIT")
BAD_LIMITS = ["0/second", "-1/minute", "lots", "600/fortnight", "600/minute;", "600", " "]


def test_defaults() -> None:
    settings = ServerSettings.from_env({})
    assert (settings.rate_limit, settings.auth_failure_limit) == ("30000/minute", "60/minute")
    assert (DEFAULT_RATE_LIMIT, DEFAULT_AUTH_FAILURE_LIMIT) == ("30000/minute", "60/minute")
    assert settings.rate_limit_storage == "memory://"


def test_environment_flags_and_off() -> None:
    env = {
        "NEXUS_RATE_LIMIT": "20/second; 600/minute",
        "NEXUS_AUTH_FAILURE_LIMIT": "Off",
        "NEXUS_RATE_LIMIT_STORAGE": "redis://127.0.0.1:6379/2",
    }
    settings = ServerSettings.from_env(env)
    assert settings.rate_limit == "20/second; 600/minute"
    assert settings.auth_failure_limit is None
    assert settings.rate_limit_storage == "redis://127.0.0.1:6379/2"
    flagged = ServerSettings.from_env(env, rate_limit="off", auth_failure_limit="10 per hour")
    assert (flagged.rate_limit, flagged.auth_failure_limit) == (None, "10 per hour")


@pytest.mark.parametrize("variable", VARIABLES)
@pytest.mark.parametrize("text", BAD_LIMITS)
def test_a_bad_limit_is_refused(variable: str, text: str) -> None:
    with pytest.raises(NexusValidationError) as info:
        ServerSettings.from_env({variable: text})
    assert info.value.detail_code == "invalid_config"
    if text.strip():
        assert variable in info.value.message


@pytest.mark.parametrize(
    "uri", ["memcached://127.0.0.1:11211", "mongodb://x", "127.0.0.1:6379", "redis", "off"]
)
def test_an_unsupported_storage_is_refused(uri: str) -> None:
    with pytest.raises(NexusValidationError) as info:
        ServerSettings.from_env({"NEXUS_RATE_LIMIT_STORAGE": uri})
    assert info.value.detail_code == "invalid_config"
    assert "NEXUS_RATE_LIMIT_STORAGE" in info.value.message


def test_a_bad_flag_value_is_refused_even_over_a_good_environment() -> None:
    with pytest.raises(NexusValidationError) as info:
        ServerSettings.from_env({"NEXUS_RATE_LIMIT": "5/second"}, rate_limit="5/fortnight")
    assert "--rate-limit" in info.value.message


@pytest.fixture
def started(monkeypatch: pytest.MonkeyPatch) -> list[ServerSettings]:
    """The settings `nexus serve` would have started a server with (it starts none)."""
    from nexus.server import run

    seen: list[ServerSettings] = []
    monkeypatch.setattr(run, "serve", lambda settings, access_log: seen.append(settings))
    return seen


def test_serve_flags_set_the_limits(started: list[ServerSettings], tmp_path: Path) -> None:
    seen = started
    flags = ["--rate-limit", "100/second", "--auth-failure-limit", "off"]
    result = CliRunner().invoke(serve, ["--data-dir", str(tmp_path), *flags], env={})
    assert result.exit_code == 0, result.output
    assert (seen[0].rate_limit, seen[0].auth_failure_limit) == ("100/second", None)


@pytest.mark.parametrize(
    ("flag", "value"),
    [
        ("--rate-limit", "0/second"),
        ("--auth-failure-limit", "many"),
        ("--rate-limit-storage", "mongodb://x"),
    ],
)
def test_serve_refuses_a_bad_flag_before_starting(
    started: list[ServerSettings], flag: str, value: str
) -> None:
    refused = CliRunner().invoke(serve, [flag, value])
    assert refused.exit_code == 2
    assert flag in refused.output
    assert started == []


@pytest.mark.parametrize("variable", [*VARIABLES, "NEXUS_RATE_LIMIT_STORAGE"])
def test_serve_refuses_a_bad_environment_value_before_starting(
    started: list[ServerSettings], variable: str
) -> None:
    refused = CliRunner().invoke(serve, [], env={variable: "never"})
    assert refused.exit_code == 1
    assert variable in refused.output
    assert started == []
