"""`nexus demo`: start a server on a temporary data dir and play the team scenario on it.

Only the client layer is used (``nexus.client``, plus ``nexus.api``, ``nexus.config``,
``nexus.errors`` and ``nexus.paths``): the demo is a user of the server like any other, and
the server runs as a real subprocess.
"""

from __future__ import annotations

import click

__all__ = ["demo"]


@click.command()
@click.option(
    "--port",
    type=click.IntRange(1, 65535),
    default=None,
    help="Port for the demo server [default: a free port].",
)
@click.option(
    "--keep",
    is_flag=True,
    help="Leave the server (and its data dir) running afterwards, to explore it.",
)
def demo(port: int | None, keep: bool) -> None:
    """Play the team-collaboration tutorial against a fresh local server.

    Starts `nexus serve` on a temporary data dir (embedded SQLite store), creates alice, bob
    and carol, shares a project, and shows who can and cannot do what. Exits 0 only when
    every expected outcome happened.
    """
    # Imported here: `nexus --help` should not pay for rich and the scenario.
    from nexus.demo.run import run_demo

    raise SystemExit(run_demo(port=port, keep=keep))
