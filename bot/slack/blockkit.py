"""Slack's Block Kit limits, checked on plain dicts before Slack would refuse them.

slack_sdk's model classes check many limits when ``to_dict()`` runs, but retrobot's builders
return plain dicts, which nothing checks, and neither the 50-block message limit nor an input's
``max_length`` is checked anywhere (SLACK.md, Block Kit limits). These pure functions say, one
line per problem, what Slack would refuse with ``invalid_blocks``; the local Slack stand-in runs
them on every message and view it receives, and tests call :func:`assert_within_limits`.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from typing import Any

MESSAGE_MAX_BLOCKS = 50
VIEW_MAX_BLOCKS = 100
MESSAGE_TEXT_MAX = 40_000
# Slack documents "250 kB" for a view; the decimal reading is the stricter one, so a view this
# checker accepts is never refused for size.
VIEW_MAX_BYTES = 250_000
VIEW_TITLE_MAX = 24
PRIVATE_METADATA_MAX = 3_000
ID_MAX = 255
SECTION_TEXT_MAX = 3_000
SECTION_FIELDS_MAX = 10
SECTION_FIELD_TEXT_MAX = 2_000
HEADER_TEXT_MAX = 150
CONTEXT_ELEMENTS_MAX = 10
ACTIONS_ELEMENTS_MAX = 25
INPUT_LABEL_MAX = 2_000
INPUT_HINT_MAX = 2_000
PLACEHOLDER_MAX = 150
BUTTON_TEXT_MAX = 75
BUTTON_VALUE_MAX = 2_000
URL_MAX = 3_000
OPTION_TEXT_MAX = 75
OPTION_VALUE_MAX = 150
OPTION_DESCRIPTION_MAX = 75
SELECT_OPTIONS_MAX = 100
OPTION_GROUPS_MAX = 100
CHOICE_OPTIONS_MAX = 10
OVERFLOW_OPTIONS_MAX = 5
TEXT_INPUT_LENGTH_MAX = 3_000
IMAGE_ALT_TEXT_MAX = 2_000
IMAGE_TITLE_MAX = 2_000
MARKDOWN_BLOCK_TEXT_MAX = 12_000
CONFIRM_TITLE_MAX = 100
CONFIRM_TEXT_MAX = 300
CONFIRM_BUTTON_MAX = 30

TEXT_TYPES = ("plain_text", "mrkdwn")
PLAIN_ONLY = ("plain_text",)

SELECTS = {
    "static_select",
    "multi_static_select",
    "external_select",
    "multi_external_select",
    "users_select",
    "multi_users_select",
    "conversations_select",
    "multi_conversations_select",
    "channels_select",
    "multi_channels_select",
}
TEXT_INPUTS = {
    "plain_text_input",
    "number_input",
    "email_text_input",
    "url_text_input",
    "rich_text_input",
}
PICKERS = {"datepicker", "timepicker", "datetimepicker"}
CHOICES = {"checkboxes", "radio_buttons"}
ACTIONS_ELEMENTS = {"button", "overflow", "workflow_button"} | SELECTS | PICKERS | CHOICES
ACCESSORY_ELEMENTS = ACTIONS_ELEMENTS | {"image"}
INPUT_ELEMENTS = SELECTS | PICKERS | CHOICES | TEXT_INPUTS | {"file_input"}
ELEMENT_TYPES = ACCESSORY_ELEMENTS | INPUT_ELEMENTS
BLOCK_TYPES = {
    "section",
    "divider",
    "image",
    "actions",
    "context",
    "input",
    "header",
    "rich_text",
    "markdown",
    "file",
    "video",
    "call",
    "table",
}

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_TIME = re.compile(r"([01]\d|2[0-3]):[0-5]\d")


def message_problems(payload: dict[str, Any]) -> list[str]:
    """Every reason Slack would refuse this message (chat.postMessage/update/postEphemeral)."""
    problems: list[str] = []
    text = payload.get("text")
    blocks = payload.get("blocks")
    if text is not None and not isinstance(text, str):
        problems.append(f"text must be a string, not {type(text).__name__}")
        text = None
    if isinstance(text, str) and len(text) > MESSAGE_TEXT_MAX:
        problems.append(f"text is {len(text)} characters; the limit is {MESSAGE_TEXT_MAX}")
    if blocks is None or blocks == []:
        if not text and not payload.get("attachments"):
            problems.append("the message has neither text nor blocks")
        return problems
    if not isinstance(blocks, list):
        problems.append(f"blocks must be a list, not {type(blocks).__name__}")
        return problems
    if not text:
        problems.append(
            "text is missing: a message with blocks needs a text fallback "
            "(notifications and screen readers use it)"
        )
    if len(blocks) > MESSAGE_MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks; a message holds at most {MESSAGE_MAX_BLOCKS}")
    problems += _blocks_problems(blocks)
    return problems


def view_problems(view: dict[str, Any]) -> list[str]:
    """Every reason Slack would refuse this modal or App Home view."""
    problems: list[str] = []
    kind = view.get("type")
    if kind not in ("modal", "home"):
        problems.append(f"view type must be 'modal' or 'home', not {kind!r}")
    blocks = view.get("blocks")
    if not isinstance(blocks, list):
        problems.append("blocks must be a list")
        blocks = []
    if len(blocks) > VIEW_MAX_BLOCKS:
        problems.append(f"{len(blocks)} blocks; a view holds at most {VIEW_MAX_BLOCKS}")
    if kind == "modal":
        _text(problems, "title", view.get("title"), VIEW_TITLE_MAX, PLAIN_ONLY)
        for name in ("submit", "close"):
            if view.get(name) is not None:
                _text(problems, name, view[name], VIEW_TITLE_MAX, PLAIN_ONLY)
        has_input = any(isinstance(b, dict) and b.get("type") == "input" for b in blocks)
        if has_input and view.get("submit") is None:
            problems.append("submit is missing: a modal with an input block needs a submit button")
    _length(problems, "private_metadata", view.get("private_metadata"), PRIVATE_METADATA_MAX)
    _length(problems, "callback_id", view.get("callback_id"), ID_MAX)
    _length(problems, "external_id", view.get("external_id"), ID_MAX)
    problems += _blocks_problems(blocks)
    size = len(json.dumps(view, ensure_ascii=False).encode("utf-8"))
    if size > VIEW_MAX_BYTES:
        problems.append(f"the view is {size} bytes of JSON; the limit is {VIEW_MAX_BYTES}")
    return problems


def assert_within_limits(kind: str, payload: dict[str, Any]) -> None:
    """Raise AssertionError listing every problem of a "message" or "view" payload."""
    if kind == "message":
        problems = message_problems(payload)
    elif kind == "view":
        problems = view_problems(payload)
    else:
        raise ValueError(f"kind must be 'message' or 'view', not {kind!r}")
    if problems:
        raise AssertionError(
            f"this {kind} breaks Slack's Block Kit limits:\n- " + "\n- ".join(problems)
        )


def _blocks_problems(blocks: Iterable[Any]) -> list[str]:
    """Check each block, and that no two blocks share a block_id."""
    problems: list[str] = []
    seen: set[str] = set()
    for index, block in enumerate(blocks):
        where = f"blocks[{index}]"
        if not isinstance(block, dict):
            problems.append(f"{where} must be an object, not {type(block).__name__}")
            continue
        block_id = block.get("block_id")
        if block_id is not None:
            where += f" (block_id {block_id!r})"
            if block_id in seen:
                problems.append(f"{where}: block_id is used by an earlier block too")
            seen.add(block_id)
        _block(problems, where, block)
    return problems


def _block(problems: list[str], where: str, block: dict[str, Any]) -> None:
    """Check one block against the limits of its type."""
    kind = block.get("type")
    if kind not in BLOCK_TYPES:
        problems.append(f"{where}: unknown block type {kind!r}")
        return
    where = f"{where} {kind}"
    block_id = block.get("block_id")
    if block_id is not None:
        _id(problems, f"{where}.block_id", block_id)
    check = _BLOCK_CHECKS.get(kind)
    if check is not None:
        check(problems, where, block)


def _header(problems: list[str], where: str, block: dict[str, Any]) -> None:
    """A header's plain text, up to 150 characters."""
    _text(problems, f"{where}.text", block.get("text"), HEADER_TEXT_MAX, PLAIN_ONLY)


