"""Steps every journey shares: the modal, DM or notice a person's action brings them, and their
App Home as it is now. Each waits on the Slack stand-in for what is new since the step began,
never for a fixed time."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from bot.standin.sender import SlackSender
from bot.standin.web_api import Ephemeral, FakeSlack, Message
from tests.conftest import BOT_TOKEN, NORTH_CHANNEL, SIGNING_SECRET


def serve_environment(fake: FakeSlack, database_url: str, config: Path) -> dict[str, str]:
    """The environment a `retrobot` process of these journeys runs in: this process's, with no
    Slack variable of its own, pointed at the stand-in, the test database and ``config``."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("SLACK_")}
    environment.update(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=fake.url,
        DATABASE_URL=database_url,
        RETROBOT_CONFIG=str(config),
    )
    return environment


def newest_view(fake: FakeSlack, user_id: str, before: int) -> dict[str, Any]:
    """Wait for a modal beyond the first ``before`` opened for the person; the latest one."""
    return fake.wait_for(
        lambda: fake.views_opened(user_id)[-1] if len(fake.views_opened(user_id)) > before else None
    )


def click_for_view(
    slack: SlackSender,
    fake: FakeSlack,
    container: Any,
    action_id: str,
    user: str,
    *,
    value: str | None = None,
) -> dict[str, Any]:
    """Click an element in a message, modal or App Home; the modal that opens."""
    before = len(fake.views_opened(user))
    assert slack.click(container, action_id, user_id=user, value=value).status == 200
    return newest_view(fake, user, before)


def command_for_view(
    slack: SlackSender,
    fake: FakeSlack,
    command: str,
    user_id: str,
    text: str = "",
    channel_id: str = NORTH_CHANNEL,
) -> dict[str, Any]:
    """Run a slash command as ``user_id``; the modal it opens."""
    before = len(fake.views_opened(user_id))
    response = slack.command(command, text, user_id=user_id, channel_id=channel_id)
    assert response.status == 200
    return newest_view(fake, user_id, before)


def new_dm(fake: FakeSlack, user_id: str, count_before: int) -> Message:
    """Wait for a DM beyond the first ``count_before`` and return it."""
    return fake.wait_for(
        lambda: fake.dms(user_id)[count_before] if len(fake.dms(user_id)) > count_before else None
    )


def newest_ephemeral(fake: FakeSlack, user_id: str, before: int) -> Ephemeral:
    """Wait for a message only the person sees beyond the first ``before``; the latest one."""
    return fake.wait_for(
        lambda: fake.ephemerals(user_id)[-1] if len(fake.ephemerals(user_id)) > before else None
    )


def homes_published(fake: FakeSlack, user_id: str) -> int:
    """How often the person's App Home was published."""
    return sum(c.args.get("user_id") == user_id for c in fake.calls_to("views.publish"))


def open_home(slack: SlackSender, fake: FakeSlack, user_id: str) -> dict[str, Any]:
    """Open the person's App Home tab; the view published for it."""
    before = homes_published(fake, user_id)
    slack.app_home_opened(user_id)
    fake.wait_for(lambda: homes_published(fake, user_id) > before)
    home = fake.home(user_id)
    assert home is not None
    return home


def submit_and_settle(
    slack: SlackSender, fake: FakeSlack, view: dict[str, Any], user: str, values: dict[str, Any]
) -> None:
    """Submit a modal that is accepted, and wait for the listener's last call (the Home tab's
    refresh)."""
    before = homes_published(fake, user)
    answer = slack.submit_view(view, user_id=user, values=values)
    assert answer.status == 200 and not answer.body.strip(), answer.body
    fake.wait_for(lambda: homes_published(fake, user) > before)


def element(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    """The element of the view's input block with this block_id."""
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)["element"]
