"""Read a submitted view's state as Slack shapes it: values[block_id][action_id]."""

from __future__ import annotations

from typing import Any

State = dict[str, dict[str, dict[str, Any]]]


def _element(values: State, block_id: str, action_id: str) -> dict[str, Any]:
    return (values.get(block_id) or {}).get(action_id) or {}


def text_value(values: State, block_id: str, action_id: str) -> str:
    """A plain_text_input's or number_input's value, or "" when left empty."""
    return _element(values, block_id, action_id).get("value") or ""


def selected_value(values: State, block_id: str, action_id: str) -> str | None:
    """The value of a static select's or radio group's chosen option, if any."""
    chosen = _element(values, block_id, action_id).get("selected_option")
    return chosen.get("value") if chosen else None


def selected_values(values: State, block_id: str, action_id: str) -> list[str]:
    """The values of the ticked checkboxes (or a multi select's options)."""
    chosen = _element(values, block_id, action_id).get("selected_options") or []
    return [option["value"] for option in chosen]
