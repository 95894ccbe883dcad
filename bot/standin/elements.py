"""Block Kit elements as Slack reports them to the app: ``state.values`` and ``actions[]``.

Given the blocks of a message or view and what a person typed or chose (plain values: a string,
an option's value, a date), these build the entries Slack would send, shaped per element type:
an option comes back as the whole option object, a date as "YYYY-MM-DD", a rich text input as
a rich_text block, and so on.
"""

from __future__ import annotations

import copy
import re
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime
from datetime import time as clock_time
from typing import Any

TEXT_VALUE_ELEMENTS = {"plain_text_input", "number_input", "email_text_input", "url_text_input"}
SINGLE_OPTION_ELEMENTS = {"static_select", "radio_buttons", "external_select", "overflow"}
MULTI_OPTION_ELEMENTS = {"multi_static_select", "checkboxes", "multi_external_select"}
# Element type → the state key Slack fills for it, for elements whose value is an id or ids.
ID_STATE_KEYS = {
    "users_select": "selected_user",
    "conversations_select": "selected_conversation",
    "channels_select": "selected_channel",
}
ID_LIST_STATE_KEYS = {
    "multi_users_select": "selected_users",
    "multi_conversations_select": "selected_conversations",
    "multi_channels_select": "selected_channels",
}
STATELESS_ELEMENTS = {"button", "overflow", "workflow_button", "image"}
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")
# What an element holds when the person did not touch it: its initial value, if any.
_UNSET: Any = object()

Fields = dict[str, Any]


def elements(blocks: Sequence[Any]) -> Iterator[tuple[str, dict[str, Any], bool]]:
    """Every element with an action_id: (block_id, element, whether it sits in an input)."""
    for block in blocks:
        if not isinstance(block, dict):
            continue
        block_id = str(block.get("block_id", ""))
        kind = block.get("type")
        if kind == "input" and isinstance(block.get("element"), dict):
            yield block_id, block["element"], True
        elif kind == "actions":
            for element in block.get("elements") or []:
                if isinstance(element, dict):
                    yield block_id, element, False
        elif kind == "section" and isinstance(block.get("accessory"), dict):
            yield block_id, block["accessory"], False


def holds_state(element: dict[str, Any]) -> bool:
    """Whether Slack reports this element in ``state.values`` (a button holds nothing)."""
    return element.get("type") not in STATELESS_ELEMENTS


def state_values(
    blocks: Sequence[Any], values: Mapping[str, Any], *, every_element: bool = False
) -> dict[str, dict[str, Any]]:
    """view.state.values as Slack fills it: inputs always, other elements when they hold a value."""
    found = list(elements(blocks))
    chosen = {_state_key(found, key): value for key, value in values.items()}
    state: dict[str, dict[str, Any]] = {}
    for block_id, element, in_input in found:
        action_id = str(element.get("action_id"))
        given = chosen.get((block_id, action_id), _UNSET)
        wanted = in_input or every_element or given is not _UNSET
        if wanted and holds_state(element):
            state.setdefault(block_id, {})[action_id] = _element_state(element, given)
    return state


def _state_key(found: list[tuple[str, dict[str, Any], bool]], key: str) -> tuple[str, str]:
    """The (block_id, action_id) a key of ``values`` names: an action_id or "block.action"."""
    exact = [(b, e) for b, e, _ in found if f"{b}.{e.get('action_id')}" == key]
    matches = exact or [(b, e) for b, e, _ in found if e.get("action_id") == key]
    if not matches:
        known = sorted(f"{b}.{e.get('action_id')}" for b, e, _ in found)
        raise ValueError(f"no element with action_id {key!r} in these blocks; there are {known}")
    if len(matches) > 1:
        raise ValueError(f"several elements have action_id {key!r}: say 'block_id.action_id'")
    block_id, element = matches[0]
    if not holds_state(element):
        raise ValueError(f"a {element.get('type')} ({key!r}) holds no value to submit")
    return block_id, str(element.get("action_id"))


def clicked_state(
    block_id: str, element: dict[str, Any], value: Any, selected_date: Any
) -> dict[str, Any]:
    """The value a click gives the element, for the surface's state (none for a button)."""
    key = f"{block_id}.{element.get('action_id')}"
    if element.get("type") == "datepicker" and selected_date is not None:
        return {key: selected_date}
    return {key: value} if holds_state(element) else {}


