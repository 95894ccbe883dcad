"""Peer feedback, end to end: signed requests dispatched in-process to the real app, the Slack
stand-in.

Giving (prefilled, to several people, with values, shared, anonymous or not), thanks and
private replies, asking for feedback with its one reminder, who sees what, and the limits.
"""

from __future__ import annotations

import json
import logging
import urllib.parse
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from freezegun import freeze_time
from sqlmodel import select

from bot.core import ids
from bot.core.config import AppConfig
from bot.feedback.delivery import send_feedback_reminders
from bot.services import Services
from bot.standin.sender import Response, SlackSender
from bot.standin.web_api import FakeSlack, Message
from storage import queries
from storage.models import Feedback, FeedbackKind, FeedbackRequestRecipient, ProcessedEvent
from tests.conftest import (
    ANA,
    BEN,
    CARA,
    COACH,
    DEV,
    NORTH_CHANNEL,
    OUTSIDER,
    SAM,
    SOUTH_CHANNEL,
    SOUTH_COACH,
)
from tests.journeys.steps import (
    click_for_view,
    command_for_view,
    element,
    homes_published,
    new_dm,
    open_home,
    submit_and_settle,
)

APP_USER = "U0WORKFLOW"
# --- helpers ----------------------------------------------------------------------------------


def open_modal(
    slack: SlackSender, fake: FakeSlack, user_id: str, text: str = "", channel: str = NORTH_CHANNEL
) -> dict:
    """`/feedback text` as ``user_id``; the modal it opens."""
    return command_for_view(slack, fake, ids.FEEDBACK_COMMAND, user_id, text, channel)


def give(
    slack: SlackSender,
    fake: FakeSlack,
    giver: str,
    receivers: list[str],
    text: str,
    **fields: Any,
) -> Response:
    """Open the modal as ``giver`` and submit it; ``fields`` are other action ids and values."""
    view = open_modal(slack, fake, giver)
    values = {ids.FEEDBACK_RECEIVERS_ACTION: receivers, ids.FEEDBACK_TEXT_ACTION: text, **fields}
    return slack.submit_view(view, user_id=giver, values=values)


def given_and_delivered(
    slack: SlackSender, fake: FakeSlack, giver: str, receivers: list[str], text: str, **fields: Any
) -> Message:
    """Give feedback that is accepted; the giver's confirmation DM, once all is delivered."""
    before, published = len(fake.dms(giver)), homes_published(fake, giver)
    answer = give(slack, fake, giver, receivers, text, **fields)
    assert answer.status == 200 and not answer.body.strip(), answer.body
    fake.wait_for(lambda: homes_published(fake, giver) > published)  # the handler's last step
    return new_dm(fake, giver, before)


def stored_feedback(services: Services) -> list[Feedback]:
    with services.session() as session:
        return list(session.exec(select(Feedback).order_by(Feedback.id)))


def block_ids(view: dict) -> set[str]:
    return {b.get("block_id") for b in view["blocks"]}


def shown(message: Message) -> str:
    """Everything a message shows, raw (mentions as <@U…>), for privacy assertions."""
    return message.text + json.dumps(message.blocks)


def home_of(slack: SlackSender, fake: FakeSlack, user_id: str) -> str:
    """Open the person's Home tab; everything it shows, as JSON text."""
    return json.dumps(open_home(slack, fake, user_id))


# --- giving -----------------------------------------------------------------------------------


