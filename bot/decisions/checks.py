"""Checking what people type and choose when they propose, amend, decide, advise or object.

Each ``check_*`` turns a modal's raw values into a checked draft, or raises InvalidInputError
naming every field at fault (the modal keeps what was typed); text that looks like client data
is flagged as in tensions (DESIGN.md, Privacy). Who may propose, in which team, and who answers
an integrated decision's objection round are decided here too. No database, no Slack.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import date, datetime, time, timedelta

from bot.core.config import AppConfig, OrganisationConfig, TeamConfig
from bot.core.errors import InvalidInputError, NotAllowedError, NotInTeamError
from bot.core.meetings import local_moment
from bot.core.text import describe_client_identifiers, find_client_identifiers, normalise_input
from bot.decisions.model import (
    ADVICE_LIMIT,
    LATEST_DECIDE_DAYS,
    LATEST_REVIEW_DAYS,
    MAX_ASKED,
    NOTE_LIMIT,
    REASON_LIMIT,
    SHAPED_LIMIT,
    TEXT_LIMIT,
    WHY_LIMIT,
    Advisor,
    AmendmentDraft,
    DecisionDraft,
    ProposalDraft,
)
from bot.slack.users import Account, AccountKind
from storage.models import Proposal, ProposalMethod, RoundAnswer

# --- who proposes, in which team -------------------------------------------------------------


def proposer_teams(config: AppConfig, user_id: str) -> list[TeamConfig]:
    """The teams a person may propose in; coaches and people in no team may not."""
    teams = config.teams_of(user_id)
    if teams:
        return teams
    if config.is_coach(user_id):
        raise NotAllowedError(
            "Coaches may give advice when they're asked, but proposals and decisions are the "
            "team's own."
        )
    raise NotInTeamError("You're not in a retrobot team yet, so there is no team to propose to.")


def default_team(config: AppConfig, user_id: str, channel_id: str | None = None) -> TeamConfig:
    """The team a person most likely means: the one whose channel they are in, else their first."""
    teams = proposer_teams(config, user_id)
    return next((team for team in teams if team.channel == channel_id), teams[0])


def local_today(team: TeamConfig, now: datetime) -> date:
    """Today where the team is: dates of proposals are the team's calendar days."""
    return now.astimezone(team.zone).date()


def closes_at(team: TeamConfig, decide_by: date) -> datetime:
    """The moment a proposal's date is over: midnight after it, in the team's zone."""
    return local_moment(decide_by + timedelta(days=1), time(0, 0), team.zone)


def round_members(team: TeamConfig, proposer: str) -> list[str]:
    """Who answers an integrated decision's objection round: every member but the proposer
    (a coach never objects, even one listed as a member)."""
    coaches = set(team.coach_ids)
    return [u for u in dict.fromkeys(team.member_ids) if u != proposer and u not in coaches]


# --- checking what was typed -----------------------------------------------------------------


def _text_problem(text: str, *, limit: int, empty: str | None) -> str | None:
    """Why typed text cannot be stored (empty when it must not be, too long, client data)."""
    if not text:
        return empty
    if len(text) > limit:
        return f"That's {len(text):,} characters; please keep it under {limit:,}."
    if found := find_client_identifiers(text):
        return describe_client_identifiers(found)
    return None


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _decide_by_problem(chosen: date | None, today: date) -> str | None:
    if chosen is None:
        return "Choose the date the proposal is decided by."
    if chosen <= today:
        return "Give people at least a day: choose tomorrow or a later date."
    if chosen > today + timedelta(days=LATEST_DECIDE_DAYS):
        return f"Choose a date within the next {LATEST_DECIDE_DAYS} days."
    return None


def _review_problem(review: date | None, raw: str | None, decide_by: date | None, today: date):
    if raw and review is None:
        return "Pick the review date from the calendar."
    if review is None:
        return None
    if review <= max(today, decide_by or today):
        return "The review date comes after the decision: choose a later date."
    if review > today + timedelta(days=LATEST_REVIEW_DAYS):
        return "Choose a review date within the next five years."
    return None


def _people_problem(
    user_id: str, people: Sequence[str], accounts: Mapping[str, Account]
) -> str | None:
    """Why these people cannot be asked for advice, or None when they all can."""
    if user_id in people:
        return "You can't ask yourself — choose the people it affects and those who know most."
    problems = []
    for person in people:
        account = accounts.get(person)
        kind = account.kind if account else AccountKind.UNKNOWN
        name = account.name if account and account.name else "Someone you chose"
        if kind is AccountKind.BOT:
            problems.append(f"{name} is an app, not a person: advice comes from people.")
        elif kind is AccountKind.DEACTIVATED:
            problems.append(f"{name}'s Slack account is deactivated.")
        elif kind is AccountKind.UNKNOWN:
            problems.append("Someone you chose isn't in this Slack workspace.")
    if not problems:
        return None
    return " ".join(dict.fromkeys(problems)) + " Please remove them and try again."


