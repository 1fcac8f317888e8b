"""Schemathesis hooks for tests/e2e/test_schemathesis.py, loaded by the `st` process
(``hooks = "tests.e2e.schemathesis_hooks"`` in tests/e2e/schemathesis.toml).

- ``private_data_stays_private``, a check of our own, on every answer to one user about
  the other's private areas (their folder and their session): no answer, whatever its
  status, carries their secrets (file contents, hidden names); no success names a path in
  them that the request did not; and a request that names one succeeds only where the
  answer says "no" (exists, check, explain, check-batch) or where anyone may create (an
  inbox is not a private area). Schemathesis's object_level_authorization check replays a
  user's reads of objects it can tell are theirs (ids in URLs: groups, sessions, keys);
  paths travel in query parameters, which it does not follow, and this check covers them.
- ``filter_failure`` narrows positive_data_acceptance (and only it): a 400 whose reason is
  one of DOCUMENTED_REFUSALS is a documented refusal that depends on what exists, or a
  rule between fields the document states in words because a JSON Schema cannot, or a
  UTF-8 byte limit (a pattern counts characters). Any other 400 for a request the document
  calls valid stays a failure. Each dropped failure is listed for the test to print.
- ``before_call`` keeps the run's own credentials alive: users may revoke their own keys,
  and the fuzzer learns alice's key id from GET /admin/keys. A request to revoke the key
  the run authenticates with revokes a spare key of hers instead (same request otherwise).

The test tells this process who is who through NEXUS_SCHEMATHESIS_SECRETS, a JSON file:
``{"users": {key: user}, "markers": {user: [...]}, "areas": {user: [path, ...]},
"spares": {key id: key id}}``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any
from urllib.parse import parse_qs, unquote_to_bytes, urlsplit

import schemathesis
from schemathesis.openapi.checks import RejectedPositiveData

from nexus.errors import NexusValidationError
from nexus.paths import is_within, normalize

SECRETS_VARIABLE = "NEXUS_SCHEMATHESIS_SECRETS"
# Where the dropped failures are listed (JSON lines), so the test can show them.
FILTERED_VARIABLE = "NEXUS_SCHEMATHESIS_FILTERED"

# 400 reasons a request can get although it matches the document, and why; with the
# operations they apply to (None: any).
DOCUMENTED_REFUSALS: dict[str, frozenset[str] | None] = {
    # It names a user or group that does not exist: 400 by decision 11 (an argument of the
    # Python API, e.g. add_user_to_group(user, group)); the document can only say "a name".
    "unknown_user": None,
    "unknown_group": None,
    # The path is well formed but the tree disagrees: a file where a folder must be, or
    # the other way round; a folder moved or copied into itself; a non-empty folder
    # deleted without `recursive`; a namespace root or session folder changed as a whole.
    "not_a_directory": None,
    "is_a_directory": None,
    "move_into_itself": None,
    "copy_into_itself": None,
    "directory_not_empty": None,
    "namespace_root": None,
    "session_directory": None,
    # A kept version that does not exist (or was pruned).
    "unknown_version": None,
    # Removing the last owner of an entry, or the caller's own way in.
    "last_owner": None,
    "self_lockout": None,
    # Nesting a group in itself, directly or through others.
    "group_cycle": None,
    # Rules between fields, which the route descriptions state: a subject filter needs both
    # subject_type and subject_id (list_objects: unless it is yourself), and a bulk delete
    # needs some filter (non-admins: an object). OpenAPI cannot tie query parameters
    # together, nor a body's fields to who is asking.
    "invalid_subject": frozenset(
        {
            "GET /api/v1/permissions",
            "GET /api/v1/permissions/objects",
            "POST /api/v1/permissions/delete",
        }
    ),
    "empty_filter": frozenset({"POST /api/v1/permissions/delete"}),
    "filter_too_broad": frozenset({"POST /api/v1/permissions/delete"}),
    # Only can_read may be granted to every user ('*'), as docs/http-api.md says; the body
    # is the one /permissions/check takes, where '*' may be asked about anything.
    "subject_not_allowed": frozenset(
        {"POST /api/v1/permissions/grant", "POST /api/v1/permissions/write"}
    ),
    # Only admins may leave a lock's token out (null breaks someone else's lock), as the
    # field's description says; a schema cannot depend on who asks.
    "missing_token": frozenset({"POST /api/v1/locks/unlock"}),
}

# Operations that answer about access rather than with the object: for a path the caller
# cannot see they succeed, and their answer must be "no".
_ANSWERS_NO: dict[str, Callable[[dict[str, Any]], bool]] = {
    "GET /api/v1/files/exists": lambda body: body == {"exists": False},
    "POST /api/v1/permissions/check": lambda body: body.get("allowed") is False,
    "POST /api/v1/permissions/explain": lambda body: body.get("allowed") is False,
}
_PATH_FIELDS = ("path", "src", "dst", "object_id")
_SHOWN_PATH_FIELDS = ("path", "object_id", "target")


@cache
def _secrets() -> dict[str, Any]:
    with open(os.environ[SECRETS_VARIABLE], encoding="utf-8") as file:
        loaded: dict[str, Any] = json.load(file)
    return loaded


def _caller(headers: Any) -> str | None:
    scheme, _, key = str(headers.get("Authorization", "")).partition(" ")
    users: dict[str, str] = _secrets()["users"]
    return users.get(key) if scheme.lower() == "bearer" else None


def _json(content: bytes | str | None) -> Any:
    try:
        return json.loads(content or b"")
    except ValueError:
        return None


def _shown_paths(node: Any) -> Iterator[str]:
    """The paths an answer shows: its path fields (entries, events, grants, trees) and
    path lists (list_objects)."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key in _SHOWN_PATH_FIELDS and isinstance(value, str):
                yield value
            elif key == "paths" and isinstance(value, list):
                yield from (item for item in value if isinstance(item, str))
            else:
                yield from _shown_paths(value)
    elif isinstance(node, list):
        for value in node:
            yield from _shown_paths(value)