def test_the_command_prefills_the_person_and_the_words(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    view = open_modal(slack, fake_slack, ANA, "<@U0BEN|ben> Thanks for covering Friday & more")
    assert view["callback_id"] == ids.FEEDBACK_MODAL
    assert element(view, ids.FEEDBACK_RECEIVERS_BLOCK)["initial_users"] == [BEN]
    assert (
        element(view, ids.FEEDBACK_TEXT_BLOCK)["initial_value"]
        == "Thanks for covering Friday & more"
    )
    assert ids.FEEDBACK_ANONYMOUS_BLOCK not in block_ids(view)  # app.yaml does not allow it

    submit_and_settle(slack, fake_slack, view, ANA, {})

    dm = fake_slack.wait_for(lambda: fake_slack.dms(BEN))[-1]
    assert f"<@{ANA}> appreciates you" in dm.all_text
    assert "Thanks for covering Friday &amp; more" in dm.all_text
    buttons = [e["action_id"] for b in dm.blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [ids.FEEDBACK_THANKS, ids.FEEDBACK_OPEN_REPLY]
    confirmation = fake_slack.wait_for(lambda: fake_slack.dms(ANA))[-1]
    assert f"Your appreciation reached <@{BEN}>" in confirmation.all_text
    [row] = stored_feedback(services)
    assert (row.giver, row.receiver, row.kind, row.team_id, row.shared, row.anonymous) == (
        ANA,
        BEN,
        FeedbackKind.APPRECIATION,
        "north",
        False,
        False,
    )
    assert row.dm_ts == dm.ts and row.dm_channel == dm.channel
    assert fake_slack.messages(NORTH_CHANNEL) == []  # not shared


def test_several_people_values_and_sharing_post_one_message_per_team_channel(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    confirmation = given_and_delivered(
        slack,
        fake_slack,
        ANA,
        [BEN, CARA, SAM],
        "You kept the clinic calm during the outage",
        **{
            ids.FEEDBACK_VALUES_ACTION: ["Compassion", "Courage"],
            ids.FEEDBACK_SHARE_ACTION: [ids.FEEDBACK_SHARE_VALUE],
        },
    )
    rows = stored_feedback(services)
    assert [(r.receiver, r.team_id, r.values, r.shared) for r in rows] == [
        (BEN, "north", ["Compassion", "Courage"], True),
        (CARA, "north", ["Compassion", "Courage"], True),
        (SAM, "south", ["Compassion", "Courage"], True),
    ]
    for person in (BEN, CARA, SAM):
        dm = fake_slack.wait_for(lambda person=person: fake_slack.dms(person))[-1]
        assert "Showing *Compassion* and *Courage*" in dm.all_text
        assert "also shared it with your team" in dm.all_text
    [north] = fake_slack.messages(NORTH_CHANNEL)
    assert f"<@{ANA}> appreciates <@{BEN}> and <@{CARA}>, showing *Compassion*" in north.all_text
    [south] = fake_slack.messages(SOUTH_CHANNEL)
    assert f"appreciates <@{SAM}>" in south.all_text and BEN not in south.all_text
    assert f"<#{NORTH_CHANNEL}> and <#{SOUTH_CHANNEL}>" in confirmation.all_text


def test_a_suggestion_is_never_shared(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    answer = give(
        slack,
        fake_slack,
        ANA,
        [BEN],
        "Try writing the handover notes before the call",
        **{
            ids.FEEDBACK_KIND_ACTION: FeedbackKind.SUGGESTION,
            ids.FEEDBACK_SHARE_ACTION: [ids.FEEDBACK_SHARE_VALUE],
        },
    )
    assert answer.json is not None
    assert "Only appreciations are shared" in answer.json["errors"][ids.FEEDBACK_SHARE_BLOCK]
    assert stored_feedback(services) == [] and fake_slack.dms(BEN) == []

    given_and_delivered(
        slack,
        fake_slack,
        ANA,
        [BEN],
        "Try writing the handover notes before the call",
        **{ids.FEEDBACK_KIND_ACTION: FeedbackKind.SUGGESTION},
    )
    dm = fake_slack.wait_for(lambda: fake_slack.dms(BEN))[-1]
    assert f"A suggestion from <@{ANA}>" in dm.all_text
    assert fake_slack.messages(NORTH_CHANNEL) == []


def test_anonymous_feedback_stores_no_giver_anywhere(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    config: AppConfig,
    caplog: pytest.LogCaptureFixture,
) -> None:
    config.organisation.anonymous_feedback = True
    caplog.set_level(logging.INFO)
    # Slack refuses the giver's own confirmation: even that failure must not name the giver.
    fake_slack.fail_next("chat.postMessage", "user_disabled", when=lambda a: a["channel"] == ANA)
    view = open_modal(slack, fake_slack, ANA)
    assert ids.FEEDBACK_ANONYMOUS_BLOCK in block_ids(view)
    submit_and_settle(
        slack,
        fake_slack,
        view,
        ANA,
        {
            ids.FEEDBACK_RECEIVERS_ACTION: [BEN],
            ids.FEEDBACK_TEXT_ACTION: "You always make time for new starters",
            ids.FEEDBACK_SHARE_ACTION: [ids.FEEDBACK_SHARE_VALUE],
            ids.FEEDBACK_ANONYMOUS_ACTION: [ids.FEEDBACK_ANONYMOUS_VALUE],
        },
    )
    dm = fake_slack.wait_for(lambda: fake_slack.dms(BEN))[-1]
    assert "An anonymous appreciation for you" in dm.all_text
    assert ANA not in shown(dm)
    buttons = [e["action_id"] for b in dm.blocks if b["type"] == "actions" for e in b["elements"]]
    assert buttons == [ids.FEEDBACK_THANKS]  # nobody to reply to
    [channel] = fake_slack.wait_for(lambda: fake_slack.messages(NORTH_CHANNEL))
    assert "Someone appreciates" in channel.all_text and ANA not in shown(channel)
    fake_slack.wait_for(
        lambda: [c for c in fake_slack.calls_to("chat.postMessage") if c.args["channel"] == ANA]
    )

    [row] = stored_feedback(services)
    assert (row.giver, row.anonymous, row.team_id) == (None, True, "north")
    with services.session() as session:
        for table in (Feedback, ProcessedEvent):
            for stored in session.exec(select(table)):
                assert ANA not in json.dumps(stored.model_dump(), default=str)
    assert not [r for r in caplog.records if ANA in r.getMessage()]

    # Thanks for anonymous feedback is recorded, and nobody is told.
    ana_dms = len(fake_slack.dms(ANA))
    slack.click(dm, ids.FEEDBACK_THANKS, user_id=BEN)
    updated = fake_slack.wait_for(lambda: fake_slack.updates(dm.channel))[-1]
    assert "The giver is anonymous, so nobody is told" in updated.all_text
    assert len(fake_slack.dms(ANA)) == ana_dms


def test_anonymity_cannot_be_forced_where_app_yaml_does_not_allow_it(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, config: AppConfig
) -> None:
    config.organisation.anonymous_feedback = True
    view = open_modal(slack, fake_slack, ANA)
    config.organisation.anonymous_feedback = False  # the admin turned it off meanwhile
    answer = slack.submit_view(
        view,
        user_id=ANA,
        values={
            ids.FEEDBACK_RECEIVERS_ACTION: [BEN],
            ids.FEEDBACK_TEXT_ACTION: "Thank you",
            ids.FEEDBACK_ANONYMOUS_ACTION: [ids.FEEDBACK_ANONYMOUS_VALUE],
        },
    )
    assert answer.json is not None
    assert "doesn't use anonymous feedback" in answer.json["errors"][ids.FEEDBACK_ANONYMOUS_BLOCK]
    assert stored_feedback(services) == []


# --- thanks and replies -------------------------------------------------------------------------


def test_thanks_round_trip_tells_the_giver_once(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    given_and_delivered(slack, fake_slack, ANA, [BEN], "Great care plan review")
    dm = fake_slack.wait_for(lambda: fake_slack.dms(BEN))[-1]
    ana_dms = len(fake_slack.dms(ANA))

    slack.click(dm, ids.FEEDBACK_THANKS, user_id=BEN)
    note = new_dm(fake_slack, ANA, ana_dms)
    assert f"<@{BEN}> thanked you for your appreciation" in note.all_text
    assert "Great care plan review" in note.all_text
    updated = fake_slack.wait_for(lambda: fake_slack.message(dm.channel, dm.ts))
    fake_slack.wait_for(lambda: "You said thanks" in fake_slack.message(dm.channel, dm.ts).all_text)
    updated = fake_slack.message(dm.channel, dm.ts)
    assert updated is not None and f"<@{ANA}> has been told" in updated.all_text
    assert not [b for b in updated.blocks if b["type"] == "actions"]

    updates = len(fake_slack.updates(dm.channel))
    slack.click(dm, ids.FEEDBACK_THANKS, user_id=BEN)  # a second click on the old message
    fake_slack.wait_for(lambda: len(fake_slack.updates(dm.channel)) > updates)
    assert len(fake_slack.dms(ANA)) == ana_dms + 1
    [row] = stored_feedback(services)
    assert row.thanked_at is not None


def test_only_the_receiver_can_thank(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    given_and_delivered(slack, fake_slack, ANA, [BEN], "Great care plan review")
    dm = fake_slack.wait_for(lambda: fake_slack.dms(BEN))[-1]
    cara_dms = len(fake_slack.dms(CARA))
    slack.click(dm, ids.FEEDBACK_THANKS, user_id=CARA)
    note = new_dm(fake_slack, CARA, cara_dms)
    assert "Only the person who received this feedback" in note.all_text
    assert stored_feedback(services)[0].thanked_at is None


def test_a_private_reply_reaches_the_giver_and_is_not_stored(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    given_and_delivered(slack, fake_slack, ANA, [BEN], "Thanks for the lift to the clinic")
    dm = fake_slack.wait_for(lambda: fake_slack.dms(BEN))[-1]
    modal = click_for_view(slack, fake_slack, dm, ids.FEEDBACK_OPEN_REPLY, BEN)
    assert modal["callback_id"] == ids.FEEDBACK_REPLY_MODAL

    flagged = slack.submit_view(
        modal, user_id=BEN, values={ids.FEEDBACK_REPLY_ACTION: "Mrs K (NHS 943 476 5919) too"}
    )
    assert flagged.json is not None
    assert "NHS number" in flagged.json["errors"][ids.FEEDBACK_REPLY_BLOCK]

    ana_dms, ben_dms = len(fake_slack.dms(ANA)), len(fake_slack.dms(BEN))
    slack.submit_view(modal, user_id=BEN, values={ids.FEEDBACK_REPLY_ACTION: "Any time <!here>"})
    note = new_dm(fake_slack, ANA, ana_dms)
    assert f"<@{BEN}> replied privately" in note.all_text
    assert "Any time &lt;!here&gt;" in note.all_text and "<!here>" not in shown(note)
    assert "on its way" in new_dm(fake_slack, BEN, ben_dms).all_text
    assert "Any time" not in json.dumps(
        [r.model_dump() for r in stored_feedback(services)], default=str
    )


# --- asking for feedback ----------------------------------------------------------------------


def test_request_reminder_and_answer(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    # Monday 1 June 2026, 10:00 in London; the feedback is wanted by Friday 5 June.
    with freeze_time(datetime(2026, 6, 1, 9, 0, tzinfo=UTC)) as clock:
        asking = "request <@U0BEN|ben> <@U0CARA|cara> How I ran Tuesday's handover"
        modal = open_modal(slack, fake_slack, ANA, asking)
        assert modal["callback_id"] == ids.FEEDBACK_REQUEST_MODAL
        assert element(modal, ids.FEEDBACK_ASKED_BLOCK)["initial_users"] == [BEN, CARA]
        assert element(modal, ids.FEEDBACK_DUE_BLOCK)["initial_date"] == "2026-06-08"
        assert (
            element(modal, ids.FEEDBACK_ABOUT_BLOCK)["initial_value"]
            == "How I ran Tuesday's handover"
        )
        ana_dms = len(fake_slack.dms(ANA))
        submit_and_settle(slack, fake_slack, modal, ANA, {ids.FEEDBACK_DUE_ACTION: "2026-06-05"})
        confirmation = new_dm(fake_slack, ANA, ana_dms)
        assert f"You asked <@{BEN}> and <@{CARA}> for feedback by *Fri 5 Jun*" in (
            confirmation.all_text
        )
        ask = fake_slack.wait_for(lambda: fake_slack.dms(BEN))[-1]
        assert f"<@{ANA}> would like your feedback by *Fri 5 Jun*" in ask.all_text
        assert "How I ran Tuesday's handover" in ask.all_text
        cara_ask = fake_slack.wait_for(lambda: fake_slack.dms(CARA))[-1]

        # Cara answers on Wednesday, from the button in her DM.
        clock.move_to(datetime(2026, 6, 3, 12, 0, tzinfo=UTC))
        cara_modal = click_give_feedback(slack, fake_slack, cara_ask, CARA)
        assert element(cara_modal, ids.FEEDBACK_RECEIVERS_BLOCK)["initial_users"] == [ANA]
        assert "How I ran Tuesday" in json.dumps(cara_modal["blocks"][0])
        assert ids.FEEDBACK_ANONYMOUS_BLOCK not in block_ids(cara_modal)
        ana_dms = len(fake_slack.dms(ANA))
        submit_and_settle(
            slack,
            fake_slack,
            cara_modal,
            CARA,
            {ids.FEEDBACK_TEXT_ACTION: "Clear, calm, and everyone spoke"},
        )
        answer_dm = new_dm(fake_slack, ANA, ana_dms)
        assert "In answer to your request" in answer_dm.all_text

        # Thursday: nothing before 09:00, then Ben (only) is reminded, once.
        assert send_feedback_reminders(services, now=datetime(2026, 6, 4, 7, 30, tzinfo=UTC)) == 0
        ben_dms = len(fake_slack.dms(BEN))
        clock.move_to(datetime(2026, 6, 4, 8, 5, tzinfo=UTC))  # 09:05 in London
        assert send_feedback_reminders(services, now=datetime.now(UTC)) == 1
        reminder = new_dm(fake_slack, BEN, ben_dms)
        assert "A gentle reminder" in reminder.all_text
        assert "by *tomorrow, Fri 5 Jun*" in reminder.all_text
        clock.move_to(datetime(2026, 6, 4, 9, 5, tzinfo=UTC))
        assert send_feedback_reminders(services, now=datetime.now(UTC)) == 0
        assert not [m for m in fake_slack.dms(CARA) if "reminder" in m.text]  # she answered

        # Ana's Home: Cara answered, Ben not yet.
        home = home_of(slack, fake_slack, ANA)
        assert f":white_check_mark: Answered: <@{CARA}>" in home
        assert f":hourglass: Not yet: <@{BEN}>" in home

        # Ben answers from the reminder.
        ben_modal = click_give_feedback(slack, fake_slack, reminder, BEN)
        submit_and_settle(
            slack, fake_slack, ben_modal, BEN, {ids.FEEDBACK_TEXT_ACTION: "You kept us to time"}
        )
        assert len(fake_slack.dms(ANA)) == ana_dms + 2
        assert "Not yet" not in home_of(slack, fake_slack, ANA)
        assert "Waiting for your feedback" not in home_of(slack, fake_slack, BEN)

    with services.session() as session:
        asked = list(
            session.exec(select(FeedbackRequestRecipient).order_by(FeedbackRequestRecipient.id))
        )
    assert all(a.answered_at is not None and a.feedback_id for a in asked)
    assert [a.reminded_at is not None for a in asked] == [True, False]


def click_give_feedback(slack: SlackSender, fake: FakeSlack, dm: Message, user_id: str) -> dict:
    """Click "Give feedback" on a request DM; the give-modal it opens."""
    return click_for_view(slack, fake, dm, ids.FEEDBACK_ANSWER_REQUEST, user_id)


# --- privacy ----------------------------------------------------------------------------------


def test_privacy_matrix_who_sees_what(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    suggestion = "Try pausing before you hand over the phone"
    appreciation = "Your night visits made Mr T feel safe"
    given_and_delivered(
        slack,
        fake_slack,
        ANA,
        [BEN],
        suggestion,
        **{ids.FEEDBACK_KIND_ACTION: FeedbackKind.SUGGESTION},
    )
    given_and_delivered(
        slack,
        fake_slack,
        ANA,
        [BEN],
        appreciation,
        **{
            ids.FEEDBACK_VALUES_ACTION: ["Compassion"],
            ids.FEEDBACK_SHARE_ACTION: [ids.FEEDBACK_SHARE_VALUE],
        },
    )
    fake_slack.wait_for(lambda: fake_slack.messages(NORTH_CHANNEL))

    def dms_text(user_id: str) -> str:
        return "".join(shown(m) for m in fake_slack.dms(user_id))

    # The receiver: both, in DMs and on the Home tab.
    assert suggestion in dms_text(BEN) and appreciation in dms_text(BEN)
    ben_home = home_of(slack, fake_slack, BEN)
    assert suggestion in ben_home and appreciation in ben_home
    # The team channel: the shared appreciation only, once.
    channel = "".join(shown(m) for m in fake_slack.messages(NORTH_CHANNEL))
    assert appreciation in channel and suggestion not in channel
    assert len(fake_slack.messages(NORTH_CHANNEL)) == 1
    # The giver: a confirmation that does not repeat the words; nothing on the Home tab.
    assert suggestion not in dms_text(ANA) and appreciation not in dms_text(ANA)
    ana_home = home_of(slack, fake_slack, ANA)
    assert suggestion not in ana_home and appreciation not in ana_home
    # A teammate, the coaches and someone in no team: nothing in DMs or on the Home tab.
    for person in (CARA, COACH, SOUTH_COACH, OUTSIDER):
        assert fake_slack.dms(person) == [], person
        home = home_of(slack, fake_slack, person)
        assert suggestion not in home and appreciation not in home, person
    # Nor in any other channel.
    assert not [m for m in fake_slack.messages(SOUTH_CHANNEL)]
    # Coaches and summaries get counts by kind and value, in SQL, never text.
    with services.session() as session:
        counts = queries.feedback_counts(
            session,
            team_id="north",
            start=datetime.now(UTC) - timedelta(hours=1),
            end=datetime.now(UTC) + timedelta(hours=1),
        )
    assert counts.by_kind == {FeedbackKind.APPRECIATION: 1, FeedbackKind.SUGGESTION: 1}
    assert counts.by_value == {"Compassion": 1}


def test_nobody_gives_feedback_to_themselves_or_to_an_app(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    answer = give(slack, fake_slack, ANA, [BEN, ANA], "Well done us")
    assert answer.json is not None
    assert "can't give it to yourself" in answer.json["errors"][ids.FEEDBACK_RECEIVERS_BLOCK]

    fake_slack.add_user(APP_USER, name="Rota Bot", is_bot=True)
    answer = give(slack, fake_slack, ANA, [APP_USER], "Thanks for the reminders")
    assert answer.json is not None
    assert (
        "Rota Bot is an app, not a person" in (answer.json["errors"][ids.FEEDBACK_RECEIVERS_BLOCK])
    )
    assert stored_feedback(services) == [] and fake_slack.dms(BEN) == []


def test_cross_team_feedback_follows_app_yaml(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, config: AppConfig
) -> None:
    config.organisation.cross_team_feedback = False
    answer = give(slack, fake_slack, ANA, [SAM], "Thanks for covering our patch")
    assert answer.json is not None
    assert "Sam isn't in one of your teams" in answer.json["errors"][ids.FEEDBACK_RECEIVERS_BLOCK]
    answer = give(slack, fake_slack, ANA, [OUTSIDER], "Thanks for the referral")
    assert "Olu isn't in one of your teams" in answer.json["errors"][ids.FEEDBACK_RECEIVERS_BLOCK]
    assert stored_feedback(services) == []

    config.organisation.cross_team_feedback = True
    given_and_delivered(slack, fake_slack, ANA, [SAM, OUTSIDER], "Thanks for covering our patch")
    assert [(r.receiver, r.team_id) for r in stored_feedback(services)] == [
        (SAM, "south"),
        (OUTSIDER, "north"),  # someone in no team counts for the giver's team
    ]


def test_client_identifiers_are_flagged_but_a_failing_check_digit_is_not(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    answer = give(slack, fake_slack, ANA, [BEN], "You spotted the error on 943 476 5919 fast")
    assert answer.json is not None
    assert "NHS number" in answer.json["errors"][ids.FEEDBACK_TEXT_BLOCK]
    assert stored_feedback(services) == [] and fake_slack.dms(BEN) == []

    given_and_delivered(slack, fake_slack, ANA, [BEN], "Ticket 943 476 5918 closed in a day")
    assert [r.text for r in stored_feedback(services)] == ["Ticket 943 476 5918 closed in a day"]


def test_mentions_and_links_typed_by_people_are_escaped(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    typed = "<!here> thanks to <@U0CARA> & <https://evil.example|this form>"
    given_and_delivered(
        slack,
        fake_slack,
        ANA,
        [BEN],
        typed,
        **{ids.FEEDBACK_SHARE_ACTION: [ids.FEEDBACK_SHARE_VALUE]},
    )
    escaped = "&lt;!here&gt; thanks to &lt;@U0CARA&gt; &amp; &lt;https://evil.example|this form&gt;"
    dm = fake_slack.wait_for(lambda: fake_slack.dms(BEN))[-1]
    [post] = fake_slack.wait_for(lambda: fake_slack.messages(NORTH_CHANNEL))
    for message in (dm, post):
        assert escaped in message.all_text
        assert "<!here>" not in shown(message) and "<@U0CARA>" not in shown(message)
        assert "<https://" not in shown(message)
    assert escaped in home_of(slack, fake_slack, BEN)
    assert stored_feedback(services)[0].text == typed  # stored as typed, escaped when shown


def test_text_length_is_limited_with_a_field_error(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    view = open_modal(slack, fake_slack, ANA)
    assert element(view, ids.FEEDBACK_TEXT_BLOCK)["max_length"] == 2000
    unlimited = json.loads(json.dumps(view))
    element(unlimited, ids.FEEDBACK_TEXT_BLOCK).pop("max_length")  # a client that ignores it
    answer = slack.submit_view(
        unlimited,
        user_id=ANA,
        values={ids.FEEDBACK_RECEIVERS_ACTION: [BEN], ids.FEEDBACK_TEXT_ACTION: "x" * 2001},
    )
    assert answer.json is not None
    assert "please keep it under 2,000" in answer.json["errors"][ids.FEEDBACK_TEXT_BLOCK]
    answer = slack.submit_view(
        view,
        user_id=ANA,
        values={ids.FEEDBACK_RECEIVERS_ACTION: [BEN], ids.FEEDBACK_TEXT_ACTION: " "},
    )
    assert answer.json is not None and "can't be empty" in answer.body
    assert stored_feedback(services) == []


def test_the_hourly_limit_is_a_kind_field_error(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, config: AppConfig
) -> None:
    config.organisation.feedback_per_hour = 3
    given_and_delivered(slack, fake_slack, ANA, [BEN, CARA], "Thanks for Monday")
    answer = give(slack, fake_slack, ANA, [BEN, CARA], "And for Tuesday")
    assert answer.json is not None
    error = answer.json["errors"][ids.FEEDBACK_RECEIVERS_BLOCK]
    assert "keeps it to 3 an hour" in error and "You can send this to 1 person now" in error
    given_and_delivered(slack, fake_slack, ANA, [DEV], "And for Wednesday")
    answer = give(slack, fake_slack, ANA, [BEN], "And for Thursday")
    assert answer.json is not None
    assert "Please try again after" in answer.json["errors"][ids.FEEDBACK_RECEIVERS_BLOCK]
    assert len(stored_feedback(services)) == 3
    # The limit is each person's own: Ben can still give.
    given_and_delivered(slack, fake_slack, BEN, [ANA], "Thank you too")


def test_anonymous_feedback_is_limited_per_receiver(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, config: AppConfig
) -> None:
    config.organisation.anonymous_feedback = True
    config.organisation.feedback_per_hour = 2
    anonymous = {ids.FEEDBACK_ANONYMOUS_ACTION: [ids.FEEDBACK_ANONYMOUS_VALUE]}
    given_and_delivered(slack, fake_slack, ANA, [BEN], "One", **anonymous)
    given_and_delivered(slack, fake_slack, CARA, [BEN], "Two", **anonymous)
    answer = give(slack, fake_slack, DEV, [BEN], "Three", **anonymous)
    assert answer.json is not None
    assert (
        "anonymous feedback in the last hour"
        in (answer.json["errors"][ids.FEEDBACK_RECEIVERS_BLOCK])
    )
    given_and_delivered(slack, fake_slack, DEV, [BEN], "Three, with my name")


def test_the_same_submission_twice_records_and_delivers_once(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    view = open_modal(slack, fake_slack, ANA)
    payload = slack.build_view_submission(
        view,
        user_id=ANA,
        values={ids.FEEDBACK_RECEIVERS_ACTION: [BEN], ids.FEEDBACK_TEXT_ACTION: "Double click"},
    )
    body = ("payload=" + urllib.parse.quote(json.dumps(payload))).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    for _ in range(2):
        assert slack.raw(body, {**headers, **slack.sign(body)}).status == 200
    fake_slack.wait_for(lambda: fake_slack.dms(ANA))
    fake_slack.wait_for(lambda: fake_slack.home(ANA))
    assert [r.text for r in stored_feedback(services)] == ["Double click"]
    assert len(fake_slack.dms(BEN)) == 1 and len(fake_slack.dms(ANA)) == 1


# --- the command and the Home tab -------------------------------------------------------------


def test_help_and_people_in_no_team(slack: SlackSender, fake_slack: FakeSlack) -> None:
    answer = slack.command(ids.FEEDBACK_COMMAND, "help", user_id=ANA, channel_id=NORTH_CHANNEL)
    assert answer.json is not None and answer.json["response_type"] == "ephemeral"
    assert "`/feedback request`" in answer.json["text"]
    answer = slack.command(ids.FEEDBACK_COMMAND, "", user_id=OUTSIDER, channel_id=NORTH_CHANNEL)
    assert answer.json is not None and "not in a retrobot team yet" in answer.json["text"]
    assert fake_slack.views_opened(OUTSIDER) == []


def test_received_feedback_is_paged_newest_first(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    with services.session() as session:
        for number in range(7):
            session.add(
                Feedback(
                    team_id="north",
                    giver=ANA,
                    receiver=BEN,
                    kind=FeedbackKind.APPRECIATION,
                    text=f"Note number {number}",
                    created_at=datetime(2026, 6, 1, 9, number, tzinfo=UTC),
                )
            )
        session.commit()
    home = json.loads(home_of(slack, fake_slack, BEN))
    text = json.dumps(home)
    assert "Feedback you received* (7)" in text and "Page 1 of 2" in text
    assert [f"Note number {n}" in text for n in range(7)] == [False] * 2 + [True] * 5
    assert text.index("Note number 6") < text.index("Note number 2")

    publishes = len(fake_slack.calls_to("views.publish"))
    slack.click(home, ids.HOME_FEEDBACK_NEXT, user_id=BEN)
    fake_slack.wait_for(lambda: len(fake_slack.calls_to("views.publish")) > publishes)
    older = fake_slack.home(BEN)
    text = json.dumps(older)
    assert "Page 2 of 2" in text and "Note number 1" in text and "Note number 6" not in text
    assert ids.HOME_FEEDBACK_NEXT not in text

    publishes = len(fake_slack.calls_to("views.publish"))
    slack.click(older, ids.HOME_FEEDBACK_PREVIOUS, user_id=BEN)
    fake_slack.wait_for(lambda: len(fake_slack.calls_to("views.publish")) > publishes)
    assert "Note number 6" in json.dumps(fake_slack.home(BEN))


def test_home_buttons_open_the_modals(slack: SlackSender, fake_slack: FakeSlack) -> None:
    home = json.loads(home_of(slack, fake_slack, CARA))
    before = len(fake_slack.views_opened(CARA))
    slack.click(home, ids.HOME_GIVE_FEEDBACK, user_id=CARA)
    slack.click(home, ids.HOME_ASK_FEEDBACK, user_id=CARA)
    fake_slack.wait_for(lambda: len(fake_slack.views_opened(CARA)) >= before + 2)
    opened = {v["callback_id"] for v in fake_slack.views_opened(CARA)[before:]}
    assert opened == {ids.FEEDBACK_MODAL, ids.FEEDBACK_REQUEST_MODAL}


def test_request_needs_people_a_question_and_a_future_date(
    slack: SlackSender, fake_slack: FakeSlack, services: Services
) -> None:
    modal = open_modal(slack, fake_slack, ANA, "request")
    yesterday = (datetime.now(UTC) - timedelta(days=2)).date()
    answer = slack.submit_view(
        modal,
        user_id=ANA,
        values={
            ids.FEEDBACK_ASKED_ACTION: [ANA, OUTSIDER],
            ids.FEEDBACK_ABOUT_ACTION: "",
            ids.FEEDBACK_DUE_ACTION: yesterday,
        },
    )
    assert answer.json is not None
    errors = answer.json["errors"]
    assert "You can't ask yourself" in errors[ids.FEEDBACK_ASKED_BLOCK]
    assert "Say in a sentence" in errors[ids.FEEDBACK_ABOUT_BLOCK]
    assert "That date has passed" in errors[ids.FEEDBACK_DUE_BLOCK]
    answer = slack.submit_view(
        modal,
        user_id=ANA,
        values={ids.FEEDBACK_ASKED_ACTION: [OUTSIDER], ids.FEEDBACK_ABOUT_ACTION: "My notes"},
    )
    assert answer.json is not None
    assert "Olu isn't in a retrobot team" in answer.json["errors"][ids.FEEDBACK_ASKED_BLOCK]
    with services.session() as session:
        assert list(session.exec(select(FeedbackRequestRecipient))) == []
