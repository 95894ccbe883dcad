"""Roles' database rules: seeding from app.yaml once, reading a team's roles and one person's,
the changes a decision makes (each kept with the decision), and who to ask about a proposal.

No Slack here; use cases own the transaction (bot.roles.usecases).
"""

from __future__ import annotations

import re
from collections.abc import Collection, Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, bindparam, delete, func, insert
from sqlalchemy import select as sa_select
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, col, select

from bot.core.config import AppConfig, TeamConfig, format_rotation, parse_rotation
from bot.core.errors import InvalidInputError, NotFoundError, StaleActionError
from bot.roles.model import (
    NAME_LIMIT,
    PURPOSE_LIMIT,
    ChangeKind,
    RoleChangeRequest,
    RoleChangeResult,
    RoleDecision,
    RoleInfo,
)
from storage.models import Decision, Role, RoleChange, RoleChangeKind, RoleHolder
from storage.queries import core

# --- Seeding from app.yaml, once per team ------------------------------------------------------


def seed_roles(session: Session, *, config: AppConfig, now: datetime) -> list[str]:
    """Seed the roles of every team that has ``roles:`` in app.yaml and was never seeded; the
    ids of the teams seeded now. Flushed, not committed. Once seeded, a team's roles change only
    by decision: editing app.yaml's ``roles:`` later changes nothing (``retrobot roles`` shows
    what holds)."""
    wanted = {team.id: team for team in config.teams if team.roles}
    if not wanted:
        return []
    # A team is seeded once it has seed changes in its roles' history (kept for ever).
    done = set(
        session.exec(
            select(RoleChange.team_id)
            .where(
                col(RoleChange.team_id).in_(list(wanted)),
                RoleChange.kind == RoleChangeKind.SEED,
            )
            .distinct()
        )
    )
    teams = [team for team_id, team in wanted.items() if team_id not in done]
    if not teams:
        return []
    roles = [
        Role(
            team_id=team.id,
            key=role.id,
            name=role.name,
            purpose=role.purpose,
            accountabilities=list(role.accountabilities),
            expertise=list(role.expertise),
            rotation=role.rotates or "",
            created_at=now,
            updated_at=now,
        )
        for team in teams
        for role in team.roles
    ]
    session.add_all(roles)
    session.flush()
    holders = {(team.id, role.id): role.holders for team in teams for role in team.roles}
    rows = []
    for role in roles:
        assert role.id is not None
        people = list(dict.fromkeys(holders[(role.team_id, role.key)]))
        rows.append({"role_id": role.id, "people": people, "team_id": role.team_id})
    _insert_holders(session, [(r["role_id"], p) for r in rows for p in r["people"]], now)
    session.add_all(
        RoleChange(
            team_id=role.team_id,
            role_id=role.id,  # type: ignore[arg-type]
            kind=RoleChangeKind.SEED,
            after=_info(role, row["people"]).as_dict(),
            changed_at=now,
        )
        for role, row in zip(roles, rows, strict=True)
    )
    session.flush()
    return [team.id for team in teams]


def _insert_holders(session: Session, pairs: Iterable[tuple[int, str]], now: datetime) -> None:
    """Insert holders in one statement (role id, user id)."""
    values = [{"role_id": role_id, "user_id": user_id, "since": now} for role_id, user_id in pairs]
    if values:
        session.execute(insert(RoleHolder.__table__), values)  # type: ignore[attr-defined]


# --- Reading ------------------------------------------------------------------------------------


def _info(role: Role | Row[Any], holders: Sequence[str]) -> RoleInfo:
    """A role as shown, from its model or a row of the same columns."""
    assert role.id is not None
    return RoleInfo(
        id=role.id,
        team_id=role.team_id,
        key=role.key,
        name=role.name,
        purpose=role.purpose,
        accountabilities=tuple(role.accountabilities),
        expertise=tuple(role.expertise),
        holders=tuple(holders),
        rotation=role.rotation,
    )


