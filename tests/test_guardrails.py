"""Architecture guardrails: the core packages stay free of Qt, and the layout the design promises exists."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
from pathlib import Path

from tests.conftest import ROOT


def test_core_packages_never_import_qt() -> None:
    code = (
        "import importlib, pkgutil, sys\n"
        "for pkg in ('audio', 'assist', 'sync'):\n"
        "    mod = importlib.import_module(pkg)\n"
        "    for info in pkgutil.walk_packages(mod.__path__, pkg + '.'):\n"
        "        importlib.import_module(info.name)\n"
        "bad = sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'shiboken6', 'desktop'))\n"
        "print(','.join(bad))\n"
        "sys.exit(1 if bad else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, (
        f"Qt or desktop imported by the core: {result.stdout} {result.stderr[-2000:]}"
    )


def test_cli_help_lists_the_subcommands_without_qt() -> None:
    code = (
        "import sys\n"
        "from desktop.cli import build_parser\n"
        "import argparse\n"
        "parser = build_parser()\n"
        "parser.format_help()\n"
        "sub = next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction))\n"
        "print(' '.join(sorted(sub.choices)))\n"
        "sys.exit(1 if any(m.startswith('PySide6') for m in sys.modules) else 0)\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr[-2000:]
    registered = set(result.stdout.split())
    assert {"transcribe", "devices", "kb", "customers", "suggest", "demo"} <= registered


def test_qt_binding_keeps_python_alive_through_a_long_call() -> None:
    """A live call emits thousands of signals; PySide6 6.12.0 on Python 3.11 loses a reference to None/True on
    each and aborts the interpreter within minutes. Runs in a child process so an abort fails this test
    only."""
    code = (
        "import sys\n"
        "from PySide6.QtCore import QObject, Signal\n"
        "from PySide6.QtWidgets import QApplication, QLabel\n"
        "app = QApplication([])\n"
        "class Line(QObject):\n"
        "    spoken = Signal(str)\n"
        "line, label = Line(), QLabel()\n"
        "line.spoken.connect(label.setText)\n"
        "before = sys.getrefcount(None), sys.getrefcount(True)\n"
        "for i in range(20000):\n"
        "    line.spoken.emit(f'line {i}')\n"
        "    label.setObjectName('transcript')\n"
        "after = sys.getrefcount(None), sys.getrefcount(True)\n"
        "print(before[0] - after[0], before[1] - after[1])\n"
    )
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, env=env
    )
    assert result.returncode == 0, f"the interpreter aborted: {result.stderr[-1500:]}"
    lost_none, lost_true = (int(x) for x in result.stdout.split())
    assert lost_none < 100 and lost_true < 100, f"references lost: None {lost_none}, True {lost_true}"


# Which top-level packages each package may import: desktop -> sync -> assist -> audio, never back up.
ALLOWED_LAYERS = {
    "audio": {"audio"},
    "assist": {"assist", "audio"},
    "sync": {"sync", "assist", "audio"},
    "desktop": {"desktop", "sync", "assist", "audio", "resources"},
}


def _project_imports(path: Path) -> set[tuple[str, int]]:
    """Top-level project packages imported anywhere in a file, function-local imports included."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[tuple[str, int]] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update((alias.name.split(".")[0], node.lineno) for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add((node.module.split(".")[0], node.lineno))
    return {(name, line) for name, line in found if name in ALLOWED_LAYERS or name in ("resources", "tests")}


def test_imports_follow_the_layers_even_inside_functions() -> None:
    wrong = []
    for package, allowed in ALLOWED_LAYERS.items():
        for path in sorted((ROOT / package).rglob("*.py")):
            for name, line in sorted(_project_imports(path)):
                if name not in allowed:
                    wrong.append(f"{path.relative_to(ROOT)}:{line} imports {name}")
    assert not wrong, "imports against the layering desktop -> sync -> assist -> audio:\n" + "\n".join(wrong)
