"""Drive's query language for files.list `q`, parsed as Drive parses it.

"Search query terms and operators" (developers.google.com/workspace/drive/api/guides/
ref-search-terms): a clause is `query_term operator value`; clauses combine with `and`, `or`,
`not` and parentheses; strings are in single quotes, with `\\'` and `\\\\` escaping a quote and a
backslash ("Search for files and folders": name contains 'quinn\\'s paper\\\\essay'); booleans are
bare `true`/`false`. Terms modelled here: `name` and `mimeType` with `=` and `!=`, `trashed` with
`=` and `!=`, and `'<id>' in parents`.

A query Drive itself refuses (an unknown term, an operator the term does not take, a value of the
wrong type, an unterminated string) is answered as Drive answers it: 400 invalid "Invalid Value",
location q (github.com/brekkylab/backlot/issues/337 records Drive's 400 "Invalid Value" for bad
values). A valid Drive clause the fake does not evaluate (fullText, modifiedTime, name contains...)
is refused with 400 too, naming the clause, so an adapter cannot silently rely on it.

`name =` compares exactly (case-sensitive) by default. Drive's own documentation does not say;
field reports (github.com/Achrou/goindex-theme-acrou/pull/86: `name = 'haha'` also finds "Haha")
say Drive matches names without regard to case: `FakeGoogle(name_equality_ignores_case=True)`.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from fakegoogle.discovery import ApiError, bad_request

# Drive's terms and the operators each takes (ref-search-terms); values: s string, b boolean,
# d date, n number, c collection ('x' in term), h has-collection.
DRIVE_TERMS = {
    "name": ({"contains", "=", "!="}, "s"),
    "fullText": ({"contains"}, "s"),
    "mimeType": ({"contains", "=", "!="}, "s"),
    "modifiedTime": ({"<=", "<", "=", "!=", ">", ">="}, "d"),
    "viewedByMeTime": ({"<=", "<", "=", "!=", ">", ">="}, "d"),
    "createdTime": ({"<=", "<", "=", "!=", ">", ">="}, "d"),
    "trashed": ({"=", "!="}, "b"),
    "starred": ({"=", "!="}, "b"),
    "hidden": ({"=", "!="}, "b"),
    "sharedWithMe": ({"=", "!="}, "b"),
    "parents": ({"in"}, "c"),
    "owners": ({"in"}, "c"),
    "writers": ({"in"}, "c"),
    "readers": ({"in"}, "c"),
    "properties": ({"has"}, "h"),
    "appProperties": ({"has"}, "h"),
    "visibility": ({"=", "!="}, "s"),
    "shortcutDetails.targetId": ({"=", "!="}, "s"),
    "memberCount": ({"<=", "<", "=", "!=", ">", ">="}, "n"),
    "organizerCount": ({"<=", "<", "=", "!=", ">", ">="}, "n"),
}
MODELLED = {("name", "="), ("name", "!="), ("mimeType", "="), ("mimeType", "!=")}
MODELLED |= {("trashed", "="), ("trashed", "!="), ("parents", "in")}

_TOKEN = re.compile(
    r"\s*(?:(?P<string>'(?:[^'\\]|\\.)*')|(?P<op><=|>=|!=|=|<|>)|(?P<paren>[()])"
    r"|(?P<word>[A-Za-z_][\w.]*)|(?P<number>-?\d+(?:\.\d+)?))"
)


def invalid() -> ApiError:
    return bad_request("Invalid Value", "q")


@dataclass
class Clause:
    term: str
    op: str
    value: Any  # str, bool


Test = Callable[[Any], bool]  # a file -> whether it matches


def _tokens(q: str) -> list[tuple[str, str]]:
    tokens, pos = [], 0
    while q[pos:].strip():
        match = _TOKEN.match(q, pos)
        if not match:
            raise invalid()
        kind = match.lastgroup or ""
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    return tokens


def unquote(token: str) -> str:
    return re.sub(r"\\(.)", r"\1", token[1:-1])


class _Parser:
    def __init__(self, q: str, evaluate: Callable[[Clause], Test]):
        self.tokens = _tokens(q)
        self.pos = 0
        self.evaluate = evaluate

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else None

    def take(self) -> tuple[str, str]:
        token = self.peek()
        if token is None:
            raise invalid()
        self.pos += 1
        return token

    def keyword(self, word: str) -> bool:
        token = self.peek()
        if token and token == ("word", word):
            self.pos += 1
            return True
        return False

    def parse(self) -> Test:
        test = self.disjunction()
        if self.peek() is not None:
            raise invalid()
        return test

    def disjunction(self) -> Test:
        tests = [self.conjunction()]
        while self.keyword("or"):
            tests.append(self.conjunction())
        return tests[0] if len(tests) == 1 else (lambda f: any(t(f) for t in tests))

    def conjunction(self) -> Test:
        tests = [self.negation()]
        while self.keyword("and"):
            tests.append(self.negation())
        return tests[0] if len(tests) == 1 else (lambda f: all(t(f) for t in tests))

    def negation(self) -> Test:
        if self.keyword("not"):
            test = self.negation()
            return lambda f: not test(f)
        if self.peek() == ("paren", "("):
            self.take()
            test = self.disjunction()
            if self.take() != ("paren", ")"):
                raise invalid()
            return test
        return self.evaluate(self.clause())

    def clause(self) -> Clause:
        kind, text = self.take()
        if kind == "string":  # 'value' in collection
            if self.take() != ("word", "in"):
                raise invalid()
            kind2, term = self.take()
            if kind2 != "word" or DRIVE_TERMS.get(term, ((), ""))[1] != "c":
                raise invalid()
            return Clause(term, "in", unquote(text))
        if kind != "word" or text not in DRIVE_TERMS:
            raise invalid()
        ops, value_type = DRIVE_TERMS[text]
        op_kind, op = self.take()
        if op_kind not in ("op", "word") or op not in ops:
            raise invalid()
        value_kind, value = self.take()
        if value_type in ("s", "d", "h"):
            if value_kind != "string":
                raise invalid()
            return Clause(text, op, unquote(value))
        if value_type == "b":
            if value not in ("true", "false") or value_kind != "word":
                raise invalid()
            return Clause(text, op, value == "true")
        if value_type == "n" and value_kind == "number":
            return Clause(text, op, value)
        raise invalid()


def compile_query(q: str, evaluate: Callable[[Clause], Test]) -> Test:
    """A test of files for `q`; `evaluate` turns one clause into a test (or refuses it)."""
    if not q.strip():
        return lambda f: True
    return _Parser(q, evaluate).parse()


def unmodelled(clause: Clause) -> ApiError:
    return bad_request(
        f"The local Google does not model the query clause {clause.term} {clause.op} ...", "q"
    )
