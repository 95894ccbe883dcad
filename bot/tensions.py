"""Tensions: the gaps people sense between how things are and how they could be.

Raising one is the first slice of retrobot; later features triage them into outcomes. Nothing
here knows Slack's JSON: handlers pass plain values in and render what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.exc import IntegrityError
from sqlmodel import Session

from bot.config import AppConfig, TeamConfig
from bot.errors import InvalidInputError, NotInTeamError
from bot.text import describe_client_identifiers, find_client_identifiers, normalise_input
from storage import queries
from storage.models import ProcessedEvent, Tension

TEXT_LIMIT = 2000
AREA_LIMIT = 150


@dataclass(frozen=True)
class TensionDraft:
    """A tension as typed in the modal, checked and ready to store."""

    team_id: str
    text: str
    area: str = ""
    private: bool = False
    permalink: str | None = None


def teams_for(config: AppConfig, user_id: str) -> list[TeamConfig]:
    """The teams a person may raise tensions for; raises NotInTeamError when there are none."""
    teams = config.teams_of(user_id)
    if not teams:
        raise NotInTeamError(
            "You're not in a retrobot team yet, so there is no agenda to add this to."
        )
    return teams


def default_team(config: AppConfig, user_id: str, channel_id: str | None = None) -> TeamConfig:
    """The team a person most likely means: the one whose channel they are in, else their first."""
    teams = teams_for(config, user_id)
    for team in teams:
        if team.channel == channel_id:
            return team
    return teams[0]


def check_draft(
    *,
    config: AppConfig,
    user_id: str,
    team_id: str | None,
    text: str | None,
    area: str | None,
    private: bool,
    permalink: str | None = None,
) -> TensionDraft:
    """Check what was typed in the tension modal; InvalidInputError names each field at fault."""
    teams = teams_for(config, user_id)
    errors: dict[str, str] = {}
    clean_text = normalise_input(text)
    clean_area = normalise_input(area)
    if not clean_text:
        errors["text"] = "Say in a few words what the tension is — this can't be empty."
    elif len(clean_text) > TEXT_LIMIT:
        errors["text"] = (
            f"That's {len(clean_text):,} characters; please keep it under {TEXT_LIMIT:,}. "
            "The detail can come in the meeting."
        )
    elif found := find_client_identifiers(clean_text):
        errors["text"] = describe_client_identifiers(found)
    if len(clean_area) > AREA_LIMIT:
        errors["area"] = f"Please keep the role or area under {AREA_LIMIT} characters."
    elif found := find_client_identifiers(clean_area):
        errors["area"] = describe_client_identifiers(found)
    team_ids = [team.id for team in teams]
    chosen = team_id or team_ids[0]
    if chosen not in team_ids:
        errors["team"] = "Choose one of your own teams."
    if errors:
        raise InvalidInputError(errors)
    return TensionDraft(
        team_id=chosen, text=clean_text, area=clean_area, private=private, permalink=permalink
    )


def raise_tension(
    session: Session,
    *,
    user_id: str,
    draft: TensionDraft,
    now: datetime,
    request_key: str | None = None,
) -> Tension | None:
    """Store a checked tension for its team's next tactical meeting.

    ``request_key`` names the request that raised it (the modal's view id): the same request
    arriving twice (a double click, a retry) stores one tension and returns None the second time.
    """
    if request_key:
        session.add(ProcessedEvent(event_id=f"tension:{request_key}", received_at=now))
    tension = Tension(
        team_id=draft.team_id,
        raised_by=user_id,
        text=draft.text,
        area=draft.area,
        private=draft.private,
        source_permalink=draft.permalink,
        created_at=now,
        updated_at=now,
    )
    session.add(tension)
    try:
        session.commit()
    except IntegrityError:
        session.rollback()
        return None
    session.refresh(tension)
    return tension


@dataclass(frozen=True)
class TeamTensions:
    """One team's open tensions as a person may see them."""

    team: TeamConfig
    mine: list[Tension]
    others: list[Tension]


def tensions_overview(session: Session, *, config: AppConfig, user_id: str) -> list[TeamTensions]:
    """For each of the person's teams: the open tensions they raised, and the team's others.

    Private tensions are shown only to the person who raised them (and, elsewhere, to coaches).
    """
    overview = []
    for team in config.teams_of(user_id):
        open_ones = queries.open_tensions(session, team_id=team.id, include_private=True)
        mine = [t for t in open_ones if t.raised_by == user_id]
        others = [t for t in open_ones if t.raised_by != user_id and not t.private]
        overview.append(TeamTensions(team=team, mine=mine, others=others))
    return overview
