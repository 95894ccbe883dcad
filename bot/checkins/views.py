"""Block Kit for check-ins: the DM and its reminder, the check-in modal, the away modal, Home;
and the delivery report as `retrobot checkin send` and the demo print it."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.checkins.model import (
    ANSWER_LIMIT,
    MOODS,
    NOTE_LIMIT,
    PROGRESS_LIMIT,
    STORY_LIMIT,
    CheckinContext,
    TeamCheckin,
    checklist_key,
)
from bot.core import ids
from bot.slack.blocks import (
    Block,
    actions,
    button,
    checkboxes,
    context,
    datepicker,
    header,
    message,
    modal,
    number_input,
    option,
    radio_buttons,
    section,
    text_input,
)
from bot.tensions.service import TEXT_LIMIT as TENSION_LIMIT
from prompts import Renderer
from storage.models import PromptStatus

CHOICES_PER_BLOCK = 10  # Slack's limit on the options of one checkboxes element


def _prompt_buttons(renderer: Renderer, round_id: int) -> Block:
    value = str(round_id)
    return actions(
        button(
            renderer.plain("checkin.check_in_button"),
            ids.CHECKIN_OPEN,
            value=value,
            style="primary",
        ),
        button(renderer.plain("checkin.skip_button"), ids.CHECKIN_SKIP, value=value),
        button(renderer.plain("checkin.away_button"), ids.CHECKIN_AWAY, value=value),
    )


def build_prompt_message(
    renderer: Renderer,
    *,
    team_name: str,
    round_id: int,
    meeting_at: datetime,
    zone: ZoneInfo,
    late: bool = False,
) -> dict[str, Any]:
    """The check-in DM: a warm question and the Check in / Skip this week / Away until… buttons."""
    return message(
        renderer.plain("checkin.dm_fallback", team_name=team_name),
        [
            section(
                renderer.say(
                    "checkin.dm", team_name=team_name, meeting_at=meeting_at, zone=zone, late=late
                )
            ),
            _prompt_buttons(renderer, round_id),
            context(renderer.say("checkin.dm_context")),
        ],
    )


def build_reminder_message(
    renderer: Renderer, *, team_name: str, round_id: int, meeting_at: datetime, zone: ZoneInfo
) -> dict[str, Any]:
    """The one reminder to a member who has not answered yet, with the same buttons."""
    return message(
        renderer.plain("checkin.reminder_fallback", team_name=team_name),
        [
            section(
                renderer.say(
                    "checkin.reminder", team_name=team_name, meeting_at=meeting_at, zone=zone
                )
            ),
            _prompt_buttons(renderer, round_id),
        ],
    )


def build_prompt_state_message(
    renderer: Renderer,
    *,
    status: PromptStatus,
    team_name: str,
    round_id: int,
    meeting_at: datetime,
    zone: ZoneInfo,
    away_until: date | None = None,
    edited: bool = False,
    tension_added: bool = False,
) -> dict[str, Any]:
    """The check-in DM redrawn once the member has answered, skipped or said they are away."""
    value = str(round_id)
    if status == PromptStatus.ANSWERED:
        text = renderer.say(
            "checkin.answered",
            team_name=team_name,
            meeting_at=meeting_at,
            zone=zone,
            edited=edited,
            tension_added=tension_added,
        )
        fallback = renderer.plain("checkin.answered_fallback", team_name=team_name)
        again = button(renderer.plain("checkin.edit_button"), ids.CHECKIN_OPEN, value=value)
    elif status == PromptStatus.SKIPPED:
        text = renderer.say(
            "checkin.skipped", team_name=team_name, meeting_at=meeting_at, zone=zone
        )
        fallback = renderer.plain("checkin.skipped_fallback", team_name=team_name)
        again = button(
            renderer.plain("checkin.check_in_anyway_button"), ids.CHECKIN_OPEN, value=value
        )
    elif status == PromptStatus.AWAY and away_until is not None:
        text = renderer.say("checkin.away", until=away_until)
        fallback = renderer.plain("checkin.away_fallback")
        again = button(
            renderer.plain("checkin.check_in_anyway_button"), ids.CHECKIN_OPEN, value=value
        )
    else:
        return build_prompt_message(
            renderer, team_name=team_name, round_id=round_id, meeting_at=meeting_at, zone=zone
        )
    return message(fallback, [section(text), actions(again)])


def _chunked(items: Sequence[Any]) -> list[Sequence[Any]]:
    return [items[i : i + CHOICES_PER_BLOCK] for i in range(0, len(items), CHOICES_PER_BLOCK)]


def _number_text(value: float | None) -> str | None:
    if value is None:
        return None
    return str(int(value)) if float(value).is_integer() else str(value)


def _arrival_blocks(renderer: Renderer, checkin: CheckinContext) -> list[Block]:
    """The check-in round: how one arrives, then a sentence or the team's own questions."""
    team, answer = checkin.team, checkin.response
    blocks: list[Block] = [
        section(
            renderer.say(
                "checkin.modal_intro",
                team_name=team.name,
                meeting_at=checkin.round.meeting_at,
                zone=checkin.zone,
                edited=answer is not None,
            )
        ),
        section(renderer.say("checkin.arriving_heading")),
        radio_buttons(
            block_id=ids.CHECKIN_MOOD_BLOCK,
            action_id=ids.CHECKIN_MOOD_ACTION,
            label=renderer.plain("checkin.mood_label"),
            options=[option(renderer.plain("checkin.mood_option", mood=m), str(m)) for m in MOODS],
            initial_value=str(answer.mood) if answer and answer.mood else None,
        ),
    ]
    if not team.questions:
        blocks.append(
            text_input(
                block_id=ids.CHECKIN_NOTE_BLOCK,
                action_id=ids.CHECKIN_NOTE_ACTION,
                label=renderer.plain("checkin.note_label"),
                placeholder=renderer.plain("checkin.note_placeholder"),
                initial=answer.note if answer else None,
                max_length=NOTE_LIMIT,
                optional=True,
            )
        )
        return blocks
    for index, question in enumerate(team.questions):
        blocks.append(
            text_input(
                block_id=ids.numbered_block(ids.CHECKIN_QUESTION_BLOCK, index),
                action_id=ids.CHECKIN_QUESTION_ACTION,
                label=question,
                initial=(answer.answers.get(question) if answer else None),
                multiline=True,
                max_length=ANSWER_LIMIT,
                optional=True,
            )
        )
    return blocks