# The roles of a few teams and their holders, in one statement built once (the tension modal
# asks on every `/tension`): the ORM's loading and a statement built per call cost several
# times the query itself.
_ROLE_TABLE, _HOLDER_TABLE = Role.__table__, RoleHolder.__table__  # type: ignore[attr-defined]
_ROLES_OF_TEAMS = (
    sa_select(
        _ROLE_TABLE.c.id,
        _ROLE_TABLE.c.team_id,
        _ROLE_TABLE.c.key,
        _ROLE_TABLE.c.name,
        _ROLE_TABLE.c.purpose,
        _ROLE_TABLE.c.accountabilities,
        _ROLE_TABLE.c.expertise,
        _ROLE_TABLE.c.rotation,
        _HOLDER_TABLE.c.user_id,
    )
    .select_from(_ROLE_TABLE.outerjoin(_HOLDER_TABLE, _HOLDER_TABLE.c.role_id == _ROLE_TABLE.c.id))
    .where(
        _ROLE_TABLE.c.team_id.in_(bindparam("team_ids", expanding=True)),
        _ROLE_TABLE.c.active.is_(True),
    )
    .order_by(_ROLE_TABLE.c.team_id, _ROLE_TABLE.c.id, _HOLDER_TABLE.c.since, _HOLDER_TABLE.c.id)
)


def roles_of_teams(
    db: Session | Connection, team_ids: Collection[str]
) -> dict[str, list[RoleInfo]]:
    """Each team's active roles with their holders (longest-standing first), in one query
    whatever the team count (on a session's connection: what it has not flushed is not read)."""
    if not team_ids:
        return {}
    found: dict[str, list[RoleInfo]] = {team_id: [] for team_id in team_ids}
    rows: dict[int, tuple[Any, list[str]]] = {}
    for row in core(db).execute(_ROLES_OF_TEAMS, {"team_ids": list(team_ids)}):
        if row.id not in rows:
            rows[row.id] = (row, [])
        if row.user_id is not None:
            rows[row.id][1].append(row.user_id)
    for row, holders in rows.values():  # in the query's order: by team, then as made
        found[row.team_id].append(_info(row, holders))
    return found


def holders_of(session: Session, role_ids: Collection[int]) -> dict[int, list[str]]:
    """Each role's holders, longest-standing first."""
    if not role_ids:
        return {}
    rows = session.exec(
        select(RoleHolder.role_id, RoleHolder.user_id)
        .where(col(RoleHolder.role_id).in_(list(role_ids)))
        .order_by(col(RoleHolder.role_id), col(RoleHolder.since), col(RoleHolder.id))
    )
    found: dict[int, list[str]] = {}
    for role_id, user_id in rows:
        found.setdefault(role_id, []).append(user_id)
    return found


def team_roles(session: Session, *, team_id: str) -> list[RoleInfo]:
    """The team's active roles, in the order they were made."""
    return roles_of_teams(session, [team_id])[team_id]


def roles_held_by(session: Session, *, user_id: str, team_ids: Collection[str]) -> list[RoleInfo]:
    """The roles this person holds in these teams."""
    held = roles_of_teams(session, team_ids)
    return [role for roles in held.values() for role in roles if user_id in role.holders]


def find_role(session: Session, *, team_id: str, key: str) -> Role | None:
    """The team's role with this id (active or removed), or None."""
    return session.exec(select(Role).where(Role.team_id == team_id, Role.key == key)).first()


def role_history(session: Session, *, team_id: str) -> list[tuple[str, RoleChange]]:
    """Every change to the team's roles, oldest first, each with its role's id."""
    rows = session.exec(
        select(Role.key, RoleChange)
        .join(Role, col(Role.id) == col(RoleChange.role_id))
        .where(RoleChange.team_id == team_id)
        .order_by(col(RoleChange.changed_at), col(RoleChange.id))
    )
    return [(key, change) for key, change in rows]


def last_decisions(session: Session, *, team_id: str) -> dict[str, RoleDecision]:
    """For each of the team's roles a decision changed, the latest such decision, by role id."""
    rows = session.exec(
        select(Role.key, RoleChange.kind, RoleChange.decision_id, RoleChange.changed_at)
        .join(Role, col(Role.id) == col(RoleChange.role_id))
        .where(RoleChange.team_id == team_id, col(RoleChange.decision_id).is_not(None))
        .order_by(col(RoleChange.changed_at), col(RoleChange.id))
    ).all()
    ids = [decision_id for _, _, decision_id, _ in rows if decision_id is not None]
    texts = dict(
        session.exec(select(Decision.id, Decision.text).where(col(Decision.id).in_(ids))).all()
    )
    return {
        key: RoleDecision(decision_id or 0, kind.value, changed_at, texts.get(decision_id, ""))
        for key, kind, decision_id, changed_at in rows
    }


