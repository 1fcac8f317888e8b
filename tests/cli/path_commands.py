"""What the CLI path fuzz does with one input: every path-taking ``nexus`` command, in
process (click's CliRunner) against a real server, so each really talks HTTP.

A refused input makes every command exit 1 (2 for the yes/no commands check, explain and
check-batch) with one ``Error: ... (invalid_argument: invalid_path)`` line on stderr and
nothing on stdout, never a traceback. An accepted one below the example's folder goes through
every command, and each shows the canonical name: ``ls`` lists it once, ``cat`` gives the
bytes, the tables and trees of ``rebac list`` and ``rebac expand`` print it as it is.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import click
import httpx
from click.testing import CliRunner, Result

from nexus.cli.context import CliState, ConnectionOptions
from nexus.cli.main import cli
from nexus.client import HttpClient, NexusClient
from nexus.errors import has_surrogate
from tests.support.path_inputs import canonical, name_of, parent_of

# Parameter names through which a command takes a path; FILE|- inputs of relationships
# (check-batch, write) carry paths too and are listed by hand.
PATH_PARAMETERS = {"path", "src", "dst", "object_id"}
PATH_FILE_COMMANDS = {("rebac", "check-batch"), ("rebac", "write")}
VERDICT_COMMANDS = {("rebac", "check"), ("rebac", "explain"), ("rebac", "check-batch")}
TEXT = "first line\nsecond 😀\n"
# Rich folds a table cell at a line separator: the table of `rebac list` shows such a name
# on two lines (--json gives it whole).
LINE_SEPARATORS = ("\u2028", "\u2029")


def path_taking_commands() -> set[tuple[str, ...]]:
    """Every ``nexus`` command with a path-like argument or option."""
    found: set[tuple[str, ...]] = set()

    def walk(group: click.Group, prefix: tuple[str, ...]) -> None:
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                walk(command, (*prefix, name))
            elif PATH_PARAMETERS & {param.name for param in command.params}:
                found.add((*prefix, name))

    walk(cli, ())
    return found | PATH_FILE_COMMANDS


def _words(args: Sequence[str]) -> tuple[str, ...]:
    return tuple(args[:2]) if args[0] in ("rebac", "admin") else (args[0],)


class SharedTransport(httpx.HTTPTransport):
    """One connection pool for every command run in process: a new client would build a
    TLS context each time (tens of milliseconds), which is all the time these runs take."""

    def close(self) -> None:
        """Each command closes its client; the pool stays for the next one."""

    def close_for_good(self) -> None:
        super().close()


@dataclass
class Nexus:
    """``nexus ...`` as one of the team, in process; notes which commands got the input."""

    url: str
    keys: dict[str, str]
    transport: SharedTransport
    given: str = ""
    seen: set[tuple[str, ...]] = field(default_factory=set)

    def __call__(self, user: str, *args: str, stdin: str | None = None) -> Result:
        if self.given in args or (stdin and _json(self.given) in stdin):
            self.seen.add(_words(args))

        def client(_options: ConnectionOptions) -> NexusClient:
            return HttpClient(self.url, self.keys[user], transport=self.transport)

        state = CliState(client_factory=client)
        result = CliRunner().invoke(cli, list(args), obj=state, input=stdin)
        if result.exception is not None and not isinstance(result.exception, SystemExit):
            raise AssertionError(f"nexus {args!r} raised") from result.exception
        assert "Traceback" not in result.stderr, result.stderr
        return result


def ok(result: Result) -> Result:
    assert result.exit_code == 0, (result.exit_code, result.stderr)
    return result


def as_json(result: Result) -> Any:
    return json.loads(ok(result).stdout)


def _positional(*values: str) -> list[str]:
    """Positional arguments, after ``--`` when one could pass for an option."""
    return ["--", *values] if any(value.startswith("-") for value in values) else list(values)


def _json(value: object) -> str:
    """JSON as a person writes it (Unicode as is); a lone surrogate, which no text file can
    hold, only as its escape."""
    text = json.dumps(value, ensure_ascii=False)
    return text if not has_surrogate(text) else json.dumps(value)


def _relationship_lines(path: str) -> str:
    item = {"subject_type": "user", "subject_id": "bob", "relation": "can_read", "object_id": path}
    return _json(item) + "\n"


@dataclass
class Folders:
    base: str  # the input's playground, alice's
    aside: str  # alice's too, holds spare.txt

    @property
    def spare(self) -> str:
        return self.aside + "/spare.txt"


def invocations(folders: Folders, given: str) -> list[tuple[str, list[str], str | None]]:
    """(user, args, stdin) handing ``given`` to each path-taking command once or more."""
    p = _positional
    grant = ["user", "bob", "file"]
    lines = _relationship_lines(given)
    return [
        ("alice", ["ls", *p(given)], None),
        ("alice", ["ls", "-r", "-l", *p(given)], None),
        ("alice", ["cat", *p(given)], None),
        ("alice", ["cat", "--version", "1", *p(given)], None),
        ("alice", ["cat", "--offset", "1", "--length", "2", *p(given)], None),
        ("alice", ["write", *p(given, TEXT)], None),
        ("alice", ["write", *p(given)], TEXT),
        ("alice", ["append", *p(given, TEXT)], None),
        ("alice", ["mkdir", *p(given)], None),
        ("alice", ["rm", *p(given)], None),
        ("alice", ["rm", "-r", *p(given)], None),
        ("alice", ["mv", *p(given, folders.aside + "/moved")], None),
        ("alice", ["mv", *p(folders.spare, given)], None),
        ("alice", ["cp", *p(given, folders.aside + "/copied")], None),
        ("alice", ["cp", *p(folders.spare, given)], None),
        ("alice", ["stat", *p(given)], None),
        ("alice", ["restrict", *p(given)], None),
        ("alice", ["versions", *p(given)], None),
        ("alice", ["restore", *p(given, "1")], None),
        ("alice", ["lock", "--ttl", "60", *p(given)], None),
        ("alice", ["unlock", *p(given, "nxl_not-a-token")], None),
        ("alice", ["extend-lock", "--ttl", "60", *p(given, "nxl_not-a-token")], None),
        ("alice", ["lock-info", *p(given)], None),
        ("alice", ["activity", *p(given)], None),
        ("admin", ["admin", "audit", "--path", given], None),
        ("alice", ["rebac", "grant", "--relation", "can_read", *p(*grant, given)], None),
        ("alice", ["rebac", "revoke", "--relation", "can_read", *p(*grant, given)], None),
        ("alice", ["rebac", "check", "--relation", "can_read", *p(*grant, given)], None),
        ("alice", ["rebac", "explain", "--relation", "can_read", *p(*grant, given)], None),
        ("alice", ["rebac", "list", "--object-id", given], None),
        ("alice", ["rebac", "list-objects", "can_read", "--under", given], None),
        ("alice", ["rebac", "list-subjects", "can_read", *p(given)], None),
        ("alice", ["rebac", "expand", "can_read", *p(given)], None),
        ("alice", ["rebac", "check-batch", "-"], lines),
        ("alice", ["rebac", "write", "-"], lines),
        ("alice", ["rebac", "delete", "--object", given], None),
    ]


READ_ONLY = {"ls", "cat", "stat", "versions", "lock-info", "activity", "audit", "check"}
READ_ONLY |= {"explain", "list", "list-objects", "list-subjects", "expand", "check-batch"}


def refused(nexus: Nexus, folders: Folders, given: str, only: set[str] | None = None) -> None:
    before = tree(nexus)
    for user, args, stdin in invocations(folders, given):
        if only is not None and args[0] not in only:
            continue
        result = nexus(user, *args, stdin=stdin)
        expected_status = 2 if _words(args) in VERDICT_COMMANDS else 1
        lines = result.stderr.splitlines()
        assert (result.exit_code, result.stdout, len(lines)) == (expected_status, "", 1), (
            args,
            result.exit_code,
            result.stdout,
            result.stderr,
        )
        assert lines[0].startswith("Error: ") and lines[0].endswith(" invalid_path)"), lines
    assert tree(nexus) == before


def elsewhere(nexus: Nexus, folders: Folders, given: str) -> None:
    before = tree(nexus)
    for user, args, stdin in invocations(folders, given):
        if args[0] in READ_ONLY or (len(args) > 1 and args[1] in READ_ONLY):
            result = nexus(user, *args, stdin=stdin)
            assert "invalid_path" not in result.stderr, (args, result.stderr)
    assert tree(nexus) == before


def tree(nexus: Nexus) -> list[Any]:
    return [(e["path"], e["version"]) for e in as_json(nexus("admin", "ls", "-r", "--json", "/"))]


def _names(nexus: Nexus, directory: str) -> list[str]:
    # One entry a line: a name may hold U+2028, which str.splitlines would split.
    return ok(nexus("alice", "ls", *_positional(directory))).stdout.split("\n")[:-1]


def life(nexus: Nexus, folders: Folders, given: str, path: str, *, file: bool) -> None:
    """``given`` (canonical ``path``, below base) through every command."""
    p = _positional
    if not file:
        assert ok(nexus("alice", "mkdir", *p(given))).stdout == f"Directory {path} is ready.\n"
        assert _names(nexus, parent_of(path)).count(name_of(path) + "/") == 1
        assert as_json(nexus("alice", "restrict", "--json", *p(given)))["restricted"] is True
        ok(nexus("alice", "restrict", "--off", *p(given)))
        assert ok(nexus("alice", "ls", *p(given))).stdout == ""
        ok(nexus("alice", "rm", "-r", *p(given)))
        return
    size = len(TEXT.encode())
    written = ok(nexus("alice", "write", *p(given, TEXT))).stdout
    assert written == f"Wrote {size} bytes to {path} (version 1).\n"
    assert ok(nexus("alice", "cat", *p(given))).stdout_bytes == TEXT.encode()
    assert _names(nexus, parent_of(path)).count(name_of(path)) == 1
    listed = as_json(nexus("alice", "ls", "-r", "--json", folders.base))
    assert path in [entry["path"] for entry in listed]
    assert as_json(nexus("alice", "stat", "--json", *p(given)))["path"] == path
    assert as_json(nexus("alice", "append", "--json", *p(given), stdin=TEXT))["version"] == 2
    versions = as_json(nexus("alice", "versions", "--json", *p(given)))
    assert [v["version"] for v in versions] == [2, 1]
    assert ok(nexus("alice", "cat", "--version", "1", *p(given))).stdout_bytes == TEXT.encode()
    assert as_json(nexus("alice", "restore", "--json", *p(given, "1")))["version"] == 3

    token = ok(nexus("alice", "lock", "--ttl", "60", *p(given))).stdout.strip()
    info = as_json(nexus("alice", "lock-info", "--json", *p(given)))
    assert (info["path"], info["locked"]) == (path, True)
    ok(nexus("alice", "extend-lock", "--ttl", "60", *p(given, token)))
    ok(nexus("alice", "unlock", *p(given, token)))

    relation = ["--relation", "can_read"]
    bob = ["user", "bob", "file", given]
    ok(nexus("alice", "rebac", "grant", *relation, *p(*bob)))
    assert ok(nexus("bob", "cat", *p(path))).stdout_bytes == TEXT.encode()
    assert nexus("alice", "rebac", "check", *relation, *p(*bob)).exit_code == 0
    assert nexus("alice", "rebac", "explain", *relation, *p(*bob)).exit_code == 0
    records = as_json(nexus("alice", "rebac", "list", "--json", "--object-id", given))
    assert {r["object_id"] for r in records} == {path}
    table = ok(nexus("alice", "rebac", "list", "--object-id", given)).stdout
    if not any(separator in path for separator in LINE_SEPARATORS):
        assert f"file:{path} " in table, table  # printed as it is, never as markup
    subjects = ok(nexus("alice", "rebac", "list-subjects", "can_read", *p(given))).stdout
    assert "user:bob" in subjects.split("\n")
    expanded = ok(nexus("alice", "rebac", "expand", "can_read", *p(given))).stdout
    assert f"file:{path}#can_read" in expanded, expanded
    owned = ok(nexus("alice", "rebac", "list-objects", "owner", "--under", given)).stdout
    assert owned == path + "\n"
    ok(nexus("alice", "rebac", "revoke", *relation, *p(*bob)))
    assert nexus("alice", "rebac", "check", *relation, *p(*bob)).exit_code == 1
    lines = _relationship_lines(given)
    ok(nexus("alice", "rebac", "write", "-", stdin=lines))
    assert nexus("alice", "rebac", "check-batch", "-", stdin=lines).exit_code == 0
    ok(nexus("alice", "rebac", "delete", "--object", given, "--relation", "can_read"))
    assert nexus("alice", "rebac", "check-batch", "-", stdin=lines).exit_code == 1

    events = as_json(nexus("alice", "activity", "--json", *p(given)))["events"]
    assert {e["path"] for e in events} == {path}
    audited = as_json(nexus("admin", "admin", "audit", "--json", "--path", given))["events"]
    assert audited and {e["path"] for e in audited} == {path}

    moved, copied = folders.aside + "/moved", folders.aside + "/copied"
    ok(nexus("alice", "mv", *p(given, moved)))
    assert ok(nexus("alice", "mv", *p(moved, given))).stdout == f"Moved {moved} -> {path}.\n"
    ok(nexus("alice", "cp", *p(given, copied)))
    ok(nexus("alice", "rm", *p(given)))
    assert name_of(path) not in _names(nexus, parent_of(path))
    assert ok(nexus("alice", "cp", *p(copied, given))).stdout == f"Copied {copied} -> {path}.\n"
    assert ok(nexus("alice", "cat", *p(given))).stdout_bytes == TEXT.encode()
    ok(nexus("alice", "rm", *p(given)))
    ok(nexus("alice", "rm", copied))


def run(nexus: Nexus, folders: Folders, given: str) -> None:
    as_directory, as_file = canonical(given), canonical(given, file=True)
    if as_directory is None:
        refused(nexus, folders, given)
        return
    if not as_directory.startswith(folders.base + "/"):
        elsewhere(nexus, folders, given)
        return
    before = tree(nexus)
    if as_file is None:
        refused(nexus, folders, given, only={"write", "append"})
    else:
        life(nexus, folders, given, as_file, file=True)
    life(nexus, folders, given, as_directory, file=False)
    top = folders.base + "/" + as_directory[len(folders.base) + 1 :].split("/")[0]
    if top != as_directory:
        ok(nexus("alice", "rm", "-r", top))
    assert tree(nexus) == before