def _checklist_blocks(renderer: Renderer, checkin: CheckinContext) -> list[Block]:
    """The team's checklist, ten items a block, ticked as last answered."""
    team, answer = checkin.team, checkin.response
    if not team.checklist:
        return []
    blocks: list[Block] = [section(renderer.say("checkin.checklist_heading"))]
    done = {item for item, ticked in (answer.checklist if answer else {}).items() if ticked}
    indexed = list(enumerate(team.checklist))
    for part, items in enumerate(_chunked(indexed)):
        blocks.append(
            checkboxes(
                block_id=ids.numbered_block(ids.CHECKIN_CHECKLIST_BLOCK, part),
                action_id=ids.CHECKIN_CHECKLIST_ACTION,
                label=renderer.plain("checkin.checklist_label", part=part),
                options=[option(item, checklist_key(i)) for i, item in items],
                checked=[checklist_key(i) for i, item in items if item in done],
            )
        )
    return blocks


def _metric_blocks(renderer: Renderer, checkin: CheckinContext) -> list[Block]:
    """The team's metrics, a number each, within its range."""
    team, answer = checkin.team, checkin.response
    if not team.metrics:
        return []
    blocks: list[Block] = [section(renderer.say("checkin.metrics_heading"))]
    for metric in team.metrics:
        earlier = (answer.metric_values if answer else {}).get(metric.id)
        blocks.append(
            number_input(
                block_id=ids.numbered_block(ids.CHECKIN_METRIC_BLOCK, metric.id),
                action_id=ids.CHECKIN_METRIC_ACTION,
                label=renderer.plain("checkin.metric_label", label=metric.label, unit=metric.unit),
                initial=_number_text(earlier),
                min_value=metric.min,
                max_value=metric.max,
                hint=renderer.plain(
                    "checkin.metric_hint",
                    low=_number_text(metric.min),
                    high=_number_text(metric.max),
                    unit=metric.unit,
                ),
            )
        )
    return blocks


def _progress_blocks(renderer: Renderer, checkin: CheckinContext) -> list[Block]:
    """Progress: the member's open actions and projects to tick done, and a word on them."""
    answer = checkin.response
    blocks: list[Block] = [section(renderer.say("checkin.progress_heading"))]
    if checkin.actions:
        for part, group in enumerate(_chunked(checkin.actions)):
            blocks.append(
                checkboxes(
                    block_id=ids.numbered_block(ids.CHECKIN_DONE_BLOCK, part),
                    action_id=ids.CHECKIN_DONE_ACTION,
                    label=renderer.plain("checkin.actions_label", part=part),
                    options=[
                        option(renderer.plain("checkin.action_option", tension=t), str(t.id))
                        for t in group
                    ],
                )
            )
    else:
        blocks.append(context(renderer.say("checkin.no_actions")))
    blocks.append(
        text_input(
            block_id=ids.CHECKIN_PROGRESS_BLOCK,
            action_id=ids.CHECKIN_PROGRESS_ACTION,
            label=renderer.plain("checkin.progress_label"),
            placeholder=renderer.plain("checkin.progress_placeholder"),
            initial=answer.progress if answer else None,
            multiline=True,
            max_length=PROGRESS_LIMIT,
            optional=True,
        )
    )
    return blocks


