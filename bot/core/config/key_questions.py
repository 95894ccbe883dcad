"""The organisation report's ``key_questions:`` (issue 20): which of the regulator's five key
questions each of a team's metrics and checklist items answers, and how a key names one.

app.yaml writes a metric by its id and a checklist item as ``checklist.<its words joined by _>``
(or its words as written). ``KeyQuestion`` validates the values, the loader checks
that each key names something in its team, and ``bot.reports`` files each figure under its
question.
"""

from __future__ import annotations

import difflib
import re
from typing import Annotated

from pydantic import BeforeValidator

KEY_QUESTIONS = ("safe", "effective", "caring", "responsive", "well-led")
CHECKLIST_PREFIX = "checklist."
_SLUG_GAP = re.compile(r"[^a-z0-9]+")


def checklist_slug(item: str) -> str:
    """A checklist item as one word for app.yaml: ``Audit done`` → ``audit_done``."""
    return _SLUG_GAP.sub("_", item.lower()).strip("_")


def key_question(value: object) -> object:
    """Read one of the five key questions, in any case; ``well led`` and ``well_led`` too.
    Anything but text is left to pydantic, which says that text was expected."""
    if not isinstance(value, str):
        return value
    word = "-".join(value.strip().lower().replace("_", " ").split())
    if word in KEY_QUESTIONS:
        return word
    close = difflib.get_close_matches(word, KEY_QUESTIONS, n=1)
    hint = f" (did you mean {close[0]}?)" if close else ""
    raise ValueError(
        f"{value!r} is not one of the five key questions: {', '.join(KEY_QUESTIONS)}{hint}"
    )


# A key question as app.yaml's ``key_questions:`` values are validated (TeamConfig).
KeyQuestion = Annotated[str, BeforeValidator(key_question)]


def key_question_target(key: str, metric_ids: list[str], checklist: list[str]) -> str | None:
    """What a ``key_questions:`` key names in a team: ``metric:<id>``, ``checklist:<item>``, or
    None. A checklist item is written ``checklist.<its text>`` or ``checklist.<its slug>``."""
    if key.startswith(CHECKLIST_PREFIX):
        wanted = key[len(CHECKLIST_PREFIX) :].strip()
        for item in checklist:
            if wanted in (item, checklist_slug(item)):
                return f"checklist:{item}"
        return None
    return f"metric:{key}" if key in metric_ids else None


def key_question_problem(key: str, metric_ids: list[str], checklist: list[str]) -> str:
    """Why a ``key_questions:`` key names nothing in a team, with the nearest name it has."""
    names = metric_ids + [CHECKLIST_PREFIX + checklist_slug(item) for item in checklist]
    close = difflib.get_close_matches(key, names, n=1, cutoff=0.5)
    hint = f" (did you mean {close[0]!r}?)" if close else ""
    return (
        f"{key!r} names none of the team's metrics or checklist items{hint}; "
        "write a metric id, or checklist.<item> with the item's words joined by _"
    )