def _element_state(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """One element's entry in state.values, shaped as Slack shapes it for that element type."""
    kind = str(element.get("type"))
    shape = _STATE_BY_KIND.get(kind)
    if shape is None:
        raise ValueError(f"the sender does not know how Slack fills a {kind}")
    return {"type": kind, **shape(element, value)}


def _text_state(element: dict[str, Any], value: Any) -> Fields:
    raw = element.get("initial_value") if value is _UNSET else value
    return {"value": None if raw is None or raw == "" else str(raw)}


def _option_state(element: dict[str, Any], value: Any) -> Fields:
    if value is _UNSET:
        return {"selected_option": copy.deepcopy(element.get("initial_option"))}
    return {"selected_option": None if value is None else _option(element, value)}


def _options_state(element: dict[str, Any], value: Any) -> Fields:
    if value is _UNSET:
        return {"selected_options": copy.deepcopy(element.get("initial_options") or [])}
    return {"selected_options": [_option(element, v) for v in _as_list(value)]}


def _id_state(element: dict[str, Any], value: Any) -> Fields:
    key = ID_STATE_KEYS[str(element.get("type"))]
    initial_key = "initial_" + key.removeprefix("selected_")
    return {key: element.get(initial_key) if value is _UNSET else value}


def _ids_state(element: dict[str, Any], value: Any) -> Fields:
    key = ID_LIST_STATE_KEYS[str(element.get("type"))]
    initial_key = "initial_" + key.removeprefix("selected_")
    chosen = (element.get(initial_key) or []) if value is _UNSET else _as_list(value)
    return {key: list(chosen)}


def _date_state(element: dict[str, Any], value: Any) -> Fields:
    return {"selected_date": element.get("initial_date") if value is _UNSET else _date(value)}


def _time_state(element: dict[str, Any], value: Any) -> Fields:
    chosen = element.get("initial_time") if value is _UNSET else _time(value)
    fields: Fields = {"selected_time": chosen}
    if element.get("timezone"):
        fields["timezone"] = element["timezone"]
    return fields


def _date_time_state(element: dict[str, Any], value: Any) -> Fields:
    raw = element.get("initial_date_time") if value is _UNSET else value
    return {"selected_date_time": int(raw.timestamp()) if isinstance(raw, datetime) else raw}


def _rich_text_state(element: dict[str, Any], value: Any) -> Fields:
    raw = element.get("initial_value") if value is _UNSET else value
    return {"rich_text_value": _rich_text(raw)}


def _files_state(element: dict[str, Any], value: Any) -> Fields:
    return {"files": [] if value is _UNSET or value is None else list(value)}


_STATE_BY_KIND: dict[str, Callable[[dict[str, Any], Any], Fields]] = {
    **dict.fromkeys(TEXT_VALUE_ELEMENTS, _text_state),
    **dict.fromkeys(SINGLE_OPTION_ELEMENTS, _option_state),
    **dict.fromkeys(MULTI_OPTION_ELEMENTS, _options_state),
    **dict.fromkeys(ID_STATE_KEYS, _id_state),
    **dict.fromkeys(ID_LIST_STATE_KEYS, _ids_state),
    "datepicker": _date_state,
    "timepicker": _time_state,
    "datetimepicker": _date_time_state,
    "rich_text_input": _rich_text_state,
    "file_input": _files_state,
}


def find_element(
    blocks: Sequence[Any], action_id: str, value: str | Sequence[str] | None
) -> tuple[str, dict[str, Any]]:
    """The (block_id, element) a click targets; ``value`` tells same-id buttons apart."""
    matches = [(b, e) for b, e, _ in elements(blocks) if e.get("action_id") == action_id]
    if not matches:
        known = sorted({str(e.get("action_id")) for _, e, _ in elements(blocks)})
        raise ValueError(f"no element with action_id {action_id!r}; there are {known}")
    if len(matches) > 1 and value is not None:
        matches = [(b, e) for b, e in matches if e.get("value") == value] or matches
    if len(matches) > 1:
        raise ValueError(f"several elements have action_id {action_id!r}; pass value= to pick one")
    return matches[0]


def action(
    block_id: str,
    element: dict[str, Any],
    value: str | Sequence[str] | None,
    selected_date: str | date | None,
) -> dict[str, Any]:
    """actions[0] of a block_actions payload, as Slack shapes it for the element's type."""
    kind = str(element.get("type"))
    common: dict[str, Any] = {
        "type": kind,
        "action_id": element.get("action_id"),
        "block_id": block_id,
        "action_ts": f"{time.time():.6f}",
    }
    if kind in ("button", "workflow_button"):
        return {**common, **_button_action(element)}
    if kind == "datepicker":
        return {**common, **_datepicker_action(element, value, selected_date)}
    if value is None and kind not in STATELESS_ELEMENTS:
        raise ValueError(f"using a {kind} needs value= (what the person chose)")
    shape = _ACTION_BY_KIND.get(kind)
    if shape is None:
        raise ValueError(f"the sender does not know how Slack reports a {kind} action")
    return {**common, **shape(element, value)}


def _button_action(element: dict[str, Any]) -> Fields:
    fields: Fields = {"text": copy.deepcopy(element.get("text"))}
    if "value" in element:
        fields["value"] = element["value"]
    if "style" in element:
        fields["style"] = element["style"]
    return fields


def _datepicker_action(element: dict[str, Any], value: Any, selected_date: Any) -> Fields:
    chosen = selected_date if selected_date is not None else value
    if chosen is None:
        raise ValueError("a datepicker click needs selected_date=")
    fields: Fields = {"selected_date": _date(chosen)}
    if element.get("initial_date"):
        fields["initial_date"] = element["initial_date"]
    return fields


def _option_action(element: dict[str, Any], value: Any) -> Fields:
    return {"selected_option": _option(element, value)}


def _options_action(element: dict[str, Any], value: Any) -> Fields:
    return {"selected_options": [_option(element, v) for v in _as_list(value)]}


def _id_action(element: dict[str, Any], value: Any) -> Fields:
    return {ID_STATE_KEYS[str(element.get("type"))]: value}


def _ids_action(element: dict[str, Any], value: Any) -> Fields:
    return {ID_LIST_STATE_KEYS[str(element.get("type"))]: _as_list(value)}


def _time_action(element: dict[str, Any], value: Any) -> Fields:
    return {"selected_time": _time(value)}


def _text_action(element: dict[str, Any], value: Any) -> Fields:
    return {"value": value}


_ACTION_BY_KIND: dict[str, Callable[[dict[str, Any], Any], Fields]] = {
    **dict.fromkeys(SINGLE_OPTION_ELEMENTS, _option_action),
    **dict.fromkeys(MULTI_OPTION_ELEMENTS, _options_action),
    **dict.fromkeys(ID_STATE_KEYS, _id_action),
    **dict.fromkeys(ID_LIST_STATE_KEYS, _ids_action),
    "timepicker": _time_action,
    **dict.fromkeys(TEXT_VALUE_ELEMENTS, _text_action),
}


def _option(element: dict[str, Any], value: Any) -> dict[str, Any]:
    """The element's full option object with this value (Slack sends the whole object)."""
    if isinstance(value, dict):
        return copy.deepcopy(value)
    options = list(element.get("options") or [])
    for group in element.get("option_groups") or []:
        options += group.get("options") or []
    for option in options:
        if option.get("value") == value:
            return copy.deepcopy(option)
    if element.get("type") in ("external_select", "multi_external_select"):
        return {"text": {"type": "plain_text", "text": str(value)}, "value": str(value)}
    known = [o.get("value") for o in options]
    raise ValueError(
        f"{value!r} is not an option of {element.get('action_id')!r}; options: {known}"
    )


def _as_list(value: Any) -> list[Any]:
    if value is None:
        return []
    if isinstance(value, str | dict):
        return [value]
    return list(value)


def _date(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, date):
        return value.isoformat()[:10]
    if not (isinstance(value, str) and _DATE.fullmatch(value)):
        raise ValueError(f"a date must be a datetime.date or 'YYYY-MM-DD', not {value!r}")
    return value


def _time(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, clock_time):
        return value.strftime("%H:%M")
    if not (isinstance(value, str) and _TIME.fullmatch(value)):
        raise ValueError(f"a time must be a datetime.time or 'HH:MM', not {value!r}")
    return value


def _rich_text(value: Any) -> Any:
    if value is None or isinstance(value, dict):
        return value
    return {
        "type": "rich_text",
        "elements": [
            {"type": "rich_text_section", "elements": [{"type": "text", "text": str(value)}]}
        ],
    }
