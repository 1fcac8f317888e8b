"""OpenFGA's consolidated 1.1 check and list-objects tests, run against our engine.

Follows OpenFGA's runner: a fresh store per test, each stage replaces the model and adds its
tuples to those of earlier stages, assertions run against the stage's model, and tuples that
no longer fit the model are ignored; list results compare as sets. Test cases using
features outside our subset (conditions, contextual tuples, expected errors) are skipped as
a whole, with the reason; a list-objects assertion using one of them is skipped alone.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from nexus.authz import (
    ObjectRef,
    PermissionEngine,
    Relationship,
    RelationshipStore,
    SubjectRef,
    parse_schema,
)
from nexus.db.engine import Database, open_engine
from nexus.db.tables import metadata

yaml = pytest.importorskip("yaml")

# OpenFGA's own test data, vendored unchanged (see data/openfga/README.md).
CONFORMANCE_FILE = Path(__file__).parent / "data" / "openfga" / "consolidated_1_1_tests.yaml"

# Filled while the tests run; printed by conftest's terminal summary.
STATS: Counter[str] = Counter()


def _load_cases() -> list[dict[str, Any]]:
    with CONFORMANCE_FILE.open(encoding="utf-8") as handle:
        cases: list[dict[str, Any]] = yaml.safe_load(handle)["tests"]
    return cases


def unsupported_reason(case: dict[str, Any]) -> str | None:
    """Why a whole test case is outside our subset, or None if we run it."""
    for stage in case["stages"]:
        model = stage.get("model", "")
        if "condition " in model or " with " in model:
            return "conditions"
        if model.lstrip().startswith("module"):
            return "modules"
        if any("condition" in t for t in stage.get("tuples") or []):
            return "conditional tuples"
        for assertion in stage.get("checkAssertions") or []:
            if "errorCode" in assertion:
                return "errorCode expectations"
            if assertion.get("contextualTuples"):
                return "contextual tuples"
            if assertion.get("context"):
                return "request context (conditions)"
    if not any(
        stage.get("checkAssertions") or stage.get("listObjectsAssertions")
        for stage in case["stages"]
    ):
        return "no checkAssertions or listObjectsAssertions"
    return None


def unsupported_list_reason(assertion: dict[str, Any]) -> str | None:
    """Why one listObjectsAssertion is outside our subset, or None if we run it."""
    if "errorCode" in assertion:
        return "errorCode expectations"
    if assertion.get("contextualTuples"):
        return "contextual tuples"
    if assertion.get("context"):
        return "request context (conditions)"
    return None


def _run_list_objects(
    engine: PermissionEngine, database: Database, stage: dict[str, Any], number: int
) -> list[str]:
    """The stage's listObjectsAssertions; the failures as readable lines."""
    failures: list[str] = []
    for assertion in stage.get("listObjectsAssertions") or []:
        reason = unsupported_list_reason(assertion)
        if reason is not None:
            STATS[f"list objects skipped: {reason}"] += 1
            continue
        request = assertion["request"]
        with database.read() as conn:
            got = engine.list_objects(
                conn, SubjectRef.parse(request["user"]), request["relation"], request["type"]
            )
        expected = {ObjectRef.parse(text) for text in assertion["expectation"] or []}
        STATS["list objects run"] += 1
        if got == expected:
            STATS["list objects passed"] += 1
        else:
            failures.append(
                f"stage {number}: list {request['type']}#{request['relation']}"
                f"@{request['user']}: missing {sorted(map(str, expected - got))}, "
                f"extra {sorted(map(str, got - expected))}"
            )
    return failures


CASES = _load_cases()


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_openfga_check_assertions(case: dict[str, Any], tmp_path: Path) -> None:
    reason = unsupported_reason(case)
    if reason is not None:
        STATS[f"skipped cases: {reason}"] += 1
        pytest.skip(f"uses {reason}")
    database = Database(open_engine(f"sqlite:///{tmp_path / 'conformance.db'}"))
    metadata.create_all(database.engine)
    store = RelationshipStore()
    failures: list[str] = []
    try:
        for number, stage in enumerate(case["stages"]):
            engine = PermissionEngine(store, parse_schema(stage["model"]))
            with database.write() as conn:
                for t in stage.get("tuples") or []:
                    rel = Relationship(
                        ObjectRef.parse(t["object"]), t["relation"], SubjectRef.parse(t["user"])
                    )
                    engine.write(conn, rel)
            for assertion in stage.get("checkAssertions") or []:
                t = assertion["tuple"]
                with database.read() as conn:
                    got = engine.check(
                        conn,
                        SubjectRef.parse(t["user"]),
                        t["relation"],
                        ObjectRef.parse(t["object"]),
                    )
                STATS["checks run"] += 1
                if got == assertion["expectation"]:
                    STATS["checks passed"] += 1
                else:
                    failures.append(
                        f"stage {number}: {t['object']}#{t['relation']}@{t['user']} "
                        f"expected {assertion['expectation']}, got {got}"
                    )
            failures += _run_list_objects(engine, database, stage, number)
    finally:
        database.dispose()
    STATS["cases run"] += 1
    assert not failures, "\n".join(failures)
    STATS["cases passed"] += 1
