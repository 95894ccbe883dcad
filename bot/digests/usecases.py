"""What people and jobs do with weekly summaries and coach digests: one function each.

Each opens the session (and so owns the transaction), reads the week's figures through
:mod:`bot.digests.service`, and sends through :mod:`bot.digests.delivery`. The scheduler, the
command line, the demo and `/retro digest` call these.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from bot.digests import delivery, service
from bot.digests.model import (
    CoachDigest,
    DeliveryOutcome,
    DeliveryReport,
    ReceivedDigests,
    TeamFigures,
    TeamSummary,
)
from bot.services import Services
from storage.models import DigestKind


def send_team_summary(
    services: Services, *, team_id: str, week: str, now: datetime
) -> DeliveryReport:
    """Post the team's summary of ``week`` to its channel, once: headline, thread, chart."""
    with services.session() as session:
        summary = service.build_team_summary(
            session, config=services.config, team_id=team_id, week=week, now=now
        )
        return delivery.deliver_team_summary(
            services.client, services.renderer, session, summary, now=now
        )


def send_coach_digest(
    services: Services,
    *,
    coach_id: str,
    week: str,
    now: datetime,
    team_ids: Sequence[str] | None = None,
) -> DeliveryReport:
    """DM a coach one digest of ``week`` for the teams they coach, each team once only.

    ``team_ids`` narrows the digest to some of the coach's teams (`retrobot digest --team`).
    """
    coached = [
        team.id
        for team in services.config.coached_by(coach_id)
        if team_ids is None or team.id in team_ids
    ]
    if not coached:
        return DeliveryReport(
            kind=DigestKind.COACH_DIGEST,
            recipient=coach_id,
            week=week,
            outcome=DeliveryOutcome.NOTHING_TO_SEND,
        )
    with services.session() as session:
        # Built first: a week that cannot be summarised claims nothing.
        digest = service.build_coach_digest(
            session, config=services.config, coach_id=coach_id, week=week, now=now, team_ids=coached
        )
        return delivery.deliver_coach_digest(
            services.client, services.renderer, session, digest, now=now
        )


def week_summary(services: Services, *, team_id: str, week: str, now: datetime) -> TeamSummary:
    """The team's summary of ``week``, to print (`retrobot summary`, the demo)."""
    with services.session() as session:
        return service.build_team_summary(
            session, config=services.config, team_id=team_id, week=week, now=now
        )


def week_digest(services: Services, *, coach_id: str, week: str, now: datetime) -> CoachDigest:
    """The coach's digest of ``week`` across the teams they coach, to print (the demo)."""
    with services.session() as session:
        return service.build_coach_digest(
            session, config=services.config, coach_id=coach_id, week=week, now=now
        )


def team_digests(
    services: Services, *, team_id: str, week: str, now: datetime
) -> list[CoachDigest]:
    """What each of the team's coaches would receive about it for ``week`` (`retrobot digest`)."""
    team = services.config.team(team_id)
    with services.session() as session:
        return [
            service.build_coach_digest(
                session,
                config=services.config,
                coach_id=coach_id,
                week=week,
                now=now,
                team_ids=[team.id],
            )
            for coach_id in team.coach_ids
        ]


def week_figures(services: Services, *, team_id: str, week: str, now: datetime) -> TeamFigures:
    """The team's figures of ``week`` (the chart `retrobot digest --chart` saves)."""
    with services.session() as session:
        figures, _ = service.build_team_figures(
            session, config=services.config, team_ids=[team_id], week=week, now=now
        )
    return figures[team_id]


def received_digests(services: Services, *, user_id: str) -> ReceivedDigests:
    """The coach digests a person may read (`/retro digest`); NotInTeamError when in no team."""
    teams = service.digest_teams_of(services.config, user_id)
    with services.session() as session:
        received = service.digests_received(session, config=services.config, user_id=user_id)
    return ReceivedDigests(team_names=[team.name for team in teams], received=received)
