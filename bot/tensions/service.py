"""Tensions: the gaps people sense between how things are and how they could be.

Raising one is the first slice of retrobot; later features triage them into outcomes. Nothing
here knows Slack's JSON: handlers pass plain values in and render what comes back.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import Connection, insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import class_mapper
from sqlmodel import Session, col, update

from bot.core.config import AppConfig, TeamConfig
from bot.core.errors import (
    InvalidInputError,
    NotAllowedError,
    NotFoundError,
    NotInTeamError,
    StaleActionError,
)
from bot.core.text import describe_client_identifiers, find_client_identifiers, normalise_input
from storage import queries
from storage.models import Tension, TensionStatus

TEXT_LIMIT = 2000
AREA_LIMIT = 150
# Outcomes that are a piece of work someone owns (an action: a triaged tension), reported in
# progress updates until done.


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
    stored = _store(session, user_id=user_id, draft=draft, now=now, request_key=request_key)
    if stored is None:
        return None
    session.commit()
    return stored[0]


@dataclass(frozen=True)
class RaisedTension:
    """A tension just stored, and the round of its team's posted agenda it now belongs on."""

    tension: Tension
    agenda_round_id: int | None = None


def raise_tension_onto_agenda(
    db: Session | Connection,
    *,
    user_id: str,
    draft: TensionDraft,
    team: TeamConfig,
    now: datetime,
    request_key: str | None = None,
) -> RaisedTension | None:
    """:func:`raise_tension`, finding in the same statement the posted agenda to update.

    A private tension never appears on an agenda, so no round comes back for it. The INSERT
    returns that round itself: one statement, so even on a connection where it commits by
    itself (:meth:`bot.services.Services.autocommit`, the cheapest way in) an agenda is either
    posted before the tension is stored — and found here — or after it, and then shows it.
    """
    stored = _store(
        db,
        user_id=user_id,
        draft=draft,
        now=now,
        request_key=request_key,
        agenda_of=(team.id, now.astimezone(team.zone).date()),
    )
    if stored is None:
        return None
    tension, round_id = stored
    db.commit()
    return RaisedTension(tension=tension, agenda_round_id=None if tension.private else round_id)


_TENSIONS = Tension.__table__  # type: ignore[attr-defined]
_INSERT_TENSION = insert(_TENSIONS)
_INSERT_TENSION_ONTO_AGENDA = insert(_TENSIONS).returning(
    _TENSIONS.c.id, queries.POSTED_AGENDA_ROUND_OF
)
# Every column's value for a new tension but those a draft sets: the model's own defaults.
_NEW_TENSION = {
    column.key: getattr(Tension(team_id="", raised_by="", text=""), column.key)
    for column in _TENSIONS.columns
    if column.key not in ("id", "created_at", "updated_at")
}
_TENSION_CLASS = class_mapper(Tension).class_manager


def _store(
    db: Session | Connection,
    *,
    user_id: str,
    draft: TensionDraft,
    now: datetime,
    request_key: str | None,
    agenda_of: tuple[str, date] | None = None,
) -> tuple[Tension, int | None] | None:
    """Insert the tension without committing; None, rolled back, if its request was already
    handled (``request_key`` is unique: the INSERT itself decides, so two workers racing with
    the same submission cannot both store it). A plain INSERT with its statement built once:
    the ORM's unit of work costs several times the INSERT itself, on every tension raised.

    With ``agenda_of`` (a team id and its local today) the INSERT also returns the round of
    that team's posted agenda (:func:`storage.queries.posted_agenda_round`), else None.
    """
    values = _NEW_TENSION | {
        "team_id": draft.team_id,
        "raised_by": user_id,
        "text": draft.text,
        "area": draft.area,
        "private": draft.private,
        "source_permalink": draft.permalink,
        "created_at": now,
        "updated_at": now,
        "request_key": request_key,
    }
    round_id = None
    try:
        if agenda_of is None:
            values["id"] = queries.core(db).execute(_INSERT_TENSION, values).inserted_primary_key[0]
        else:
            agenda = {"agenda_team_id": agenda_of[0], "agenda_today": agenda_of[1]}
            row = queries.core(db).execute(_INSERT_TENSION_ONTO_AGENDA, values | agenda).one()
            values["id"], round_id = row
    except IntegrityError:
        db.rollback()
        return None
    # The tension as stored (no column has a server default, so no need to read it back),
    # built as SQLAlchemy builds a loaded row: constructing a SQLModel sets each of its
    # 22 fields through the ORM's instrumentation, ~20 times the cost.
    tension = _TENSION_CLASS.new_instance()
    tension.__dict__.update(values)
    object.__setattr__(tension, "__pydantic_fields_set__", set(values))
    return tension, round_id


