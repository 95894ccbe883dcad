"""Block Kit for the retrospective: the channel message and its thread, the DMs, the Reflect and
Vote modals, notices and the App Home section.

The channel message holds the period's statistics and stories, last time's improvements and
where the retrospective stands, with its Reflect or Vote button. Its thread holds one message
per kind of reflection (continued past what one message holds), the team's health once
reflection has closed, and what the team chose once voting has closed. No message exceeds 50
blocks and no section 3,000 characters.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import ids
from bot.retros.figures import period_weeks
from bot.retros.model import (
    FIELD_LIMIT,
    KINDS,
    VOTES_EACH,
    OwnReflection,
    RetroBoard,
)
from bot.slack.blocks import (
    MESSAGE_BLOCK_LIMIT,
    VIEW_BLOCK_LIMIT,
    Block,
    actions,
    button,
    context,
    divider,
    header,
    message,
    modal,
    option,
    plain,
    section,
    split_sections,
    static_select,
    text_input,
)
from prompts import Renderer
from storage.models import Reflection, ReflectionKind, Retrospective, RetroStatus

MAIN = "main"
HEALTH = "health"
RESULTS = "results"
# A kind's thread message: its heading and this many reflections (the rest continue).
ITEMS_PER_MESSAGE = MESSAGE_BLOCK_LIMIT - 5
VOTE_OPTIONS_PER_GROUP = 100
_OPTION_LABEL = 75

KIND_BLOCKS = {
    ReflectionKind.WENT_WELL: ids.RETRO_WENT_WELL_BLOCK,
    ReflectionKind.COULD_BE_BETTER: ids.RETRO_BETTER_BLOCK,
    ReflectionKind.IDEA: ids.RETRO_IDEA_BLOCK,
}


def numbered(reflections: Sequence[Reflection]) -> list[tuple[int, Reflection]]:
    """The reflections in board order (by kind, then as they came), numbered from 1."""
    ordered = [r for kind in KINDS for r in reflections if r.kind == kind]
    return list(enumerate(ordered, start=1))


# --- the channel message ----------------------------------------------------------------------


def build_board_message(renderer: Renderer, *, board: RetroBoard) -> dict[str, Any]:
    """The channel message: statistics and stories, last improvements, where it stands."""
    retro, figures = board.retro, board.figures
    blocks: list[Block] = [
        header(renderer.plain("retros.title", team_name=board.team_name)),
        context(
            renderer.say("retros.period", retro=retro, weeks=period_weeks(retro), zone=board.zone)
        ),
        section(renderer.say("retros.statistics", f=figures)),
    ]
    if figures.stories:
        blocks.append(section(renderer.say("retros.stories", f=figures)))
    if board.last_improvements:
        blocks.append(
            section(renderer.say("retros.last_improvements", fates=board.last_improvements))
        )
    blocks += [divider(), section(renderer.say("retros.status", board=board))]
    value = str(retro.id)
    if board.status == RetroStatus.REFLECTING:
        blocks.append(
            actions(
                button(
                    renderer.plain("retros.reflect_button"),
                    ids.RETRO_REFLECT,
                    value=value,
                    style="primary",
                )
            )
        )
    elif board.status == RetroStatus.VOTING:
        blocks.append(
            actions(
                button(
                    renderer.plain("retros.vote_button"),
                    ids.RETRO_OPEN_VOTE,
                    value=value,
                    style="primary",
                )
            )
        )
    text = renderer.plain("retros.fallback", team_name=board.team_name, status=board.status.value)
    return message(text, blocks)


# --- the thread -------------------------------------------------------------------------------


def build_reflection_item(
    renderer: Renderer, *, number: int, reflection: Reflection, board: RetroBoard
) -> Block:
    """One reflection in the thread: its number and words (its author's name when the
    retrospective is named), a Vote button while voting, its votes once closed."""
    closed = board.status == RetroStatus.CLOSED
    text = renderer.say(
        "retros.item",
        number=number,
        reflection=reflection,
        anonymous=board.retro.anonymous,
        closed=closed,
    )
    if board.status != RetroStatus.VOTING:
        return section(text)
    vote = button(renderer.plain("retros.vote_button"), ids.RETRO_VOTE, value=str(reflection.id))
    return section(text, accessory=vote)


def _kind_messages(renderer: Renderer, board: RetroBoard) -> dict[str, dict[str, Any]]:
    """Each kind's reflections, a message per ``ITEMS_PER_MESSAGE`` (``went_well:0``, ...)."""
    numbers = {id(r): n for n, r in numbered(board.reflections)}
    found: dict[str, dict[str, Any]] = {}
    for kind in KINDS:
        reflections = board.of_kind(kind)
        for part, start in enumerate(range(0, len(reflections), ITEMS_PER_MESSAGE)):
            heading = renderer.say(
                "retros.kind_heading", kind=kind.value, count=len(reflections), part=part
            )
            items = [
                build_reflection_item(
                    renderer, number=numbers[id(reflection)], reflection=reflection, board=board
                )
                for reflection in reflections[start : start + ITEMS_PER_MESSAGE]
            ]
            found[f"{kind.value}:{part}"] = message(
                renderer.plain("retros.kind_fallback", kind=kind.value), [section(heading), *items]
            )
    return found