def _advisors(
    config: AppConfig,
    *,
    team: TeamConfig,
    proposer: str,
    method: ProposalMethod,
    people: Sequence[str],
    teams: Sequence[str],
) -> list[Advisor]:
    """Everyone to ask for advice: the people chosen, then the members of the teams chosen.

    In an integrated decision the team's own members answer the objection round instead.
    """
    in_round = set(round_members(team, proposer)) if method is ProposalMethod.INTEGRATED else set()
    found: dict[str, Advisor] = {}
    for person in people:
        own = [t.id for t in config.teams_of(person)]
        home = None if team.id in own else (own[0] if own else None)
        coach = person in team.coach_ids or (not own and config.is_coach(person))
        found.setdefault(person, Advisor(person, from_team=home, coach=coach))
    for team_id in teams:
        other = config.team(team_id)
        for person in other.member_ids:
            home = None if person in team.member_ids else other.id
            found.setdefault(person, Advisor(person, from_team=home))
    return [a for a in found.values() if a.user_id != proposer and a.user_id not in in_round]


def check_proposal(
    *,
    config: AppConfig,
    user_id: str,
    team_id: str | None,
    text: str | None,
    why: str | None,
    method: str | None,
    people: Sequence[str],
    teams: Sequence[str],
    roles: Sequence[str] = (),
    decide_by: str | None,
    values: Sequence[str],
    review_date: str | None,
    accounts: Mapping[str, Account],
    now: datetime,
    permalink: str | None = None,
    tension_id: int | None = None,
) -> ProposalDraft:
    """Check the proposal modal; InvalidInputError names each field at fault."""
    errors: dict[str, str] = {}
    team = _check_team(errors, config=config, user_id=user_id, team_id=team_id)
    clean_text, clean_why = _check_words(errors, text=text, why=why)
    chosen = _check_method(errors, method)
    deadline, review = _check_dates(
        errors, decide_by=decide_by, review_date=review_date, today=local_today(team, now)
    )
    organisation = _check_values(errors, config=config, values=values)
    chosen_people, chosen_teams = _check_audience(
        errors, config=config, proposer=user_id, people=people, teams=teams, accounts=accounts
    )
    advisors = _advisors(
        config, team=team, proposer=user_id, method=chosen, people=chosen_people, teams=chosen_teams
    )
    _check_asked(
        errors,
        team=team,
        proposer=user_id,
        method=chosen,
        advisors=advisors,
        by_team=bool(chosen_teams),
    )
    if errors or deadline is None:
        raise InvalidInputError(errors)
    return ProposalDraft(
        team_id=team.id,
        text=clean_text,
        why=clean_why,
        method=chosen,
        decide_by=deadline,
        review_date=review,
        values=tuple(v for v in organisation.values if v in values),
        people=tuple(chosen_people),
        teams=tuple(chosen_teams),
        roles=tuple(roles),
        advisors=tuple(advisors),
        permalink=permalink,
        tension_id=tension_id,
    )


def _check_values(
    errors: dict[str, str], *, config: AppConfig, values: Sequence[str]
) -> OrganisationConfig:
    """The organisation, whose values are the only ones a proposal can name."""
    organisation = config.organisation
    if unknown := [v for v in values if v not in organisation.values]:
        errors["values"] = f"{', '.join(unknown)} isn't one of {organisation.name}'s values."
    return organisation


def _check_team(
    errors: dict[str, str], *, config: AppConfig, user_id: str, team_id: str | None
) -> TeamConfig:
    """The team chosen among the proposer's (their first when none was chosen)."""
    own = proposer_teams(config, user_id)
    team = next((t for t in own if t.id == team_id), None) if team_id else own[0]
    if team is None:
        errors["team"] = "Choose one of your teams."
        return own[0]
    return team


def _check_audience(
    errors: dict[str, str],
    *,
    config: AppConfig,
    proposer: str,
    people: Sequence[str],
    teams: Sequence[str],
    accounts: Mapping[str, Account],
) -> tuple[list[str], list[str]]:
    """The people and teams chosen to ask, each once; someone or a team that cannot be asked
    goes in ``errors``."""
    chosen_people = list(dict.fromkeys(people))
    if problem := _people_problem(proposer, chosen_people, accounts):
        errors["people"] = problem
    chosen_teams = [t for t in dict.fromkeys(teams) if config.find_team(t) is not None]
    if len(chosen_teams) != len(set(teams)):
        errors["teams"] = "One of the teams you chose is no longer in retrobot; choose again."
    return chosen_people, chosen_teams


def _check_words(errors: dict[str, str], *, text: str | None, why: str | None) -> tuple[str, str]:
    """The proposal and its why, normalised; a problem with either goes in ``errors``."""
    clean_text, clean_why = normalise_input(text), normalise_input(why)
    empty = "Write the proposal: what would change, in a few sentences. This can't be empty."
    if problem := _text_problem(clean_text, limit=TEXT_LIMIT, empty=empty):
        errors["text"] = problem
    if problem := _text_problem(clean_why, limit=WHY_LIMIT, empty=None):
        errors["why"] = problem
    return clean_text, clean_why


