"""What people see of a retrospective — the channel message, its thread, the DMs, the modals,
the App Home — within Block Kit's limits however much is written, escaped, and anonymous."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.core import ids
from bot.retros.charts import has_chart, health_radar
from bot.retros.model import (
    Chosen,
    Fate,
    HealthFigure,
    ImprovementFate,
    MetricTrend,
    OwnReflection,
    Participation,
    PeriodFigures,
    RetroBoard,
    StoryShared,
)
from bot.retros.views import (
    HomeRetro,
    build_board_message,
    build_command_answer,
    build_home_section,
    build_invitation,
    build_notice_modal,
    build_reflect_modal,
    build_reminder,
    build_thread,
    build_vote_modal,
)
from bot.slack.blockkit import message_problems, view_problems
from prompts import Renderer
from storage.models import (
    Reflection,
    ReflectionKind,
    Retrospective,
    RetroStatus,
    Tension,
    TensionStatus,
)

RENDERER = Renderer()
LONDON = ZoneInfo("Europe/London")
OPENED = datetime(2026, 6, 4, 13, 0, tzinfo=UTC)
FORGED = "<!channel> & <https://evil.example|click>"
QUESTIONS = ["We help each other", "Workload is fair", "Safe to speak up", "We learn", "Clients"]


def make_retro(
    status: RetroStatus = RetroStatus.REFLECTING, anonymous: bool = True
) -> Retrospective:
    return Retrospective(
        id=7,
        team_id="north",
        status=status,
        anonymous=anonymous,
        health_questions=QUESTIONS,
        period_start=OPENED - timedelta(weeks=4),
        opened_at=OPENED,
        reflection_closes_at=OPENED + timedelta(days=2),
        voting_closes_at=OPENED + timedelta(days=4) if status != RetroStatus.REFLECTING else None,
        channel="C0NORTH",
    )


def make_reflections(
    count: int, *, text: str = "Handovers were calm", author: str | None = "U0ANA"
) -> list[Reflection]:
    kinds = list(ReflectionKind)
    return [
        Reflection(
            id=n + 1, retro_id=7, kind=kinds[n % 3], text=f"{text} {n}", author=author, votes=n % 4
        )
        for n in range(count)
    ]


def figures(**overrides: object) -> PeriodFigures:
    fields: dict = {
        "weeks": 4,
        "asked": 16,
        "answered": 12,
        "moods": [3.5, None, 4.0, 4.25],
        "metrics": [
            MetricTrend("Client visits", "visits", 42.0, 38.5),
            MetricTrend("Travel", "", None, 3.0),
        ],
        "tensions_raised": 5,
        "tensions_closed": 3,
        "tensions_open": 4,
        "appreciations": 6,
        "values": [("Compassion", 4), ("Trust", 2)],
        "stories": [StoryShared("U0ANA", FORGED)],
        "stories_total": 4,
        "decisions": 2,
    }
    return PeriodFigures(**(fields | overrides))


def make_board(
    status: RetroStatus = RetroStatus.REFLECTING,
    *,
    count: int = 6,
    anonymous: bool = True,
    **fields: object,
) -> RetroBoard:
    retro = make_retro(status, anonymous)
    reflections = make_reflections(
        count, author=None if anonymous and status != RetroStatus.REFLECTING else "U0ANA"
    )
    tension = Tension(
        id=31,
        team_id="north",
        raised_by="C0NORTH",
        text=FORGED,
        status=TensionStatus.OPEN,
        owner="U0BEN",
    )
    values: dict = {
        "retro": retro,
        "team_name": "North <Team>",
        "zone": LONDON,
        "figures": figures(),
        "last_improvements": [
            ImprovementFate(tension, 3, Fate.OPEN),
            ImprovementFate(tension, 2, Fate.DONE),
        ],
        "participation": Participation(asked=5, reflected=3, voted=2, away=1),
        "reflections": reflections,
        "health": [
            HealthFigure(q, 5, 3.8 + i / 10, 3.5 if i else None) for i, q in enumerate(QUESTIONS)
        ]
        if status != RetroStatus.REFLECTING
        else [],
        "chosen": [Chosen(reflections[0], tension, 5)]
        if status == RetroStatus.CLOSED and reflections
        else [],
    }
    return RetroBoard(**(values | fields))


def shown(payload: dict) -> str:
    return json.dumps(payload, ensure_ascii=False)


@pytest.mark.parametrize("status", list(RetroStatus))
def test_the_channel_message_in_each_phase(status: RetroStatus) -> None:
    message = build_board_message(RENDERER, board=make_board(status))
    assert message_problems(message) == []
    text = shown(message)
    assert "Retrospective · North <Team>" in text  # a header is plain text
    assert "12 of 16 answered (75%)" in text
    assert "3.5 → – → 4.0 → 4.2" in text
    assert "Client visits: *42* visits a week (before: 38.5)" in text
    assert "Travel: _fewer than 3 answers_" in text
    assert "5 raised, 3 closed, 4 open now" in text and "Decisions: 2" in text
    assert "Compassion 4, Trust 2" in text
    assert "…and 3 more stories" in text
    assert "*open* — &lt;!channel&gt;" in text and "owner <@U0BEN>" in text
    assert "<!channel>" not in text
    buttons = [
        e["action_id"] for b in message["blocks"] if b["type"] == "actions" for e in b["elements"]
    ]
    expected = {
        RetroStatus.REFLECTING: [ids.RETRO_REFLECT],
        RetroStatus.VOTING: [ids.RETRO_OPEN_VOTE],
    }
    assert buttons == expected.get(status, [])


def test_the_status_says_how_many_took_part_and_by_when() -> None:
    reflecting = shown(build_board_message(RENDERER, board=make_board()))
    assert "Reflect by Saturday 6 June, 14:00" in reflecting and "3 of 5 reflected" in reflecting
    assert "without names" in reflecting
    voting = shown(build_board_message(RENDERER, board=make_board(RetroStatus.VOTING)))
    assert "Vote by Monday 8 June, 14:00" in voting and "2 of 5 voted" in voting
    closed = shown(build_board_message(RENDERER, board=make_board(RetroStatus.CLOSED)))
    assert "The team chose 1 improvement" in closed and "next tactical agenda" in closed
    nothing = shown(build_board_message(RENDERER, board=make_board(RetroStatus.CLOSED, count=0)))
    assert "Nobody reflected this time" in nothing


def test_the_thread_groups_reflections_by_kind_without_names_when_anonymous() -> None:
    board = make_board(RetroStatus.VOTING, count=6)
    thread = build_thread(RENDERER, board=board)
    assert list(thread) == ["went_well:0", "could_be_better:0", "idea:0", "health"]
    for payload in thread.values():
        assert message_problems(payload) == []
    went_well = shown(thread["went_well:0"])
    assert "What went well* (2)" in went_well and "*1.* Handovers were calm 0" in went_well
    assert "U0ANA" not in shown(thread)
    votes = [b["accessory"]["value"] for b in thread["idea:0"]["blocks"] if "accessory" in b]
    assert votes == ["3", "6"]  # each reflection's own Vote button
    assert "vote" not in went_well.split("*1.*")[1].lower().split("accessory")[0]  # no count yet


def test_a_named_retrospective_shows_its_authors_and_the_close_shows_counts() -> None:
    named = build_thread(RENDERER, board=make_board(RetroStatus.CLOSED, anonymous=False))
    assert "— <@U0ANA>" in shown(named["went_well:0"])
    assert "*1 vote*" in shown(named["could_be_better:0"])
    assert "*The team chose*" in shown(named["results"]) and "*5 votes*" in shown(named["results"])
    assert all(not b.get("accessory") for p in named.values() for b in p["blocks"])


def test_a_hundred_long_reflections_continue_in_more_messages() -> None:
    board = make_board(RetroStatus.VOTING, reflections=make_reflections(150, text="x & <y> " * 60))
    thread = build_thread(RENDERER, board=board)
    assert [k for k in thread if k.startswith("went_well")] == ["went_well:0", "went_well:1"]
    for payload in thread.values():
        assert message_problems(payload) == []
    assert "continued" in shown(thread["went_well:1"])


def test_health_lines_show_averages_over_three_answers_only() -> None:
    health = [HealthFigure("We learn", 2, None, 4.0), HealthFigure("Safe <b>", 6, 4.5, 3.0)]
    thread = build_thread(RENDERER, board=make_board(RetroStatus.VOTING, health=health))
    text = shown(thread["health"])
    assert "We learn: _fewer than 3 answers_" in text
    assert "Safe &lt;b&gt;: *4.5* (3.0) :arrow_up:" in text


def test_the_dms_and_reminders() -> None:
    retro = make_retro()
    invitation = build_invitation(RENDERER, retro=retro, team_name="North", zone=LONDON)
    assert message_problems(invitation) == []
    text = shown(invitation)
    assert "North's retrospective is open" in text and "Reflect by *Saturday 6 June, 14:00*" in text
    assert "5 quick health questions" in text and "<#C0NORTH>" in text
    [button] = invitation["blocks"][1]["elements"]
    assert (button["text"]["text"], button["action_id"], button["value"]) == (
        "Reflect",
        ids.RETRO_REFLECT,
        "7",
    )
    for voting in (False, True):
        reminder = build_reminder(
            RENDERER,
            retro=make_retro(RetroStatus.VOTING),
            team_name="North",
            zone=LONDON,
            voting=voting,
        )
        assert message_problems(reminder) == []
    vote = build_reminder(
        RENDERER, retro=make_retro(RetroStatus.VOTING), team_name="North", zone=LONDON, voting=True
    )
    assert vote["blocks"][1]["elements"][0]["text"]["text"] == "Vote"


def test_the_reflect_modal_is_prefilled_and_within_limits() -> None:
    own = OwnReflection(
        texts={
            ReflectionKind.WENT_WELL: "Calm\nKind",
            ReflectionKind.COULD_BE_BETTER: "",
            ReflectionKind.IDEA: "x" * 3000,
        },
        scores={"We learn": 4},
    )
    view = build_reflect_modal(
        RENDERER, retro=make_retro(), team_name="North", zone=LONDON, own=own
    )
    assert view_problems(view) == []
    assert (view["callback_id"], view["title"]["text"], view["submit"]["text"]) == (
        ids.RETRO_REFLECT_MODAL,
        "Reflect",
        "Save",
    )
    blocks = {b.get("block_id"): b for b in view["blocks"]}
    assert blocks[ids.RETRO_WENT_WELL_BLOCK]["element"]["initial_value"] == "Calm\nKind"
    assert blocks["retro_health_3"]["element"]["initial_option"]["value"] == "4"
    assert blocks["retro_health_3"]["label"]["text"] == "We learn"
    assert "initial_option" not in blocks["retro_health_0"]["element"]
    assert "Your reflections so far" in shown(view) and "without your name" in shown(view)
    ten = make_retro()
    ten.health_questions = [f"Question {n} " + "y" * 130 for n in range(10)]
    empty = OwnReflection(texts={}, scores={})
    assert (
        view_problems(
            build_reflect_modal(RENDERER, retro=ten, team_name="N" * 200, zone=LONDON, own=empty)
        )
        == []
    )


def test_the_vote_modal_lists_every_reflection_and_offers_three_votes() -> None:
    reflections = make_reflections(120, text="A long reflection & <more> " * 18)
    view = build_vote_modal(
        RENDERER,
        retro=make_retro(RetroStatus.VOTING),
        team_name="North",
        zone=LONDON,
        reflections=reflections,
        mine=[2, 5],
    )
    assert view_problems(view) == []
    votes = next(b for b in view["blocks"] if b.get("block_id") == ids.RETRO_VOTES_BLOCK)
    assert votes["element"]["max_selected_items"] == 3
    assert [o["value"] for o in votes["element"]["initial_options"]] == ["2", "5"]
    assert sum(len(g["options"]) for g in votes["element"]["option_groups"]) == 120
    mrkdwn = [b["text"]["text"] for b in view["blocks"] if b["type"] == "section"]
    assert "&lt;more&gt;" in "".join(mrkdwn) and "<more>" not in "".join(mrkdwn)


def test_notices_home_and_command_answers() -> None:
    assert view_problems(build_notice_modal(RENDERER, text="x" * 2900)) == []
    items = [
        HomeRetro(make_retro(), "North", LONDON, True),
        HomeRetro(make_retro(RetroStatus.VOTING), "South", LONDON, False),
    ]
    section = build_home_section(RENDERER, items=items)
    text = shown(section)
    assert "you've reflected" in text and "vote by Monday 8 June" in text
    assert build_home_section(RENDERER, items=[]) == []
    answer = build_command_answer("No retrospective open.", more={"blocks": [{"type": "divider"}]})
    assert message_problems(answer) == [] and answer["blocks"][-1] == {"type": "divider"}


def test_the_health_radar() -> None:
    health = [
        HealthFigure(q, 5, 3.0 + i / 3, None if i == 2 else 3.5) for i, q in enumerate(QUESTIONS)
    ]
    assert has_chart(health) and not has_chart(health[:2])
    assert not has_chart([HealthFigure(q, 2, None, 3.0) for q in QUESTIONS])
    png = health_radar(RENDERER, health, team_name="North")
    assert png.startswith(b"\x89PNG") and len(png) > 10_000
