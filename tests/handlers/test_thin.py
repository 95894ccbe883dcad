"""Listeners are thin: none opens a database session or connection; the use cases they call
own their transactions (CONVENTIONS.md, "Handlers are thin")."""

from __future__ import annotations

import ast
from pathlib import Path

import handlers

# The Services methods that open a session or a connection.
OPENERS = frozenset({"session", "autocommit", "saving", "saving_session"})


def openers_called(source: str) -> list[str]:
    """Each call of a session or connection opener in ``source``, as "line: name"."""
    calls = [
        node
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Call)
        and isinstance(node.func, ast.Attribute)
        and node.func.attr in OPENERS
    ]
    calls.sort(key=lambda call: (call.lineno, call.col_offset))
    return [f"{call.lineno}: .{call.func.attr}(" for call in calls]  # type: ignore[attr-defined]


def test_the_check_finds_a_session_opened_however_it_is_written() -> None:
    source = (
        "with services.session() as session:\n    pass\n"
        "with self.services.autocommit() as c, services.saving() as d:\n    pass\n"
        "opened = services.saving_session()\n"
        "services.session_id(); services.sessions; saving(services)\n"
    )
    assert openers_called(source) == [
        "1: .session(",
        "3: .autocommit(",
        "3: .saving(",
        "5: .saving_session(",
    ]


def test_no_listener_opens_a_session_or_a_connection() -> None:
    package = Path(handlers.__file__).parent
    modules = sorted(package.rglob("*.py"))
    assert len(modules) > 10, "the listeners were found"
    found = {
        str(path.relative_to(package.parent)): calls
        for path in modules
        if (calls := openers_called(path.read_text(encoding="utf-8")))
    }
    assert found == {}, "listeners call a use case, which owns its transaction"
