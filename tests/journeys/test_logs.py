"""Nothing people typed, and nobody who gave anonymous feedback, ever reaches a log line.

A week's journey through the real app over signed HTTP, with every logger (Bolt's, slack_sdk's,
SQLAlchemy's, the stand-in's, ours) recording DEBUG: a tension, named and anonymous feedback,
check-ins with a story shared and one kept from the team, and a tension and feedback the
database fails. Then every log line, traceback included, is searched for each text typed and
for the anonymous giver's user id and DM channel.
"""

from __future__ import annotations

import logging
import traceback
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text

from bot.checkins import usecases as checkins
from bot.core import ids
from bot.core.config import AppConfig
from bot.services import Services
from bot.slack import pacing
from bot.slack.pacing import Pace
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from tests.conftest import ANA, BEN, CARA, COACH, DEV, SHARED
from tests.journeys.steps import click_for_view, command_for_view, submit_and_settle

OPENS = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
METRIC = f"{ids.numbered_block(ids.CHECKIN_METRIC_BLOCK, 'visits')}.{ids.CHECKIN_METRIC_ACTION}"
ANONYMOUS_GIVER = DEV  # does nothing else in the journey, so any mention of them is a leak

TENSION = "Typed-tension: the Friday handover runs late"
TENSION_AREA = "Typed-area: handovers"
PRIVATE_TENSION = "Typed-private: lone working at night frightens me"
NAMED_FEEDBACK = "Typed-named: thank you for covering my visits"
ANONYMOUS_FEEDBACK = "Typed-anonymous: you always make time for new starters"
NOTE = "Typed-note: tired but here"
SHARED_STORY = "Typed-shared-story: Mrs K walked to the shop"
UNSHARED_STORY = "Typed-unshared-story: I cried in the car after the visit"
REFUSED_TENSION = "Typed-refused-tension: the database will not take this one"
REFUSED_FEEDBACK = "Typed-refused-feedback: nor this one"
TYPED = [
    TENSION,
    TENSION_AREA,
    PRIVATE_TENSION,
    NAMED_FEEDBACK,
    ANONYMOUS_FEEDBACK,
    NOTE,
    SHARED_STORY,
    UNSHARED_STORY,
    REFUSED_TENSION,
    REFUSED_FEEDBACK,
]


