"""Turn what the Slack stand-in recorded into a transcript a person can read in a terminal."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Iterable
from typing import Any

_LINK = re.compile(r"<(https?://[^|>]+)\|([^>]+)>")
_USER = re.compile(r"<@([UW][A-Z0-9]+)>")
_CHANNEL = re.compile(r"<#([CGD][A-Z0-9]+)(?:\|[^>]*)?>")


_EMOJI = {
    ":white_check_mark:": "✅",
    ":lock:": "🔒",
    ":wave:": "👋",
    ":calendar:": "📅",
    ":warning:": "⚠️",
    ":sparkles:": "✨",
    ":speech_balloon:": "💬",
    ":bar_chart:": "📊",
    ":hourglass:": "⏳",
    ":tada:": "🎉",
    ":pray:": "🙏",
    ":arrow_forward:": "▶️",
    ":building_construction:": "🏗️",
    ":information_source:": "ℹ️",
    ":scroll:": "📜",
    ":no_entry:": "⛔",
    ":x:": "❌",
    ":leftwards_arrow_with_hook:": "↩️",
    ":hourglass_flowing_sand:": "⏳",
    ":palm_tree:": "🌴",
    ":zzz:": "💤",
}
_BOLD = re.compile(r"(?<![\w*])\*([^*\n]+)\*(?![\w*])")
_ITALIC = re.compile(r"(?<![\w_])_([^_\n]+)_(?![\w_])")


def readable(text: str, names: dict[str, str]) -> str:
    """mrkdwn as a person would read it in Slack: mentions as @names, links as labels."""
    for code, emoji in _EMOJI.items():
        text = text.replace(code, emoji)
    text = _BOLD.sub(r"\1", _ITALIC.sub(r"\1", text))
    text = _LINK.sub(lambda m: f"{m.group(2)} ({m.group(1)})", text)
    text = _USER.sub(lambda m: "@" + names.get(m.group(1), m.group(1)), text)
    text = _CHANNEL.sub(lambda m: "#" + names.get(m.group(1), m.group(1)), text)
    return text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")


def _text(obj: dict[str, Any] | None) -> str:
    return (obj or {}).get("text", "")


def block_lines(blocks: Iterable[dict[str, Any]], names: dict[str, str]) -> list[str]:
    """One or more lines per block, the way Slack lays them out."""
    lines: list[str] = []
    for block in blocks:
        kind = block.get("type")
        if kind == "header":
            lines.append(_text(block.get("text")).upper())
        elif kind == "section":
            if block.get("text"):
                lines += readable(_text(block["text"]), names).splitlines()
            for field in block.get("fields", []):
                lines += readable(_text(field), names).splitlines()
            accessory = block.get("accessory")
            if accessory and accessory.get("type") == "button":
                lines.append(f"[ {_text(accessory.get('text'))} ]")
        elif kind == "context":
            lines.append(
                "  " + " · ".join(readable(_text(e), names) for e in block.get("elements", []))
            )
        elif kind == "divider":
            lines.append("─" * 40)
        elif kind == "actions":
            lines.append(
                "  ".join(f"[ {_text(e.get('text')) or e.get('type')} ]" for e in block["elements"])
            )
        elif kind == "input":
            lines.append(_input_line(block, names))
    return lines


def _input_line(block: dict[str, Any], names: dict[str, str]) -> str:
    element = block.get("element", {})
    label = _text(block.get("label"))
    optional = " (optional)" if block.get("optional") else ""
    kind = element.get("type")
    if kind == "plain_text_input":
        value = element.get("initial_value") or _text(element.get("placeholder"))
        return f"{label}{optional}: ▕ {value} ▏"
    if kind == "multi_users_select":
        chosen = ", ".join("@" + names.get(u, u) for u in element.get("initial_users", []))
        return f"{label}{optional}: ▕ {chosen} ▏"
    if kind == "datepicker":
        return f"{label}{optional}: ▕ {element.get('initial_date', '')} ▏"
    if kind in ("static_select", "multi_static_select", "radio_buttons", "checkboxes"):
        options = " / ".join(_text(o.get("text")) for o in element.get("options", []))
        return f"{label}{optional}: ( {options} )"
    return f"{label}{optional}: ▕ … ▏"


def render_message(payload: dict[str, Any], names: dict[str, str]) -> list[str]:
    """A message: its blocks when it has any, else its text."""
    blocks = payload.get("blocks")
    if blocks:
        return block_lines(blocks, names)
    return readable(payload.get("text", ""), names).splitlines()


def render_view(view: dict[str, Any], names: dict[str, str]) -> list[str]:
    """A modal or Home tab, framed by its title and buttons."""
    lines = []
    if view.get("type") == "modal":
        lines.append(f"┌ {_text(view.get('title'))} ┐")
    lines += block_lines(view.get("blocks", []), names)
    if view.get("submit"):
        lines.append(f"[ {_text(view.get('close')) or 'Cancel'} ]  [ {_text(view['submit'])} ]")
    return lines


def boxed(title: str, lines: list[str], width: int = 78) -> str:
    """Lines wrapped to ``width`` under a title, indented like a chat bubble."""
    wrapped = []
    for line in lines:
        wrapped += textwrap.wrap(line, width - 4, replace_whitespace=False) or [""]
    body = "\n".join(f"  │ {line}" for line in wrapped)
    return f"  ┌─ {title}\n{body}\n  └─"
