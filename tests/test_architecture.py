"""Rules about the code itself that keep it easy to change: production code never asks whether it
is under test, and every product module stays small enough to read in one sitting."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
APPS = ("supplierwatch", "suppliers", "incidents", "integrations", "notifications")
MAX_MODULE_LINES = 550


def _product_modules() -> list[Path]:
    return sorted(
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts
    )


def _asks_whether_under_test(tree: ast.AST) -> list[str]:
    """What in a module's syntax would tell it that it runs under test: the test runner's name
    as a string (however quoted or spelled), the loaded modules, the command line, a TESTING
    switch."""
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if "pytest" in node.value.lower():
                found.append(f"line {node.lineno}: the string {node.value!r}")
        elif isinstance(node, ast.Attribute) and node.attr in ("modules", "argv"):
            if isinstance(node.value, ast.Name) and node.value.id.lstrip("_") == "sys":
                found.append(f"line {node.lineno}: sys.{node.attr}")
        elif isinstance(node, ast.Name) and node.id == "TESTING":
            found.append(f"line {node.lineno}: TESTING")
    return found


def test_production_code_never_asks_whether_it_runs_under_test():
    for path in _product_modules():
        assert _asks_whether_under_test(ast.parse(path.read_text())) == [], path


@pytest.mark.parametrize(
    "source",
    [
        'UNDER_TEST = "pytest" in sys.modules',
        "import sys as _sys\nUNDER_TEST = 'pytest' in _sys.modules",
        "if 'PyTest' in str(sys.argv): DEBUG = True",
        "if TESTING: pass",
    ],
)
def test_the_check_sees_every_way_of_asking(source):
    assert _asks_whether_under_test(ast.parse(source))


@pytest.mark.parametrize("path", _product_modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_every_product_module_reads_in_one_sitting(path):
    lines = len(path.read_text().splitlines())
    assert lines <= MAX_MODULE_LINES, (
        f"{path.relative_to(ROOT)}: {lines} lines; split it by concern"
    )


def test_the_app_graph_is_one_way():
    """The contracts in pyproject.toml ([tool.importlinter]): no app imports one above it."""
    linter = Path(sys.executable).with_name("lint-imports")
    command = [str(linter)] if linter.exists() else ["lint-imports"]
    finished = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    assert finished.returncode == 0, finished.stdout[-4000:] + finished.stderr[-2000:]
