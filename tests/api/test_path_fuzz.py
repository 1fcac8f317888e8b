"""Random Unicode, raw bytes and path tricks through every path-taking call, on both clients
(embedded, and HTTP to a real server): an accepted path round-trips under its canonical
name, a refused one is NexusValidationError ``invalid_path`` and leaves nothing behind.

NEXUS_PATH_FUZZ_EXAMPLES=2000 runs a long version (see README).
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from typing import cast

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from nexus.client.interface import NexusClient
from tests.api.path_program import Actors, Recording, path_taking_methods, run
from tests.support.deployments import Deployment, deployment
from tests.support.path_inputs import DEPTH, TRICKS, examples, under

ROOT = "/workspace/pf"
_numbers = itertools.count()


@pytest.fixture(scope="module", params=["embedded", "http"])
def team(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Deployment]:
    with deployment(request.param, tmp_path_factory.mktemp("pathfuzz")) as deployed:
        deployed.create_team()
        deployed.system().mkdir(ROOT)
        yield deployed


@pytest.fixture(scope="module")
def clients(team: Deployment) -> dict[str, NexusClient]:
    return {user: team.as_user(user) for user in ("alice", "bob", "admin")} | {
        "system": team.system()
    }


def actors_for(clients: dict[str, NexusClient]) -> Actors:
    """A fresh empty folder for one example (and a spare one beside it), alice's."""
    number = next(_numbers)
    system = clients["system"]
    base, aside = f"{ROOT}/e{number}", f"{ROOT}/a{number}"
    for folder in (base, aside):
        system.mkdir(folder)
        system.grant_permission("user", "alice", "file", folder, "owner")
    actors = Actors(clients["alice"], clients["bob"], clients["admin"], system, base, aside)
    actors.alice.write(actors.spare, b"spare")
    return actors


def cleaned(actors: Actors) -> None:
    for folder in (actors.base, actors.aside):
        actors.system.delete(folder, recursive=True)


BASE_DEPTH = 3  # /workspace/pf/eN


@settings(
    max_examples=examples(20),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(data=st.data())
def test_any_path_round_trips_or_is_refused_whole(
    clients: dict[str, NexusClient], data: st.DataObject
) -> None:
    actors = actors_for(clients)
    try:
        raw = data.draw(under(actors.base, depth_left=DEPTH - BASE_DEPTH), label="path")
        run(actors, raw)
    finally:
        cleaned(actors)


def test_every_trick_round_trips_or_is_refused_whole(clients: dict[str, NexusClient]) -> None:
    actors = actors_for(clients)
    try:
        for trick in TRICKS:
            for raw in (actors.base + "/" + trick, trick):
                run(actors, raw, whole=False)
    finally:
        cleaned(actors)


def test_the_fuzz_covers_every_path_taking_method(clients: dict[str, NexusClient]) -> None:
    """A new method that takes a path must be added to the fuzz (tests/api/path_program)."""
    seen: set[str] = set()
    actors = actors_for(clients)
    try:
        for raw in (actors.base + "/a b/c#d.txt", actors.base + "/../x", "/workspace"):
            given: list[str] = [raw]
            alice, bob, admin = (
                cast(NexusClient, Recording(c, seen, given))
                for c in (actors.alice, actors.bob, actors.admin)
            )
            recording = Actors(alice, bob, admin, actors.system, actors.base, actors.aside)
            run(recording, raw)
    finally:
        cleaned(actors)
    assert path_taking_methods() - seen == set()
    assert len(path_taking_methods()) >= 39
