"""The layout's size rules, which no linter checks (ruff checks complexity and statements;
import-linter the direction of imports): a module in bot/, handlers/, storage/ or prompts/ is
at most 600 lines unless a comment at its top says why, and a function fits on a screen."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("bot", "handlers", "storage", "prompts")
MODULE_LINES = 600
FUNCTION_LINES = 60
# A module may be longer when its first lines say so, e.g. "# Longer than 600 lines: ...".
LONGER_BECAUSE = "# Longer than 600 lines:"

# Debt still to pay, each at most as long as it is today: the list may only shrink. A module
# or function in it that is split gets its line removed (the test says so).
DEBT: dict[str, dict[str, int]] = {}


def modules() -> list[Path]:
    """Every module of the project's packages, but the migrations (history, never edited)."""
    found = []
    for package in PACKAGES:
        for path in sorted((ROOT / package).rglob("*.py")):
            if "migrations" not in path.parts:
                found.append(path)
    return found


def test_the_packages_are_found() -> None:
    assert len(modules()) > 50


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_a_module_reads_top_to_bottom(path: Path) -> None:
    name = str(path.relative_to(ROOT))
    debt = DEBT.get(name, {})
    text = path.read_text()
    lines = text.splitlines()
    if len(lines) > MODULE_LINES and not any(
        line.startswith(LONGER_BECAUSE) for line in lines[:40]
    ):
        assert len(lines) <= debt.get("", MODULE_LINES), (
            f"{name} has {len(lines)} lines: split it, or say why at its top"
        )
    lengths = {
        node.name: (node.end_lineno or node.lineno) - node.lineno + 1
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
    }
    too_long = [
        f"{function} ({length} lines)"
        for function, length in lengths.items()
        if length > max(FUNCTION_LINES, debt.get(function, 0))
    ]
    assert not too_long, f"{name}: functions over {FUNCTION_LINES} lines: " + ", ".join(too_long)
    paid = [f for f in debt if f and lengths.get(f, 0) <= FUNCTION_LINES]
    paid += [""] if "" in debt and len(lines) <= MODULE_LINES else []
    assert not paid, f"{name}: {paid} paid off; remove it from DEBT in tests/test_layout.py"
