"""Block Kit primitives: small pure functions that return the dicts Slack expects.

Builders for each surface (``bot/blocks/<surface>.py``) compose these with words rendered from
``prompts/``; nothing here knows retrobot's domain.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

Block = dict[str, Any]

SECTION_TEXT_LIMIT = 3000
MESSAGE_BLOCK_LIMIT = 50
VIEW_BLOCK_LIMIT = 100
MODAL_TITLE_LIMIT = 24


def plain(text: str, *, emoji: bool = True) -> dict[str, Any]:
    """A plain_text object."""
    return {"type": "plain_text", "text": text, "emoji": emoji}


def mrkdwn(text: str) -> dict[str, Any]:
    """A mrkdwn text object."""
    return {"type": "mrkdwn", "text": text}


def header(text: str) -> Block:
    """A header block (plain text, at most 150 characters)."""
    return {"type": "header", "text": plain(_trim(text, 150))}


def section(text: str, *, block_id: str | None = None, accessory: dict | None = None) -> Block:
    """A mrkdwn section; text over 3,000 characters is trimmed (split long text first)."""
    block: Block = {"type": "section", "text": mrkdwn(_trim(text, SECTION_TEXT_LIMIT))}
    if block_id:
        block["block_id"] = block_id
    if accessory:
        block["accessory"] = accessory
    return block


def context(*texts: str) -> Block:
    """A context block of up to 10 mrkdwn elements."""
    return {"type": "context", "elements": [mrkdwn(_trim(t, 2000)) for t in texts[:10]]}


def divider() -> Block:
    """A divider."""
    return {"type": "divider"}


def button(
    text: str, action_id: str, *, value: str | None = None, style: str | None = None
) -> dict[str, Any]:
    """A button element; ``style`` is ``primary`` or ``danger``."""
    element: dict[str, Any] = {
        "type": "button",
        "text": plain(_trim(text, 75)),
        "action_id": action_id,
    }
    if value is not None:
        element["value"] = value
    if style:
        element["style"] = style
    return element


def actions(*elements: dict[str, Any], block_id: str | None = None) -> Block:
    """An actions block (at most 25 elements)."""
    block: Block = {"type": "actions", "elements": list(elements)[:25]}
    if block_id:
        block["block_id"] = block_id
    return block


def option(text: str, value: str) -> dict[str, Any]:
    """An option for selects, radio buttons and checkboxes."""
    return {"text": plain(_trim(text, 75)), "value": value}


def text_input(
    *,
    block_id: str,
    action_id: str,
    label: str,
    initial: str | None = None,
    placeholder: str | None = None,
    multiline: bool = False,
    max_length: int | None = None,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    """An input block holding a plain_text_input."""
    element: dict[str, Any] = {"type": "plain_text_input", "action_id": action_id}
    if multiline:
        element["multiline"] = True
    if initial:
        element["initial_value"] = initial[: max_length or 3000]
    if placeholder:
        element["placeholder"] = plain(_trim(placeholder, 150))
    if max_length:
        element["max_length"] = max_length
    return _input(block_id, label, element, optional=optional, hint=hint)


def static_select(
    *,
    block_id: str,
    action_id: str,
    label: str,
    options: Sequence[dict[str, Any]],
    initial_value: str | None = None,
    optional: bool = False,
) -> Block:
    """An input block holding a static select (at most 100 options)."""
    element = _choices(
        "static_select", action_id, options, limit=100, selected=_one(initial_value), many=False
    )
    return _input(block_id, label, element, optional=optional)


def checkboxes(
    *,
    block_id: str,
    action_id: str,
    label: str,
    options: Sequence[dict[str, Any]],
    checked: Iterable[str] = (),
    optional: bool = True,
    hint: str | None = None,
) -> Block:
    """An input block of checkboxes; ``checked`` names the values ticked initially."""
    element = _choices("checkboxes", action_id, options, limit=None, selected=checked, many=True)
    return _input(block_id, label, element, optional=optional, hint=hint)


def radio_buttons(
    *,
    block_id: str,
    action_id: str,
    label: str,
    options: Sequence[dict[str, Any]],
    initial_value: str | None = None,
    optional: bool = False,
) -> Block:
    """An input block of radio buttons (at most 10 options)."""
    element = _choices(
        "radio_buttons", action_id, options, limit=10, selected=_one(initial_value), many=False
    )
    return _input(block_id, label, element, optional=optional)


def multi_static_select(
    *,
    block_id: str,
    action_id: str,
    label: str,
    options: Sequence[dict[str, Any]],
    chosen: Iterable[str] = (),
    optional: bool = True,
) -> Block:
    """An input block holding a multi-select of static options (at most 100)."""
    element = _choices(
        "multi_static_select", action_id, options, limit=100, selected=chosen, many=True
    )
    return _input(block_id, label, element, optional=optional)


def _choices(
    kind: str,
    action_id: str,
    options: Sequence[dict[str, Any]],
    *,
    limit: int | None,
    selected: Iterable[str],
    many: bool,
) -> dict[str, Any]:
    """An element offering ``options`` (the first ``limit``), with the ``selected`` values among
    them marked initial: ``initial_options`` when ``many``, else the first as ``initial_option``.

    Initial options are picked from the options shown, since Slack refuses any other."""
    shown = list(options)[:limit]
    wanted = set(selected)
    element: dict[str, Any] = {"type": kind, "action_id": action_id, "options": shown}
    initial = [o for o in shown if o["value"] in wanted]
    if initial:
        if many:
            element["initial_options"] = initial
        else:
            element["initial_option"] = initial[0]
    return element


def _one(value: str | None) -> tuple[str, ...]:
    return () if value is None else (value,)


def users_select(
    *,
    block_id: str,
    action_id: str,
    label: str,
    initial_users: Sequence[str] = (),
    max_selected: int | None = None,
    placeholder: str | None = None,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    """An input block holding a multi_users_select (people picked from the workspace)."""
    element: dict[str, Any] = {"type": "multi_users_select", "action_id": action_id}
    if initial_users:
        element["initial_users"] = list(initial_users)
    if max_selected:
        element["max_selected_items"] = max_selected
    if placeholder:
        element["placeholder"] = plain(_trim(placeholder, 150))
    return _input(block_id, label, element, optional=optional, hint=hint)


def datepicker(
    *,
    block_id: str,
    action_id: str,
    label: str,
    initial_date: str | None = None,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    """An input block holding a date picker; ``initial_date`` is YYYY-MM-DD."""
    element: dict[str, Any] = {"type": "datepicker", "action_id": action_id}
    if initial_date:
        element["initial_date"] = initial_date
    return _input(block_id, label, element, optional=optional, hint=hint)


def timepicker(
    *,
    block_id: str,
    action_id: str,
    label: str,
    initial_time: str | None = None,
    optional: bool = False,
    hint: str | None = None,
) -> Block:
    """An input block holding a time picker; ``initial_time`` is HH:mm."""
    element: dict[str, Any] = {"type": "timepicker", "action_id": action_id}
    if initial_time:
        element["initial_time"] = initial_time
    return _input(block_id, label, element, optional=optional, hint=hint)


def number_input(
    *,
    block_id: str,
    action_id: str,
    label: str,
    initial: str | None = None,
    min_value: float | None = None,
    max_value: float | None = None,
    decimals: bool = True,
    optional: bool = True,
    hint: str | None = None,
) -> Block:
    """An input block holding a number_input (Slack sends its value back as a string)."""
    element: dict[str, Any] = {
        "type": "number_input",
        "action_id": action_id,
        "is_decimal_allowed": decimals,
    }
    if initial is not None:
        element["initial_value"] = initial
    for key, value in (("min_value", min_value), ("max_value", max_value)):
        if value is not None:
            element[key] = str(int(value)) if float(value).is_integer() else str(value)
    return _input(block_id, label, element, optional=optional, hint=hint)


def _input(
    block_id: str, label: str, element: dict[str, Any], *, optional: bool, hint: str | None = None
) -> Block:
    block: Block = {
        "type": "input",
        "block_id": block_id,
        "label": plain(_trim(label, 2000)),
        "element": element,
        "optional": optional,
    }
    if hint:
        block["hint"] = plain(_trim(hint, 2000))
    return block


def modal(
    *,
    callback_id: str,
    title: str,
    blocks: list[Block],
    submit: str | None = None,
    close: str = "Cancel",
    private_metadata: str = "",
) -> dict[str, Any]:
    """A modal view; titles and button labels are trimmed to Slack's 24 characters."""
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": callback_id,
        "title": plain(_trim(title, MODAL_TITLE_LIMIT)),
        "close": plain(_trim(close, MODAL_TITLE_LIMIT)),
        "blocks": blocks[:VIEW_BLOCK_LIMIT],
    }
    if submit:
        view["submit"] = plain(_trim(submit, MODAL_TITLE_LIMIT))
    if private_metadata:
        view["private_metadata"] = private_metadata
    return view


def home(blocks: list[Block]) -> dict[str, Any]:
    """An App Home view (at most 100 blocks)."""
    return {"type": "home", "blocks": blocks[:VIEW_BLOCK_LIMIT]}


def message(text: str, blocks: list[Block] | None = None) -> dict[str, Any]:
    """Arguments for chat.postMessage: the notification text and, when given, the blocks."""
    payload: dict[str, Any] = {"text": _trim(text, 3000)}
    if blocks:
        payload["blocks"] = blocks
    return payload


def split_sections(lines: Sequence[str], *, limit: int = SECTION_TEXT_LIMIT) -> list[str]:
    """Join lines into as few section texts as fit within ``limit`` characters each."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        line = _trim(line, limit)
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"