@pytest.fixture
def everything_at_debug(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger records DEBUG, for this test only."""
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    levels = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.NOTSET)
    caplog.set_level(logging.DEBUG)
    yield caplog
    for logger, level in levels:
        logger.setLevel(level)


def logged(caplog: pytest.LogCaptureFixture) -> str:
    """Every log line as a handler would write it, tracebacks and their causes included."""
    lines = []
    for record in caplog.records:
        lines.append(f"{record.name} {record.getMessage()}")
        if record.exc_info and record.exc_info[1] is not None:
            lines.append("".join(traceback.format_exception(record.exc_info[1])))
    return "\n".join(lines)


def raise_tension(
    slack: SlackSender, fake: FakeSlack, user: str, values: dict[str, object]
) -> None:
    view = command_for_view(slack, fake, "/tension", user)
    before = len(fake.dms(user))
    answer = slack.submit_view(view, user_id=user, values=values)
    assert answer.status == 200 and not answer.body.strip(), answer.body
    fake.wait_for(lambda: len(fake.dms(user)) > before)  # its confirmation


def give_feedback(
    slack: SlackSender, fake: FakeSlack, giver: str, receiver: str, typed: str, **fields: object
) -> None:
    view = command_for_view(slack, fake, ids.FEEDBACK_COMMAND, giver)
    values = {ids.FEEDBACK_RECEIVERS_ACTION: [receiver], ids.FEEDBACK_TEXT_ACTION: typed}
    submit_and_settle(slack, fake, view, giver, values | fields)


def check_in(slack: SlackSender, fake: FakeSlack, user: str, values: dict[str, object]) -> None:
    # The round's DM is the newest: CARA has had feedback before it.
    dm = fake.wait_for(lambda: fake.dms(user))[-1]
    view = click_for_view(slack, fake, dm, ids.CHECKIN_OPEN, user)
    answer = slack.submit_view(view, user_id=user, values=values)
    assert answer.status == 200 and not answer.body.strip(), answer.body


def refuse(services: Services, table: str) -> None:
    """Make the database itself fail every new row of ``table``, as a half-done migration
    would: the statement fails, with what was typed among its parameters."""
    missing = "refused_for_the_test"
    with services.engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            connection.execute(
                text(
                    f"CREATE FUNCTION refuse_{table}() RETURNS trigger AS $$ BEGIN "
                    f"INSERT INTO {missing} VALUES (1); RETURN NEW; END $$ LANGUAGE plpgsql"
                )
            )
            connection.execute(
                text(
                    f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
                    f"FOR EACH ROW EXECUTE FUNCTION refuse_{table}()"
                )
            )
        else:
            connection.execute(
                text(
                    f"CREATE TRIGGER refuse_{table} BEFORE INSERT ON {table} "
                    f"BEGIN INSERT INTO {missing} VALUES (1); END"
                )
            )


def test_nothing_typed_and_no_anonymous_giver_reaches_the_logs(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    config: AppConfig,
    everything_at_debug: pytest.LogCaptureFixture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    caplog = everything_at_debug
    config.organisation.anonymous_feedback = True
    monkeypatch.setattr(pacing, "PACE", Pace(10_000, 1_000))
    services.clock = lambda: OPENS

    typed = {ids.TENSION_TEXT_ACTION: TENSION, ids.TENSION_AREA_ACTION: TENSION_AREA}
    raise_tension(slack, fake_slack, ANA, typed)
    private = {ids.TENSION_PRIVATE_ACTION: [ids.TENSION_PRIVATE_VALUE]}
    raise_tension(slack, fake_slack, BEN, {ids.TENSION_TEXT_ACTION: PRIVATE_TENSION} | private)
    fake_slack.wait_for(lambda: fake_slack.dms(COACH))

    give_feedback(slack, fake_slack, BEN, CARA, NAMED_FEEDBACK)
    give_feedback(
        slack,
        fake_slack,
        ANONYMOUS_GIVER,
        BEN,
        ANONYMOUS_FEEDBACK,
        **{ids.FEEDBACK_ANONYMOUS_ACTION: [ids.FEEDBACK_ANONYMOUS_VALUE]},
    )
    fake_slack.wait_for(lambda: len(fake_slack.dms(BEN)) >= 1)

    checkins.send_round(services, team_id="north")
    shared = {ids.CHECKIN_NOTE_ACTION: NOTE, ids.CHECKIN_STORY_ACTION: SHARED_STORY}
    check_in(slack, fake_slack, CARA, {ids.CHECKIN_MOOD_ACTION: "4", METRIC: "7"} | shared)
    kept = {ids.CHECKIN_STORY_ACTION: UNSHARED_STORY, ids.CHECKIN_SHARE_ACTION: []}
    check_in(slack, fake_slack, SHARED, {ids.CHECKIN_MOOD_ACTION: "2", METRIC: "3"} | kept)

    # The database fails: a tension (kept in its modal, to try again) and feedback (logged with
    # its traceback, and the giver told something went wrong).
    refuse(services, "tension")
    refuse(services, "feedback")
    view = command_for_view(slack, fake_slack, "/tension", ANA)
    answer = slack.submit_view(view, user_id=ANA, values={ids.TENSION_TEXT_ACTION: REFUSED_TENSION})
    assert answer.json is not None and answer.json["response_action"] == "errors", answer.body
    view = command_for_view(slack, fake_slack, ids.FEEDBACK_COMMAND, CARA)
    before = len(fake_slack.dms(CARA))
    values = {ids.FEEDBACK_RECEIVERS_ACTION: [ANA], ids.FEEDBACK_TEXT_ACTION: REFUSED_FEEDBACK}
    slack.submit_view(view, user_id=CARA, values=values)
    sorry = fake_slack.wait_for(lambda: fake_slack.dms(CARA)[before:])[0]
    assert "went wrong" in sorry.all_text
    fake_slack.wait_quiet()

    lines = logged(caplog)
    assert len(caplog.records) > 50, "DEBUG logging should have recorded the journey"
    failures = [
        r for r in caplog.records if r.exc_info and "refused_for_the_test" in str(r.exc_info[1])
    ]
    assert failures, "the database's refusal should have been logged, with its traceback"
    assert [typed for typed in TYPED if typed in lines] == []
    # Not even a word of it: Slack's bodies, escaped or re-encoded, are not logged either.
    assert "Typed-" not in lines
    assert ANONYMOUS_GIVER not in lines
    assert fake_slack.dm_channel(ANONYMOUS_GIVER) not in lines
