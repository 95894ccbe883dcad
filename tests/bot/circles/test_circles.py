"""Circles: app.yaml's circles checked by file, line and key; a circle is a team whose members
are its teams' representatives; its decisions reach every member team's channel once; its
teams' issues in common are counted without naming anybody."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from bot.agenda.service import post_agenda
from bot.checkins import usecases as checkins
from bot.circles import usecases as circles
from bot.core.config import AppConfig, parse_config
from bot.core.errors import ConfigError
from bot.roles import usecases as roles
from bot.roles.model import ChangeKind, RoleChangeRequest
from bot.services import Services
from bot.standin.web_api import FakeSlack
from tests.bot.circles.organisation import (
    CIRCLES_APP_YAML,
    EAST_CHANNEL,
    EVE,
    FAY,
    TRAINING_CHANNEL,
)
from tests.conftest import ANA, BEN, DEV, NORTH_CHANNEL, SAM, SHARED, SOUTH_CHANNEL
from tests.journeys.tactical_steps import seed_tensions

# The circle meets on Wednesdays at 13:00 London; its check-in opens a day before.
TUESDAY = datetime(2026, 6, 2, 14, 0, tzinfo=UTC)


def problems(text: str) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        parse_config(text, source="app.yaml")
    return raised.value.problems


def line_of(text: str, fragment: str) -> int:
    """The last line holding ``fragment`` (a circle comes after the teams)."""
    return max(n for n, line in enumerate(text.splitlines(), 1) if fragment in line)


def test_a_circle_is_read_and_is_a_team_too(config: AppConfig) -> None:
    [training] = config.circles
    assert training.teams == ["north", "south", "east"]
    assert training.domain == ["The training programme", "The training budget"]
    team = config.team("training")  # its id works wherever a team's does
    assert (team.name, team.channel, team.tactical.day) == (
        "Training circle",
        TRAINING_CHANNEL,
        "wednesday",
    )
    assert team.timezone == "Europe/London"  # from defaults:, as a team's
    assert [c.id for c in config.circles_of("south")] == ["training"]


def test_circle_mistakes_are_named_by_file_line_and_key() -> None:
    text = (
        CIRCLES_APP_YAML.replace("teams: [north, south, east]", "teams: [north, west]")
        .replace("representatives: rep-training", "representatives: rep-budget")
        .replace("  - id: training", "  - id: south")
    )
    assert problems(text) == [
        f"app.yaml:{line_of(text, '  - id: south')}: circles[0].id: 'south' is a team's id "
        "too; give the circle its own",
        f"app.yaml:{line_of(text, 'teams: [north, west]')}: circles[0].teams[1]: no team 'west' "
        "(teams are: north, south, east)",
        f"app.yaml:{line_of(text, 'rep-budget')}: circles[0].representatives: no member team "
        "has a role 'rep-budget': each team fills it to sit in the circle (add it to the teams' "
        "roles:)",
    ]
    one = CIRCLES_APP_YAML.replace("teams: [north, south, east]", "teams: [north]")
    assert any("circles[0].teams: a circle links at least two teams" in p for p in problems(one))


def test_the_circles_members_are_the_representatives(services: Services) -> None:
    roles.ensure_seeded(services)
    assert services.config.team("training").member_ids == [DEV, SAM, EVE]
    assert [t.id for t in services.config.teams_of(EVE)] == ["east", "training"]
    assert [t.id for t in services.config.teams_of(FAY)] == ["east"]
    # A decision gives East's seat to Fay: the next roles job makes her the member.
    with services.session() as session:
        roles.apply_role_change(
            session,
            team_id="east",
            change=RoleChangeRequest(ChangeKind.ASSIGN, "rep-training", holders=(FAY,)),
            decision_id=7,
            now=TUESDAY,
        )
    circles.run_circle_jobs(services, now=TUESDAY)
    assert services.config.team("training").member_ids == [DEV, SAM, FAY]
    assert [t.id for t in services.config.teams_of(EVE)] == ["east"]


def test_the_circles_checkin_goes_to_its_representatives(
    services: Services, fake_slack: FakeSlack
) -> None:
    roles.ensure_seeded(services)
    checkins.send_round(services, team_id="training", now=TUESDAY)
    fake_slack.wait_quiet()
    for rep in (DEV, SAM, EVE):
        assert len(fake_slack.dms(rep)) == 1, rep
    assert fake_slack.dms(ANA) == [] and fake_slack.dms(FAY) == []


def test_a_circle_decision_is_posted_to_every_member_teams_channel_once(
    services: Services, fake_slack: FakeSlack
) -> None:
    text = "Everyone does the <!channel> moving-and-handling refresher by March"
    sent = circles.post_circle_decision(services, circle_id="training", decision_id=42, text=text)
    assert [d.recipient for d in sent] == [NORTH_CHANNEL, SOUTH_CHANNEL, EAST_CHANNEL]
    for channel, team_name in (
        (NORTH_CHANNEL, "North Neighbourhood Team"),
        (SOUTH_CHANNEL, "South Neighbourhood Team"),
        (EAST_CHANNEL, "East Team"),
    ):
        [message] = fake_slack.messages(channel)
        assert "*Training circle* decided, on behalf of its teams" in message.all_text
        assert f"({team_name} among them)" in message.all_text
        assert "&lt;!channel&gt; moving-and-handling refresher" in message.all_text
        assert "<!channel>" not in json.dumps(message.blocks) + message.text
    again = circles.post_circle_decision(services, circle_id="training", decision_id=42, text=text)
    assert again == [] and len(fake_slack.messages(NORTH_CHANNEL)) == 1


def test_issues_in_common_need_three_teams_and_name_nobody(
    services: Services, fake_slack: FakeSlack
) -> None:
    seed_tensions(services, ["North's mileage words"], area="Mileage claims", raised_by=ANA)
    seed_tensions(
        services, ["South's secret words"], area="mileage claims ", team_id="south", raised_by=SAM
    )
    assert circles.issues_for(services, circle_id="training") == []  # two teams: not yet
    seed_tensions(
        services,
        ["East's private words"],
        area="Mileage claims",
        team_id="east",
        raised_by=EVE,
        private=True,
    )
    assert circles.issues_for(services, circle_id="training") == []  # a private one counts not
    seed_tensions(services, ["East's words"], area="MILEAGE CLAIMS", team_id="east", raised_by=FAY)
    [issue] = circles.issues_for(services, circle_id="training")
    assert (issue.teams, issue.tensions) == (3, 3)
    assert issue.label.lower() == "mileage claims"

    roles.ensure_seeded(services)
    assert not circles.post_issues_in_common(services, circle_id="training", now=TUESDAY)
    post_agenda(services, team_id="training", now=TUESDAY)  # the circle's agenda is out
    assert circles.post_issues_in_common(services, circle_id="training", now=TUESDAY)
    assert not circles.post_issues_in_common(services, circle_id="training", now=TUESDAY)
    [reply] = [m for m in fake_slack.messages(TRAINING_CHANNEL) if m.thread_ts]
    text = reply.all_text
    assert "*Issues in common* · Training circle" in text
    assert "open tensions in 3 teams (3 tensions)" in text
    for word in ("<@", "words", ANA, SAM, EVE, FAY, BEN, SHARED):
        assert word not in text


def test_the_digest_line_of_issues_in_common_is_escaped_and_names_nobody() -> None:
    from bot.circles.model import CommonIssue
    from prompts import Renderer

    line = Renderer().say(
        "circles.digest_issues",
        issues=[CommonIssue("Mileage <!here>", 3, 4), CommonIssue("Rota organiser", 4, 5)],
    )
    assert line == "Mileage &lt;!here&gt; (3 teams), Rota organiser (4 teams)"
