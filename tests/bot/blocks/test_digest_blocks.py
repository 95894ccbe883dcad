"""The summary, digest and `/retro` builders: Slack's limits kept, nothing lost silently."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime

import pytest

from bot.core.meetings import shift_week
from bot.digests.model import (
    CoachDigest,
    CoachTeam,
    ReceivedDigest,
    Story,
    TeamSummary,
)
from bot.digests.views import (
    build_digest_messages,
    build_received_digests,
    build_retro_help,
    build_summary_messages,
    digest_document,
    digest_team_body,
    paginate,
    sparkline,
    summary_document,
)
from bot.slack.blockkit import message_problems
from bot.slack.blocks import section
from prompts import Renderer
from tests.bot.weekly_figures import WEEK, figures, signal

RENDERER = Renderer()


def blocks_of(payloads: list[dict]) -> list[dict]:
    return [block for payload in payloads for block in payload["blocks"]]


def shown(payload: object) -> str:
    """Everything in a payload, as text a test can search (non-ASCII kept)."""
    return json.dumps(payload, ensure_ascii=False)


def test_sparklines_mark_gaps_and_keep_their_scale() -> None:
    assert sparkline([1, 2, 3, 4, 5, 6, 7, 8]) == "▁▂▃▄▅▆▇█"
    assert sparkline([None, 3, None, 3]) == "·▅·▅"
    assert sparkline([None, None]) == "··"
    assert sparkline([3.0, 2.0], low=1, high=5) == "▅▃"
    assert sparkline([5.0, 1.0], low=1, high=5) == "█▁"


def test_paginate_keeps_groups_whole_and_within_fifty_blocks() -> None:
    groups = [[section(f"team {n} a"), section(f"team {n} b")] for n in range(40)]
    pages = paginate(groups, first=[section("hello")], last=[section("bye")], more=section)
    assert [len(page) for page in pages] == [49, 33]
    assert pages[0][0]["text"]["text"] == "hello" and pages[-1][-1]["text"]["text"] == "bye"
    texts = [block["text"]["text"] for page in pages for block in page]
    assert texts == ["hello", *[f"team {n} {p}" for n in range(40) for p in "ab"], "bye"]


def test_paginate_cuts_what_does_not_fit_and_says_how_much() -> None:
    groups = [[section(f"team {n}")] * 3 for n in range(100)]
    pages = paginate(
        groups,
        last=[section("bye")],
        max_messages=2,
        more=lambda count: section(f"…and {count} more"),
    )
    assert len(pages) == 2 and all(len(page) <= 50 for page in pages)
    shown = {block["text"]["text"] for page in pages for block in page}
    kept = len([n for n in range(100) if f"team {n}" in shown])
    assert f"…and {100 - kept} more" in shown and "bye" in shown
    assert kept == 32  # 16 whole groups of three in each message, the note and goodbye fit


def test_a_group_longer_than_a_message_is_split_not_lost() -> None:
    pages = paginate([[section(str(n)) for n in range(120)]], more=section)
    assert [len(page) for page in pages] == [50, 50, 20]


def test_the_summary_headline_and_thread_with_many_long_stories() -> None:
    stories = [Story("U0ANA", f"story {n} " + "x" * 700) for n in range(20)]
    summary = TeamSummary(figures(), stories, stories_total=23)
    headline, thread = build_summary_messages(RENDERER, summary)
    assert message_problems(headline) == []
    assert headline["blocks"][0]["text"]["text"] == "North Neighbourhood Team — week 48"
    assert "4 of 5 checked in (80%) · mood 3.8/5" in headline["blocks"][1]["text"]["text"]
    for payload in thread:
        assert message_problems(payload) == []
    text = shown(blocks_of(thread))
    for n in range(20):
        assert f"story {n} " in text
    assert "…and 3 more stories in this week" in text
    assert all(len(b["text"]["text"]) <= 3000 for b in blocks_of(thread) if b["type"] == "section")


def long_digest(count: int) -> CoachDigest:
    teams = []
    for n in range(count):
        team = figures(team_id=f"t{n}", name=f"Team {n:03d}")
        teams.append(CoachTeam(team, [signal(team)]))
    return CoachDigest("U0COACH", WEEK, teams)


def test_a_long_digest_is_split_into_messages_within_slack_s_limits() -> None:
    messages = build_digest_messages(RENDERER, long_digest(120))
    assert len(messages) == 3
    for payload in messages:
        assert message_problems(payload) == [], payload["blocks"][:2]
    text = shown(blocks_of(messages))
    assert "Where a team may want support" in text
    assert all(f"Team {n:03d}: 1 tension has waited more than 3 weeks" in text for n in range(120))
    assert all(f"*Team {n:03d}*" in text for n in range(120))
    assert "more teams" not in text
    assert messages[-1]["blocks"][-1]["elements"][0]["text"].startswith("Each team can read")


def test_a_digest_too_long_for_four_messages_says_how_many_teams_are_left_out() -> None:
    messages = build_digest_messages(RENDERER, long_digest(250))
    assert len(messages) == 4
    for payload in messages:
        assert message_problems(payload) == []
    text = shown(blocks_of(messages))
    listed = sum(f"*Team {n:03d}*" in text for n in range(250))
    assert 150 < listed < 250
    assert f"…and {250 - listed} more teams: Slack limits how long a message can be." in text
    # Every team's signals are still in the opening, where the coach looks first.
    assert all(f"Team {n:03d}: 1 tension has waited" in text for n in range(250))


def test_digest_text_for_one_team_is_what_the_team_will_read() -> None:
    team = figures()
    body = digest_team_body(RENDERER, CoachTeam(team, [signal(team)]))
    assert body.startswith("*North Neighbourhood Team*\nNorth Neighbourhood Team: 1 tension has")
    assert "4 of 5 answered the check-in (80%). 8-week average: 70%." in body


@pytest.mark.parametrize(
    ("away", "skipped", "said"),
    [
        (0, 0, "4 of 5 answered the check-in (80%). 8-week"),
        (1, 0, "4 of 5 answered the check-in (80%); 1 away. 8-week"),
        (0, 2, "4 of 5 answered the check-in (80%); 2 skipped this week. 8-week"),
        (1, 1, "4 of 5 answered the check-in (80%); 1 away, 1 skipped this week. 8-week"),
    ],
)
def test_people_away_or_skipping_are_told_apart_from_the_silent(
    away: int, skipped: int, said: str
) -> None:
    team = figures()
    team.weeks[-1] = replace(team.weeks[-1], away=away, skipped=skipped)
    assert said in digest_team_body(RENDERER, CoachTeam(team, []))


def test_names_people_typed_nowhere_and_app_yaml_names_escaped() -> None:
    team = figures(name="Rose & <Crown> Team")
    digest = CoachDigest("U0COACH", WEEK, [CoachTeam(team, [signal(team)])])
    text = shown(blocks_of(build_digest_messages(RENDERER, digest)))
    assert "Rose &amp; &lt;Crown&gt; Team" in text and "<Crown>" not in text


def test_terminal_formats() -> None:
    summary = TeamSummary(figures(), [Story("U0ANA", "A <good> visit")], 1)
    text = summary_document(RENDERER, summary, "text")
    assert text.startswith("North Neighbourhood Team — week 48\n==")
    assert "• A <good> visit — @U0ANA" in text  # the terminal shows it as typed
    markdown = summary_document(RENDERER, summary, "markdown")
    assert markdown.startswith("# North Neighbourhood Team — week 48\n")
    assert "\n## Stories\n\n- A <good> visit — @U0ANA\n" in markdown
    data = json.loads(summary_document(RENDERER, summary, "json"))
    assert data["figures"]["weeks"][-1]["participation"] == 0.8
    assert data["stories"] == [{"user_id": "U0ANA", "text": "A <good> visit"}]
    digest = CoachDigest("U0COACH", WEEK, [CoachTeam(figures(), [])])
    assert "Nothing stands out this week." in digest_document(RENDERER, digest)
    assert json.loads(digest_document(RENDERER, digest, "json"))["coach_id"] == "U0COACH"


@pytest.mark.parametrize("count", [0, 1, 8, 30])
def test_received_digests_for_the_team(count: int) -> None:
    received = [
        ReceivedDigest(
            "north",
            "North Neighbourhood Team",
            "U0COACH",
            shift_week(WEEK, -n),
            datetime(2026, 11, 30, 8, 30, tzinfo=UTC),
            "*North Neighbourhood Team*\n" + "4 of 5 answered the check-in (80%).\n" * 30,
        )
        for n in range(count)
    ]
    answer = build_received_digests(
        RENDERER, received=received, team_names=["North Neighbourhood Team"], limit=8
    )
    assert message_problems(answer) == []
    text = shown(answer)
    if count == 0:
        assert "haven't received a digest about *North Neighbourhood Team* yet" in text
    else:
        assert "sent to <@U0COACH> on Mon 30 Nov" in text
        assert "week 2026-W48" in text
    if count >= 8:
        assert "Showing the latest 8." in text
    if count == 30:  # more than a message holds: cut, and said so
        # 16 whole digests of 3 blocks fit after the 2 opening ones; one makes way for the notes.
        assert text.count("sent to <@U0COACH>") == 15
        assert "…and 15 more digests not shown" in text


def test_retro_help_lists_the_commands_and_escapes_an_unknown_word() -> None:
    answer = build_retro_help(RENDERER, unknown="<!channel>")
    text = shown(answer)
    assert "`/retro digest`" in text and "`/tension [what's up]`" in text
    assert "<!channel>" not in text and "&lt;!channel&gt;" in text
