"""The demo from start to verdict: server up, scenario, server down."""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

from rich.console import Console
from rich.markup import escape

from nexus.demo.report import Report
from nexus.demo.scenario import TeamScenario
from nexus.demo.server import DemoServer, free_port
from nexus.errors import NexusError


def run_demo(*, port: int | None = None, keep: bool = False, console: Console | None = None) -> int:
    """Run the whole demo; the exit status (0 when every expected outcome happened)."""
    console = console or Console(highlight=False)
    report = Report(console)
    root = Path(tempfile.mkdtemp(prefix="nexus-demo-"))
    server = DemoServer(root, port or free_port())
    console.rule("[bold]Nexus demo: the team-collaboration tutorial, live")
    report.say(f"Starting [bold]python -m nexus serve --port {server.port}[/] ...")
    try:
        server.start()
    except (NexusError, KeyboardInterrupt) as error:
        report.expect("the server starts", False, f"({error or type(error).__name__})")
        report.say(f"[bold]The end of its log ({server.log_path}):[/]")
        report.say(escape(server.log_tail()))
        server.stop()
        shutil.rmtree(root, ignore_errors=True)
        return report.summary()
    report.say(
        f"Server PID {server.pid} at {server.url}, data dir {server.settings.data_dir} "
        "(embedded SQLite store)."
    )
    scenario = TeamScenario(server, report)
    try:
        scenario.play()
    except KeyboardInterrupt:
        report.expect("the scenario runs to its end", False, "(interrupted)")
        keep = False
    except Exception as error:  # the verdict must still be printed and the server stopped
        report.expect("the scenario runs to its end", False, f"({type(error).__name__}: {error})")
    finally:
        scenario.close()
        if keep:
            _leave_running(report, server)
        else:
            _stop(report, server, root)
    return report.summary()


def _stop(report: Report, server: DemoServer, root: Path) -> None:
    report.section("Stopping the server")
    status = server.stop()
    report.expect(
        "the server stopped cleanly on SIGTERM (exit status 0)", status == 0, f"(status {status})"
    )
    report.expect(
        "it removed its server.json on the way out",
        not server.settings.server_info_file.exists(),
    )
    shutil.rmtree(root, ignore_errors=True)


def _leave_running(report: Report, server: DemoServer) -> None:
    report.section("The server keeps running (--keep)")
    data_dir = server.settings.data_dir
    report.say(f"URL:      {server.url}")
    report.say(f"PID:      {server.pid}")
    report.say(f"Data dir: {data_dir}")
    report.say(f"Log:      {server.log_path}")
    report.say("Keys were shown only as prefixes; make a new one to explore as alice:")
    report.say(f"  nexus admin --data-dir {data_dir} create-user-key alice")
    report.say(f"  export NEXUS_URL={server.url} NEXUS_API_KEY=<that key>; nexus ls -r /workspace")
    report.say(f"Stop it with: kill {server.pid}")
