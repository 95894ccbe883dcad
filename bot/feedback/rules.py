"""Peer feedback's rules over app.yaml and Slack's accounts: who may give to whom, and whether
what was typed may be stored. Nothing here reads the database (that is bot.feedback.service).
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from datetime import date, datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

from bot.core.config import AppConfig, TeamConfig
from bot.core.errors import InvalidInputError, NotInTeamError
from bot.core.text import (
    describe_client_identifiers,
    find_client_identifiers,
    normalise_input,
    strip_slack_links,
)
from bot.feedback.model import (
    ABOUT_LIMIT,
    DEFAULT_DUE_DAYS,
    LATEST_DUE_DAYS,
    MAX_PEOPLE,
    TEXT_LIMIT,
    FeedbackCommand,
    FeedbackDraft,
    RequestDraft,
)
from bot.slack.users import Account, AccountKind
from storage.models import FeedbackKind

REQUEST_WORDS = ("request", "ask")
HELP_WORDS = ("help", "?")

_LEADING_MENTION = re.compile(r"^[\s,;:]*<@([UW][A-Z0-9]+)(?:\|[^>]*)?>")
_SEPARATORS = re.compile(r"^[\s,;:\-–—]+")


# --- the command ----------------------------------------------------------------------------


def parse_command(text: str | None) -> FeedbackCommand:
    """Read `/feedback [@person ...] [text]`, `/feedback request [@person ...] [about]` or help.

    The manifest sets ``should_escape``, so Slack sends mentions as ``<@U123|bob>``; leading
    mentions become the people, and the rest (as the person saw it) becomes the text.
    """
    rest = (text or "").strip()
    first, _, after = rest.partition(" ")
    word = first.lower()
    if word in HELP_WORDS and not after.strip():
        return FeedbackCommand("help")
    action: Literal["give", "request"] = "give"
    if word in REQUEST_WORDS:
        action, rest = "request", after
    people: list[str] = []
    while match := _LEADING_MENTION.match(rest):
        if match[1] not in people:
            people.append(match[1])
        rest = rest[match.end() :]
    rest = _SEPARATORS.sub("", rest)
    return FeedbackCommand(action, tuple(people), strip_slack_links(rest).strip())


# --- who may give to whom -------------------------------------------------------------------


def teams_around(config: AppConfig, user_id: str) -> list[TeamConfig]:
    """The teams a person is a member of or coaches, in app.yaml's order."""
    return config.teams_with(user_id)


def require_teams(config: AppConfig, user_id: str) -> list[TeamConfig]:
    """The person's teams; NotInTeamError when they have none (feedback lives in teams)."""
    teams = teams_around(config, user_id)
    if not teams:
        raise NotInTeamError("You're not in a retrobot team yet, so there is no one to ask.")
    return teams


def teammates(config: AppConfig, user_id: str) -> dict[str, str | None]:
    """The members and coaches of the person's teams, by id, with their names from app.yaml."""
    people: dict[str, str | None] = {}
    for team in teams_around(config, user_id):
        for person in (*team.members, *team.coaches):
            if people.get(person.id) is None:
                people[person.id] = person.name
    return people


def zone_of(config: AppConfig, user_id: str, team_id: str | None = None) -> ZoneInfo:
    """The person's time zone: their own in app.yaml, else their team's, else UTC."""
    team = config.find_team(team_id) if team_id else None
    teams = [team] if team is not None else teams_around(config, user_id)
    return teams[0].zone_of(user_id) if teams else ZoneInfo("UTC")


def local_today(config: AppConfig, user_id: str, now: datetime) -> date:
    """Today's date where the person is."""
    return now.astimezone(zone_of(config, user_id)).date()


def default_due_date(config: AppConfig, user_id: str, now: datetime) -> date:
    """The date a new feedback request suggests: a week from today."""
    return local_today(config, user_id, now) + timedelta(days=DEFAULT_DUE_DAYS)


def may_reach(config: AppConfig, giver: str, receiver: str) -> bool:
    """Whether app.yaml lets ``giver`` give feedback to (or ask it of) ``receiver``."""
    if config.organisation.cross_team_feedback:
        return True
    return any(receiver in t.member_ids + t.coach_ids for t in teams_around(config, giver))


def team_for(config: AppConfig, *, giver: str | None, receiver: str) -> str | None:
    """The team a piece of feedback counts for: one the two share, else the receiver's.

    Anonymous feedback passes no giver, so its team depends on the receiver alone.
    """
    giver_teams = teams_around(config, giver) if giver else []
    for team in giver_teams:
        if receiver in team.member_ids:
            return team.id
    receiver_teams = config.teams_of(receiver)
    if receiver_teams:
        return receiver_teams[0].id
    return giver_teams[0].id if giver_teams else None


def _name(account: Account | None) -> str:
    return account.name if account and account.name else "Someone you chose"


