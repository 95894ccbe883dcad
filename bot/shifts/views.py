"""Block Kit for shifts: the App Home's "Your working time" and the working-pattern modal."""

from __future__ import annotations

from collections.abc import Sequence
from zoneinfo import ZoneInfo

from bot.core import ids
from bot.shifts.model import DAY_FROM, DAY_UNTIL, DAYS, NIGHT_FROM, NIGHT_UNTIL, clock_text
from bot.slack.blocks import (
    Block,
    actions,
    button,
    checkboxes,
    context,
    header,
    modal,
    option,
    radio_buttons,
    section,
    timepicker,
)
from prompts import Renderer
from storage.models import PatternKind, ShiftHold, WorkingPattern

WEEKDAYS = tuple(DAYS)[:5]  # the modal's first guess: Monday to Friday


def build_home_section(
    renderer: Renderer,
    *,
    pattern: WorkingPattern | None,
    waiting: Sequence[ShiftHold],
    zone: ZoneInfo,
) -> list[Block]:
    """The person's working time (or that none is set), what waits for it, and the buttons."""
    text = (
        renderer.say("shifts.home_pattern", pattern=pattern)
        if pattern is not None
        else renderer.say("shifts.home_none")
    )
    buttons = [
        button(
            renderer.plain("shifts.set_button", has_pattern=pattern is not None),
            ids.HOME_SET_PATTERN,
            style=None if pattern is not None else "primary",
        )
    ]
    if pattern is not None:
        buttons.append(button(renderer.plain("shifts.clear_button"), ids.HOME_CLEAR_PATTERN))
    blocks = [header(renderer.plain("shifts.home_heading")), section(text)]
    if waiting:
        first = waiting[0].send_at
        blocks.append(
            context(renderer.say("shifts.home_waiting", count=len(waiting), first=first, zone=zone))
        )
    blocks.append(actions(*buttons))
    return blocks


def build_pattern_modal(
    renderer: Renderer, *, pattern: WorkingPattern | None, zone: ZoneInfo
) -> dict:
    """The modal where a person says when they work, prefilled with what they set before (or
    Monday to Friday, 08:00 to 18:00)."""
    kind = pattern.kind if pattern is not None else PatternKind.DAYS
    days = [str(day) for day in (pattern.days if pattern is not None else WEEKDAYS)]
    if pattern is not None:
        starts, ends = pattern.starts, pattern.ends
    elif kind == PatternKind.NIGHTS:
        starts, ends = clock_text(NIGHT_FROM), clock_text(NIGHT_UNTIL)
    else:
        starts, ends = clock_text(DAY_FROM), clock_text(DAY_UNTIL)
    return modal(
        callback_id=ids.PATTERN_MODAL,
        title=renderer.plain("shifts.modal_title"),
        submit=renderer.plain("shifts.modal_submit"),
        blocks=[
            section(renderer.say("shifts.modal_intro", zone=zone.key)),
            radio_buttons(
                block_id=ids.PATTERN_KIND_BLOCK,
                action_id=ids.PATTERN_KIND_ACTION,
                label=renderer.plain("shifts.kind_label"),
                options=[
                    option(renderer.plain("shifts.kind_option", kind=k.value), k.value)
                    for k in PatternKind
                ],
                initial_value=kind.value,
            ),
            checkboxes(
                block_id=ids.PATTERN_DAYS_BLOCK,
                action_id=ids.PATTERN_DAYS_ACTION,
                label=renderer.plain("shifts.days_label"),
                options=[
                    option(renderer.plain("shifts.day_name", day=day), str(day)) for day in DAYS
                ],
                checked=days,
                optional=True,  # none ticked gets a kind word, not Slack's bare "required"
                hint=renderer.plain("shifts.days_hint"),
            ),
            timepicker(
                block_id=ids.PATTERN_STARTS_BLOCK,
                action_id=ids.PATTERN_STARTS_ACTION,
                label=renderer.plain("shifts.starts_label"),
                initial_time=starts,
                optional=True,
            ),
            timepicker(
                block_id=ids.PATTERN_ENDS_BLOCK,
                action_id=ids.PATTERN_ENDS_ACTION,
                label=renderer.plain("shifts.ends_label"),
                initial_time=ends,
                optional=True,
                hint=renderer.plain("shifts.ends_hint"),
            ),
            context(renderer.say("shifts.modal_context")),
        ],
    )
