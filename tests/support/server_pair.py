"""Two `nexus serve` processes sharing one database, for cross-process consistency tests.

The two servers share the data dir as well as the database: API keys are HMACs under
``data_dir/server.secret`` and file contents live in ``data_dir/blobs``, and neither has its
own option. With separate data dirs a key made through one server is refused by the other
and contents written through one are missing on the other. Each server has its own admin
socket (its path is derived from the port). ``server.json`` in the shared dir names only the
last server started (and the first to stop deletes it), so the socket path is computed from
the port here instead of read from that file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from nexus.api.models import API_PREFIX
from nexus.config import admin_socket_path
from tests.support.server_process import ServerProcess

TIMEOUT = 15.0


class UserApi:
    """Raw HTTP calls as one user (or the local admin) against one server."""

    def __init__(self, client: httpx.Client, user_id: str, server: str):
        self.http = client
        self.user_id = user_id
        self.label = f"{user_id}@{server}"

    # --- files --------------------------------------------------------------------------

    def write(self, path: str, data: bytes) -> httpx.Response:
        return self.http.put("/files/content", params={"path": path}, content=data)

    def read(self, path: str) -> httpx.Response:
        return self.http.get("/files/content", params={"path": path})

    def listing(self, path: str) -> httpx.Response:
        return self.http.get("/files/list", params={"path": path})

    def delete(self, path: str) -> httpx.Response:
        return self.http.delete("/files", params={"path": path})

    def mkdir(self, path: str) -> httpx.Response:
        return self.http.post("/files/mkdir", json={"path": path})

    def move(self, src: str, dst: str) -> httpx.Response:
        return self.http.post("/files/move", json={"src": src, "dst": dst})

    def restrict(self, path: str, restricted: bool = True) -> httpx.Response:
        return self.http.post("/files/restrict", json={"path": path, "restricted": restricted})

    # --- permissions --------------------------------------------------------------------

    @staticmethod
    def _permission(subject: str, relation: str, path: str) -> dict[str, str]:
        subject_type, _, subject_id = subject.partition(":")
        return {
            "subject_type": subject_type,
            "subject_id": subject_id,
            "object_type": "file",
            "object_id": path,
            "relation": relation,
        }

    def grant(self, subject: str, relation: str, path: str) -> httpx.Response:
        """``subject`` as ``user:bob`` or ``group:eng``."""
        return self.http.post("/permissions/grant", json=self._permission(subject, relation, path))

    def revoke(self, subject: str, relation: str, path: str) -> httpx.Response:
        return self.http.post("/permissions/revoke", json=self._permission(subject, relation, path))

    def check(self, subject: str, relation: str, path: str) -> httpx.Response:
        return self.http.post("/permissions/check", json=self._permission(subject, relation, path))

    def check_batch(self, checks: list[tuple[str, str, str]]) -> httpx.Response:
        """(subject, relation, path) triples, answered at one revision."""
        body = {"checks": [self._permission(*triple) for triple in checks]}
        return self.http.post("/permissions/check-batch", json=body)

    def list_objects(self, relation: str, path: str = "/") -> httpx.Response:
        """Paths at or below ``path`` on which the caller has ``relation``."""
        return self.http.get("/permissions/objects", params={"relation": relation, "path": path})

    # --- groups -------------------------------------------------------------------------

    def create_group(self, name: str) -> httpx.Response:
        return self.http.post("/groups", json={"name": name})

    def add_member(self, group: str, member: str) -> httpx.Response:
        subject_type, _, subject_id = member.partition(":")
        return self.http.post(
            f"/groups/{group}/members",
            json={"subject_type": subject_type, "subject_id": subject_id},
        )

    def remove_member(self, group: str, member: str) -> httpx.Response:
        subject_type, _, subject_id = member.partition(":")
        return self.http.delete(f"/groups/{group}/members/{subject_type}/{subject_id}")

    # --- identity -----------------------------------------------------------------------

    def whoami(self) -> httpx.Response:
        return self.http.get("/whoami")

    def create_user(self, user_id: str) -> httpx.Response:
        body = {"id": user_id, "name": user_id.title(), "email": f"{user_id}@example.com"}
        return self.http.post("/admin/users", json=body)

    def create_key(self, user_id: str, expires_in: int | None = None) -> httpx.Response:
        body: dict[str, Any] = {"description": f"{user_id}'s key"}
        if expires_in is not None:
            body["expires_in"] = expires_in
        return self.http.post(f"/admin/users/{user_id}/keys", json=body)

    def revoke_key(self, key_id: str) -> httpx.Response:
        return self.http.delete(f"/admin/keys/{key_id}")

    def set_disabled(self, user_id: str, disabled: bool) -> httpx.Response:
        return self.http.patch(f"/admin/users/{user_id}", json={"disabled": disabled})

    def delete_user(self, user_id: str) -> httpx.Response:
        return self.http.delete(f"/admin/users/{user_id}")


class ServerPair:
    """Servers ``a`` and ``b`` on one data dir and one database (SQLite in the dir or a URL)."""

    def __init__(
        self, data_dir: Path, db_url: str | None = None, env: dict[str, str] | None = None
    ):
        self.a = ServerProcess(data_dir, db_url=db_url, env=env)
        self.b = ServerProcess(data_dir, db_url=db_url, env=env)
        self._clients: list[httpx.Client] = []

    def start(self) -> ServerPair:
        # One after the other: the first start creates the schema (migrations) and namespaces.
        self.a.start()
        try:
            self.b.start()
        except BaseException:
            self.a.stop()
            raise
        return self

    def stop(self) -> None:
        for client in self._clients:
            client.close()
        self.b.stop()
        self.a.stop()

    def local_admin(self, server: ServerProcess) -> UserApi:
        """The built-in ``system`` identity over ``server``'s own admin socket."""
        transport = httpx.HTTPTransport(uds=str(admin_socket_path(server.port, server.env)))
        client = httpx.Client(
            transport=transport, base_url=f"http://nexus-admin{API_PREFIX}", timeout=TIMEOUT
        )
        self._clients.append(client)
        return UserApi(client, "system", str(server.port))

    def as_key(self, server: ServerProcess, api_key: str, user_id: str, name: str) -> UserApi:
        """``user_id``, whose key ``api_key`` is, calling ``server`` (``name`` in messages)."""
        client = httpx.Client(
            base_url=server.url + API_PREFIX,
            headers={"Authorization": f"Bearer {api_key}"},
            timeout=TIMEOUT,
        )
        self._clients.append(client)
        return UserApi(client, user_id, name)