def _image_block(problems: list[str], where: str, block: dict[str, Any]) -> None:
    """An image block: the image, and an optional plain-text title."""
    _image(problems, where, block)
    if block.get("title") is not None:
        _text(problems, f"{where}.title", block["title"], IMAGE_TITLE_MAX, PLAIN_ONLY)


def _rich_text(problems: list[str], where: str, block: dict[str, Any]) -> None:
    """A rich text block holds a list of elements."""
    if not isinstance(block.get("elements"), list):
        problems.append(f"{where}.elements must be a list")


def _markdown(problems: list[str], where: str, block: dict[str, Any]) -> None:
    """A markdown block: non-empty text up to 12,000 characters."""
    text = block.get("text")
    if not isinstance(text, str) or not text:
        problems.append(f"{where}.text must be a non-empty string")
    else:
        _length(problems, f"{where}.text", text, MARKDOWN_BLOCK_TEXT_MAX)


def _section(problems: list[str], where: str, block: dict[str, Any]) -> None:
    """A section needs text or fields; text 3,000, fields 10 × 2,000, one accessory."""
    text, fields = block.get("text"), block.get("fields")
    if text is None and not fields:
        problems.append(f"{where}: a section needs text or fields")
    if text is not None:
        _text(problems, f"{where}.text", text, SECTION_TEXT_MAX)
    if fields is not None:
        if not isinstance(fields, list):
            problems.append(f"{where}.fields must be a list")
        else:
            if len(fields) > SECTION_FIELDS_MAX:
                problems.append(
                    f"{where}.fields has {len(fields)} items; the limit is {SECTION_FIELDS_MAX}"
                )
            for i, field in enumerate(fields):
                _text(problems, f"{where}.fields[{i}]", field, SECTION_FIELD_TEXT_MAX)
    accessory = block.get("accessory")
    if accessory is not None:
        _element(problems, f"{where}.accessory", accessory, ACCESSORY_ELEMENTS)


