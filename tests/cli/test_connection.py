"""How the CLI picks its identity and server, and how failures look (no Nexus server)."""

from __future__ import annotations

import json
import socketserver
import tempfile
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from nexus.cli.context import ConnectionOptions, open_client
from nexus.cli.main import cli
from nexus.client.http import HttpClient
from nexus.config import admin_socket_path
from nexus.errors import NexusError

from .conftest import Run


def test_api_key_from_environment_talks_http_to_default_url(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("NEXUS_API_KEY", "nxk_env")
    client = open_client(ConnectionOptions())
    assert isinstance(client, HttpClient)
    assert client.url == "http://127.0.0.1:2026"
    assert client.uds is None
    client.close()


def test_options_win_over_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXUS_API_KEY", "nxk_env")
    monkeypatch.setenv("NEXUS_URL", "http://env:1")
    client = open_client(ConnectionOptions(url="http://opt:2", api_key="nxk_opt"))
    assert isinstance(client, HttpClient)
    assert client.url == "http://opt:2"
    assert client._http.headers["Authorization"] == "Bearer nxk_opt"
    client.close()


@pytest.mark.parametrize(
    ("args", "env"),
    [(["whoami"], {"NEXUS_API_KEY": ""}), (["--api-key", "", "whoami"], {"NEXUS_API_KEY": None})],
)
def test_an_empty_key_is_an_error_not_the_admin_socket(
    tmp_path: Path, args: list[str], env: dict[str, str | None]
) -> None:
    # A socket is there to be used: an empty key must still not fall back to it.
    sock = tmp_path / "admin.sock"
    sock.touch()
    result = CliRunner().invoke(cli, args, env={**env, "NEXUS_ADMIN_SOCKET": str(sock)})
    assert result.exit_code != 0
    assert "set but empty" in result.output
    assert "system" not in result.output


def test_without_key_uses_the_admin_socket_override(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sock = tmp_path / "admin.sock"
    sock.touch()
    monkeypatch.setenv("NEXUS_ADMIN_SOCKET", str(sock))
    client = open_client(ConnectionOptions(data_dir=tmp_path / "ignored"))
    assert isinstance(client, HttpClient)
    assert client.uds == str(sock)
    assert "Authorization" not in client._http.headers
    client.close()


def test_without_key_reads_server_json_from_data_dir(tmp_path: Path) -> None:
    sock = tmp_path / "from-server-json.sock"
    sock.touch()
    (tmp_path / "server.json").write_text(json.dumps({"port": 2026, "admin_socket": str(sock)}))
    client = open_client(ConnectionOptions(data_dir=tmp_path))
    assert isinstance(client, HttpClient)
    assert client.uds == str(sock)
    client.close()


def test_data_dir_without_server_json(tmp_path: Path) -> None:
    with pytest.raises(NexusError, match=r"server\.json does not exist"):
        open_client(ConnectionOptions(data_dir=tmp_path))


def test_without_key_or_socket_the_error_names_the_socket(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NEXUS_URL", "http://localhost:7777")
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(tmp_path))
    expected = admin_socket_path(7777)
    assert str(tmp_path) in str(expected)
    with pytest.raises(NexusError) as info:
        open_client(ConnectionOptions())
    message = str(info.value)
    assert "no NEXUS_API_KEY is set" in message
    assert f"no local admin socket was found at {expected}" in message
    assert "nexus serve" in message


def test_cli_without_server_prints_one_line_and_exits_1(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("NEXUS_ADMIN_SOCKET", str(tmp_path / "missing.sock"))
    result = CliRunner().invoke(cli, ["admin", "list-users"])
    assert result.exit_code == 1
    assert result.stdout == ""
    assert len(result.stderr.splitlines()) == 1
    assert result.stderr.startswith("Error: no NEXUS_API_KEY is set")
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_cli_with_key_and_server_down(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NEXUS_API_KEY", "nxk_x")
    result = CliRunner().invoke(cli, ["--url", "http://127.0.0.1:1", "ls", "/workspace"])
    assert result.exit_code == 1
    assert result.stderr.startswith("Error: cannot reach Nexus server at http://127.0.0.1:1")
    assert "Traceback" not in result.output


def test_global_options_reach_the_factory(run: Run, seen_options: list[ConnectionOptions]) -> None:
    run(["--api-key", "k", "--url", "http://h:1", "admin", "--data-dir", "/srv/nx", "list-keys"])
    assert seen_options[0] == ConnectionOptions(
        url="http://h:1", api_key="k", data_dir=Path("/srv/nx")
    )


def test_unknown_command_is_a_usage_error(run: Run) -> None:
    result = run(["frobnicate"])
    assert result.exit_code == 2


def test_help_needs_no_connection(run: Run, seen_options: list[ConnectionOptions]) -> None:
    result = run(["admin", "--help"])
    assert result.exit_code == 0
    assert "create-user-key" in result.stdout
    assert seen_options == []


class _AdminHandler(BaseHTTPRequestHandler):
    seen: list[dict[str, Any]] = []  # noqa: RUF012

    def do_GET(self) -> None:
        type(self).seen.append({"path": self.path, "auth": self.headers.get("Authorization")})
        body = json.dumps(
            {
                "users": [
                    {
                        "id": "admin",
                        "name": "Admin User",
                        "email": "admin@example.com",
                        "is_admin": True,
                        "disabled": False,
                        "created": "2026-01-01T00:00:00",
                    }
                ]
            }
        ).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def address_string(self) -> str:
        return "unix"

    def log_message(self, format: str, *args: Any) -> None:
        return


@pytest.fixture
def unix_http_server() -> Iterator[Path]:
    directory = Path(tempfile.mkdtemp(prefix="nx-"))  # short: socket paths max ~100 bytes
    sock = directory / "admin.sock"
    server = socketserver.UnixStreamServer(str(sock), _AdminHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield sock
    finally:
        server.shutdown()
        server.server_close()
        sock.unlink(missing_ok=True)
        directory.rmdir()


def test_admin_command_over_a_real_unix_socket(
    monkeypatch: pytest.MonkeyPatch, unix_http_server: Path
) -> None:
    _AdminHandler.seen.clear()
    monkeypatch.setenv("NEXUS_ADMIN_SOCKET", str(unix_http_server))
    result = CliRunner().invoke(cli, ["admin", "list-users"])
    assert result.exit_code == 0, result.output
    assert result.stdout == "Users:\n- admin (Admin User) - admin@example.com\n"
    assert _AdminHandler.seen == [{"path": "/api/v1/admin/users", "auth": None}]
