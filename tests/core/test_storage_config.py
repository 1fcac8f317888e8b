"""Retention and garbage-collection settings from the environment."""

from __future__ import annotations

import pytest

from nexus.config import ServerSettings
from nexus.errors import NexusValidationError


def test_defaults_keep_history_but_not_forever() -> None:
    settings = ServerSettings.from_env({})
    assert settings.version_keep_last == 100
    assert settings.version_keep_days == 90
    assert settings.blob_grace_seconds == 3600
    assert settings.storage_sweep_seconds == 3600


def test_environment_and_overrides() -> None:
    env = {
        "NEXUS_VERSION_KEEP_LAST": "5",
        "NEXUS_VERSION_KEEP_DAYS": "0",
        "NEXUS_BLOB_GRACE_SECONDS": "60",
        "NEXUS_STORAGE_SWEEP_SECONDS": "120",
    }
    settings = ServerSettings.from_env(env)
    assert (settings.version_keep_last, settings.version_keep_days) == (5, 0)
    assert (settings.blob_grace_seconds, settings.storage_sweep_seconds) == (60, 120)
    # A command-line option wins over the environment.
    assert ServerSettings.from_env(env, version_keep_last=7).version_keep_last == 7


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        ("NEXUS_VERSION_KEEP_LAST", "-1"),
        ("NEXUS_VERSION_KEEP_LAST", "many"),
        ("NEXUS_VERSION_KEEP_DAYS", "1.5"),
        ("NEXUS_BLOB_GRACE_SECONDS", "0"),
        ("NEXUS_STORAGE_SWEEP_SECONDS", "0"),
    ],
)
def test_bad_values_are_refused(variable: str, value: str) -> None:
    with pytest.raises(NexusValidationError) as info:
        ServerSettings.from_env({variable: value})
    assert info.value.detail_code == "invalid_config"
    assert variable in str(info.value)
