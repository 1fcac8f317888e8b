"""Client settings: explicit config over the environment, typos refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from nexus.config import ClientSettings, ServerSettings, admin_socket_path
from nexus.errors import NexusValidationError


def test_explicit_config_wins_over_environment() -> None:
    env = {"NEXUS_URL": "http://env:1", "NEXUS_API_KEY": "nxk_env"}
    settings = ClientSettings.from_env({"url": "http://given:2"}, environ=env)
    assert settings.url == "http://given:2"
    assert settings.api_key == "nxk_env"
    assert settings.port == 2


@pytest.mark.parametrize(
    "config", [{"URL": "http://x"}, {"apikey": "k"}, {"timeout": "soon"}, {"timeout": -1}]
)
def test_bad_config_is_refused(config: dict[str, object]) -> None:
    with pytest.raises(NexusValidationError):
        ClientSettings.from_env(config, environ={})


@pytest.mark.parametrize(
    ("config", "env"),
    [
        ({"api_key": ""}, {}),
        ({"api_key": " "}, {"NEXUS_API_KEY": "nxk_env"}),  # given wins, even empty
        ({}, {"NEXUS_API_KEY": ""}),
        ({"url": "http://x:1"}, {"NEXUS_API_KEY": "\n"}),
    ],
)
def test_a_key_set_but_empty_is_refused_not_taken_for_no_key(
    config: dict[str, object], env: dict[str, str]
) -> None:
    # No key means the local admin socket: an empty one must not quietly mean admin.
    with pytest.raises(NexusValidationError, match="set but empty") as info:
        ClientSettings.from_env(config, environ=env)
    assert info.value.detail_code == "invalid_config"


@pytest.mark.parametrize("key", ["nxk_é", "nxk_a\nb", "nxk_a b", "nxk_\x00", " nxk_a"])
def test_a_key_with_characters_no_key_has_is_refused(key: str) -> None:
    # It could not go in an HTTP header: a UnicodeEncodeError, or "cannot reach" for "\n".
    for config, env in (({"api_key": key}, {}), ({}, {"NEXUS_API_KEY": key})):
        with pytest.raises(NexusValidationError, match="no API key has") as info:
            ClientSettings.from_env({"url": "http://x:1", **config}, environ=env)
        assert info.value.detail_code == "invalid_config"


@pytest.mark.parametrize("key", [b"nxk_abc", 123, ["nxk_abc"]])
def test_a_key_that_is_no_string_is_refused(key: object) -> None:
    # It was turned into text ("b'nxk_abc'") and sent, to fail as an invalid key.
    with pytest.raises(NexusValidationError, match="must be a string") as info:
        ClientSettings.from_env({"url": "http://x:1", "api_key": key}, environ={})
    assert info.value.detail_code == "invalid_config"


def test_an_unset_key_is_no_key() -> None:
    assert ClientSettings.from_env({"api_key": None}, environ={}).api_key is None


def test_server_settings_from_environment(tmp_path: Path) -> None:
    env = {"NEXUS_DATA_DIR": str(tmp_path), "NEXUS_DATABASE_URL": "postgresql://x/y"}
    settings = ServerSettings.from_env(env, port=9999)
    assert settings.data_dir == tmp_path
    assert settings.resolved_database_url == "postgresql://x/y"
    assert settings.port == 9999
    default = ServerSettings.from_env({}, data_dir=str(tmp_path))
    assert default.resolved_database_url == f"sqlite:///{(tmp_path / 'nexus.db').resolve()}"


def test_session_sweep_interval() -> None:
    assert ServerSettings.from_env({}).session_sweep_seconds == 30
    every = ServerSettings.from_env({"NEXUS_SESSION_SWEEP_SECONDS": "0.5"})
    assert every.session_sweep_seconds == 0.5
    for text in ("0", "-1", "soon", "inf"):
        with pytest.raises(NexusValidationError):
            ServerSettings.from_env({"NEXUS_SESSION_SWEEP_SECONDS": text})


def test_admin_socket_is_per_user_and_per_port() -> None:
    path = admin_socket_path(2026, {"XDG_RUNTIME_DIR": "/run/user/7"})
    assert path.name == "admin-2026.sock"
    assert path.parent.name.startswith("nexus-")
    assert admin_socket_path(1, {"NEXUS_ADMIN_SOCKET": "/x.sock"}) == Path("/x.sock")
