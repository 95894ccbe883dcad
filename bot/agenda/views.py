"""Block Kit for the tactical meeting's agenda: the channel message, its thread replies.

The channel message holds the title, a one-line summary of each part and the tensions (each
with its Triage button); tensions beyond what one message holds (50 blocks) continue in thread
replies, and each part's details (check-in answers, checklist and metrics, progress updates) are
one reply each. No section ever holds more than 3,000 characters.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.agenda.model import Agenda
from bot.core import ids
from bot.slack.blocks import (
    MESSAGE_BLOCK_LIMIT,
    Block,
    button,
    context,
    divider,
    header,
    message,
    section,
    split_sections,
)
from prompts import Renderer
from storage.models import Tension, TensionStatus

# The channel message: title, intro, three part summaries, a divider and the agenda heading
# (7 blocks), the tensions, and a "continued in the thread" line: 7 + 40 + 1 = 48 of 50.
MAIN_ITEMS = 40
# A continuation reply: its heading and 45 tensions.
MORE_ITEMS = 45
# A details reply: its heading and at most this many sections (split at 3,000 characters).
DETAIL_SECTIONS = MESSAGE_BLOCK_LIMIT - 2

CHECKIN_REPLY = "checkin"
METRICS_REPLY = "metrics"
PROGRESS_REPLY = "progress"


@dataclass(frozen=True)
class AgendaMessages:
    """The agenda's channel message and its thread replies (by name, in posting order)."""

    main: dict[str, Any]
    thread: dict[str, dict[str, Any]] = field(default_factory=dict)


def triage_value(tension: Tension, round_id: int) -> str:
    """The Triage button's value: which tension, on which meeting's agenda."""
    return f"{tension.id}:{round_id}"


def parse_triage_value(value: str) -> tuple[int, int | None]:
    """(tension id, round id) from a Triage button's value; ValueError when malformed."""
    tension_part, _, round_part = value.partition(":")
    return int(tension_part), int(round_part) if round_part else None


def build_agenda_item(renderer: Renderer, *, number: int, tension: Tension, round_id: int) -> Block:
    """One tension on the agenda: open ones carry a Triage button, triaged ones their outcome."""
    if tension.status == TensionStatus.OPEN:
        return section(
            renderer.say("agenda.item", number=number, tension=tension),
            accessory=button(
                renderer.plain("agenda.triage_button"),
                ids.AGENDA_TRIAGE,
                value=triage_value(tension, round_id),
            ),
        )
    return section(renderer.say("agenda.triaged_item", number=number, tension=tension))


def _items(renderer: Renderer, agenda: Agenda, tensions: Sequence[Tension], first: int) -> list:
    return [
        build_agenda_item(renderer, number=first + i, tension=t, round_id=agenda.round_id)
        for i, t in enumerate(tensions)
    ]


def _details(renderer: Renderer, heading: str, lines: list[str], fallback: str) -> dict[str, Any]:
    """A thread reply: a heading, then the lines joined into as few sections as fit."""
    chunks = split_sections(lines)
    if len(chunks) > DETAIL_SECTIONS:
        chunks = [*chunks[: DETAIL_SECTIONS - 1], renderer.say("agenda.more_lines")]
    return message(fallback, [section(heading), *(section(chunk) for chunk in chunks)])


def build_agenda_messages(renderer: Renderer, *, agenda: Agenda) -> AgendaMessages:
    """The whole agenda: the channel message, the details replies, the continuations."""
    thread = _detail_replies(renderer, agenda)
    thread.update(_continuations(renderer, agenda))
    return AgendaMessages(main=_main_message(renderer, agenda), thread=thread)


def _main_message(renderer: Renderer, agenda: Agenda) -> dict[str, Any]:
    """The channel message: the meeting's steps in brief and the first tensions."""
    team, meeting = agenda.team, agenda.meeting
    items = agenda.items
    shown = items[:MAIN_ITEMS]
    blocks: list[Block] = [
        header(renderer.plain("agenda.title", meeting_at=meeting.at, zone=team.zone)),
        context(renderer.say("agenda.intro", team_name=team.name)),
        section(
            renderer.say(
                "agenda.checkin_summary",
                count=len(agenda.answers),
                mood_average=agenda.mood_average,
            )
        ),
        section(
            renderer.say(
                "agenda.metrics_summary", checklist=agenda.checklist, metrics=agenda.metrics
            )
        ),
        section(
            renderer.say(
                "agenda.progress_summary", count=len(agenda.progress), overdue=agenda.overdue
            )
        ),
        divider(),
        section(renderer.say("agenda.agenda_heading", count=len(items))),
        *_items(renderer, agenda, shown, 1),
    ]
    if len(items) > len(shown):
        blocks.append(context(renderer.say("agenda.continued", count=len(items) - len(shown))))
    main = message(
        renderer.plain(
            "agenda.fallback",
            team_name=team.name,
            meeting_at=meeting.at,
            zone=team.zone,
            count=len(items),
        ),
        blocks,
    )
    return main


def _detail_replies(renderer: Renderer, agenda: Agenda) -> dict[str, dict[str, Any]]:
    """The thread's details: check-in answers, metrics and stories, progress updates."""
    thread: dict[str, dict[str, Any]] = {}
    if agenda.answers:
        thread[CHECKIN_REPLY] = _details(
            renderer,
            renderer.say("agenda.checkin_heading", count=len(agenda.answers)),
            [renderer.say("agenda.checkin_line", answer=a) for a in agenda.answers],
            renderer.plain("agenda.checkin_fallback"),
        )
    stories = [a for a in agenda.answers if a.story.strip()]
    if agenda.checklist or agenda.metrics or stories:
        thread[METRICS_REPLY] = _details(
            renderer,
            renderer.say("agenda.metrics_heading"),
            [renderer.say("agenda.metric_line", m=m) for m in agenda.metrics]
            + [renderer.say("agenda.checklist_line", c=c) for c in agenda.checklist]
            + [renderer.say("agenda.story_line", answer=a) for a in stories],
            renderer.plain("agenda.metrics_fallback"),
        )
    notes = [a for a in agenda.answers if a.progress.strip()]
    if agenda.progress or notes:
        thread[PROGRESS_REPLY] = _details(
            renderer,
            renderer.say(
                "agenda.progress_heading", count=len(agenda.progress), overdue=agenda.overdue
            ),
            [
                renderer.say("agenda.progress_line", tension=t, overdue=agenda.is_overdue(t))
                for t in agenda.progress
            ]
            + [renderer.say("agenda.progress_note", answer=a) for a in notes],
            renderer.plain("agenda.progress_fallback"),
        )
    return thread


def _continuations(renderer: Renderer, agenda: Agenda) -> dict[str, dict[str, Any]]:
    """The tensions past the channel message's share, a thread reply per chunk."""
    items = agenda.items
    thread: dict[str, dict[str, Any]] = {}
    for part, start in enumerate(range(MAIN_ITEMS, len(items), MORE_ITEMS), start=2):
        chunk = items[start : start + MORE_ITEMS]
        first, last = start + 1, start + len(chunk)
        thread[f"agenda-{part}"] = message(
            renderer.plain("agenda.continuation_fallback", first=first, last=last),
            [
                section(
                    renderer.say("agenda.continuation", first=first, last=last, total=len(items))
                ),
                *_items(renderer, agenda, chunk, first),
            ],
        )
    return thread
