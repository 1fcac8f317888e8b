"""Broken object-level authorisation, route by route (issue 5, Isolation).

Against a real server over HTTP, bob (an ordinary user with no rights on alice's things)
aims every route of the API at alice's private objects (route_isolation_cases.py says
how and what he must be answered). For each case:

- the status and error code are the ones the 403/404 rule and "who may do what" prescribe;
- an error answer is the error body and nothing else, and no answer tells bob any of
  alice's content, etags, child names, grantees, session names or paths he did not name;
- the same request aimed at a nonexistent object in the same place gets the same answer
  (the message differs at most by the name swapped): no existence oracle;
- after a refused mutation the store is as it was (tree, versions, etags, grants, locks,
  sessions, groups, users, keys).

A route without a case fails test_every_route_has_a_case, so a route added later must come
with its isolation case.
"""

from __future__ import annotations

import importlib
import json
import pkgutil
from collections.abc import Iterator, Mapping
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from fastapi.routing import APIRoute

import nexus.server
from nexus.api.models import API_PREFIX
from tests.e2e.route_isolation_cases import CASES, Ask, Case
from tests.support.private_world import PrivateWorld, private_world

pytestmark = pytest.mark.e2e

# The placeholders naming alice's objects by path or id: no answer may name one bob did not.
PRIVATE = (
    "top",
    "plan",
    "notes",
    "vault",
    "vault_file",
    "inbox",
    "letter",
    "session_id",
    "findings",
    "alice_key",
)


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[PrivateWorld]:
    with private_world(tmp_path_factory.mktemp("isolation")) as built:
        yield built


@pytest.fixture(scope="module")
def bob(world: PrivateWorld) -> httpx.Client:
    return world.http("bob")


@pytest.fixture(scope="module")
def baseline(world: PrivateWorld) -> dict[str, Any]:
    """The store before bob's attempts; a case that changes it fails (and resets it)."""
    return world.snapshot()


def _fill(value: Any, values: Mapping[str, str]) -> Any:
    if isinstance(value, str):
        return value.format_map(values)
    if isinstance(value, dict):
        return {key: _fill(item, values) for key, item in value.items()}
    if isinstance(value, list):
        return [_fill(item, values) for item in value]
    return value


def _send(client: httpx.Client, ask: Ask, values: Mapping[str, str]) -> tuple[httpx.Response, str]:
    """The answer, and the text of the request (what bob himself named)."""
    request = client.build_request(
        ask.method,
        _fill(ask.url or ask.route, values),
        params=_fill(dict(ask.params), values),
        json=_fill(ask.body, values),
        content=ask.content,
        headers=dict(ask.headers),
    )
    response = client.send(request)
    return response, unquote(str(request.url)) + request.content.decode()


def _leaks(world: PrivateWorld, case: Case, answer: str, asked: str) -> list[str]:
    hints = list(world.telltales)
    if case.names_own_attempts:
        # Bob's own attempts name what he asked for earlier (alice's paths included): only
        # the rest of the answer must not name anything of hers.
        events = json.loads(answer)["events"]
        answer = json.dumps([event for event in events if event["actor"] != "bob"])
    else:
        hints += [world.real[name] for name in PRIVATE]
    return [hint for hint in hints if hint in answer and hint not in asked]


def _check_answer(world: PrivateWorld, case: Case, response: httpx.Response, asked: str) -> None:
    where = f"{case.ask.method} {asked}"
    assert response.status_code == case.status, f"{where}: {response.status_code} {response.text}"
    body = response.json()
    if case.code is not None:
        assert set(body) == {"error"}, body
        error = body["error"]
        assert set(error) == {"code", "reason", "message", "path"}, body
        assert error["code"] == case.code, body
        if case.reason is not None:
            assert error["reason"] == case.reason, body
    elif case.shows is not None:
        case.shows(body)
    assert not _leaks(world, case, response.text, asked), f"{where} told bob: {response.text}"


def _check_twin(
    world: PrivateWorld, case: Case, response: httpx.Response, bob: httpx.Client
) -> None:
    """The same request about nothing in the same place: the same answer, bar the name."""
    assert case.probe is not None
    twin_values = {**world.real, case.probe: world.twin[case.probe]}
    twin, asked = _send(bob, case.ask, twin_values)
    _check_answer(world, case, twin, asked)
    real_name, twin_name = world.real[case.probe], world.twin[case.probe]
    assert twin.text in (response.text, response.text.replace(real_name, twin_name)), (
        f"an existence oracle: about {real_name}: {response.status_code} {response.text}; "
        f"about {twin_name}: {twin.status_code} {twin.text}"
    )


def _changes(before: dict[str, Any], after: dict[str, Any]) -> list[str]:
    return [part for part in before if before[part] != after[part]]


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_bob_gets_the_rule_and_learns_nothing(
    world: PrivateWorld, bob: httpx.Client, baseline: dict[str, Any], case: Case
) -> None:
    response, asked = _send(bob, case.ask, world.real)
    _check_answer(world, case, response, asked)
    if case.probe is not None:
        _check_twin(world, case, response, bob)
    if case.ask.method != "GET":
        after = world.snapshot()
        changed = _changes(baseline, after)
        baseline.update(after)  # the next case starts from here
        assert not changed, f"{case.ask.method} {asked} changed {changed}"


def _source_routes() -> set[tuple[str, str]]:
    """(method, path) of every route in the server's route modules, including any left out
    of the OpenAPI document (each route's path is its full path under the API prefix)."""
    found: set[tuple[str, str]] = set()
    for module_info in pkgutil.iter_modules(nexus.server.__path__):
        if not module_info.name.startswith("routes_"):
            continue
        module = importlib.import_module(f"nexus.server.{module_info.name}")
        for route in module.router.routes:
            if isinstance(route, APIRoute):
                found |= {(method, route.path) for method in route.methods or ()}
    return found


def test_every_route_has_a_case(world: PrivateWorld) -> None:
    spec = httpx.get(world.server.url + "/openapi.json").json()
    served = {(method.upper(), path) for path, ops in spec["paths"].items() for method in ops}
    routes = served | _source_routes()
    covered = {(case.ask.method, case.ask.route) for case in CASES}
    assert not routes - covered, f"routes without an isolation case: {sorted(routes - covered)}"
    assert not covered - routes, f"cases for routes that do not exist: {sorted(covered - routes)}"
    assert len(routes) > 40  # the enumeration itself works
    # Admin powers: every admin route refuses bob (a user may list and revoke only his own
    # keys there; another's key is answered as a missing one).
    admin_routes = {route for route in routes if route[1].startswith(f"{API_PREFIX}/admin/")}
    refused = {(case.ask.method, case.ask.route) for case in CASES if case.status in (403, 404)}
    assert admin_routes <= refused, sorted(admin_routes - refused)


def test_world_is_as_built(world: PrivateWorld) -> None:
    """Alice, who owns it all, sees it: the cases above attack real objects."""
    with world.client("alice") as alice:
        assert alice.read(world.real["plan"]).startswith(b"ALICE-SECRET plan, version 3")
        assert alice.lock_info(world.real["plan"])["holder"] == "alice"
        assert alice.exists(world.real["findings"]) and alice.exists(world.real["letter"])
        assert {r["subject_id"] for r in alice.list_permissions(object_id=world.real["top"])} == {
            "alice",
            "carol",
        }
