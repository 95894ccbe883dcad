"""Circles' queries: who represents each member team in a circle (the holders of the circle's
representatives role in its teams), read in one query for every circle."""

from __future__ import annotations

from collections.abc import Iterable

from sqlmodel import Session, col, select

from storage.models import Role, RoleHolder


def representatives(
    session: Session, circles: Iterable[tuple[str, Iterable[str], str]]
) -> dict[str, list[str]]:
    """For each (circle id, member team ids, representatives' role id): its representatives,
    each once, in member-team order then longest-standing first."""
    wanted = [(circle_id, list(team_ids), role) for circle_id, team_ids, role in circles]
    found: dict[str, list[str]] = {circle_id: [] for circle_id, _, _ in wanted}
    team_ids = {team_id for _, teams, _ in wanted for team_id in teams}
    role_keys = {role for _, _, role in wanted}
    if not team_ids:
        return found
    rows = session.exec(
        select(Role.team_id, Role.key, RoleHolder.user_id)
        .join(RoleHolder, col(RoleHolder.role_id) == col(Role.id))
        .where(
            col(Role.team_id).in_(team_ids),
            col(Role.key).in_(role_keys),
            col(Role.active).is_(True),
        )
        .order_by(col(RoleHolder.since), col(RoleHolder.id))
    ).all()
    holders: dict[tuple[str, str], list[str]] = {}
    for team_id, key, user_id in rows:
        holders.setdefault((team_id, key), []).append(user_id)
    for circle_id, teams, role in wanted:
        people = [u for team_id in teams for u in holders.get((team_id, role), [])]
        found[circle_id] = list(dict.fromkeys(people))
    return found
