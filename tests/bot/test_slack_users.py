"""Who a Slack user id belongs to, asked of the Slack stand-in only when it is not known."""

from __future__ import annotations

from bot.slack.client import make_client
from bot.slack.users import AccountKind, look_up
from bot.standin.web_api import FakeSlack
from tests.conftest import ANA, BEN, OUTSIDER


def test_known_people_cost_no_call_and_others_are_looked_up(fake_slack: FakeSlack) -> None:
    fake_slack.add_user("U0ROTABOT", name="Rota Bot", is_bot=True)
    fake_slack.add_user("U0GONE", name="Gil", deleted=True)
    client = make_client("xoxb-test", fake_slack.url)
    accounts = look_up(
        client,
        [ANA, BEN, OUTSIDER, "U0ROTABOT", "U0GONE", "U0NOBODY", fake_slack.bot_user_id, BEN],
        known={ANA: "Ana", BEN: None},
    )
    kinds = {user_id: account.kind for user_id, account in accounts.items()}
    assert kinds == {
        ANA: AccountKind.PERSON,
        BEN: AccountKind.PERSON,
        OUTSIDER: AccountKind.PERSON,
        "U0ROTABOT": AccountKind.BOT,
        "U0GONE": AccountKind.DEACTIVATED,
        "U0NOBODY": AccountKind.UNKNOWN,
        fake_slack.bot_user_id: AccountKind.BOT,
    }
    assert (accounts[ANA].name, accounts[OUTSIDER].name, accounts["U0ROTABOT"].name) == (
        "Ana",
        "Olu",
        "Rota Bot",
    )
    assert accounts[ANA].is_person and not accounts["U0ROTABOT"].is_person
    looked_up = [call.args["user"] for call in fake_slack.calls_to("users.info")]
    assert sorted(looked_up) == sorted(
        [OUTSIDER, "U0ROTABOT", "U0GONE", "U0NOBODY", fake_slack.bot_user_id]
    )
