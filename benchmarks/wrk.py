"""Driving a server with wrk (a C load generator) and reading its figures back.

Why wrk: a Python client process tops out at about 1,500 requests a second on this 2-core
machine even against a server that does nothing, so it would measure itself; wrk keeps
each of its connections busy for a few microseconds of CPU per request. One connection
is one client: it sends its next request when the last answer is in.
"""

from __future__ import annotations

import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

# Lua run by wrk: each thread numbers its requests (for distinct paths) and `done` prints
# one line of figures. Status codes other than 2xx count as errors: a benchmark of
# refused requests would be worthless.
_SCRIPT = """
-- setup runs in the main state: it numbers the threads; each thread reads its number
-- back as the global `thread_id` (a local of this chunk would shadow it).
local threads_made = 0
function setup(thread)
  threads_made = threads_made + 1
  thread:set("thread_id", threads_made)
end
function init(args)
  counter = 0
end
request = function()
  counter = counter + 1
  local unique = thread_id .. "-" .. counter
  local path = string.gsub(string.gsub(PATH, "{n}", unique), "{i}", counter % CYCLE)
  local body = BODY
  if UNIQUE_BODY then
    body = string.format("%-24s", unique) .. string.sub(BODY, 25)
  end
  return wrk.format(METHOD, path, HEADERS, body)
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("NEXUS-WRK %d %d %d %d %d\\n", summary.requests, summary.duration,
    e.status + e.connect + e.read + e.write + e.timeout,
    latency:percentile(50), latency:percentile(99)))
end
"""


@dataclass(frozen=True)
class Figures:
    requests: int
    errors: int
    ops_per_second: float
    p50_ms: float
    p99_ms: float


def require_wrk() -> str:
    found = shutil.which("wrk")
    if found is None:
        raise SystemExit(
            "the HTTP benchmark needs wrk (Debian/Ubuntu: apt-get install wrk); "
            "./scripts/bench installs it when it can"
        )
    return found


def _lua_string(text: str) -> str:
    """A Lua string literal: printable ASCII as is, every other byte as a ``\\ddd`` escape."""
    return (
        '"'
        + "".join(ch if " " <= ch <= "~" and ch not in '"\\' else f"\\{ord(ch):03d}" for ch in text)
        + '"'
    )


def run(
    url: str,
    method: str,
    path: str,
    *,
    api_key: str,
    body: bytes = b"",
    unique_body: bool = False,
    cycle: int = 1,
    connections: int = 16,
    threads: int = 2,
    seconds: int = 10,
) -> Figures:
    """``connections`` clients sending ``method path`` for ``seconds``. In ``path``, ``{n}``
    becomes a number unique to each request and ``{i}`` one of 0..``cycle``-1 in turn;
    ``unique_body`` makes each body differ (its first 24 bytes), as new content does."""
    headers = {"Authorization": f"Bearer {api_key}"}
    if body:
        headers["Content-Type"] = "application/octet-stream"
    lua_headers = ", ".join(f"[{_lua_string(k)}] = {_lua_string(v)}" for k, v in headers.items())
    prelude = (
        f"METHOD = {_lua_string(method)}\nPATH = {_lua_string(path)}\n"
        f"HEADERS = {{{lua_headers}}}\nBODY = {_lua_string(body.decode('latin-1'))}\n"
        f"UNIQUE_BODY = {'true' if unique_body else 'false'}\nCYCLE = {cycle}\n"
    )
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(prelude + _SCRIPT)
    try:
        output = subprocess.run(
            [
                require_wrk(),
                f"-t{threads}",
                f"-c{connections}",
                f"-d{max(1, seconds)}s",
                "--timeout",
                "10s",
                "-s",
                script.name,
                url,
            ],
            capture_output=True,
            text=True,
            check=False,
            timeout=seconds + 60,
        )
    finally:
        Path(script.name).unlink()
    lines = [row for row in output.stdout.splitlines() if row.startswith("NEXUS-WRK ")]
    if output.returncode != 0 or not lines:
        raise RuntimeError(f"wrk failed ({output.returncode}): {output.stderr}{output.stdout}")
    line = lines[0]
    requests, duration_us, errors, p50_us, p99_us = (int(v) for v in line.split()[1:])
    return Figures(
        requests=requests,
        errors=errors,
        ops_per_second=requests / (duration_us / 1e6),
        p50_ms=p50_us / 1000,
        p99_ms=p99_us / 1000,
    )
