"""A proposal that changes a role (DESIGN.md, Roles: roles change only by decision).

The proposal modal's "This proposal changes a role" part is checked here against the team's
roles and people (:func:`check_role_change`), kept on the proposal as plain JSON
(``proposal.role_change``), and applied when the proposal is adopted
(:func:`apply_on_adoption`), through ``bot.roles.usecases.apply_role_change`` in the adoption's
own transaction: the proposal leaves "open" and the role changes in one commit, so a second
click or a restart changes nothing. A change that can no longer be made then (a holder left the
team, the role was removed meanwhile) is not made; the decision is recorded anyway, with why.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlmodel import Session

from bot.core.config import AppConfig, TeamConfig
from bot.core.errors import InvalidInputError, NotFoundError
from bot.core.text import normalise_input
from bot.roles import service as roles
from bot.roles import usecases as role_usecases
from bot.roles.model import ChangeKind, RoleChangeRequest, RoleInfo
from storage.models import Decision, DecisionKind, Proposal

# The rotations the modal offers (app.yaml accepts any "every N weeks", 1 to 52).
ROTATIONS = ("every meeting", "every week", "every 2 weeks", "every 4 weeks", "every 8 weeks")
NO_ROTATION = "none"  # the modal's "Does not rotate"
NO_CHANGE = "none"  # the modal's "No role change"
ROLE_KEY_LIMIT = 40
_NOT_KEY = re.compile(r"[^a-z0-9]+")


@dataclass(frozen=True)
class RoleChangeForm:
    """What the modal's role part holds, as typed; ``role`` is "<team id>:<role id>"."""

    kind: str | None = None
    role: str | None = None
    name: str = ""
    purpose: str = ""
    accountabilities: str = ""
    expertise: str = ""
    holders: tuple[str, ...] = ()
    rotation: str | None = None


@dataclass(frozen=True)
class RoleOutcome:
    """What adopting a proposal did to its role: made (the role's holders after it), or not
    made, with why (``why`` one of left, coach, no_role, exists, invalid; ``people`` named)."""

    change: dict[str, Any]
    made: bool
    holders: tuple[str, ...] = ()
    why: str | None = None
    people: tuple[str, ...] = field(default_factory=tuple)


def role_key(name: str) -> str:
    """The id a new role gets from its name ("Rota organiser" -> "rota-organiser")."""
    return _NOT_KEY.sub("-", name.lower()).strip("-")[:ROLE_KEY_LIMIT].strip("-") or "role"


# --- checking the modal ---------------------------------------------------------------------


def check_role_change(
    form: RoleChangeForm, *, config: AppConfig, team: TeamConfig, team_roles: Sequence[RoleInfo]
) -> dict[str, Any] | None:
    """The change as the proposal keeps it, or None when it changes no role; InvalidInputError
    names each field at fault (``role_*``), in words fit for the person proposing."""
    if not form.kind or form.kind == NO_CHANGE:
        return None
    try:
        kind = ChangeKind(form.kind)
    except ValueError:
        raise InvalidInputError({"role_kind": "Choose what the proposal does to a role."}) from None
    errors: dict[str, str] = {}
    active = {role.key: role for role in team_roles}
    if kind == ChangeKind.CREATE:
        name = normalise_input(form.name).strip()
        key, role_name = role_key(name), name
        same = [r for r in team_roles if r.key == key or r.name.casefold() == name.casefold()]
        if not name:
            errors["role_name"] = "A new role needs a name."
        elif same:
            errors["role_name"] = f"{team.name} already has a role called {same[0].name}."
    else:
        key, role_name = _chosen_role(errors, form.role, team=team, active=active)
    holders = tuple(dict.fromkeys(form.holders))
    if fault := _holders_fault(kind, holders, form, config=config, team=team):
        errors["role_holders"] = fault
    request = _request(kind, key, form, holders)
    if kind == ChangeKind.CHANGE and not errors and _changes_nothing(request):
        errors["role_purpose"] = (
            "Say what changes: its purpose, accountabilities, expertise or rotation."
        )
    try:
        checked = roles.check_change(request, team=None)
    except InvalidInputError as error:
        errors = {f"role_{name}": text for name, text in error.field_errors.items()} | errors
    if errors:
        raise InvalidInputError(errors)
    return stored(checked, role_name=role_name)