def _named_paths(request: Any) -> list[str]:
    """The paths a request names, in its query and its JSON body (checks and bulk writes
    included), as the server reads them."""
    query = parse_qs(urlsplit(str(request.url)).query, keep_blank_values=True)
    named = [value for field in _PATH_FIELDS for value in query.get(field, [])]
    body = _json(request.body)
    items = [body] if isinstance(body, dict) else []
    for listed in ("checks", "relationships"):
        if isinstance(body, dict) and isinstance(body.get(listed), list):
            items += [item for item in body[listed] if isinstance(item, dict)]
    for item in items:
        named += [item[field] for field in _PATH_FIELDS if isinstance(item.get(field), str)]
    return named


def _canonical(text: str) -> str | None:
    try:
        return normalize(text)
    except NexusValidationError:
        return None


def _inside(path: str, areas: list[str]) -> bool:
    canonical = _canonical(path) if path.startswith("/") else None
    return canonical is not None and any(is_within(canonical, area) for area in areas)


def _is_own_refusal(event: Any, caller: str) -> bool:
    # Decision 19: everyone sees their own refused attempts, paths and all.
    return isinstance(event, dict) and event.get("actor") == caller and event.get("outcome") != "ok"


@schemathesis.check
def private_data_stays_private(ctx: Any, response: Any, case: Any) -> bool | None:
    """Nothing of another user's private areas reaches the caller."""
    request = response.request
    caller = _caller(request.headers)
    if caller is None:
        return None
    secrets = _secrets()
    asked = unquote_to_bytes(str(request.url)) + b"\n" + _bytes(request.body)
    answer = response.content or b""
    operation = case.operation.label
    for owner, areas in secrets["areas"].items():
        if owner == caller:
            continue
        for marker in secrets["markers"][owner]:
            if marker.encode() in answer and marker.encode() not in asked:
                raise AssertionError(f"{caller} got {owner}'s secret {marker!r}")
        if not 200 <= response.status_code < 300:
            continue
        body = _json(answer)
        named = [path for path in _named_paths(request) if _inside(path, areas)]
        if named:
            if operation == "POST /api/v1/permissions/check-batch":
                fine = _all_no_for(request, body, areas)
            else:
                says_no = _ANSWERS_NO.get(operation)
                fine = says_no is not None and isinstance(body, dict) and says_no(body)
            if not fine:
                raise AssertionError(
                    f"{caller}'s {operation} on {owner}'s {named[0]} succeeded: {answer[:300]!r}"
                )
        shown = body
        if operation == "GET /api/v1/activity" and isinstance(body, dict):
            shown = [e for e in body.get("events", []) if not _is_own_refusal(e, caller)]
        for value in _shown_paths(shown):
            if value not in named and _inside(value, areas):
                raise AssertionError(f"{caller} was shown {owner}'s {value}")
    return None


def _all_no_for(request: Any, body: Any, areas: list[str]) -> bool:
    checks = (_json(request.body) or {}).get("checks", [])
    results = body.get("results", []) if isinstance(body, dict) else []
    return all(
        result is False
        for item, result in zip(checks, results, strict=False)
        if isinstance(item, dict) and _inside(str(item.get("object_id", "")), areas)
    )


def _bytes(body: bytes | str | None) -> bytes:
    if body is None:
        return b""
    return body.encode() if isinstance(body, str) else bytes(body)


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: Any) -> None:
    if case.method == "DELETE" and case.operation.path == "/api/v1/admin/keys/{key_id}":
        spares: dict[str, str] = _secrets()["spares"]
        key_id = (case.path_parameters or {}).get("key_id")
        if key_id in spares:
            case.path_parameters["key_id"] = spares[key_id]


def _reason(response: Any) -> str | None:
    body = _json(response.content)
    error = body.get("error") if isinstance(body, dict) else None
    return error.get("reason") if isinstance(error, dict) else None


def _is_over_a_byte_limit(response: Any) -> bool:
    """An invalid_path for a name or path too long in UTF-8 bytes (stated in words)."""
    message = str(_json(response.content)["error"]["message"])
    return "longer than" in message and "bytes" in message


@schemathesis.hook
def filter_failure(context: Any, failure: Any, case: Any, response: Any) -> bool:
    if not isinstance(failure, RejectedPositiveData) or response.status_code != 400:
        return True
    reason = _reason(response)
    operation = case.operation.label
    if reason in DOCUMENTED_REFUSALS:
        operations = DOCUMENTED_REFUSALS[reason]
        keep = operations is not None and operation not in operations
    else:
        keep = not (reason == "invalid_path" and _is_over_a_byte_limit(response))
    if not keep:
        with open(os.environ[FILTERED_VARIABLE], "a", encoding="utf-8") as listed:
            listed.write(json.dumps({"operation": operation, "reason": reason}) + "\n")
    return keep
