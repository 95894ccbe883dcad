"""How Web API requests are read and answers shaped, as Slack does it.

Arguments come from the query string and a form or JSON body (with the JSON-string arguments
slack_sdk sends decoded); lists are paged with opaque cursors; blocks get the block_id and
action_ids Slack fills in.
"""

from __future__ import annotations

import base64
import copy
import json
import secrets
import urllib.parse
from collections.abc import Iterator
from typing import Any

from bot.standin.web_api.model import SlackApiFailure

# Args that slack_sdk sends as JSON strings inside a form body; recorded decoded.
JSON_ARGS = ("blocks", "view", "attachments", "files", "metadata")


def bearer(header: str | None) -> str | None:
    """The token of an ``Authorization: Bearer`` header, if any."""
    if header and header.lower().startswith("bearer "):
        return header[7:].strip() or None
    return None


def parse_args(query: str, body: bytes, content_type: str) -> dict[str, Any]:
    """Query string, then a form or JSON body, with JSON-string args decoded (as Slack reads)."""
    args: dict[str, Any] = {k: v[-1] for k, v in urllib.parse.parse_qs(query).items()}
    if body:
        if "application/json" in content_type:
            decoded = json.loads(body)
            if not isinstance(decoded, dict):
                raise ValueError("a JSON body must be an object")
            args.update(decoded)
        else:
            form = urllib.parse.parse_qs(body.decode("utf-8"), keep_blank_values=True)
            args.update({k: v[-1] for k, v in form.items()})
    for name in JSON_ARGS:
        value = args.get(name)
        if isinstance(value, str) and value.strip()[:1] in ("[", "{"):
            args[name] = json.loads(value)
    return args


def required(args: dict[str, Any], name: str) -> str:
    """The argument ``name``, refused as Slack refuses a missing required field."""
    value = args.get(name)
    if value is None or value == "":
        raise SlackApiFailure(
            "invalid_arguments", messages=[f"[ERROR] missing required field: {name}"]
        )
    return str(value)


def str_or_none(value: Any) -> str | None:
    """The value as a string, or None when it is missing or empty."""
    return str(value) if value not in (None, "") else None


def id_list(value: Any) -> list[str]:
    """A list of ids given as a JSON list or a comma-separated string."""
    if isinstance(value, list):
        return [str(v) for v in value if v]
    return [v.strip() for v in str(value or "").split(",") if v.strip()]


def handle(name: str) -> str:
    """The handle Slack derives from a display name ("Ann Lee" → "ann.lee")."""
    return name.strip().lower().replace(" ", ".")


def page(items: list[Any], args: dict[str, Any], key: str, *, default_limit: int) -> dict[str, Any]:
    """One page of ``items`` after ``cursor``, with the cursor of the next page ("" at the end)."""
    try:
        limit = int(args.get("limit") or default_limit)
    except ValueError:
        raise SlackApiFailure("invalid_limit") from None
    start = _decode_cursor(str(args.get("cursor") or ""))
    if limit <= 0:
        limit = len(items)
    end = start + limit
    next_cursor = _encode_cursor(end) if end < len(items) else ""
    return {key: items[start:end], "response_metadata": {"next_cursor": next_cursor}}


def _encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def _decode_cursor(cursor: str) -> int:
    if not cursor:
        return 0
    try:
        prefix, _, number = base64.b64decode(cursor, validate=True).decode().partition(":")
        if prefix != "offset":
            raise ValueError(cursor)
        return int(number)
    except ValueError:
        raise SlackApiFailure("invalid_cursor") from None


def with_ids(blocks: list[Any]) -> list[Any]:
    """A copy of the blocks with a block_id (and action_ids) wherever Slack would add one."""
    shaped = copy.deepcopy(blocks)
    for block in shaped:
        if not isinstance(block, dict):
            continue
        block.setdefault("block_id", secrets.token_urlsafe(4))
        for element in _interactive(block):
            element.setdefault("action_id", secrets.token_urlsafe(4))
    return shaped


def _interactive(block: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The elements of a block that carry an action_id."""
    kind = block.get("type")
    if kind == "actions":
        yield from (e for e in block.get("elements") or [] if isinstance(e, dict))
    elif kind == "input" and isinstance(block.get("element"), dict):
        yield block["element"]
    elif kind == "section":
        # An image accessory is not interactive: Slack gives it no action_id.
        accessory = block.get("accessory")
        if isinstance(accessory, dict) and accessory.get("type") != "image":
            yield accessory