def _people_problem(
    config: AppConfig,
    actor: str,
    people: Sequence[str],
    accounts: Mapping[str, Account],
    *,
    asking: bool,
) -> str | None:
    """Why these people cannot be given feedback (or asked for it), or None when they can."""
    if not people:
        return "Choose whom to ask." if asking else "Choose who the feedback is for."
    if len(people) > MAX_PEOPLE:
        return f"Choose at most {MAX_PEOPLE} people at a time."
    if actor in people:
        if asking:
            return "You can't ask yourself — choose the colleagues whose view you'd value."
        return (
            "Feedback is for someone else, so you can't give it to yourself — "
            "your own reflections fit the check-in."
        )
    problems = [
        problem
        for user_id in people
        if (problem := _person_problem(config, actor, user_id, accounts.get(user_id), asking))
    ]
    if not problems:
        return None
    return " ".join(dict.fromkeys(problems)) + " Please remove them and try again."


def _person_problem(
    config: AppConfig, actor: str, user_id: str, account: Account | None, asking: bool
) -> str | None:
    """Why this one person cannot be given feedback (or asked for it), or None."""
    kind = account.kind if account else AccountKind.UNKNOWN
    if kind is AccountKind.BOT:
        return f"{_name(account)} is an app, not a person: feedback is for colleagues."
    if kind is AccountKind.DEACTIVATED:
        return f"{_name(account)}'s Slack account is deactivated."
    if kind is AccountKind.UNKNOWN:
        return "Someone you chose isn't in this Slack workspace."
    if not may_reach(config, actor, user_id):
        return (
            f"{_name(account)} isn't in one of your teams, and "
            f"{config.organisation.name} keeps feedback within teams."
        )
    if asking and not teams_around(config, user_id):
        return f"{_name(account)} isn't in a retrobot team, so they couldn't answer here."
    return None


def text_problem(text: str, *, limit: int, empty: str) -> str | None:
    """Why a person's text cannot be stored, or None when it can."""
    if not text:
        return empty
    if len(text) > limit:
        return f"That's {len(text):,} characters; please keep it under {limit:,}."
    if found := find_client_identifiers(text):
        return describe_client_identifiers(found)
    return None


# --- what was typed ---------------------------------------------------------------------------


def check_feedback(
    *,
    config: AppConfig,
    giver: str,
    receivers: Sequence[str],
    kind: str | None,
    values: Sequence[str],
    text: str | None,
    shared: bool,
    anonymous: bool,
    accounts: Mapping[str, Account],
    request_id: int | None = None,
) -> FeedbackDraft:
    """Check what was typed in the feedback modal; InvalidInputError names each field at fault."""
    require_teams(config, giver)
    organisation = config.organisation
    errors: dict[str, str] = {}
    people = list(dict.fromkeys(receivers))
    if problem := _people_problem(config, giver, people, accounts, asking=False):
        errors["receivers"] = problem
    try:
        chosen = FeedbackKind(kind or "")
    except ValueError:
        chosen = FeedbackKind.APPRECIATION
        errors["kind"] = "Choose whether this is an appreciation or a suggestion."
    if unknown := [v for v in values if v not in organisation.values]:
        errors["values"] = (
            f"{', '.join(unknown)} isn't one of {organisation.name}'s values any more; "
            "please choose again."
        )
    clean = normalise_input(text)
    if problem := text_problem(
        clean, limit=TEXT_LIMIT, empty="Say in a few words what you noticed — this can't be empty."
    ):
        errors["text"] = problem
    if shared and chosen is FeedbackKind.SUGGESTION:
        errors["shared"] = (
            "Only appreciations are shared with the team; a suggestion stays between you and "
            "the person. Untick this to send it."
        )
    if anonymous and not organisation.anonymous_feedback:
        errors["anonymous"] = (
            f"{organisation.name} doesn't use anonymous feedback; untick this to give it "
            "with your name."
        )
    elif anonymous and request_id is not None:
        errors["anonymous"] = "An answer to a request carries your name: they asked you."
    if errors:
        raise InvalidInputError(errors)
    in_order = tuple(v for v in organisation.values if v in values)
    return FeedbackDraft(
        receivers=tuple(people),
        kind=chosen,
        values=in_order,
        text=clean,
        shared=shared,
        anonymous=anonymous,
        request_id=request_id,
    )


def check_request(
    *,
    config: AppConfig,
    requester: str,
    recipients: Sequence[str],
    about: str | None,
    due_date: str | None,
    accounts: Mapping[str, Account],
    now: datetime,
) -> RequestDraft:
    """Check what was typed in the request modal; InvalidInputError names each field at fault."""
    teams = require_teams(config, requester)
    errors: dict[str, str] = {}
    people = list(dict.fromkeys(recipients))
    if problem := _people_problem(config, requester, people, accounts, asking=True):
        errors["recipients"] = problem
    clean = normalise_input(about)
    if problem := text_problem(
        clean, limit=ABOUT_LIMIT, empty="Say in a sentence what you'd like feedback on."
    ):
        errors["about"] = problem
    today = local_today(config, requester, now)
    due: date | None = None
    try:
        due = date.fromisoformat(due_date) if due_date else None
    except ValueError:
        due = None
    if due is None:
        errors["due_date"] = "Choose the date you'd like the feedback by."
    elif due < today:
        errors["due_date"] = "That date has passed — choose today or a later day."
    elif due > today + timedelta(days=LATEST_DUE_DAYS):
        errors["due_date"] = f"Choose a date within the next {LATEST_DUE_DAYS} days."
    if errors or due is None:
        raise InvalidInputError(errors)
    return RequestDraft(team_id=teams[0].id, recipients=tuple(people), about=clean, due_date=due)
