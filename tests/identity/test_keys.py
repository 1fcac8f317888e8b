"""API keys: shown once, stored as keyed hashes, dead the moment they are revoked or expire."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from nexus.db.engine import Database, open_engine, open_engine_without_pool
from nexus.db.migrate import upgrade
from nexus.db.tables import api_keys
from nexus.errors import NexusAuthenticationError
from nexus.identity import KeyStore, UserStore, load_or_create_secret


@pytest.fixture
def db(tmp_path: Path) -> Iterator[Database]:
    url = f"sqlite:///{tmp_path / 'nexus.db'}"
    upgrade(open_engine_without_pool(url))
    database = Database(open_engine(url))
    with database.write() as conn:
        UserStore().create(conn, "alice", "Alice", "alice@example.com", False, 0.0)
    yield database
    database.dispose()


def test_key_is_stored_only_as_a_keyed_hash(db: Database, tmp_path: Path) -> None:
    store = KeyStore(load_or_create_secret(tmp_path / "secret"))
    with db.write() as conn:
        key, record = store.create(conn, "alice", "laptop", None, 100.0)
    assert key.startswith("nxk_") and len(key) > 40
    assert record.prefix == key[:12]
    with db.read() as conn:
        stored = conn.execute(select(api_keys)).one()
        assert key not in {str(value) for value in stored}
        assert store.authenticate(conn, key, 101.0).user_id == "alice"
    # The same key under another server secret is worthless.
    other = KeyStore(b"x" * 32)
    with db.read() as conn, pytest.raises(NexusAuthenticationError):
        other.authenticate(conn, key, 101.0)


def test_revoked_and_expired_keys_fail(db: Database) -> None:
    store = KeyStore(b"s" * 32)
    with db.write() as conn:
        revoked, revoked_record = store.create(conn, "alice", "", None, 0.0)
        expiring, _ = store.create(conn, "alice", "", 50.0, 0.0)
        store.revoke(conn, revoked_record.id, 10.0)
    with db.read() as conn:
        with pytest.raises(NexusAuthenticationError, match="revoked"):
            store.authenticate(conn, revoked, 11.0)
        assert store.authenticate(conn, expiring, 49.9).user_id == "alice"
        with pytest.raises(NexusAuthenticationError, match="expired"):
            store.authenticate(conn, expiring, 50.0)
        with pytest.raises(NexusAuthenticationError):
            store.authenticate(conn, "nxk_guess", 1.0)
        with pytest.raises(NexusAuthenticationError):
            store.authenticate(conn, "", 1.0)


def test_secret_file_is_private_and_stable(tmp_path: Path) -> None:
    path = tmp_path / "server.secret"
    first = load_or_create_secret(path)
    assert path.stat().st_mode & 0o777 == 0o600
    assert load_or_create_secret(path) == first