def _check_method(errors: dict[str, str], method: str | None) -> ProposalMethod:
    """The method chosen (the advice process when none could be read)."""
    try:
        return ProposalMethod(method or "")
    except ValueError:
        errors["method"] = "Choose how it is decided: the advice process or integrated decision."
        return ProposalMethod.ADVICE


def _check_dates(
    errors: dict[str, str], *, decide_by: str | None, review_date: str | None, today: date
) -> tuple[date | None, date | None]:
    """The decide-by and review dates, each checked against today and each other."""
    deadline = _date(decide_by)
    if problem := _decide_by_problem(deadline, today):
        errors["decide_by"] = problem
    review = _date(review_date)
    if problem := _review_problem(review, review_date, deadline, today):
        errors["review_date"] = problem
    return deadline, review


def _check_asked(
    errors: dict[str, str],
    *,
    team: TeamConfig,
    proposer: str,
    method: ProposalMethod,
    advisors: Sequence[str],
    by_team: bool,
) -> None:
    """Someone to ask (advice), someone to consent (integrated), and not too many."""
    if method is ProposalMethod.ADVICE and not advisors and "people" not in errors:
        errors["people"] = (
            "Choose whom to ask for advice: the people it affects and those with expertise "
            "(people, or whole teams)."
        )
    if method is ProposalMethod.INTEGRATED and not round_members(team, proposer):
        errors["method"] = (
            f"Nobody else is in {team.name} to consent to it; choose the advice process."
        )
    if len(advisors) > MAX_ASKED:
        errors["teams" if by_team else "people"] = (
            f"That asks {len(advisors):,} people; a proposal asks at most {MAX_ASKED:,}."
        )


def check_amendment(
    *,
    proposal: Proposal,
    team: TeamConfig,
    text: str | None,
    why: str | None,
    note: str | None,
    decide_by: str | None,
    now: datetime,
) -> AmendmentDraft:
    """Check the Amend modal; InvalidInputError names each field at fault."""
    errors: dict[str, str] = {}
    clean_text, clean_why, clean_note = (normalise_input(t) for t in (text, why, note))
    empty = "Write the proposal as amended. This can't be empty."
    if problem := _text_problem(clean_text, limit=TEXT_LIMIT, empty=empty):
        errors["text"] = problem
    if problem := _text_problem(clean_why, limit=WHY_LIMIT, empty=None):
        errors["why"] = problem
    empty = "Say in a sentence what changed: everyone who answered is told."
    if problem := _text_problem(clean_note, limit=NOTE_LIMIT, empty=empty):
        errors["note"] = problem
    deadline = _date(decide_by)
    if problem := _decide_by_problem(deadline, local_today(team, now)):
        errors["decide_by"] = problem
    if errors or deadline is None:
        raise InvalidInputError(errors)
    return AmendmentDraft(text=clean_text, why=clean_why, note=clean_note, decide_by=deadline)


def check_decision(
    *,
    proposal: Proposal,
    team: TeamConfig,
    text: str | None,
    shaped_by: str | None,
    review_date: str | None,
    advised: bool,
    now: datetime,
) -> DecisionDraft:
    """Check the Decide modal; how the advice shaped it is needed once someone advised."""
    errors: dict[str, str] = {}
    clean_text, clean_shaped = normalise_input(text), normalise_input(shaped_by)
    empty = "Write the decision: what will happen from now on."
    if problem := _text_problem(clean_text, limit=TEXT_LIMIT, empty=empty):
        errors["text"] = problem
    empty = "Say how the advice you were given shaped the decision." if advised else None
    if problem := _text_problem(clean_shaped, limit=SHAPED_LIMIT, empty=empty):
        errors["shaped_by"] = problem
    review = _date(review_date)
    today = local_today(team, now)
    if problem := _review_problem(review, review_date, today, today):
        errors["review_date"] = problem
    if errors:
        raise InvalidInputError(errors)
    return DecisionDraft(text=clean_text, shaped_by=clean_shaped, review_date=review)


def check_advice(text: str | None) -> str:
    """Check the Give advice modal's text."""
    clean = normalise_input(text)
    empty = "Write your advice, or close this and choose \u201cno advice from me\u201d."
    if problem := _text_problem(clean, limit=ADVICE_LIMIT, empty=empty):
        raise InvalidInputError({"text": problem})
    return clean


def check_reason(answer: RoundAnswer, reason: str | None) -> str:
    """An objection needs its reason; a concern may have one."""
    clean = normalise_input(reason)
    empty = None
    if answer is RoundAnswer.OBJECTION:
        empty = (
            "An objection needs its reason: how would this cause harm or move the team "
            "backwards? (If it wouldn't, raise a concern instead.)"
        )
    if problem := _text_problem(clean, limit=REASON_LIMIT, empty=empty):
        raise InvalidInputError({"reason": problem})
    return clean