def build_thread(renderer: Renderer, *, board: RetroBoard) -> dict[str, dict[str, Any]]:
    """The thread's messages by name, in posting order: each kind's reflections (as they come),
    then the team's health (once reflection closed), then what was chosen (once closed)."""
    thread = _kind_messages(renderer, board)
    if board.health:
        heading = renderer.say(
            "retros.health_heading", answers=max(h.answers for h in board.health)
        )
        lines = [renderer.say("retros.health_line", h=h) for h in board.health]
        thread[HEALTH] = message(
            renderer.plain("retros.health_fallback"),
            [section(heading), *(section(chunk) for chunk in split_sections(lines))],
        )
    if board.status == RetroStatus.CLOSED and board.reflections:
        words = (
            renderer.say("retros.results", board=board)
            if board.chosen
            else renderer.say("retros.results_none")
        )
        thread[RESULTS] = message(
            renderer.plain("retros.results_fallback"),
            [section(chunk) for chunk in split_sections(words.splitlines())],
        )
    return thread


# --- DMs --------------------------------------------------------------------------------------


def build_invitation(
    renderer: Renderer, *, retro: Retrospective, team_name: str, zone: ZoneInfo
) -> dict[str, Any]:
    """The DM that asks a member to reflect, with the Reflect button."""
    return message(
        renderer.plain("retros.invitation_fallback", team_name=team_name),
        [
            section(
                renderer.say(
                    "retros.invitation",
                    retro=retro,
                    team_name=team_name,
                    weeks=period_weeks(retro),
                    zone=zone,
                    questions=len(retro.health_questions),
                )
            ),
            actions(
                button(
                    renderer.plain("retros.reflect_button"),
                    ids.RETRO_REFLECT,
                    value=str(retro.id),
                    style="primary",
                )
            ),
            context(renderer.say("retros.invitation_context", retro=retro)),
        ],
    )


def build_reminder(
    renderer: Renderer, *, retro: Retrospective, team_name: str, zone: ZoneInfo, voting: bool
) -> dict[str, Any]:
    """The one reminder to reflect (Reflect button) or to vote (Vote button)."""
    words = "retros.remind_vote" if voting else "retros.remind_reflect"
    label, action = (
        ("retros.vote_button", ids.RETRO_OPEN_VOTE)
        if voting
        else ("retros.reflect_button", ids.RETRO_REFLECT)
    )
    return message(
        renderer.plain(f"{words}_fallback", team_name=team_name),
        [
            section(renderer.say(words, retro=retro, team_name=team_name, zone=zone)),
            actions(button(renderer.plain(label), action, value=str(retro.id), style="primary")),
        ],
    )


# --- the Reflect modal ------------------------------------------------------------------------


def _reflection_inputs(renderer: Renderer, own: OwnReflection) -> list[Block]:
    """The three questions, each a text field holding one's reflections of that kind."""
    return [
        text_input(
            block_id=KIND_BLOCKS[kind],
            action_id=ids.RETRO_TEXT_ACTION,
            label=renderer.plain(f"retros.{kind.value}_label"),
            placeholder=renderer.plain(f"retros.{kind.value}_placeholder"),
            initial=own.texts.get(kind, ""),
            multiline=True,
            max_length=FIELD_LIMIT,
            optional=True,
            hint=renderer.plain("retros.line_hint") if kind == ReflectionKind.WENT_WELL else None,
        )
        for kind in KINDS
    ]


def _health_inputs(renderer: Renderer, retro: Retrospective, own: OwnReflection) -> list[Block]:
    """The team's health questions, each a choice from 1 to 5 (one's answer kept)."""
    if not retro.health_questions:
        return []
    choices = [option(renderer.plain("retros.health_option", value=v), str(v)) for v in range(1, 6)]
    blocks: list[Block] = [section(renderer.say("retros.health_intro"))]
    for index, question in enumerate(retro.health_questions):
        chosen = own.scores.get(question)
        block = static_select(
            block_id=ids.numbered_block(ids.RETRO_HEALTH_BLOCK, index),
            action_id=ids.RETRO_HEALTH_ACTION,
            label=question,
            options=choices,
            initial_value=str(chosen) if chosen else None,
            optional=True,
        )
        block["element"]["placeholder"] = plain(renderer.plain("retros.health_placeholder"))
        blocks.append(block)
    return blocks


def build_reflect_modal(
    renderer: Renderer,
    *,
    retro: Retrospective,
    team_name: str,
    zone: ZoneInfo,
    own: OwnReflection,
) -> dict[str, Any]:
    """The Reflect modal, prefilled with what the person wrote and answered so far."""
    intro = renderer.say(
        "retros.reflect_intro",
        retro=retro,
        team_name=team_name,
        weeks=period_weeks(retro),
        zone=zone,
        editing=any(own.texts.values()) or bool(own.scores),
    )
    return modal(
        callback_id=ids.RETRO_REFLECT_MODAL,
        title=renderer.plain("retros.reflect_title"),
        submit=renderer.plain("retros.reflect_submit"),
        blocks=[
            section(intro),
            *_reflection_inputs(renderer, own),
            *_health_inputs(renderer, retro, own),
        ],
        private_metadata=json.dumps({"retro_id": retro.id}),
    )


