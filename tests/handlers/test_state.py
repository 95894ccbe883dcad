"""Reading a submitted view's state: whatever shape arrives, each reader returns its own type."""

from __future__ import annotations

from typing import Any

import pytest

from handlers.state import (
    selected_date,
    selected_user,
    selected_users,
    selected_value,
    selected_values,
    text_value,
)

ODD_SHAPES: list[Any] = [None, 5, "text", [], ["a"], {}, {"x": 1}, True, 2.5]
NOT_TEXT: list[Any] = [odd for odd in ODD_SHAPES if not isinstance(odd, str)] + [""]


def state(element: Any) -> dict[str, Any]:
    return {"block": {"action": element}}


def test_well_formed_state_reads_as_slack_sends_it() -> None:
    assert text_value(state({"value": "Rota gaps"}), "block", "action") == "Rota gaps"
    assert selected_value(state({"selected_option": {"value": "north"}}), "block", "action") == (
        "north"
    )
    options = {"selected_options": [{"value": "a"}, {"value": "b"}]}
    assert selected_values(state(options), "block", "action") == ["a", "b"]
    assert selected_users(state({"selected_users": ["U1", "U2"]}), "block", "action") == [
        "U1",
        "U2",
    ]
    assert selected_date(state({"selected_date": "2026-06-02"}), "block", "action") == (
        "2026-06-02"
    )
    assert selected_user(state({"selected_user": "U1"}), "block", "action") == "U1"


@pytest.mark.parametrize("odd", ODD_SHAPES)
def test_a_missing_or_odd_element_reads_as_left_empty(odd: Any) -> None:
    for values in (state(odd), {"block": odd}, {}, odd):
        assert text_value(values, "block", "action") == ""
        assert selected_value(values, "block", "action") is None
        assert selected_values(values, "block", "action") == []
        assert selected_users(values, "block", "action") == []
        assert selected_date(values, "block", "action") is None
        assert selected_user(values, "block", "action") is None


@pytest.mark.parametrize("odd", NOT_TEXT)
def test_odd_values_inside_a_well_formed_element_read_as_left_empty(odd: Any) -> None:
    assert text_value(state({"value": odd}), "block", "action") == ""
    assert selected_value(state({"selected_option": odd}), "block", "action") is None
    assert selected_value(state({"selected_option": {"value": odd}}), "block", "action") is None
    assert selected_values(state({"selected_options": odd}), "block", "action") == []
    assert selected_values(
        state({"selected_options": [odd, {"value": "a"}]}), "block", "action"
    ) == ["a"]
    assert selected_users(state({"selected_users": [odd, "U1"]}), "block", "action") == ["U1"]
    assert selected_date(state({"selected_date": odd}), "block", "action") is None
    assert selected_user(state({"selected_user": odd}), "block", "action") is None
