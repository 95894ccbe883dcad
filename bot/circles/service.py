"""Circles' database rules: who sits in a circle, and the issues its teams have in common.

No Slack here.
"""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import func
from sqlmodel import Session, col, select

from bot.circles.model import COMMON_TEAMS, CommonIssue
from bot.core.config import AppConfig
from storage import circles as circle_queries
from storage.models import Role, Tension, TensionRole, TensionStatus

# A tension is still open for the circle while nobody has triaged it, or its outcome stands.
_OPEN = (TensionStatus.OPEN, TensionStatus.TRIAGED)


def representatives(session: Session, *, config: AppConfig, circle_id: str) -> list[str]:
    """The circle's members: the holders of its representatives' role in its member teams."""
    circle = config.find_circle(circle_id)
    if circle is None:
        return []
    found = circle_queries.representatives(
        session, [(circle.id, circle.teams, circle.representatives)]
    )
    return found[circle.id]


def issues_in_common(
    session: Session, *, team_ids: Collection[str], min_teams: int = COMMON_TEAMS
) -> list[CommonIssue]:
    """Roles and areas on which at least ``min_teams`` of these teams have open, shared (not
    private) tensions, most teams first. Counted in SQL: two grouped queries, whatever the
    number of tensions. Names nobody and quotes no tension."""
    if len(team_ids) < min_teams:
        return []
    shared = (
        col(Tension.team_id).in_(list(team_ids)),
        col(Tension.status).in_(_OPEN),
        col(Tension.private).is_(False),
    )
    by_role = session.exec(
        select(
            Role.key,
            func.min(Role.name),
            func.count(func.distinct(Tension.team_id)),
            func.count(),
        )
        .join(TensionRole, col(TensionRole.tension_id) == col(Tension.id))
        .join(Role, col(Role.id) == col(TensionRole.role_id))
        .where(*shared)
        .group_by(col(Role.key))
        .having(func.count(func.distinct(Tension.team_id)) >= min_teams)
    ).all()
    area = func.lower(func.trim(Tension.area))
    routed = select(TensionRole.tension_id)
    by_area = session.exec(
        select(
            area, func.min(Tension.area), func.count(func.distinct(Tension.team_id)), func.count()
        )
        .where(*shared, area != "", col(Tension.id).not_in(routed))
        .group_by(area)
        .having(func.count(func.distinct(Tension.team_id)) >= min_teams)
    ).all()
    issues = [CommonIssue(name, teams, count) for _, name, teams, count in by_role]
    named = {issue.label.lower() for issue in issues}
    issues += [
        CommonIssue(label.strip(), teams, count)
        for key, label, teams, count in by_area
        if key not in named
    ]
    return sorted(issues, key=lambda i: (-i.teams, -i.tensions, i.label.lower()))