def role_concentration(
    session: Session, *, team_ids: Collection[str]
) -> dict[str, tuple[int, int]]:
    """For each team whose one person holds more than half of its roles: (how many they hold,
    how many roles the team has) — counts for the coach digest, naming nobody. Teams with fewer
    than 3 roles are left out: one person holding one of two roles says nothing."""
    if not team_ids:
        return {}
    held = (
        select(Role.team_id, RoleHolder.user_id, func.count().label("held"))
        .join(RoleHolder, col(RoleHolder.role_id) == col(Role.id))
        .where(col(Role.team_id).in_(list(team_ids)), col(Role.active).is_(True))
        .group_by(col(Role.team_id), col(RoleHolder.user_id))
    )
    totals = dict(
        session.exec(
            select(Role.team_id, func.count())
            .where(col(Role.team_id).in_(list(team_ids)), col(Role.active).is_(True))
            .group_by(col(Role.team_id))
        ).all()
    )
    most: dict[str, int] = {}
    for team_id, _user, count in session.execute(held):
        most[team_id] = max(most.get(team_id, 0), count)
    return {
        team_id: (count, totals[team_id])
        for team_id, count in most.items()
        if totals.get(team_id, 0) >= 3 and count * 2 > totals[team_id]
    }


# --- Changes an adopted decision makes ----------------------------------------------------------


def check_change(change: RoleChangeRequest, *, team: TeamConfig | None) -> RoleChangeRequest:
    """The change with its words trimmed and its holders checked against the team (when known);
    InvalidInputError names each field at fault."""
    errors: dict[str, str] = {}
    name = change.name.strip() if change.name is not None else None
    if change.kind == ChangeKind.CREATE and not name:
        errors["name"] = "A new role needs a name."
    elif name is not None and (not name or len(name) > NAME_LIMIT):
        errors["name"] = f"A role's name is 1 to {NAME_LIMIT} characters."
    if change.purpose is not None and len(change.purpose) > PURPOSE_LIMIT:
        errors["purpose"] = f"Please keep the purpose under {PURPOSE_LIMIT} characters."
    rotation = change.rotation
    if rotation:
        try:
            rotation = format_rotation(parse_rotation(rotation))
        except ValueError as error:
            errors["rotation"] = str(error)
    holders = tuple(dict.fromkeys(change.holders)) if change.holders is not None else None
    if fault := _holders_fault(change.kind, holders, rotation=rotation, team=team):
        errors["holders"] = fault
    if errors:
        raise InvalidInputError(errors)
    return RoleChangeRequest(
        kind=change.kind,
        role=change.role,
        name=name,
        purpose=change.purpose.strip() if change.purpose is not None else None,
        accountabilities=_words(change.accountabilities),
        expertise=_words(change.expertise),
        holders=holders,
        rotation=rotation,
    )


def _holders_fault(
    kind: ChangeKind,
    holders: tuple[str, ...] | None,
    *,
    rotation: str | None,
    team: TeamConfig | None,
) -> str | None:
    """What is wrong with a change's holders, if anything: none where some are needed, a coach,
    someone outside the team (when the team's members are known)."""
    if kind == ChangeKind.ASSIGN and not holders:
        return "Say who is to hold the role."
    if kind == ChangeKind.CREATE and not holders and not rotation:
        return "A new role needs holders, or a rotation to pass it around."
    if not holders or team is None:
        return None
    if outsiders := [h for h in holders if h in team.coach_ids]:
        return f"Coaches hold no role in a team ({', '.join(outsiders)})."
    if team.usergroup is None and (strangers := [h for h in holders if h not in team.member_ids]):
        return f"Only the team's members hold its roles ({', '.join(strangers)})."
    return None


def _words(values: tuple[str, ...] | None) -> tuple[str, ...] | None:
    return None if values is None else tuple(v.strip() for v in values if v.strip())


def change_role(
    session: Session,
    *,
    team_id: str,
    change: RoleChangeRequest,
    decision_id: int,
    now: datetime,
) -> RoleChangeResult:
    """Apply a checked change to the team's role, recording it with ``decision_id``; flushed,
    not committed. The same decision applied again changes nothing (``applied`` False)."""
    role = find_role(session, team_id=team_id, key=change.role)
    if role is not None and role.id is not None:
        done = session.exec(
            select(RoleChange.id).where(
                RoleChange.role_id == role.id, RoleChange.decision_id == decision_id
            )
        ).first()
        if done is not None:
            return RoleChangeResult(role=_current(session, role), applied=False)
    role, before = _changed_role(session, team_id=team_id, role=role, change=change, now=now)
    assert role.id is not None
    holders = holders_of(session, [role.id]).get(role.id, [])
    if change.kind == ChangeKind.REMOVE:
        holders = []
    elif change.holders is not None:
        holders = list(change.holders)
    replace_holders(session, {role.id: holders}, now)
    after = _info(role, holders)
    session.add(
        RoleChange(
            team_id=team_id,
            role_id=role.id,
            kind=RoleChangeKind(change.kind.value),
            decision_id=decision_id,
            before=before,
            after=after.as_dict() if change.kind != ChangeKind.REMOVE else {},
            changed_at=now,
        )
    )
    try:
        session.flush()
    except IntegrityError:
        session.rollback()
        raise StaleActionError("That decision has changed this role already.") from None
    return RoleChangeResult(role=after, applied=True)


