"""A team whose people come from a Slack user group: once a check-in round has read the group,
its people can do everything a listed member can — raise tensions, post and triage the agenda,
own actions — and someone who leaves the group can no longer.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlmodel import select

from bot.checkins import usecases as checkins
from bot.checkins.model import Roster
from bot.checkins.rounds import sync_roster
from bot.core import ids
from bot.core.config import AppConfig, parse_config
from bot.services import Services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from storage.models import OutcomeKind, Tension
from tests.conftest import COACH, TEST_APP_YAML
from tests.journeys.steps import command_for_view, newest_ephemeral
from tests.journeys.tactical_steps import triage

EAST_CHANNEL, EAST_GROUP = "C0EAST", "S0EAST"
EVA, FIN, GUS = "U0EVA", "U0FIN", "U0GUS"
OPENS = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)  # Monday 10:00 in London: rounds open


@pytest.fixture
def config() -> AppConfig:
    """The test organisation, and East: no one listed, everyone from its user group."""
    east = f"""  - id: east
    name: East Neighbourhood Team
    channel: {EAST_CHANNEL}
    usergroup: {EAST_GROUP}
    coaches: [{COACH}]
"""
    return parse_config(TEST_APP_YAML + east, source="test-app.yaml")


@pytest.fixture
def east(services: Services, fake_slack: FakeSlack) -> Services:
    """East's user group in Slack, and the check-in round that reads it."""
    services.clock = lambda: OPENS
    for user_id, name in [(EVA, "Eva"), (FIN, "Fin"), (GUS, "Gus")]:
        fake_slack.add_user(user_id, name=name)
    fake_slack.add_channel(EAST_CHANNEL, members=[EVA, FIN, GUS])
    fake_slack.add_usergroup(EAST_GROUP, [EVA, FIN, GUS])
    checkins.send_round(services, team_id="east")
    return services


def test_people_of_the_group_raise_tensions_post_and_triage_the_agenda(
    east: Services, fake_slack: FakeSlack, slack: SlackSender
) -> None:
    view = command_for_view(slack, fake_slack, ids.TENSION_COMMAND, EVA, channel_id=EAST_CHANNEL)
    answer = slack.submit_view(
        view, user_id=EVA, values={ids.TENSION_TEXT_ACTION: "The east rota is never up to date"}
    )
    assert answer.status == 200 and not (answer.json or {}).get("errors")
    fake_slack.wait_for(lambda: fake_slack.dms(EVA))

    told = len(fake_slack.ephemerals(FIN))
    slack.command(ids.TACTICAL_COMMAND, user_id=FIN, channel_id=EAST_CHANNEL)
    assert "agenda" in newest_ephemeral(fake_slack, FIN, told).text.lower()
    agenda = fake_slack.wait_for(
        lambda: next(
            (m for m in fake_slack.messages(EAST_CHANNEL) if "never up to date" in m.all_text),
            None,
        )
    )
    with east.session() as session:
        raised = session.exec(select(Tension)).one()
    assert raised.id is not None
    done = triage(slack, fake_slack, GUS, agenda, raised.id, outcome="next_action", owner=EVA)
    assert done.status == 200 and not (done.json or {}).get("errors")
    fake_slack.wait_for(lambda: len(fake_slack.dms(EVA)) >= 2)  # the owner's DM
    with east.session() as session:
        tension = session.exec(select(Tension)).one()
    assert (tension.team_id, tension.raised_by) == ("east", EVA)
    assert (tension.outcome, tension.owner) == (OutcomeKind.NEXT_ACTION, EVA)


def test_someone_who_left_the_group_is_refused_once_it_is_read_again(
    east: Services, fake_slack: FakeSlack, slack: SlackSender
) -> None:
    command_for_view(slack, fake_slack, ids.TENSION_COMMAND, GUS, channel_id=EAST_CHANNEL)

    fake_slack.add_usergroup(EAST_GROUP, [EVA, FIN])  # Gus moved to another team
    checkins.send_round(east, team_id="east")
    east.keep_rosters_fresh()

    answer = slack.command(ids.TENSION_COMMAND, "hello", user_id=GUS, channel_id=EAST_CHANNEL)
    assert "not in a retrobot team yet" in (answer.json or {}).get("text", "")
    assert [t.id for t in east.config.teams_of(EVA)] == ["east"]
    assert east.config.teams_of(GUS) == []


def test_other_processes_learn_the_group_within_a_minute(
    east: Services, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert [t.id for t in east.config.teams_of(FIN)] == ["east"]
    listed = east.config.find_team("east")
    assert listed is not None and listed.usergroup == EAST_GROUP
    # Another process (the scheduler) reads the group again; this one rereads the database.
    with east.session() as session:
        sync_roster(
            session,
            team=listed,
            roster=Roster([(EVA, None, None)]),
        )
    east.keep_rosters_fresh()
    assert east.config.teams_of(FIN) != []  # not a minute yet: nothing is reread
    monkeypatch.setattr("bot.services.ROSTER_REFRESH_SECONDS", 0.0)
    east.keep_rosters_fresh()
    assert east.config.teams_of(FIN) == [] and [t.id for t in east.config.teams_of(EVA)] == ["east"]
