"""The shape issue 19 asks of desktop/: widgets in small modules, domain rules and storage elsewhere.

Checked on the source (AST), so it fails before anything runs:

* no module in desktop/ speaks SQL: no ``.execute(``/``.executemany(``/``.executescript(`` call and no string
  that reads as a SQL statement. Queries live in assist/ (the store and review APIs), where they are typed and
  tested without Qt;
* no module in desktop/ that imports PySide6 is longer than ``MAX_WIDGET_LINES``: a widget module that grows
  past it is mixing concerns (split the widgets, move the rules to a Qt-free module).
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

from tests.conftest import ROOT

MAX_WIDGET_LINES = 400
SQL_CALLS = frozenset({"execute", "executemany", "executescript"})
SQL_TEXT = re.compile(
    r"\bSELECT\b.+\bFROM\b|\bINSERT\s+(OR\s+\w+\s+)?INTO\b|\bUPDATE\s+\w+\s+SET\b|\bDELETE\s+FROM\b"
    r"|\bCREATE\s+(TABLE|INDEX|VIEW|TRIGGER)\b|\bDROP\s+TABLE\b|\bPRAGMA\s+\w+",
    re.DOTALL,  # the code base writes SQL keywords in capitals; "Select a customer from" is prose
)


def _desktop_modules() -> list[Path]:
    return sorted((ROOT / "desktop").rglob("*.py"))


def _tree(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), str(path))


def _docstrings(tree: ast.Module) -> set[int]:
    """ids of the docstring constants (prose may name a SQL word without being SQL)."""
    found: set[int] = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                found.add(id(body[0].value))
    return found


def sql_uses(path: Path, root: Path = ROOT) -> list[str]:
    tree = _tree(path)
    docs = _docstrings(tree)
    where = path.relative_to(root)
    found: list[str] = []
    for node in ast.walk(tree):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_CALLS
        ):
            found.append(f"{where}:{node.lineno}: .{node.func.attr}(")
        elif (
            isinstance(node, ast.Constant)
            and isinstance(node.value, str)
            and id(node) not in docs
            and SQL_TEXT.search(node.value)
        ):
            found.append(f"{where}:{node.lineno}: SQL text {node.value[:60]!r}")
    return found


def imports_qt(tree: ast.Module) -> bool:
    for node in ast.walk(tree):
        if isinstance(node, ast.Import) and any(a.name.split(".")[0] == "PySide6" for a in node.names):
            return True
        if isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "PySide6":
            return True
    return False


def test_no_sql_in_desktop() -> None:
    found = [use for path in _desktop_modules() for use in sql_uses(path)]
    assert not found, "SQL in desktop/ (move it to the store or review API in assist/):\n" + "\n".join(found)


def test_no_widget_module_over_the_limit() -> None:
    too_long = []
    for path in _desktop_modules():
        lines = len(path.read_text(encoding="utf-8").splitlines())
        if lines > MAX_WIDGET_LINES and imports_qt(_tree(path)):
            too_long.append(f"{path.relative_to(ROOT).as_posix()}: {lines} lines")
    assert not too_long, (
        f"desktop/ modules importing PySide6 over {MAX_WIDGET_LINES} lines (split the widgets by concern, "
        "move rules to a Qt-free module):\n" + "\n".join(too_long)
    )


def test_the_checks_see_what_they_look_for(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""Docs may say SELECT name FROM calls."""\n'
        "from PySide6.QtWidgets import QWidget\n"
        "def count(store):\n"
        "    return store.conn.execute('SELECT COUNT(*) FROM calls WHERE customer_id = ?')\n"
        "LABEL = 'Select a customer from the list'\n",
        encoding="utf-8",
    )
    uses = sql_uses(sample, tmp_path)
    assert len(uses) == 2 and all(":4:" in use for use in uses), uses
    assert imports_qt(_tree(sample))