def _context(problems: list[str], where: str, block: dict[str, Any]) -> None:
    """A context holds 1 to 10 images or text objects."""
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        problems.append(f"{where}.elements must be a non-empty list")
        return
    if len(elements) > CONTEXT_ELEMENTS_MAX:
        problems.append(
            f"{where}.elements has {len(elements)} items; the limit is {CONTEXT_ELEMENTS_MAX}"
        )
    for i, element in enumerate(elements):
        at = f"{where}.elements[{i}]"
        if isinstance(element, dict) and element.get("type") == "image":
            _image(problems, at, element)
        else:
            _text(problems, at, element, None)


def _actions(problems: list[str], where: str, block: dict[str, Any]) -> None:
    """An actions block holds 1 to 25 interactive elements with distinct action_ids."""
    elements = block.get("elements")
    if not isinstance(elements, list) or not elements:
        problems.append(f"{where}.elements must be a non-empty list")
        return
    if len(elements) > ACTIONS_ELEMENTS_MAX:
        problems.append(
            f"{where}.elements has {len(elements)} items; the limit is {ACTIONS_ELEMENTS_MAX}"
        )
    seen: set[str] = set()
    for i, element in enumerate(elements):
        at = f"{where}.elements[{i}]"
        _element(problems, at, element, ACTIONS_ELEMENTS)
        action_id = element.get("action_id") if isinstance(element, dict) else None
        if action_id is not None:
            if action_id in seen:
                problems.append(f"{at}: action_id {action_id!r} is used twice in this block")
            seen.add(action_id)


