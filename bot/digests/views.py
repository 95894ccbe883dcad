"""Block Kit (and terminal text) for the team summary, the coach digest and `/retro`.

The words come from ``prompts/templates/summary.j2``, ``digest.j2`` and ``retro.j2``. A summary
or digest is first laid out as :class:`Part` s (a title and its lines, rendered as mrkdwn for
Slack or as plain text for the terminal); Slack's limits are then kept here: a section's text
is split at 3,000 characters, a message at 50 blocks, and what cannot fit in
:data:`MAX_MESSAGES` messages is cut with "…and N more", never dropped silently.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from bot.digests.model import (
    MIN_ANSWERS,
    MONTH_WEEKS,
    CoachDigest,
    CoachTeam,
    ReceivedDigest,
    TeamFigures,
    TeamSummary,
    as_data,
    summary_data,
)
from bot.slack.blocks import (
    MESSAGE_BLOCK_LIMIT,
    SECTION_TEXT_LIMIT,
    Block,
    context,
    divider,
    header,
    message,
    section,
    split_sections,
)
from prompts import Renderer

MAX_MESSAGES = 4  # a summary's thread, or a digest's DMs, in at most this many messages
SPARK_LEVELS = "▁▂▃▄▅▆▇█"
SPARK_GAP = "·"
FORMATS = ("text", "json", "markdown")


@dataclass(frozen=True)
class Part:
    """One titled part of a summary or digest: its lines, already rendered."""

    title: str
    lines: list[str]


def sparkline(
    values: Sequence[float | None], *, low: float | None = None, high: float | None = None
) -> str:
    """``▂▃▅▇`` for a series; ``·`` where a week has no value (too few answers, no check-in).

    The scale runs from ``low`` to ``high`` (by default the series' own minimum and maximum).
    """
    known = [v for v in values if v is not None]
    if not known:
        return SPARK_GAP * len(values)
    bottom = min(known) if low is None else min(low, min(known))
    top = max(known) if high is None else max(high, max(known))
    span = top - bottom
    marks = []
    for value in values:
        if value is None:
            marks.append(SPARK_GAP)
        elif span == 0:
            marks.append(SPARK_LEVELS[len(SPARK_LEVELS) // 2])
        else:
            level = round((value - bottom) / span * (len(SPARK_LEVELS) - 1))
            marks.append(SPARK_LEVELS[level])
    return "".join(marks)


def _say(renderer: Renderer, flavour: str) -> Callable[..., str]:
    """The renderer's mrkdwn (Slack) or plain (terminal) rendering."""
    return renderer.say if flavour == "mrkdwn" else renderer.plain


def _lines(*texts: str) -> list[str]:
    return [text for text in texts if text]


def figures_lines(
    renderer: Renderer, figures: TeamFigures, *, flavour: str = "mrkdwn"
) -> dict[str, list[str]]:
    """The lines of each aggregate part (check-in, numbers, tensions, feedback) of one team."""
    say = _say(renderer, flavour)
    week = figures.this_week
    checkin = _lines(
        say("summary.participation", w=week, average=figures.participation_average),
        say(
            "summary.mood",
            w=week,
            average=figures.mood_average,
            spark=sparkline(figures.mood_trend, low=1, high=5),
            min_answers=MIN_ANSWERS,
        ),
    )
    numbers = [
        say(
            "summary.metric",
            m=metric,
            spark=sparkline(metric.history[-8:], low=0),
            min_answers=MIN_ANSWERS,
        )
        for metric in figures.metrics
    ]
    tensions = _lines(
        say("summary.tensions", t=figures.tensions, oldest_days=figures.oldest_open_days),
        say("summary.outcomes", t=figures.tensions),
    )
    feedback = _lines(
        say("summary.appreciation", fb=figures.feedback, values=figures.values),
        say("summary.feedback_counts", fb=figures.feedback, month_weeks=MONTH_WEEKS),
    )
    return {
        "checkin": checkin,
        "numbers": numbers,
        "tensions": tensions,
        "decisions": _lines(say("summary.decisions", d=figures.decisions)),
        "feedback": feedback,
        "health": _lines(_health_compact(say, figures)),
    }


def _health_compact(say: Callable[..., str], figures: TeamFigures) -> str:
    """The coach digest's one line of team health: the averages shown (3+ answers), or ''."""
    if figures.health is None:
        return ""
    shown = [h for h in figures.health.figures if h.average is not None]
    if not shown:
        return ""
    return say("summary.health_compact", shown=shown, opened=_local_day(figures))


def _local_day(figures: TeamFigures) -> date | None:
    """The day of the team's latest retrospective, in the team's zone."""
    if figures.health is None:
        return None
    return figures.health.opened_at.astimezone(ZoneInfo(figures.timezone)).date()


def health_lines(renderer: Renderer, figures: TeamFigures, *, flavour: str = "mrkdwn") -> list[str]:
    """The summary's team health: a line per question of the latest retrospective, an average
    only over at least 3 answers; [] before the team's first retrospective."""
    if figures.health is None or not figures.health.figures:
        return []
    say = _say(renderer, flavour)
    return [
        say("summary.health_intro", opened=_local_day(figures)),
        *(say("summary.health_line", h=h, min_answers=MIN_ANSWERS) for h in figures.health.figures),
    ]


def summary_parts(
    renderer: Renderer, summary: TeamSummary, *, flavour: str = "mrkdwn"
) -> list[Part]:
    """The summary's details, part by part, in the order the team reads them."""
    say = _say(renderer, flavour)
    figures = summary.figures
    lines = figures_lines(renderer, figures, flavour=flavour)
    notes = _lines(
        say("summary.in_progress") if figures.in_progress else "",
        say("summary.first_week") if figures.first_week else "",
        say("summary.quiet") if figures.quiet else "",
    )
    parts = [Part(say("summary.section_checkin"), notes + lines["checkin"])]
    if lines["numbers"]:
        parts.append(Part(say("summary.section_numbers"), lines["numbers"]))
    stories = [say("summary.story", s=story) for story in summary.stories]
    if summary.more_stories:
        stories.append(say("summary.more_stories", count=summary.more_stories))
    if stories or figures.this_week.rounds:
        parts.append(Part(say("summary.section_stories"), stories or [say("summary.no_stories")]))
    parts.append(Part(say("summary.section_tensions"), lines["tensions"]))
    if lines["decisions"]:
        parts.append(Part(say("summary.section_decisions"), lines["decisions"]))
    parts.append(Part(say("summary.section_feedback"), lines["feedback"]))
    if health := health_lines(renderer, figures, flavour=flavour):
        parts.append(Part(say("summary.section_health"), health))
    return parts


def _part_blocks(part: Part) -> list[Block]:
    """A part as sections: a bold title, then its lines, split at Slack's 3,000 characters."""
    chunks = split_sections([f"*{part.title}*", *part.lines], limit=SECTION_TEXT_LIMIT)
    return [section(chunk) for chunk in chunks]


def paginate(
    groups: Sequence[list[Block]],
    *,
    more: Callable[[int], Block],
    first: Sequence[Block] = (),
    last: Sequence[Block] = (),
    max_blocks: int = MESSAGE_BLOCK_LIMIT,
    max_messages: int = MAX_MESSAGES,
) -> list[list[Block]]:
    """Pack groups of blocks into messages of at most ``max_blocks``, a group kept together.

    ``first`` opens the first message and ``last`` closes the last. A group longer than a
    message is split across messages. When the groups need more than ``max_messages``
    messages, whole groups are left out from the end and ``more(count)`` says how many.
    """
    messages: list[list[Block]] = [list(first)]
    placed: list[tuple[int, int]] = []  # where each whole group starts: (message, block)
    pending = [list(group) for group in groups]
    while pending:
        group, room = pending[0], max_blocks - len(messages[-1])
        if len(group) <= room:
            placed.append((len(messages) - 1, len(messages[-1])))
            messages[-1] += pending.pop(0)
            continue
        if len(group) > max_blocks and room:  # too long for any message: split where it must
            messages[-1] += group[:room]
            pending[0] = group[room:]
        if len(messages) == max_messages:
            break
        messages.append([])
    if pending:
        left = len(pending)
        # Room for the "…and N more" note and the closing blocks, taking whole groups out.
        while len(messages[-1]) + 1 + len(last) > max_blocks and placed:
            at, start = placed.pop()
            if at != len(messages) - 1:
                break
            del messages[-1][start:]
            left += 1
        messages[-1].append(more(left))
        messages[-1] += list(last)[: max_blocks - len(messages[-1])]
        return [m for m in messages if m]
    for block in last:
        if len(messages[-1]) >= max_blocks:
            messages.append([])
        messages[-1].append(block)
    return [m for m in messages if m]


def build_summary_messages(
    renderer: Renderer, summary: TeamSummary
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The headline posted in the team channel, and the thread replies with the details."""
    figures = summary.figures
    fallback = renderer.plain("summary.fallback", f=figures)
    headline = message(
        fallback,
        [
            header(renderer.plain("summary.title", f=figures)),
            section(renderer.say("summary.headline", f=figures, stories=summary.stories_total)),
            context(renderer.say("summary.headline_context", f=figures)),
        ],
    )
    groups = [_part_blocks(part) for part in summary_parts(renderer, summary)]
    pages = paginate(
        groups,
        more=lambda count: context(renderer.say("summary.more_parts", count=count)),
    )
    return headline, [message(fallback, page) for page in pages]


def summary_body(renderer: Renderer, summary: TeamSummary) -> str:
    """The summary as posted (mrkdwn), kept with the record of its delivery."""
    parts = summary_parts(renderer, summary)
    text = [renderer.say("summary.headline", f=summary.figures, stories=summary.stories_total)]
    for part in parts:
        text += [f"*{part.title}*", *part.lines]
    return "\n".join(text)


def digest_team_lines(renderer: Renderer, team: CoachTeam, *, flavour: str = "mrkdwn") -> list[str]:
    """What a coach reads about one team: its signals, then its aggregates (never a story)."""
    say = _say(renderer, flavour)
    lines = figures_lines(renderer, team.figures, flavour=flavour)
    signals = [say("digest.signal", s=signal) for signal in team.signals]
    return [
        *signals,
        *lines["checkin"],
        *lines["numbers"],
        *lines["tensions"],
        *lines["decisions"],
        *lines["feedback"],
        *lines["health"],
    ]


def digest_team_body(renderer: Renderer, team: CoachTeam) -> str:
    """The text (mrkdwn) a coach received about one team: kept for the team to read."""
    title = renderer.say("digest.team_title", f=team.figures)
    return "\n".join([f"*{title}*", *digest_team_lines(renderer, team)])


def build_digest_messages(renderer: Renderer, digest: CoachDigest) -> list[dict[str, Any]]:
    """The coach's DM(s): what stands out across their teams, then each team's figures."""
    first_team = digest.teams[0].figures if digest.teams else None
    fallback = renderer.plain("digest.fallback", digest=digest)
    opening: list[Block] = [
        header(renderer.plain("digest.title", digest=digest)),
        section(renderer.say("digest.intro", digest=digest, first=first_team)),
    ]
    signals = [renderer.say("digest.signal", s=signal) for signal in digest.signals]
    opening += _part_blocks(
        Part(renderer.say("digest.support_heading"), signals or [renderer.say("digest.no_signals")])
    )
    opening.append(divider())
    groups = [
        _part_blocks(
            Part(
                renderer.say("digest.team_title", f=team.figures),
                digest_team_lines(renderer, team)[len(team.signals) :],
            )
        )
        for team in digest.teams
    ]
    pages = paginate(
        groups,
        first=opening,
        last=[context(renderer.say("digest.visibility"))],
        more=lambda count: section(renderer.say("digest.more_teams", count=count)),
    )
    return [message(fallback, page) for page in pages]


# --- the terminal (`retrobot summary` / `retrobot digest`) -------------------------------------


def _document(title: str, intro: list[str], parts: Sequence[Part], fmt: str) -> str:
    """Parts as readable plain text, or as Markdown for tools and email."""
    out: list[str] = []
    if fmt == "markdown":
        out += [f"# {title}"]
        for line in intro:  # paragraphs of their own, or Markdown runs them together
            out += ["", line]
        for part in parts:
            out += ["", f"## {part.title}", ""]
            out += [f"- {line.removeprefix('• ')}" for line in part.lines]
    else:
        out += [title, "=" * len(title), *intro]
        for part in parts:
            out += ["", part.title, "-" * len(part.title), *part.lines]
    return "\n".join(out).rstrip() + "\n"


def summary_document(renderer: Renderer, summary: TeamSummary, fmt: str = "text") -> str:
    """The summary for the terminal: ``text``, ``markdown`` or ``json``."""
    if fmt == "json":
        return json.dumps(summary_data(summary), indent=2, ensure_ascii=False) + "\n"
    figures = summary.figures
    intro = [
        renderer.plain("summary.headline_context", f=figures).split(" · ")[0],
        renderer.plain("summary.headline", f=figures, stories=summary.stories_total),
    ]
    parts = summary_parts(renderer, summary, flavour="plain")
    return _document(renderer.plain("summary.title", f=figures), intro, parts, fmt)


def digest_document(renderer: Renderer, digest: CoachDigest, fmt: str = "text") -> str:
    """A coach digest for the terminal: ``text``, ``markdown`` or ``json``."""
    if fmt == "json":
        return json.dumps(as_data(digest), indent=2, ensure_ascii=False) + "\n"
    first_team = digest.teams[0].figures if digest.teams else None
    signals = [renderer.plain("digest.signal", s=signal) for signal in digest.signals]
    parts = [
        Part(
            renderer.plain("digest.support_heading"),
            signals or [renderer.plain("digest.no_signals")],
        )
    ]
    for team in digest.teams:
        parts.append(
            Part(
                renderer.plain("digest.team_title", f=team.figures),
                digest_team_lines(renderer, team, flavour="plain")[len(team.signals) :],
            )
        )
    intro = [
        f"To: @{digest.coach_id}",
        renderer.plain("digest.intro", digest=digest, first=first_team),
    ]
    return _document(renderer.plain("digest.title", digest=digest), intro, parts, fmt)


# --- `/retro` ---------------------------------------------------------------------------------


def build_retro_help(renderer: Renderer, *, unknown: str | None = None) -> dict[str, Any]:
    """The ephemeral list of retrobot's commands (after a word `/retro` did not know)."""
    blocks = []
    if unknown:
        blocks.append(section(renderer.say("retro.unknown", word=unknown)))
    blocks.append(section(renderer.say("retro.help")))
    return message(renderer.plain("retro.help_fallback"), blocks)


def build_received_digests(
    renderer: Renderer,
    *,
    received: Sequence[ReceivedDigest],
    team_names: Sequence[str],
    limit: int,
) -> dict[str, Any]:
    """The ephemeral answer to `/retro digest`: each coach digest about the person's teams."""
    blocks: list[Block] = [
        header(renderer.plain("retro.digest_heading", count=len(received))),
        context(renderer.say("retro.digest_intro")),
    ]
    if not received:
        blocks.append(section(renderer.say("retro.nothing_received", team_names=team_names)))
        return message(renderer.plain("retro.digest_fallback"), blocks)
    groups = []
    for digest in received:
        # The body is the mrkdwn the coach received, built by retrobot from counts alone.
        chunks = split_sections(digest.body.splitlines() or ["—"])
        groups.append(
            [divider(), context(renderer.say("retro.received", d=digest))]
            + [section(chunk) for chunk in chunks]
        )
    last = []
    if len(received) >= limit:
        last.append(context(renderer.say("retro.older_not_shown", count=limit)))
    [page, *_] = paginate(
        groups,
        first=blocks,
        last=last,
        max_messages=1,
        more=lambda count: context(renderer.say("retro.more_not_shown", count=count)),
    )
    return message(renderer.plain("retro.digest_fallback"), page)