@dataclass(frozen=True)
class TeamTensions:
    """One team's tensions as a person may see them."""

    team: TeamConfig
    mine: list[Tension]
    others: list[Tension]
    triaged: list[Tension] = field(default_factory=list)


@dataclass(frozen=True)
class CoachedTensions:
    """The open private tensions of a team, for its coaches' eyes only."""

    team: TeamConfig
    private: list[Tension]


def tensions_overview(session: Session, *, config: AppConfig, user_id: str) -> list[TeamTensions]:
    """For each of the person's teams: their open and triaged tensions, and the team's others.

    Private tensions are shown only to the person who raised them (and, elsewhere, to coaches).
    Triaged ones are the person's own whose outcome still waits for their answer.
    """
    overview = []
    teams = config.teams_of(user_id)
    answers = (
        queries.tensions_raised_by(session, user_id=user_id, statuses=(TensionStatus.TRIAGED,))
        if teams
        else []
    )
    for team in teams:
        open_ones = queries.open_tensions(session, team_id=team.id, include_private=True)
        mine = [t for t in open_ones if t.raised_by == user_id]
        others = [t for t in open_ones if t.raised_by != user_id and not t.private]
        triaged = [t for t in answers if t.team_id == team.id]
        overview.append(TeamTensions(team=team, mine=mine, others=others, triaged=triaged))
    return overview


def coached_overview(session: Session, *, config: AppConfig, user_id: str) -> list[CoachedTensions]:
    """For each team this person coaches: its open private tensions (the team never sees them)."""
    return [
        CoachedTensions(
            team=team,
            private=[
                t
                for t in queries.open_tensions(session, team_id=team.id, include_private=True)
                if t.private
            ],
        )
        for team in config.coached_by(user_id)
    ]


def own_open_tension(session: Session, *, user_id: str, tension_id: int) -> Tension:
    """A tension its raiser may still change: theirs, and not yet triaged or withdrawn."""
    tension = session.get(Tension, tension_id, populate_existing=True)
    if tension is None:
        raise NotFoundError("That tension no longer exists.")
    if tension.raised_by != user_id:
        raise NotAllowedError("Only the person who raised a tension can change it.")
    if tension.status != TensionStatus.OPEN:
        raise StaleActionError(
            "It has been triaged (or withdrawn) already, so it can't be changed now."
        )
    return tension


def edit_tension(
    session: Session, *, user_id: str, tension_id: int, draft: TensionDraft, now: datetime
) -> tuple[Tension, bool]:
    """Change an open tension's words, area and privacy; True as well if it just became private.

    The change is conditional on the tension still being open, so an edit racing a triage
    never rewrites what the meeting decided on.
    """
    tension = own_open_tension(session, user_id=user_id, tension_id=tension_id)
    became_private = draft.private and not tension.private
    statement = (
        update(Tension)
        .where(col(Tension.id) == tension_id, col(Tension.status) == TensionStatus.OPEN)
        .values(text=draft.text, area=draft.area, private=draft.private, updated_at=now)
    )
    if session.exec(statement).rowcount != 1:
        session.rollback()
        raise StaleActionError("It was triaged a moment ago, so it can't be changed now.")
    session.commit()
    return tension_by_id(session, tension_id), became_private


def withdraw_tension(session: Session, *, user_id: str, tension_id: int, now: datetime) -> Tension:
    """Take an open tension off the agenda (its raiser no longer needs it processed)."""
    own_open_tension(session, user_id=user_id, tension_id=tension_id)
    statement = (
        update(Tension)
        .where(col(Tension.id) == tension_id, col(Tension.status) == TensionStatus.OPEN)
        .values(status=TensionStatus.WITHDRAWN, resolved_at=now, updated_at=now)
    )
    if session.exec(statement).rowcount != 1:
        session.rollback()
        raise StaleActionError("It was triaged a moment ago, so it can't be withdrawn now.")
    session.commit()
    return tension_by_id(session, tension_id)


def tension_by_id(session: Session, tension_id: int) -> Tension:
    """The tension as stored now."""
    tension = session.get(Tension, tension_id, populate_existing=True)
    if tension is None:
        raise NotFoundError("That tension no longer exists.")
    return tension


# --- actions: next actions and projects, as triage left them ---------------------------------
