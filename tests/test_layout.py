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
    text = path.read_text()
    lines = text.splitlines()
    if len(lines) > MODULE_LINES:
        assert any(line.startswith(LONGER_BECAUSE) for line in lines[:40]), (
            f"{path.relative_to(ROOT)} has {len(lines)} lines: split it, or say why at its top"
        )
    too_long = [
        f"{node.name} ({node.end_lineno - node.lineno + 1} lines)"
        for node in ast.walk(ast.parse(text))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and (node.end_lineno or node.lineno) - node.lineno + 1 > FUNCTION_LINES
    ]
    assert not too_long, f"{path.relative_to(ROOT)}: functions over {FUNCTION_LINES} lines: " + (
        ", ".join(too_long)
    )
