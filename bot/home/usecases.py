"""The App Home: each feature contributes its section for the person looking at it.

A section is a function ``(session, services, user_id, now) -> list[Block]``; they are shown in
the order of ``HOME_SECTIONS``. Every section reads only what that person may see.
"""

from __future__ import annotations

from collections.abc import Callable
from contextvars import ContextVar
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from bot.core.meetings import local_today, next_meeting
from bot.feedback import service as feedback
from bot.feedback.views import build_feedback_home_section
from bot.home.views import build_home, build_tensions_section
from bot.roles import usecases as roles
from bot.services import Services
from bot.slack.blocks import Block
from bot.tensions import service as tensions
from bot.triage.views import HomeAction, HomeMeeting, build_progress_section
from storage import queries

HomeSection = Callable[[Session, Services, str, datetime], list[Block]]


def tensions_section(
    session: Session, services: Services, user_id: str, now: datetime
) -> list[Block]:
    """Open tensions: the person's own (private ones too) and their teams' others; for a coach,
    the private tensions of the teams they coach."""
    overview = tensions.tensions_overview(session, config=services.config, user_id=user_id)
    coached = tensions.coached_overview(session, config=services.config, user_id=user_id)
    return build_tensions_section(services.renderer, overview=overview, coached=coached)


# The page of received feedback to show; the "Older"/"Newer" buttons set it while they publish
# the Home tab (the page travels in the button, so any worker can serve the next click).
FEEDBACK_PAGE: ContextVar[int] = ContextVar("feedback_page", default=0)


def feedback_section(
    session: Session, services: Services, user_id: str, now: datetime
) -> list[Block]:
    """Feedback the person received (paged), requests waiting for them, and their own requests."""
    overview = feedback.feedback_home(
        session, config=services.config, user_id=user_id, now=now, page=FEEDBACK_PAGE.get()
    )
    return build_feedback_home_section(services.renderer, overview=overview)


HOME_SECTIONS: list[HomeSection] = [tensions_section]
HOME_SECTIONS.append(feedback_section)


def progress_section(
    session: Session, services: Services, user_id: str, now: datetime
) -> list[Block]:
    """The next meeting of each of the person's teams (in their own time zone), and the next
    actions and projects they own, with Done buttons."""
    config = services.config
    meetings = [
        HomeMeeting(team.name, next_meeting(team, now).at, team.zone_of(user_id))
        for team in config.teams_of(user_id)
    ]
    items = []
    for tension in queries.open_actions_of(session, user_id=user_id):
        team = config.find_team(tension.team_id)
        if team is not None:  # a team since removed from app.yaml has no meetings to report to
            overdue = queries.is_overdue(tension, local_today(team, now))
            items.append(HomeAction(tension, team.name, overdue))
    if not meetings and not items:
        return []
    return build_progress_section(services.renderer, items=items, meetings=meetings)


HOME_SECTIONS.append(progress_section)


def checkin_section(
    session: Session, services: Services, user_id: str, now: datetime
) -> list[Block]:
    """This week's check-in in each of the person's teams, with its button, and whether they
    are away (with "Away until…" or "I'm back")."""
    from bot.checkins import service as checkins
    from bot.checkins.views import build_checkin_home_section

    overview = checkins.checkin_overview(session, config=services.config, user_id=user_id, now=now)
    return build_checkin_home_section(services.renderer, overview=overview)


HOME_SECTIONS.append(checkin_section)


def roles_section(session: Session, services: Services, user_id: str, now: datetime) -> list[Block]:
    """Roles: "Your roles" and each of the person's teams' roles (bot.roles)."""
    return roles.home_section(session, services, user_id, now)


HOME_SECTIONS.append(roles_section)


def decisions_section(
    session: Session, services: Services, user_id: str, now: datetime
) -> list[Block]:
    """Deciding: "Advice asked of you" and "Your proposals" (bot.decisions)."""
    from bot.decisions.usecases import home_section

    return home_section(session, services, user_id, now)


HOME_SECTIONS.append(decisions_section)


def retro_section(session: Session, services: Services, user_id: str, now: datetime) -> list[Block]:
    """The retrospective open in each of the person's teams, with Reflect or Vote (issue 18)."""
    from bot.retros.usecases import home_section

    return home_section(session, services, user_id, now)


def shifts_section(
    session: Session, services: Services, user_id: str, now: datetime
) -> list[Block]:
    """Shifts: "Your working time", what waits for it, and its buttons (bot.shifts)."""
    from bot.shifts.usecases import home_section

    return home_section(session, services, user_id, now)


HOME_SECTIONS.append(retro_section)
HOME_SECTIONS.append(shifts_section)


def home_view(
    session: Session, *, services: Services, user_id: str, now: datetime
) -> dict[str, Any]:
    """The person's whole App Home view."""
    from bot.checkins.service import (
        teams_of,  # a Slack user group's members are in the database only
    )

    in_team = (
        bool(services.config.teams_of(user_id))
        or services.config.is_coach(user_id)
        or bool(teams_of(session, config=services.config, user_id=user_id))
    )
    sections = (
        [section(session, services, user_id, now) for section in HOME_SECTIONS] if in_team else []
    )
    return build_home(services.renderer, sections=sections, in_team=in_team)


def publish_home(services: Services, client: WebClient, user_id: str) -> None:
    """Build and publish the person's App Home."""
    with services.session() as session:
        view = home_view(session, services=services, user_id=user_id, now=services.now())
    client.views_publish(user_id=user_id, view=view)
