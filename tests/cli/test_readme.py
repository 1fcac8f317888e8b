"""README's CLI section names only commands and options the CLI has, so a rename or a
removed command fails here instead of in a new user's terminal."""

from __future__ import annotations

import re
from pathlib import Path

import click

# The console script as installed: entrypoint also attaches serve, demo and admin fsck.
from nexus.entrypoint import cli

README = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")


def commands_of(group_name: str) -> set[str]:
    group = cli.commands[group_name]
    assert isinstance(group, click.Group)
    return set(group.commands)


def test_every_rebac_and_admin_command_in_the_readme_exists() -> None:
    for group in ("rebac", "admin"):
        named = set(re.findall(rf"nexus {group} ([a-z][a-z-]*)", README))
        for listed in re.findall(rf"`nexus {group} ([a-z|-]+)`", README.replace("\n", "")):
            named.update(listed.split("|"))
        assert named, group
        assert named <= commands_of(group), named - commands_of(group)
    assert {"explain", "check", "check-batch"} <= set(re.findall(r"nexus rebac ([a-z-]+)", README))


def test_the_connection_options_the_readme_names_exist() -> None:
    options = {opt for param in cli.params for opt in param.opts}
    used = re.findall(r"nexus (--[a-z-]+) ", README)
    assert {"--url", "--data-dir"} <= set(used)
    assert set(used) <= options, set(used) - options
    assert "NEXUS_URL" in README and "explain_permission" in README