def _input(problems: list[str], where: str, block: dict[str, Any]) -> None:
    """An input has a plain_text label (2,000), one input element and an optional hint."""
    _text(problems, f"{where}.label", block.get("label"), INPUT_LABEL_MAX, PLAIN_ONLY)
    if block.get("hint") is not None:
        _text(problems, f"{where}.hint", block["hint"], INPUT_HINT_MAX, PLAIN_ONLY)
    element = block.get("element")
    if element is None:
        problems.append(f"{where}.element is missing")
    else:
        _element(problems, f"{where}.element", element, INPUT_ELEMENTS)
    for flag in ("optional", "dispatch_action"):
        if flag in block and not isinstance(block[flag], bool):
            problems.append(f"{where}.{flag} must be true or false")


def _image(problems: list[str], where: str, image: dict[str, Any]) -> None:
    """An image needs a URL (or Slack file) and alt text (2,000)."""
    if image.get("image_url") is None and image.get("slack_file") is None:
        problems.append(f"{where}: an image needs image_url or slack_file")
    _length(problems, f"{where}.image_url", image.get("image_url"), URL_MAX)
    alt = image.get("alt_text")
    if not isinstance(alt, str) or not alt:
        problems.append(f"{where}.alt_text must be a non-empty string")
    else:
        _length(problems, f"{where}.alt_text", alt, IMAGE_ALT_TEXT_MAX)


def _element(problems: list[str], where: str, element: Any, allowed: set[str]) -> None:
    """Check one block element: its type fits the block, then the limits of that type."""
    if not isinstance(element, dict):
        problems.append(f"{where} must be an object")
        return
    kind = element.get("type")
    if kind not in ELEMENT_TYPES:
        problems.append(f"{where}: unknown element type {kind!r}")
        return
    if kind not in allowed:
        problems.append(f"{where}: a {kind} cannot go here")
    where = f"{where} {kind}"
    if element.get("action_id") is not None:
        _id(problems, f"{where}.action_id", element["action_id"])
    if element.get("placeholder") is not None:
        _text(problems, f"{where}.placeholder", element["placeholder"], PLACEHOLDER_MAX, PLAIN_ONLY)
    if element.get("confirm") is not None:
        _confirm(problems, f"{where}.confirm", element["confirm"])
    check = _ELEMENT_CHECKS.get(kind)
    if check is not None:
        check(problems, where, element)


def _overflow(problems: list[str], where: str, element: dict[str, Any]) -> None:
    """An overflow menu: plain-text options, up to 5."""
    _options(problems, where, element, PLAIN_ONLY, OVERFLOW_OPTIONS_MAX)


def _choice(problems: list[str], where: str, element: dict[str, Any]) -> None:
    """Checkboxes and radio buttons: text options, up to 10."""
    _options(problems, where, element, TEXT_TYPES, CHOICE_OPTIONS_MAX)


def _number_input(problems: list[str], where: str, element: dict[str, Any]) -> None:
    """A number input says whether decimals are allowed."""
    if not isinstance(element.get("is_decimal_allowed"), bool):
        problems.append(f"{where}.is_decimal_allowed must be true or false")


def _datepicker(problems: list[str], where: str, element: dict[str, Any]) -> None:
    """A date picker's initial date is YYYY-MM-DD."""
    initial = element.get("initial_date")
    if initial is not None and not (isinstance(initial, str) and _DATE.fullmatch(initial)):
        problems.append(f"{where}.initial_date must be YYYY-MM-DD, not {initial!r}")


def _timepicker(problems: list[str], where: str, element: dict[str, Any]) -> None:
    """A time picker's initial time is HH:mm."""
    initial = element.get("initial_time")
    if initial is not None and not (isinstance(initial, str) and _TIME.fullmatch(initial)):
        problems.append(f"{where}.initial_time must be HH:mm, not {initial!r}")


