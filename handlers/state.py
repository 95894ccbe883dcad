"""Read a submitted view's state as Slack shapes it: values[block_id][action_id].

Each reader returns the type it promises whatever arrives: a missing block or element, or a
value of the wrong JSON type, reads as left empty, so bad input becomes a field error later
instead of a traceback (tests/journeys/test_fuzz.py sends every such shape).
"""

from __future__ import annotations

from typing import Any

State = dict[str, dict[str, dict[str, Any]]]


def _element(values: State, block_id: str, action_id: str) -> dict[str, Any]:
    block = values.get(block_id) if isinstance(values, dict) else None
    element = block.get(action_id) if isinstance(block, dict) else None
    return element if isinstance(element, dict) else {}


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) and value else None


def text_value(values: State, block_id: str, action_id: str) -> str:
    """A plain_text_input's or number_input's value, or "" when left empty."""
    return _text(_element(values, block_id, action_id).get("value")) or ""


def selected_value(values: State, block_id: str, action_id: str) -> str | None:
    """The value of a static select's or radio group's chosen option, if any."""
    chosen = _element(values, block_id, action_id).get("selected_option")
    return _text(chosen.get("value")) if isinstance(chosen, dict) else None


def selected_values(values: State, block_id: str, action_id: str) -> list[str]:
    """The values of the ticked checkboxes (or a multi select's options)."""
    chosen = _element(values, block_id, action_id).get("selected_options")
    if not isinstance(chosen, list):
        return []
    return [o["value"] for o in chosen if isinstance(o, dict) and _text(o.get("value"))]


def selected_users(values: State, block_id: str, action_id: str) -> list[str]:
    """The user ids chosen in a multi_users_select, in the order picked."""
    chosen = _element(values, block_id, action_id).get("selected_users")
    return [user for user in chosen if _text(user)] if isinstance(chosen, list) else []


def selected_date(values: State, block_id: str, action_id: str) -> str | None:
    """A date picker's chosen date as YYYY-MM-DD, or None when left empty."""
    return _text(_element(values, block_id, action_id).get("selected_date"))


def selected_user(values: State, block_id: str, action_id: str) -> str | None:
    """The user id chosen in a (single) users_select, or None when left empty."""
    return _text(_element(values, block_id, action_id).get("selected_user"))


def selected_time(values: State, block_id: str, action_id: str) -> str | None:
    """A time picker's chosen time as HH:mm, or None when left empty."""
    return _text(_element(values, block_id, action_id).get("selected_time"))
