"""The tutorial's team scenario, played over HTTP against a running server.

Every act says what it does, does it through the client layer, and records what it expected
to happen in the :class:`~nexus.demo.report.Report`; nothing here raises on a wrong outcome,
so the demo always gets to its verdict (and to stopping the server).
"""

from __future__ import annotations

import json

from rich.table import Table

from nexus.client import NexusClient
from nexus.demo.matrix import NONE, READ, READ_WRITE, show_access
from nexus.demo.report import Report
from nexus.demo.server import DemoServer

PROJECT = "/workspace/team-project"
CONFIDENTIAL = f"{PROJECT}/confidential"
STRATEGY = f"{CONFIDENTIAL}/strategy.md"
DESIGN_DOC = f"{PROJECT}/design-doc.md"
TEAM = (
    ("admin", "Admin User", "admin@example.com"),
    ("alice", "Alice Smith", "alice@example.com"),
    ("bob", "Bob Jones", "bob@example.com"),
    ("carol", "Carol White", "carol@example.com"),
)
FOLDERS = {
    "team-project/": (PROJECT, "design-doc.md"),
    "public/": (f"{PROJECT}/public", "README.md"),
    "internal/": (f"{PROJECT}/internal", "specs.md"),
    "confidential/": (CONFIDENTIAL, "strategy.md"),
}
# Tutorial steps 5 and 8: who alice shares what with.
GRANTS = (
    ("bob", "can_write", PROJECT),
    ("carol", "can_read", PROJECT),
    ("bob", "can_read", f"{PROJECT}/public"),
    ("carol", "can_read", f"{PROJECT}/public"),
    ("bob", "can_write", f"{PROJECT}/internal"),
    ("carol", "can_read", f"{PROJECT}/internal"),
)
DENIED = "NexusPermissionError"
NOT_FOUND = "NexusFileNotFoundError"


def _team_access(**overrides: dict[str, str]) -> dict[str, dict[str, str]]:
    """Alice owns everything, Bob writes and Carol reads the project; plus ``overrides``."""
    expected = {label: {"alice": READ_WRITE, "bob": READ_WRITE, "carol": READ} for label in FOLDERS}
    for label, users in overrides.items():
        expected[f"{label}/"].update(users)
    return expected