def _button(problems: list[str], where: str, button: dict[str, Any]) -> None:
    """A button: plain_text text (75), value (2,000), url (3,000), style primary or danger."""
    _text(problems, f"{where}.text", button.get("text"), BUTTON_TEXT_MAX, PLAIN_ONLY)
    _length(problems, f"{where}.value", button.get("value"), BUTTON_VALUE_MAX)
    _length(problems, f"{where}.url", button.get("url"), URL_MAX)
    style = button.get("style")
    if style is not None and style not in ("primary", "danger"):
        problems.append(f"{where}.style must be 'primary' or 'danger', not {style!r}")


def _static_select(problems: list[str], where: str, select: dict[str, Any]) -> None:
    """A static select: options (100) or option_groups (100), never both."""
    has_options = select.get("options") is not None
    has_groups = select.get("option_groups") is not None
    if has_options == has_groups:
        problems.append(f"{where}: give exactly one of options and option_groups")
    if has_options:
        _options(problems, where, select, PLAIN_ONLY, SELECT_OPTIONS_MAX)
        return
    groups = select.get("option_groups")
    if not has_groups:
        return
    if not isinstance(groups, list) or not groups:
        problems.append(f"{where}.option_groups must be a non-empty list")
        return
    if len(groups) > OPTION_GROUPS_MAX:
        problems.append(
            f"{where}.option_groups has {len(groups)} groups; the limit is {OPTION_GROUPS_MAX}"
        )
    every: list[Any] = []
    for i, group in enumerate(groups):
        at = f"{where}.option_groups[{i}]"
        if not isinstance(group, dict):
            problems.append(f"{at} must be an object")
            continue
        _text(problems, f"{at}.label", group.get("label"), OPTION_TEXT_MAX, PLAIN_ONLY)
        every += _option_list(problems, at, group.get("options"), PLAIN_ONLY, SELECT_OPTIONS_MAX)
    _initial_options(problems, where, select, every)


def _options(
    problems: list[str], where: str, element: dict[str, Any], kinds: tuple[str, ...], limit: int
) -> None:
    """Check an element's options and that its initial option(s) are among them."""
    options = _option_list(problems, where, element.get("options"), kinds, limit)
    _initial_options(problems, where, element, options)


def _option_list(
    problems: list[str], where: str, options: Any, kinds: tuple[str, ...], limit: int
) -> list[Any]:
    """Check a list of option objects; return the well-formed ones."""
    if not isinstance(options, list) or not options:
        problems.append(f"{where}.options must be a non-empty list")
        return []
    if len(options) > limit:
        problems.append(f"{where}.options has {len(options)} items; the limit is {limit}")
    good = []
    for i, option in enumerate(options):
        at = f"{where}.options[{i}]"
        if not isinstance(option, dict):
            problems.append(f"{at} must be an object")
            continue
        _text(problems, f"{at}.text", option.get("text"), OPTION_TEXT_MAX, kinds)
        value = option.get("value")
        if not isinstance(value, str) or not value:
            problems.append(f"{at}.value must be a non-empty string")
        else:
            _length(problems, f"{at}.value", value, OPTION_VALUE_MAX)
        if option.get("description") is not None:
            _text(problems, f"{at}.description", option["description"], OPTION_DESCRIPTION_MAX)
        good.append(option)
    return good


def _initial_options(
    problems: list[str], where: str, element: dict[str, Any], options: list[Any]
) -> None:
    """Slack refuses an initial option that is not exactly one of the element's options."""
    initial = []
    if element.get("initial_option") is not None:
        initial.append(("initial_option", element["initial_option"]))
    for option in element.get("initial_options") or []:
        initial.append(("initial_options", option))
    for name, option in initial:
        if option not in options:
            value = option.get("value") if isinstance(option, dict) else option
            problems.append(f"{where}.{name}: {value!r} is not exactly one of the options")