# --- the Vote modal ---------------------------------------------------------------------------


def _vote_lists(
    renderer: Renderer, reflections: Sequence[Reflection]
) -> tuple[list[Block], list[dict[str, Any]]]:
    """Every reflection listed by kind (numbered as in the thread), and the choice's option
    groups (one a kind, its options trimmed to Slack's 75 characters)."""
    board = numbered(reflections)
    sections: list[Block] = []
    groups: list[dict[str, Any]] = []
    for kind in KINDS:
        of_kind = [(n, r) for n, r in board if r.kind == kind]
        if not of_kind:
            continue
        heading = renderer.say("retros.vote_list", kind=kind.value, lines=[])
        lines = [renderer.say("retros.vote_line", number=n, reflection=r) for n, r in of_kind]
        sections += [section(chunk) for chunk in split_sections([heading, *lines])]
        options = [
            option(
                renderer.plain("retros.vote_option", number=n, reflection=r)[:_OPTION_LABEL],
                str(r.id),
            )
            for n, r in of_kind[:VOTE_OPTIONS_PER_GROUP]
        ]
        label = plain(renderer.plain("retros.kind_label", kind=kind.value))
        groups.append({"label": label, "options": options})
    return sections, groups


def _votes_input(renderer: Renderer, groups: list[dict[str, Any]], mine: Sequence[int]) -> Block:
    """The choice of up to three reflections, one's current votes chosen."""
    shown = {o["value"]: o for group in groups for o in group["options"]}
    element: dict[str, Any] = {
        "type": "multi_static_select",
        "action_id": ids.RETRO_VOTES_ACTION,
        "option_groups": groups,
        "max_selected_items": VOTES_EACH,
        "placeholder": plain(renderer.plain("retros.votes_placeholder")),
    }
    if initial := [shown[str(r)] for r in mine if str(r) in shown]:
        element["initial_options"] = initial
    return {
        "type": "input",
        "block_id": ids.RETRO_VOTES_BLOCK,
        "label": plain(renderer.plain("retros.votes_label")),
        "element": element,
        "optional": True,
    }


def build_vote_modal(
    renderer: Renderer,
    *,
    retro: Retrospective,
    team_name: str,
    zone: ZoneInfo,
    reflections: Sequence[Reflection],
    mine: Sequence[int],
) -> dict[str, Any]:
    """The modal with every reflection (numbered as in the thread) and one choice of up to three."""
    intro = renderer.say("retros.vote_intro", retro=retro, team_name=team_name, zone=zone)
    lists, groups = _vote_lists(renderer, reflections)
    room = VIEW_BLOCK_LIMIT - 2  # a board too long to list whole: its first parts, and the choice
    return modal(
        callback_id=ids.RETRO_VOTE_MODAL,
        title=renderer.plain("retros.vote_title"),
        submit=renderer.plain("retros.vote_submit"),
        blocks=[section(intro), *lists[:room], _votes_input(renderer, groups, mine)],
        private_metadata=json.dumps({"retro_id": retro.id}),
    )


# --- notices and the App Home -----------------------------------------------------------------


def build_notice_modal(renderer: Renderer, *, text: str) -> dict[str, Any]:
    """A small modal that only tells the person something (no submit)."""
    return modal(
        callback_id=ids.RETRO_NOTICE_MODAL,
        title=renderer.plain("retros.notice_title"),
        blocks=[section(text)],
        close="OK",
    )


def build_command_answer(text: str, *, more: dict[str, Any] | None = None) -> dict[str, Any]:
    """`/retro`'s private answer when there is no modal to open, then ``more`` (say, the list
    of commands)."""
    extra = list((more or {}).get("blocks") or [])
    return message(text, [section(text), *extra])


@dataclass(frozen=True)
class HomeRetro:
    """A retrospective in progress in one of the person's teams, and whether they took part."""

    retro: Retrospective
    team_name: str
    zone: ZoneInfo
    done: bool


def build_home_section(renderer: Renderer, *, items: Sequence[HomeRetro]) -> list[Block]:
    """The App Home's retrospective section: each open one with its Reflect or Vote button."""
    if not items:
        return []
    blocks: list[Block] = [header(renderer.plain("retros.home_heading"))]
    for item in items:
        reflecting = item.retro.status == RetroStatus.REFLECTING
        label, action = (
            ("retros.reflect_button", ids.RETRO_REFLECT)
            if reflecting
            else ("retros.vote_button", ids.RETRO_OPEN_VOTE)
        )
        blocks.append(
            section(
                renderer.say(
                    "retros.home_item",
                    team_name=item.team_name,
                    retro=item.retro,
                    zone=item.zone,
                    done=item.done,
                ),
                accessory=button(renderer.plain(label), action, value=str(item.retro.id)),
            )
        )
    return blocks
