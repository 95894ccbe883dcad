"""Who a Slack user id belongs to: a person, an app's bot user, someone deactivated, or no one.

Feedback and feedback requests go to people only. The caller's own teammates (from app.yaml) are
known to be people, so only other ids cost a ``users.info`` call (Tier 4): feedback within a team
asks Slack nothing, which keeps a submission well inside Slack's three seconds.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from enum import StrEnum

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)


class AccountKind(StrEnum):
    """What a Slack user id turned out to be."""

    PERSON = "person"
    BOT = "bot"
    DEACTIVATED = "deactivated"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Account:
    """A Slack user id, what it is, and the name to call it by in an error message."""

    user_id: str
    kind: AccountKind
    name: str | None = None

    @property
    def is_person(self) -> bool:
        """True for an active human account."""
        return self.kind is AccountKind.PERSON


def look_up(
    client: WebClient, user_ids: Iterable[str], *, known: Mapping[str, str | None]
) -> dict[str, Account]:
    """The account behind each id; ``known`` people (id → name) are taken as is, unasked."""
    accounts: dict[str, Account] = {}
    for user_id in dict.fromkeys(user_ids):
        if user_id in known:
            accounts[user_id] = Account(user_id, AccountKind.PERSON, known[user_id])
            continue
        try:
            user = client.users_info(user=user_id)["user"]
        except SlackApiError as error:
            code = error.response.get("error") if error.response is not None else None
            logger.info("users.info could not find a user id (%s)", code)
            accounts[user_id] = Account(user_id, AccountKind.UNKNOWN)
            continue
        profile = user.get("profile") or {}
        name = profile.get("display_name") or user.get("real_name") or user.get("name")
        if user.get("is_bot") or user_id == "USLACKBOT":
            kind = AccountKind.BOT
        elif user.get("deleted"):
            kind = AccountKind.DEACTIVATED
        else:
            kind = AccountKind.PERSON
        accounts[user_id] = Account(user_id, kind, name or None)
    return accounts