def _chosen_role(
    errors: dict[str, str], value: str | None, *, team: TeamConfig, active: Mapping[str, RoleInfo]
) -> tuple[str, str]:
    """The role chosen (its id and name) if it is one of the team's roles now."""
    team_id, _, key = (value or "").partition(":")
    if not value:
        errors["role_role"] = "Choose the role it changes."
    elif team_id != team.id:
        errors["role_role"] = f"That role is another team's: choose one of {team.name}'s roles."
    elif key not in active:
        errors["role_role"] = f"{team.name} has no such role now: choose one of its roles."
    else:
        return key, active[key].name
    return key or "role", ""


def _holders_fault(
    kind: ChangeKind,
    holders: tuple[str, ...],
    form: RoleChangeForm,
    *,
    config: AppConfig,
    team: TeamConfig,
) -> str | None:
    """What is wrong with the holders chosen, if anything, naming the people (not their ids)."""
    if kind == ChangeKind.ASSIGN and not holders:
        return "Choose who is to hold the role."
    rotates = form.rotation not in (None, NO_ROTATION)
    if kind == ChangeKind.CREATE and not holders and not rotates:
        return "A new role needs holders, or a rotation to pass it around."
    if kind not in (ChangeKind.CREATE, ChangeKind.ASSIGN):
        return None
    if coaches := [h for h in holders if h in team.coach_ids]:
        verb = "coaches" if len(coaches) == 1 else "coach"
        return f"{_who(coaches, config)} {verb} the team: coaches hold no role in it."
    if team.member_ids and (strangers := [h for h in holders if h not in team.member_ids]):
        verb = "is" if len(strangers) == 1 else "are"
        return f"{_who(strangers, config)} {verb} not in {team.name}: only its members hold roles."
    return None


def _who(people: Sequence[str], config: AppConfig) -> str:
    """The people by their names in app.yaml, or how many of those chosen, when it names none."""
    names = [config.name_of(person) for person in people]
    if all(names):
        found = [str(n) for n in names]
        return found[0] if len(found) == 1 else ", ".join(found[:-1]) + " and " + found[-1]
    return "One of the people chosen" if len(people) == 1 else f"{len(people)} of the people chosen"


def _lines(text: str, *, sep: str) -> tuple[str, ...] | None:
    parts = tuple(p.strip() for p in normalise_input(text).split(sep) if p.strip())
    return parts or None


def _request(
    kind: ChangeKind, key: str, form: RoleChangeForm, holders: tuple[str, ...]
) -> RoleChangeRequest:
    """The change as bot.roles applies it: only the fields its kind uses, empty ones None."""
    if kind == ChangeKind.REMOVE:
        return RoleChangeRequest(kind=kind, role=key)
    if kind == ChangeKind.ASSIGN:
        return RoleChangeRequest(kind=kind, role=key, holders=holders)
    rotation = form.rotation
    if rotation == NO_ROTATION:
        rotation = ""  # stops rotating (a change), rotates not (a new role)
    return RoleChangeRequest(
        kind=kind,
        role=key,
        name=normalise_input(form.name).strip() if kind == ChangeKind.CREATE else None,
        purpose=normalise_input(form.purpose).strip() or None,
        accountabilities=_lines(form.accountabilities, sep="\n"),
        expertise=_lines(form.expertise, sep=","),
        holders=holders if kind == ChangeKind.CREATE else None,
        rotation=(rotation or None) if kind == ChangeKind.CREATE else rotation,
    )


def _changes_nothing(request: RoleChangeRequest) -> bool:
    changed = (request.purpose, request.accountabilities, request.expertise, request.rotation)
    return all(value is None for value in changed)


# --- kept on the proposal -------------------------------------------------------------------


def stored(change: RoleChangeRequest, *, role_name: str) -> dict[str, Any]:
    """The change as ``proposal.role_change`` keeps it (JSON; fields left as they are omitted)."""
    kept: dict[str, Any] = {"kind": change.kind.value, "role": change.role, "role_name": role_name}
    for name in ("name", "purpose", "accountabilities", "expertise", "holders", "rotation"):
        value = getattr(change, name)
        if value is not None:
            kept[name] = list(value) if isinstance(value, tuple) else value
    return kept


