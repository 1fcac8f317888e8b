"""The activity log's retention setting from the environment."""

from __future__ import annotations

import pytest

from nexus.config import ServerSettings
from nexus.errors import NexusValidationError


def test_default_and_environment() -> None:
    assert ServerSettings.from_env({}).activity_keep_days == 90
    assert ServerSettings.from_env({"NEXUS_ACTIVITY_KEEP_DAYS": "7"}).activity_keep_days == 7
    assert ServerSettings.from_env({"NEXUS_ACTIVITY_KEEP_DAYS": "0"}).activity_keep_days == 0


@pytest.mark.parametrize("value", ["-1", "ninety", "1.5"])
def test_bad_values_are_refused(value: str) -> None:
    with pytest.raises(NexusValidationError) as info:
        ServerSettings.from_env({"NEXUS_ACTIVITY_KEEP_DAYS": value})
    assert info.value.detail_code == "invalid_config"
