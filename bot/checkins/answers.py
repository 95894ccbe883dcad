"""Checking what a person typed: the check-in modal's answers and the last day away.

Each check names the field at fault (InvalidInputError's field errors), so the modal can say
what to fix next to it; nothing typed is stored until every field is right. Nothing here reads
the database or talks to Slack.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from datetime import date

from bot.checkins.model import (
    ANSWER_LIMIT,
    AWAY_AT_MOST,
    MOODS,
    NOTE_LIMIT,
    PROGRESS_LIMIT,
    STORY_LIMIT,
    CheckinAnswers,
    checklist_key,
)
from bot.core.config import AppConfig, MetricConfig, TeamConfig
from bot.core.errors import InvalidInputError, NotInTeamError
from bot.core.text import describe_client_identifiers, find_client_identifiers, normalise_input
from bot.tensions import service as tensions


def _text_field(errors: dict[str, str], key: str, raw: str | None, limit: int, what: str) -> str:
    """Clean one free-text answer, noting an error when it is too long or names a client."""
    text = normalise_input(raw)
    if len(text) > limit:
        errors[key] = f"That's {len(text):,} characters; please keep {what} under {limit:,}."
    elif found := find_client_identifiers(text):
        errors[key] = describe_client_identifiers(found)
    return text


def _number(value: float) -> float:
    return int(value) if float(value).is_integer() else value


def _format(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def check_metric(metric: MetricConfig, raw: str | None) -> float | None:
    """A metric's answer as a number, None when left empty; InvalidInputError when it is not a
    number within the metric's range."""
    text = (raw or "").strip().replace(",", "")
    if not text:
        return None
    unit = f" {metric.unit}" if metric.unit else ""
    try:
        value = float(text)
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise InvalidInputError(
            {f"metric:{metric.id}": f"Please enter a number of {metric.unit or 'units'}, like 12."}
        )
    if not metric.min <= value <= metric.max:
        raise InvalidInputError(
            {
                f"metric:{metric.id}": (
                    f"Please enter a number between {_format(metric.min)} and "
                    f"{_format(metric.max)}{unit}."
                )
            }
        )
    return _number(value)


def _check_mood(errors: dict[str, str], mood: str | None) -> int | None:
    """The mood picked, from 1 to 5; an error noted when there is none."""
    if mood is not None and mood.strip().isdigit() and int(mood) in MOODS:
        return int(mood)
    errors["mood"] = "Pick how you're arriving, from 1 to 5."
    return None


def _check_metrics(
    errors: dict[str, str], team: TeamConfig, metrics: dict[str, str | None] | None
) -> dict[str, float]:
    """The team's metrics as numbers (those left empty left out); errors noted per metric."""
    values: dict[str, float] = {}
    for metric in team.metrics:
        try:
            value = check_metric(metric, (metrics or {}).get(metric.id))
        except InvalidInputError as error:
            errors.update(error.field_errors)
            continue
        if value is not None:
            values[metric.id] = value
    return values


def _check_questions(
    errors: dict[str, str], team: TeamConfig, answers: dict[int, str | None] | None
) -> dict[str, str]:
    """The team's own questions with what was answered to each (unanswered ones left out)."""
    typed: dict[str, str] = {}
    for index, question in enumerate(team.questions or []):
        text = _text_field(
            errors, f"question:{index}", (answers or {}).get(index), ANSWER_LIMIT, "each answer"
        )
        if text:
            typed[question] = text
    return typed


def _check_tension(
    errors: dict[str, str],
    *,
    config: AppConfig,
    team: TeamConfig,
    user_id: str,
    tension_text: str | None,
) -> tensions.TensionDraft | None:
    """The tension typed for the agenda, checked as any tension is; None when none was typed."""
    if not normalise_input(tension_text):
        return None
    try:
        return tensions.check_draft(
            config=config,
            user_id=user_id,
            team_id=team.id,
            text=tension_text,
            area=None,
            private=False,
        )
    except InvalidInputError as error:
        errors["tension"] = next(iter(error.field_errors.values()))
    except NotInTeamError as error:
        errors["tension"] = str(error)
    return None


def check_answers(
    *,
    config: AppConfig,
    team: TeamConfig,
    user_id: str,
    mood: str | None,
    note: str | None = None,
    metrics: dict[str, str | None] | None = None,
    checklist_ticked: Iterable[str] = (),
    done_ticked: Iterable[str] = (),
    progress: str | None = None,
    story: str | None = None,
    answers: dict[int, str | None] | None = None,
    tension_text: str | None = None,
    shared: bool = True,
    story_beyond_team: bool = False,  # the organisation report (issue 20)
) -> CheckinAnswers:
    """Check what was typed in the check-in modal; InvalidInputError names each field at fault.

    Field names: ``mood``, ``note``, ``metric:<id>``, ``progress``, ``story``,
    ``question:<index>`` and ``tension``.
    """
    errors: dict[str, str] = {}
    chosen_mood = _check_mood(errors, mood)
    clean_note = _text_field(errors, "note", note, NOTE_LIMIT, "it")
    values = _check_metrics(errors, team, metrics)
    ticked = set(checklist_ticked)
    checklist = {item: checklist_key(i) in ticked for i, item in enumerate(team.checklist)}
    done = tuple(sorted({int(v) for v in done_ticked if str(v).isdigit()}))
    clean_progress = _text_field(errors, "progress", progress, PROGRESS_LIMIT, "progress")
    clean_story = _text_field(errors, "story", story, STORY_LIMIT, "the story")
    typed = _check_questions(errors, team, answers)
    draft = _check_tension(
        errors, config=config, team=team, user_id=user_id, tension_text=tension_text
    )
    if errors or chosen_mood is None:
        raise InvalidInputError(errors)
    return CheckinAnswers(
        mood=chosen_mood,
        note=clean_note,
        metrics=values,
        checklist=checklist,
        done_actions=done,
        progress=clean_progress,
        story=clean_story,
        answers=typed,
        tension=draft,
        shared=shared,
        story_beyond_team=story_beyond_team and bool(clean_story),
    )


def check_away_date(raw: str | None, *, today: date) -> date:
    """The last day away as picked; InvalidInputError (field ``until``) when it cannot be."""
    try:
        chosen = date.fromisoformat(raw or "")
    except ValueError:
        raise InvalidInputError({"until": "Pick the last day you're away."}) from None
    if chosen < today:
        raise InvalidInputError(
            {"until": "That day has passed: pick the last day you're away, today or later."}
        )
    if chosen > today + AWAY_AT_MOST:
        raise InvalidInputError({"until": "Pick a day within the next year."})
    return chosen