def _changed_role(
    session: Session, *, team_id: str, role: Role | None, change: RoleChangeRequest, now: datetime
) -> tuple[Role, dict[str, Any]]:
    """The role row with the change's words set (made when the change creates it), and what
    it was before."""
    if change.kind == ChangeKind.CREATE:
        if role is not None and role.active:
            raise InvalidInputError({"role": f"The team already has a role {change.role!r}."})
        before = _current(session, role).as_dict() if role is not None else {}
        if role is None:
            role = Role(team_id=team_id, key=change.role, name=change.name or "", created_at=now)
        role.active = True
    else:
        if role is None or not role.active:
            raise NotFoundError(f"The team has no role {change.role!r}.")
        before = _current(session, role).as_dict()
    if change.kind == ChangeKind.REMOVE:
        role.active = False
    for field in ("name", "purpose", "accountabilities", "expertise", "rotation"):
        value = getattr(change, field)
        if value is not None:
            setattr(role, field, list(value) if isinstance(value, tuple) else value)
    role.updated_at = now
    session.add(role)
    session.flush()
    return role, before


def _current(session: Session, role: Role) -> RoleInfo:
    assert role.id is not None
    return _info(role, holders_of(session, [role.id]).get(role.id, []))


def replace_holders(session: Session, holders: dict[int, list[str]], now: datetime) -> None:
    """Make these roles' holders exactly the people given (one DELETE, one INSERT)."""
    if not holders:
        return
    session.execute(delete(RoleHolder).where(col(RoleHolder.role_id).in_(list(holders))))
    _insert_holders(session, [(r, u) for r, people in holders.items() for u in people], now)


# --- Who to ask about a proposal ----------------------------------------------------------------

_WORD = re.compile(r"[a-z0-9]+(?:['’-][a-z0-9]+)*")
# Words too common in care teams' writing to say which role a proposal touches.
_COMMON_WORDS = """a about after all also an and any are as at be because been before being
    but by can
    could do does for from get got had has have how if in into is it its make more most
    need needs new not of on or our out over should so some such than that the their them then
    there these they this to up us was we were what when where which who will with would you
    your team teams client clients people everyone care week weeks day days time"""
_COMMON = frozenset(_COMMON_WORDS.split())


def _stem(word: str) -> str:
    """A rough stem so that 'rotas' meets 'rota' and 'audits' meets 'audit'."""
    for suffix in ("ing", "es", "s"):
        if len(word) > len(suffix) + 3 and word.endswith(suffix):
            return word[: -len(suffix)]
    return word


def _terms(text: str) -> set[str]:
    return {_stem(w) for w in _WORD.findall(text.lower()) if w not in _COMMON and len(w) > 2}


def touched_roles(roles: Sequence[RoleInfo], text: str) -> list[RoleInfo]:
    """The roles whose expertise, name or purpose the text touches, in the order given.

    An expertise word or phrase counts when all its words are in the text; a name's or purpose's
    words count when one of them (not a common word) is.
    """
    words = _terms(text)
    if not words:
        return []
    touched = []
    for role in roles:
        expertise = [_terms(phrase) for phrase in role.expertise]
        if any(terms and terms <= words for terms in expertise) or (
            _terms(f"{role.name} {role.purpose}") & words
        ):
            touched.append(role)
    return touched


def suggest_advisors(
    roles: Sequence[RoleInfo], text: str, *, exclude: Collection[str] = ()
) -> list[str]:
    """The holders of the roles a proposal's text touches, each once, to ask for advice
    (the proposal modal suggests them; ``exclude`` leaves out the proposer)."""
    found: dict[str, None] = {}
    for role in touched_roles(roles, text):
        for holder in role.holders:
            if holder not in exclude:
                found.setdefault(holder)
    return list(found)