def _closing_blocks(renderer: Renderer, checkin: CheckinContext) -> list[Block]:
    """A story (when the team has no questions of its own), a tension for the agenda, sharing."""
    answer = checkin.response
    blocks: list[Block] = []
    if not checkin.team.questions:
        blocks.append(
            text_input(
                block_id=ids.CHECKIN_STORY_BLOCK,
                action_id=ids.CHECKIN_STORY_ACTION,
                label=renderer.plain("checkin.story_label"),
                initial=answer.story if answer else None,
                multiline=True,
                max_length=STORY_LIMIT,
                optional=True,
                hint=renderer.plain("checkin.story_hint"),
            )
        )
    blocks += [
        text_input(
            block_id=ids.CHECKIN_TENSION_BLOCK,
            action_id=ids.CHECKIN_TENSION_ACTION,
            label=renderer.plain("checkin.tension_label"),
            placeholder=renderer.plain("checkin.tension_placeholder"),
            multiline=True,
            max_length=TENSION_LIMIT,
            optional=True,
            hint=renderer.plain("checkin.tension_hint"),
        ),
        checkboxes(
            block_id=ids.CHECKIN_SHARE_BLOCK,
            action_id=ids.CHECKIN_SHARE_ACTION,
            label=renderer.plain("checkin.share_label"),
            options=[option(renderer.plain("checkin.share_option"), ids.CHECKIN_SHARE_VALUE)],
            checked=[ids.CHECKIN_SHARE_VALUE] if answer is None or answer.shared else [],
        ),
    ]
    blocks[-1]["hint"] = {"type": "plain_text", "text": renderer.plain("checkin.share_hint")}
    return blocks


def build_checkin_modal(renderer: Renderer, *, checkin: CheckinContext) -> dict[str, Any]:
    """The check-in modal, in the tactical meeting's order, prefilled with any earlier answer.

    Check-in round (mood and a sentence, or the team's own questions), checklist, metrics,
    progress on the member's actions and projects, a story, a tension for the agenda, sharing.
    """
    blocks = [
        *_arrival_blocks(renderer, checkin),
        *_checklist_blocks(renderer, checkin),
        *_metric_blocks(renderer, checkin),
        *_progress_blocks(renderer, checkin),
        *_closing_blocks(renderer, checkin),
    ]
    metadata = {"round_id": checkin.round.id, "team_id": checkin.team.id}
    return modal(
        callback_id=ids.CHECKIN_MODAL,
        title=renderer.plain("checkin.modal_title"),
        submit=renderer.plain("checkin.modal_submit", edited=checkin.response is not None),
        blocks=blocks,
        private_metadata=json.dumps(metadata),
    )


def build_checkin_notice(renderer: Renderer, *, text: str) -> dict[str, Any]:
    """A small modal that says why the check-in cannot open (closed, not your team...)."""
    return modal(
        callback_id=ids.CHECKIN_NOTICE_MODAL,
        title=renderer.plain("checkin.notice_title"),
        close=renderer.plain("checkin.notice_close"),
        blocks=[section(text)],
    )


def build_away_modal(
    renderer: Renderer, *, initial: date | None = None, round_id: int | None = None
) -> dict[str, Any]:
    """The small modal where a person says the last day they are away."""
    return modal(
        callback_id=ids.AWAY_MODAL,
        title=renderer.plain("checkin.away_title"),
        submit=renderer.plain("checkin.away_submit"),
        blocks=[
            section(renderer.say("checkin.away_intro")),
            datepicker(
                block_id=ids.AWAY_DATE_BLOCK,
                action_id=ids.AWAY_DATE_ACTION,
                label=renderer.plain("checkin.away_label"),
                initial_date=initial.isoformat() if initial else None,
                hint=renderer.plain("checkin.away_hint"),
            ),
        ],
        private_metadata=json.dumps({"round_id": round_id}),
    )


def build_checkin_home_section(
    renderer: Renderer, *, overview: Sequence[TeamCheckin]
) -> list[Block]:
    """The App Home's check-ins: each team's round and a button, then whether one is away."""
    if not overview:
        return []
    blocks: list[Block] = [header(renderer.plain("checkin.home_heading"))]
    for checkin in overview:
        accessory = None
        if checkin.round is not None and checkin.status not in (PromptStatus.AWAY,):
            answered = checkin.status == PromptStatus.ANSWERED
            accessory = button(
                renderer.plain("checkin.edit_button" if answered else "checkin.check_in_button"),
                ids.CHECKIN_OPEN,
                value=str(checkin.round.id),
                style=None if answered else "primary",
            )
        blocks.append(
            section(renderer.say("checkin.home_status", checkin=checkin), accessory=accessory)
        )
    away_until = next((c.away_until for c in overview if c.away_until), None)
    if away_until is not None:
        blocks.append(
            section(
                renderer.say("checkin.home_away", until=away_until),
                accessory=button(renderer.plain("checkin.back_button"), ids.CHECKIN_BACK),
            )
        )
    else:
        blocks.append(
            section(
                renderer.say("checkin.home_not_away"),
                accessory=button(renderer.plain("checkin.away_button"), ids.CHECKIN_AWAY),
            )
        )
    return blocks