def _plain_text_input(problems: list[str], where: str, element: dict[str, Any]) -> None:
    """max_length and min_length are at most 3,000, and min is not above max."""
    max_length = element.get("max_length")
    min_length = element.get("min_length")
    for name, value in (("max_length", max_length), ("min_length", min_length)):
        if value is None:
            continue
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            problems.append(f"{where}.{name} must be a whole number, not {value!r}")
        elif value > TEXT_INPUT_LENGTH_MAX:
            problems.append(f"{where}.{name} is {value}; the limit is {TEXT_INPUT_LENGTH_MAX}")
    if isinstance(max_length, int) and max_length < 1:
        problems.append(f"{where}.max_length must be at least 1")
    if isinstance(max_length, int) and isinstance(min_length, int) and min_length > max_length:
        problems.append(f"{where}.min_length ({min_length}) is above max_length ({max_length})")
    initial = element.get("initial_value")
    if isinstance(initial, str):
        limit = max_length if isinstance(max_length, int) else TEXT_INPUT_LENGTH_MAX
        _length(problems, f"{where}.initial_value", initial, min(limit, TEXT_INPUT_LENGTH_MAX))


def _confirm(problems: list[str], where: str, confirm: Any) -> None:
    """A confirmation dialog: title 100, text 300, confirm and deny 30 (plain_text)."""
    if not isinstance(confirm, dict):
        problems.append(f"{where} must be an object")
        return
    _text(problems, f"{where}.title", confirm.get("title"), CONFIRM_TITLE_MAX, PLAIN_ONLY)
    _text(problems, f"{where}.text", confirm.get("text"), CONFIRM_TEXT_MAX)
    _text(problems, f"{where}.confirm", confirm.get("confirm"), CONFIRM_BUTTON_MAX, PLAIN_ONLY)
    _text(problems, f"{where}.deny", confirm.get("deny"), CONFIRM_BUTTON_MAX, PLAIN_ONLY)


def _text(
    problems: list[str],
    where: str,
    obj: Any,
    limit: int | None,
    kinds: tuple[str, ...] = TEXT_TYPES,
) -> None:
    """A text object: a type Slack allows here, and non-empty text within the limit."""
    if obj is None:
        problems.append(f"{where} is missing")
        return
    if not isinstance(obj, dict):
        problems.append(f"{where} must be a text object, not {type(obj).__name__}")
        return
    kind = obj.get("type")
    if kind not in TEXT_TYPES:
        problems.append(f"{where}.type must be plain_text or mrkdwn, not {kind!r}")
    elif kind not in kinds:
        problems.append(f"{where} must be plain_text here, not {kind}")
    text = obj.get("text")
    if not isinstance(text, str) or not text:
        problems.append(f"{where}.text must be a non-empty string")
    elif limit is not None:
        _length(problems, f"{where}.text", text, limit)


def _id(problems: list[str], where: str, value: Any) -> None:
    """block_id and action_id are non-empty strings of at most 255 characters."""
    if not isinstance(value, str) or not value:
        problems.append(f"{where} must be a non-empty string")
    else:
        _length(problems, where, value, ID_MAX)


def _length(problems: list[str], where: str, value: Any, limit: int) -> None:
    """Note a string longer than ``limit`` characters (absent values are fine)."""
    if value is None:
        return
    if not isinstance(value, str):
        problems.append(f"{where} must be a string, not {type(value).__name__}")
    elif len(value) > limit:
        problems.append(f"{where} is {len(value)} characters; the limit is {limit}")


# Each block and element type's own checks (a type missing here has only the common ones).
_BLOCK_CHECKS: dict[str, Any] = {
    "section": _section,
    "header": _header,
    "context": _context,
    "actions": _actions,
    "input": _input,
    "image": _image_block,
    "rich_text": _rich_text,
    "markdown": _markdown,
}
_ELEMENT_CHECKS: dict[str, Any] = {
    "button": _button,
    "workflow_button": _button,
    "static_select": _static_select,
    "multi_static_select": _static_select,
    "overflow": _overflow,
    **dict.fromkeys(CHOICES, _choice),
    "plain_text_input": _plain_text_input,
    "number_input": _number_input,
    "datepicker": _datepicker,
    "timepicker": _timepicker,
    "image": _image,
}