class TeamScenario:
    def __init__(self, server: DemoServer, report: Report):
        self.server = server
        self.report = report
        self.clients: dict[str, NexusClient] = {}
        self._system: NexusClient | None = None

    def close(self) -> None:
        for client in [*self.clients.values(), *([self._system] if self._system else [])]:
            client.close()

    def play(self) -> None:
        self.users_and_keys()
        self.alice_shares_the_project()
        self.access_before_restricting()
        self.restrict_and_groups()
        self.session_isolation()
        self.inbox_privacy()
        self.conflicting_edits()
        self.carol_is_refused()

    # --- 1 ------------------------------------------------------------------------------

    def users_and_keys(self) -> None:
        report = self.report
        report.section("1. Users and API keys, over the server's local admin socket")
        self._system = system = self.server.admin_client()
        report.say(f"Acting as [bold]{system.whoami()['user_id']}[/] (OS-user trust, no key).")
        table = Table("user", "name", "email", "admin", "API key (prefix only)")
        keys: dict[str, str] = {}
        for user_id, name, email in TEAM:
            user = system.create_user(user_id, name, email)
            new_key = system.create_api_key(user_id, f"{user_id}'s demo key")
            keys[user_id] = new_key["key"]
            self.clients[user_id] = self.server.client(new_key["key"])
            prefix = new_key["info"]["prefix"] + report.ellipsis
            table.add_row(user_id, name, email, "yes" if user["is_admin"] else "no", prefix)
        report.console.print(table)
        users = {user["id"]: user for user in system.list_users()}
        report.expect(
            "admin, the first user of a fresh server, became an admin", users["admin"]["is_admin"]
        )
        report.expect(
            "alice, bob and carol are not admins",
            not any(users[u]["is_admin"] for u in ("alice", "bob", "carol")),
        )
        for user_id, client in self.clients.items():
            report.expect(
                f"{user_id}'s key signs in as {user_id}", client.whoami()["user_id"] == user_id
            )
        listed = json.dumps(system.list_api_keys())
        report.expect(
            "the server lists key prefixes, never the keys",
            not any(key in listed for key in keys.values()),
        )

    # --- 2 ------------------------------------------------------------------------------

    def alice_shares_the_project(self) -> None:
        report, alice = self.report, self.clients["alice"]
        report.section("2. Alice creates the team project and shares it (tutorial steps 4, 5, 8)")
        alice.mkdir(PROJECT)
        alice.write(f"{PROJECT}/README.md", b"# Team Project\n")
        alice.write(DESIGN_DOC, b"# Design Document\nCreated by: Alice\n")
        for label, (folder, sample) in FOLDERS.items():
            if folder != PROJECT:
                alice.mkdir(folder)
                alice.write(f"{folder}/{sample}", f"{label} notes by Alice\n".encode())
        report.say(f"alice created {PROJECT} with public/, internal/ and confidential/ in it.")
        for user, relation, folder in GRANTS:
            alice.grant_permission("user", user, "file", folder, relation)
            report.say(f"  alice grants [bold]{user}[/] {relation} on {folder}")
        report.expect(
            "Can Bob write? True",
            alice.check_permission("user", "bob", "file", DESIGN_DOC, "can_write") is True,
        )
        report.expect(
            "Can Carol write? False",
            alice.check_permission("user", "carol", "file", DESIGN_DOC, "can_write") is False,
        )
        report.expect("alice owns what she created", alice.stat(DESIGN_DOC)["owner"] == "alice")

    # --- 3 ------------------------------------------------------------------------------

    def access_before_restricting(self) -> None:
        report = self.report
        report.section("3. Who can do what (found by trying it)")
        report.say(
            "Grants on a folder reach everything below it, so Bob's can_write on the project "
            "also reaches confidential/:"
        )
        show_access(
            report,
            "Before restricting confidential/",
            self._team(),
            FOLDERS,
            _team_access(),
        )

    # --- 4 ------------------------------------------------------------------------------

    def restrict_and_groups(self) -> None:
        report, alice, admin = self.report, self.clients["alice"], self.clients["admin"]
        report.section("4. Confidential means restricted; designers may edit public/")
        info = alice.set_restricted(CONFIDENTIAL)
        report.expect(
            f"alice restricts {CONFIDENTIAL}: grants from above stop there", info["restricted"]
        )
        admin.create_group("designers", description="Design team")
        admin.add_user_to_group("carol", "designers")
        admin.grant_permission("group", "designers", "file", f"{PROJECT}/public", "can_write")
        report.say(
            "admin creates group [bold]designers[/] with carol; it gets can_write on public/"
        )
        show_access(
            report,
            "After restricting confidential/ and the designers grant",
            self._team(),
            FOLDERS,
            _team_access(
                confidential={"bob": NONE, "carol": NONE},
                public={"carol": READ_WRITE},
            ),
        )
        report.expect_outcome(
            "admin still reads confidential/strategy.md", lambda: admin.read(STRATEGY)
        )
        report.expect(
            "bob cannot even tell strategy.md exists", self.clients["bob"].exists(STRATEGY) is False
        )

    # --- 5 ------------------------------------------------------------------------------

    def session_isolation(self) -> None:
        report, alice, bob = self.report, self.clients["alice"], self.clients["bob"]
        admin = self.clients["admin"]
        report.section("5. Session isolation (tutorial step 7)")
        session = alice.create_session("alice-research", description="Alice's research workspace")
        notes = f"{session['path']}/notes.md"
        alice.write(notes, b"# Private Research Notes\n")
        report.say(f"alice works in session {session['id']} ({session['path']})")
        report.expect_outcome("alice reads her session notes", lambda: alice.read(notes))
        report.expect_outcome("bob reads alice's session notes", lambda: bob.read(notes), DENIED)
        report.expect("bob does not see that the notes exist", bob.exists(notes) is False)
        report.expect(
            "bob's session list does not show alice's session",
            session["id"] not in [s["id"] for s in bob.list_sessions()],
        )
        report.expect_outcome("an admin may read it (admins aside)", lambda: admin.read(notes))

    # --- 6 ------------------------------------------------------------------------------

    def inbox_privacy(self) -> None:
        report, alice, bob = self.report, self.clients["alice"], self.clients["bob"]
        carol = self.clients["carol"]
        report.section("6. Inboxes: anyone delivers, only the recipient reads")
        notice = "/workspace/.notifications/bob/from-alice.json"
        message = {"from": "alice", "message": f"New document created: {DESIGN_DOC}"}
        report.expect_outcome(
            "alice delivers a notification to bob's inbox",
            lambda: alice.write(notice, json.dumps(message).encode()),
        )
        report.expect_outcome("bob reads it", lambda: bob.read(notice))
        report.expect("the notification belongs to bob", bob.stat(notice)["owner"] == "bob")
        report.expect_outcome("alice reads it back", lambda: alice.read(notice), DENIED)
        report.expect_outcome("alice overwrites it", lambda: alice.write(notice, b"{}"), DENIED)
        report.expect_outcome("alice deletes it", lambda: alice.delete(notice), DENIED)
        report.expect_outcome(
            "alice lists bob's inbox (it looks absent)",
            lambda: alice.list_files("/workspace/.notifications/bob"),
            NOT_FOUND,
        )
        report.expect_outcome("carol reads it", lambda: carol.read(notice), DENIED)
        report.expect("bob's message arrived intact", json.loads(bob.read(notice)) == message)

    # --- 7 ------------------------------------------------------------------------------

    def conflicting_edits(self) -> None:
        report, alice, bob = self.report, self.clients["alice"], self.clients["bob"]
        report.section("7. Optimistic locking: a stale write is refused (if_version)")
        current = bob.read_with_metadata(DESIGN_DOC)
        seen = current["metadata"]["version"]
        report.say(f"bob reads design-doc.md at version {seen} and starts editing")
        alice.write(DESIGN_DOC, current["content"] + b"\n## Alice's edit\n")
        report.say(f"meanwhile alice saves version {alice.stat(DESIGN_DOC)['version']}")
        report.expect_outcome(
            f"bob saves with if_version={seen}",
            lambda: bob.write(
                DESIGN_DOC, current["content"] + b"\n## Bob's edit\n", if_version=seen
            ),
            "NexusConflictError",
        )
        fresh = bob.read_with_metadata(DESIGN_DOC)
        version = fresh["metadata"]["version"]
        report.expect_outcome(
            f"bob re-reads and saves with if_version={version}",
            lambda: bob.write(
                DESIGN_DOC, fresh["content"] + b"\n## Bob's edit\n", if_version=version
            ),
        )
        final = alice.read(DESIGN_DOC)
        report.expect(
            "no edit was lost", b"Alice's edit" in final and final.count(b"Bob's edit") == 1
        )
        report.expect_outcome(
            "bob creates design-doc.md with if_none_match",
            lambda: bob.write(DESIGN_DOC, b"new", if_none_match=True),
            "NexusFileExistsError",
        )

    # --- 8 ------------------------------------------------------------------------------

    def carol_is_refused(self) -> None:
        report, carol = self.report, self.clients["carol"]
        report.section("8. Carol only reads the project (tutorial step 6)")
        report.expect_outcome("carol reads design-doc.md", lambda: carol.read(DESIGN_DOC))
        report.expect_outcome(
            "carol writes designs.md",
            lambda: carol.write(f"{PROJECT}/designs.md", b"# UI Designs\n"),
            DENIED,
        )
        report.expect_outcome(
            "carol grants herself can_write",
            lambda: carol.grant_permission("user", "carol", "file", PROJECT, "can_write"),
            DENIED,
        )
        report.expect_outcome(
            "carol deletes design-doc.md", lambda: carol.delete(DESIGN_DOC), DENIED
        )
        report.expect_outcome(
            "carol opens a missing file she could see",
            lambda: carol.read(f"{PROJECT}/missing.md"),
            NOT_FOUND,
        )
        report.expect_outcome(
            "carol opens a missing file in confidential/ (no hint whether it exists)",
            lambda: carol.read(f"{CONFIDENTIAL}/missing.md"),
            DENIED,
        )

    def _team(self) -> dict[str, NexusClient]:
        return {user: self.clients[user] for user in ("alice", "bob", "carol")}