def request_of(kept: Mapping[str, Any]) -> RoleChangeRequest:
    """The change a proposal keeps, as bot.roles applies it."""

    def words(name: str) -> tuple[str, ...] | None:
        value = kept.get(name)
        return tuple(str(v) for v in value) if isinstance(value, list) else None

    return RoleChangeRequest(
        kind=ChangeKind(kept["kind"]),
        role=str(kept["role"]),
        name=kept.get("name"),
        purpose=kept.get("purpose"),
        accountabilities=words("accountabilities"),
        expertise=words("expertise"),
        holders=words("holders"),
        rotation=kept.get("rotation"),
    )


# --- applied when the proposal is adopted ---------------------------------------------------


def apply_on_adoption(
    session: Session,
    *,
    proposal: Proposal,
    decision: Decision,
    team: TeamConfig | None,
    now: datetime,
) -> RoleOutcome | None:
    """Make the proposal's role change, kept with ``decision`` (flushed, not yet committed:
    the adoption's commit makes both), or record why it could not be made. None when the
    proposal changes no role."""
    kept = dict(proposal.role_change or {})
    if not kept.get("kind"):
        return None
    change = request_of(kept)
    decision.kind = DecisionKind(f"role_{change.kind.value}")
    decision.role_id = change.role
    session.flush()
    why, people = _fault_now(session, change, team=team, team_id=proposal.team_id)
    if why is None:
        try:
            result = role_usecases.apply_role_change(
                session,
                team_id=proposal.team_id,
                change=change,
                decision_id=decision.id or 0,
                now=now,
                team=team,
            )
        except (InvalidInputError, NotFoundError):
            why = "invalid"
        else:
            return RoleOutcome(kept, made=True, holders=result.role.holders)
    proposal.role_change = kept | {"not_made": {"why": why, "people": list(people)}}
    session.add(proposal)
    return RoleOutcome(kept, made=False, why=why, people=people)


def _fault_now(
    session: Session, change: RoleChangeRequest, *, team: TeamConfig | None, team_id: str
) -> tuple[str | None, tuple[str, ...]]:
    """Why the change cannot be made now (the team and its roles as they are), if so."""
    active = {role.key for role in roles.team_roles(session, team_id=team_id)}
    if change.kind == ChangeKind.CREATE and change.role in active:
        return "exists", ()
    if change.kind != ChangeKind.CREATE and change.role not in active:
        return "no_role", ()
    holders = change.holders or ()
    if team is None or not holders:
        return None, ()
    if coaches := tuple(h for h in holders if h in team.coach_ids):
        return "coach", coaches
    if team.member_ids and (gone := tuple(h for h in holders if h not in team.member_ids)):
        return "left", gone
    return None, ()


# --- in the decision log ----------------------------------------------------------------------


def describe(kept: Mapping[str, Any] | None, name: Any) -> str:
    """The change in the log's plain words, and whether it was made ("" for none); ``name``
    writes a person as the log does."""
    if not kept or not kept.get("kind"):
        return ""
    role = kept.get("role_name") or kept.get("name") or kept.get("role")
    holders = ", ".join(name(h) for h in kept.get("holders") or [])
    kind = kept["kind"]
    if kind == ChangeKind.CREATE:
        words = f"creates {kept.get('name')}" + (f", held by {holders}" if holders else "")
        words += f", passed around {kept['rotation']}" if kept.get("rotation") else ""
    elif kind == ChangeKind.CHANGE:
        changed = [f for f in ("purpose", "accountabilities", "expertise") if f in kept]
        changed += ["rotation"] if "rotation" in kept else []
        words = f"changes {role} ({', '.join(changed)})"
    elif kind == ChangeKind.ASSIGN:
        words = f"gives {role} to {holders}"
    else:
        words = f"removes {role}"
    not_made = kept.get("not_made")
    if isinstance(not_made, dict):
        gone = ", ".join(name(p) for p in not_made.get("people") or [])
        return f"{words}; not made at adoption ({not_made.get('why')}{': ' + gone if gone else ''})"
    return words
