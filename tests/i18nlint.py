"""Find user-facing English that is not wrapped in ``_()`` (an AST lint; see test_i18n_lint).

Prose is a string literal (or the literal parts of an f-string) with two English words in a
row. A literal is fine when it is a docstring, inside ``_()``/``N_()``/``ngettext()``, in a
log call (logs stay English for grep), in an ``assert``, or the message of an exception that
only a programmer sees (``ValueError``, ``TypeError``, ``RuntimeError``, ...). Anything else
that reads like a sentence is a finding: ``file:line: text``.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

PROSE = re.compile(r"[A-Za-z]{2,}[ ,;:]+[A-Za-z]{2,}")
WRAPPERS = frozenset({"_", "N_", "ngettext"})
LOG_METHODS = frozenset({"debug", "info", "warning", "error", "exception", "critical", "log"})
PROGRAMMER_ERRORS = frozenset(
    {
        "ValueError",
        "TypeError",
        "RuntimeError",
        "NotImplementedError",
        "AssertionError",
        "KeyError",
        "FileNotFoundError",
        "LookupError",
    }
)
NOT_PROSE = re.compile(
    r"\s*(SELECT|CREATE|INSERT|UPDATE|DELETE|DROP|PRAGMA|BEGIN|COMMIT|ALTER|WHERE)\b"
)


def _name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def _literal_text(node: ast.expr) -> str | None:
    """The literal text of a str constant or an f-string's literal parts, else None."""
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return node.value
    if isinstance(node, ast.JoinedStr):
        return "".join(
            v.value for v in node.values if isinstance(v, ast.Constant) and isinstance(v.value, str)
        )
    return None


class _Finder(ast.NodeVisitor):
    def __init__(self) -> None:
        self.findings: list[tuple[int, str]] = []
        self._exempt = 0

    def _skip(self, node: ast.AST) -> None:
        self._exempt += 1
        self.generic_visit(node)
        self._exempt -= 1

    def visit_Call(self, node: ast.Call) -> None:
        name = _name(node.func)
        logging_call = name in LOG_METHODS and isinstance(node.func, ast.Attribute)
        if name in WRAPPERS or logging_call or name in PROGRAMMER_ERRORS:
            self._skip(node)
        else:
            self.generic_visit(node)

    def visit_Assert(self, node: ast.Assert) -> None:
        self._skip(node)

    def visit_Expr(self, node: ast.Expr) -> None:
        if isinstance(node.value, ast.Constant):  # a docstring or a bare string statement
            return
        self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        self._check(node)
        self.generic_visit(node)

    def visit_Constant(self, node: ast.Constant) -> None:
        self._check(node)

    def _check(self, node: ast.Constant | ast.JoinedStr) -> None:
        if self._exempt:
            return
        text = _literal_text(node)
        if text and PROSE.search(text) and not NOT_PROSE.match(text):
            self.findings.append((node.lineno, text))


def unwrapped_prose(path: Path) -> Iterator[tuple[int, str]]:
    """``(line, text)`` of each prose literal in ``path`` that is not wrapped or exempt."""
    tree = ast.parse(path.read_text(encoding="utf-8"), str(path))
    finder = _Finder()
    for node in ast.walk(tree):  # docstrings of modules, classes and functions
        body = getattr(node, "body", None)
        if isinstance(body, list) and body and isinstance(body[0], ast.Expr):
            first = body[0].value
            if isinstance(first, ast.Constant) and isinstance(first.value, str):
                first.value = ""  # not user-facing
    finder.visit(tree)
    # f-strings are visited twice (the JoinedStr and its parts): keep each line once per text.
    yield from sorted(set(finder.findings))
