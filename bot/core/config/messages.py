"""What a pydantic error in app.yaml means, in the admin's terms (``bot.core.config.loader``
places each message at the file, line and key it came from)."""

from __future__ import annotations

import datetime as dt
import difflib
import types
import typing
from typing import Any

from pydantic import BaseModel

from bot.core.config.models import _NO_TEAMS, AppConfig, _describe


def suggest(word: str, choices: typing.Iterable[str]) -> str:
    """``unknown key 'x'``, with the close match when there is one."""
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f"unknown key {word!r}" + (f" (did you mean {close[0]!r}?)" if close else "")


def _unwrap(annotation: Any) -> Any:
    """``X | None`` → ``X``, so the walk below can see the model inside."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        if len(args) == 1:
            return args[0]
    return annotation


def _model_at(loc: tuple[str | int, ...]) -> type[BaseModel] | None:
    """The model whose mapping sits at this location in AppConfig, if any."""
    current: Any = AppConfig
    for part in loc:
        current = _unwrap(current)
        if isinstance(part, int):
            if typing.get_origin(current) is not list:
                return None
            current = typing.get_args(current)[0]
        elif isinstance(current, type) and issubclass(current, BaseModel):
            if part not in current.model_fields:
                return None
            current = current.model_fields[part].annotation
        else:
            return None
    current = _unwrap(current)
    return current if isinstance(current, type) and issubclass(current, BaseModel) else None


_BOUNDS = {
    "greater_than_equal": ("at least", "ge"),
    "greater_than": ("more than", "gt"),
    "less_than_equal": ("at most", "le"),
    "less_than": ("less than", "lt"),
}
# The kinds of pydantic error that say a value is not of the expected type, by prefix.
_TYPE_WORDS = (
    ("bool_", "expected true or false"),
    ("int_", "expected a whole number"),
    ("float_", "expected a number"),
)


def message_of(error: Any, loc: tuple[str | int, ...]) -> str:
    """Say what one pydantic error means, in app.yaml's terms."""
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind == "missing":
        return _missing_message(loc)
    if kind == "extra_forbidden":
        model = _model_at(loc[:-1])
        return suggest(str(loc[-1]), model.model_fields if model else ())
    if kind in ("value_error", "assertion_error") and "error" in ctx:
        return str(ctx["error"])
    return _type_message(error) or _other_message(error)


def _missing_message(loc: tuple[str | int, ...]) -> str:
    """Say which required key is missing, and where a team's keys may be set."""
    if loc == ("teams",):
        return _NO_TEAMS
    if len(loc) == 3 and loc[0] == "teams":
        return "required key is missing (set it on the team or under defaults:)"
    return "required key is missing"


def _type_message(error: Any) -> str | None:
    """Say what was expected when a value is of the wrong type, or None for other errors."""
    kind, value = error["type"], error.get("input")
    got = _describe(value)
    if kind == "string_type":
        quote = " (put it in quotes)" if isinstance(value, int | float | dt.date) else ""
        return f"expected text, got {got}{quote}"
    if kind == "list_type":
        example = f" (for example [{value}])" if isinstance(value, str) else ""
        return f"expected a list, got {got}{example}"
    if kind in ("model_type", "model_attributes_type", "dict_type"):
        return f"expected a mapping of keys, got {got}"
    for prefix, expected in _TYPE_WORDS:
        if kind.startswith(prefix):
            return f"{expected}, got {got}"
    return None


def _other_message(error: Any) -> str:
    """Say what a bound or any other pydantic error means, with the value given."""
    kind, ctx = error["type"], error.get("ctx") or {}
    got = _describe(error.get("input"))
    if kind in _BOUNDS:
        words, key = _BOUNDS[kind]
        return f"must be {words} {ctx.get(key)}, got {got}"
    text = str(error["msg"]).removeprefix("Input should be ")
    return f"should be {text}, got {got}" if text != error["msg"] else f"{text}, got {got}"
