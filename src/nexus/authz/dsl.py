"""Parser for the OpenFGA modelling language, schema 1.1, without conditions and modules.

Grammar (as OpenFGA's ANTLR grammar has it)::

    relationDef := (direct | operand) (("or" operand)+ | ("and" operand)+ | "but not" operand)?
    operand     := NAME ["from" NAME] | "(" relationDef ")"

So ``a or b and c`` is an error: OpenFGA has no precedence between the operators and asks for
parentheses, and ``but not`` takes exactly one operand. The direct type list ``[...]`` may
only open a definition (or a parenthesised group in that position).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from nexus.authz.schema import (
    ComputedUserset,
    DirectTypes,
    Exclusion,
    Intersection,
    Rewrite,
    Schema,
    SchemaError,
    TupleToUserset,
    TypeDefinition,
    TypeRestriction,
    Union,
)

_NAME = r"[A-Za-z_][A-Za-z0-9_\-]*"
_NAME_RE = re.compile(rf"^{_NAME}$")
_TOKEN_RE = re.compile(rf"\s*(?:(?P<butnot>but\s+not\b)|(?P<name>{_NAME})|(?P<punct>[\[\](),#:*]))")
_DEFINE_RE = re.compile(r"^define\s+(?P<name>\S+?)\s*:\s*(?P<expr>.*)$")
_KEYWORDS = frozenset({"or", "and", "from", "with", "define", "type", "relations"})
_RESERVED_RELATIONS = frozenset({"self", "this"})


def parse_schema(text: str) -> Schema:
    """Parse a model in the OpenFGA DSL; raises SchemaError naming the line and the problem."""
    types: list[TypeDefinition] = []
    lines: dict[tuple[str, str | None], int] = {}
    current: _TypeBuilder | None = None
    header = 0  # 0: expect "model", 1: expect "schema", 2: type definitions

    for number, line in _logical_lines(text):
        words = line.split()
        if header == 0:
            if words[0] == "module":
                raise _error(number, "modules are not supported (only a single 'model')")
            if words != ["model"]:
                raise _error(number, f"expected 'model', found {line!r}")
            header = 1
            continue
        if header == 1:
            if len(words) != 2 or words[0] != "schema":
                raise _error(number, f"expected 'schema 1.1', found {line!r}")
            if words[1] != "1.1":
                raise _error(number, f"unsupported schema version {words[1]!r} (only 1.1)")
            header = 2
            continue
        if words[0] == "type":
            if len(words) != 2 or not _NAME_RE.match(words[1]):
                raise _error(number, f"expected 'type <name>', found {line!r}")
            if current is not None:
                types.append(current.build(number))
            if (words[1], None) in lines:
                raise _error(number, f"type {words[1]!r} is defined twice")
            lines[(words[1], None)] = number
            current = _TypeBuilder(words[1], number)
        elif words == ["relations"]:
            if current is None:
                raise _error(number, "'relations' outside a type definition")
            if current.has_relations_block:
                raise _error(number, f"type {current.name!r} has a second 'relations' block")
            current.has_relations_block = True
        elif words[0] == "define":
            if current is None or not current.has_relations_block:
                raise _error(number, "'define' outside a 'relations' block")
            name, rewrite = _parse_define(line, number)
            if name in current.relations:
                raise _error(number, f"relation {name!r} is defined twice in type {current.name!r}")
            current.relations[name] = rewrite
            lines[(current.name, name)] = number
        elif words[0] == "condition":
            raise _error(number, "conditions are not supported")
        elif words[0] == "extend":
            raise _error(number, "'extend type' (modules) is not supported")
        else:
            raise _error(number, f"unexpected {line!r}")

    if header < 2:
        raise SchemaError("line 1: expected 'model' and 'schema 1.1' header", line=1)
    if current is not None:
        types.append(current.build(None))

    try:
        return Schema(types)
    except SchemaError as exc:
        type_name = exc.type_name or ""
        found = lines.get((type_name, exc.relation)) or lines.get((type_name, None))
        if found is None:
            raise
        raise _error(found, exc.message, exc.type_name, exc.relation) from None


@dataclass
class _TypeBuilder:
    name: str
    line: int
    has_relations_block: bool = False

    def __post_init__(self) -> None:
        self.relations: dict[str, Rewrite] = {}

    def build(self, next_line: int | None) -> TypeDefinition:
        if self.has_relations_block and not self.relations:
            raise _error(
                next_line or self.line, f"type {self.name!r}: 'relations' without any 'define'"
            )
        return TypeDefinition(self.name, self.relations)


def _error(
    line: int, problem: str, type_name: str | None = None, relation: str | None = None
) -> SchemaError:
    return SchemaError(f"line {line}: {problem}", type_name=type_name, relation=relation, line=line)


def _logical_lines(text: str) -> list[tuple[int, str]]:
    """Non-blank lines without comments, a bracket list spread over lines joined into one."""
    result: list[tuple[int, str]] = []
    pending: tuple[int, str] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = _strip_comment(raw).strip()
        if not line:
            continue
        pending = (pending[0], f"{pending[1]} {line}") if pending else (number, line)
        opened = pending[1].count("[") - pending[1].count("]")
        opened += pending[1].count("(") - pending[1].count(")")
        if opened <= 0:
            result.append(pending)
            pending = None
    if pending is not None:
        raise _error(pending[0], "unclosed '[' or '('")
    return result


def _strip_comment(line: str) -> str:
    stripped = line.lstrip()
    if stripped.startswith("#"):
        return ""
    # A trailing comment needs whitespace before '#': 'group#member' is not a comment.
    match = re.search(r"\s#", line)
    return line[: match.start()] if match else line


def _parse_define(line: str, number: int) -> tuple[str, Rewrite]:
    match = _DEFINE_RE.match(line)
    if match is None:
        raise _error(number, f"expected 'define <relation>: <definition>', found {line!r}")
    name = match["name"]
    if not _NAME_RE.match(name) or name in _KEYWORDS:
        raise _error(number, f"invalid relation name {name!r}")
    if name in _RESERVED_RELATIONS:
        raise _error(number, f"{name!r} is a reserved word and cannot name a relation")
    if not match["expr"].strip():
        raise _error(number, f"relation {name!r} has an empty definition")
    parser = _ExprParser(match["expr"], number)
    rewrite = parser.parse_relation_def(allow_direct=True)
    if not parser.at_end():
        raise _error(number, f"unexpected {parser.peek_text()!r} in the definition of {name!r}")
    return name, rewrite


class _ExprParser:
    def __init__(self, text: str, line: int):
        self.line = line
        self.tokens: list[str] = []
        pos = 0
        text = text.rstrip()
        while pos < len(text):
            match = _TOKEN_RE.match(text, pos)
            if match is None or match.end() == pos:
                raise _error(line, f"unexpected character {text[pos:].strip()[:1]!r}")
            token = (match["butnot"] and "but not") or match["name"] or match["punct"]
            self.tokens.append(token)
            pos = match.end()
        self.pos = 0

    def at_end(self) -> bool:
        return self.pos >= len(self.tokens)

    def peek(self) -> str | None:
        return None if self.at_end() else self.tokens[self.pos]

    def peek_text(self) -> str:
        return " ".join(self.tokens[self.pos :])

    def take(self, expected: str | None = None) -> str:
        token = self.peek()
        if token is None:
            wanted = f"{expected!r}" if expected else "more"
            raise _error(self.line, f"unexpected end of definition, expected {wanted}")
        if expected is not None and token != expected:
            raise _error(self.line, f"expected {expected!r}, found {token!r}")
        self.pos += 1
        return token

    def take_name(self, what: str) -> str:
        token = self.take()
        if not _NAME_RE.match(token) or token in _KEYWORDS:
            raise _error(self.line, f"expected {what}, found {token!r}")
        return token

    def parse_relation_def(self, *, allow_direct: bool) -> Rewrite:
        first = self.parse_operand(allow_direct=allow_direct)
        operator = self.peek()
        if operator not in ("or", "and", "but not"):
            return first
        operands = [first]
        while self.peek() == operator:
            self.take()
            operands.append(self.parse_operand(allow_direct=False))
            if operator == "but not":
                break
        following = self.peek()
        if following in ("or", "and", "but not"):
            raise _error(
                self.line,
                f"cannot mix '{operator}' and '{following}' without parentheses",
            )
        if operator == "or":
            return Union(tuple(operands))
        if operator == "and":
            return Intersection(tuple(operands))
        return Exclusion(operands[0], operands[1])

    def parse_operand(self, *, allow_direct: bool) -> Rewrite:
        token = self.peek()
        if token == "[":
            if not allow_direct:
                raise _error(
                    self.line, "a direct type list [...] may only open a relation definition"
                )
            return self.parse_direct()
        if token == "(":
            self.take("(")
            inner = self.parse_relation_def(allow_direct=allow_direct)
            self.take(")")
            return inner
        computed = self.take_name("a relation name, '[' or '('")
        if self.peek() == "from":
            self.take("from")
            tupleset = self.take_name("a relation name after 'from'")
            if self.peek() == "from":
                raise _error(
                    self.line, "'x from y from z' is not allowed: define a relation for it"
                )
            return TupleToUserset(tupleset=tupleset, computed=computed)
        return ComputedUserset(computed)

    def parse_direct(self) -> DirectTypes:
        self.take("[")
        allowed: list[TypeRestriction] = []
        while True:
            type_name = self.take_name("a type name")
            token = self.peek()
            if token == ":":
                self.take(":")
                self.take("*")
                allowed.append(TypeRestriction(type_name, wildcard=True))
            elif token == "#":
                self.take("#")
                allowed.append(TypeRestriction(type_name, self.take_name("a relation name")))
            else:
                allowed.append(TypeRestriction(type_name))
            token = self.take()
            if token == "with":
                raise _error(self.line, "conditions ('with') are not supported")
            if token == "]":
                break
            if token != ",":
                raise _error(self.line, f"expected ',' or ']' in the type list, found {token!r}")
        if not allowed:
            raise _error(self.line, "empty type list []")
        return DirectTypes(tuple(allowed))
