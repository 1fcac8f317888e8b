"""The `nexus` console script: the client CLI plus `nexus serve` and `nexus admin fsck` from
the server package.

Assembled here, outside both packages, so the CLI never imports server-side code.
"""

from __future__ import annotations

from nexus.cli.admin import admin
from nexus.cli.main import cli
from nexus.cli.main import main as cli_main
from nexus.demo import demo
from nexus.server.command import serve
from nexus.server.fsck_command import fsck

cli.add_command(serve)
cli.add_command(demo)
admin.add_command(fsck)


def main() -> None:
    cli_main()
