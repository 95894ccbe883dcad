"""Who a Slack id stored in the database stands for: a person, or a former member.

`retrobot forget` (bot/data/member_forget.py) replaces a person's Slack id, wherever the team
keeps a record of them, with a *former member id*: ``former-`` and random hex, the same for
every row of that person so the week's figures (how many answered, how many people own actions)
still add up, and linked to their Slack id nowhere. Whatever shows a person shows a former
member id as "a former member" (prompts' ``mention``). The record of the erasure keeps only
:func:`member_hash` of the Slack id, to answer "was U… forgotten?".
"""

from __future__ import annotations

import hashlib
import re
import secrets

FORMER_PREFIX = "former-"
# A person's Slack member id: U or W, then capitals and digits (``U012AB3CD``).
SLACK_MEMBER_ID = re.compile(r"^[UW][A-Z0-9]{2,}$")
# A bot's id (``B012AB3CD``), and Slackbot's member id: neither is a person.
SLACK_BOT_ID = re.compile(r"^B[A-Z0-9]{2,}$")
SLACKBOT = "USLACKBOT"


def is_former_member(user_id: str | None) -> bool:
    """True for an id that `retrobot forget` put in place of a person's Slack id."""
    return bool(user_id) and str(user_id).startswith(FORMER_PREFIX)


def new_former_member_id() -> str:
    """A fresh former member id, random: nothing links it back to the Slack id it replaces."""
    return FORMER_PREFIX + secrets.token_hex(6)


def member_hash(user_id: str) -> str:
    """The sha256 (hex) of a Slack member id, as the record of an erasure keeps it."""
    return hashlib.sha256(user_id.encode("utf-8")).hexdigest()
