"""What a role is, as the rest of retrobot reads it, and the changes a decision can make to one.

Plain values, no database: :class:`RoleInfo` is a role with its holders as they stand;
:class:`RoleChangeRequest` is what an adopted decision asks (create, change, assign or remove);
:class:`TurnPlan` is who holds a rotating role for one meeting.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum

from bot.core.config import parse_rotation

# The role whose holder is briefed before each meeting (DESIGN.md, Roles): app.yaml's id for it.
FACILITATOR = "facilitator"
# Longest words kept for a role (Slack's option text is 75 characters; a section 3,000).
NAME_LIMIT = 75
PURPOSE_LIMIT = 500
# A tension's holders' DM and the App Home show at most this many roles of one team.
ROLES_SHOWN = 30


class ChangeKind(StrEnum):
    """What an adopted decision does to a role (DESIGN.md: creates, changes, assigns, removes)."""

    CREATE = "create"
    CHANGE = "change"
    ASSIGN = "assign"
    REMOVE = "remove"


class KeptReason(StrEnum):
    """Why a rotating role stayed with its holder at a meeting it was due to pass on."""

    ALL_AWAY = "all_away"  # everyone else was away: the current holder keeps it


@dataclass(frozen=True)
class RoleInfo:
    """A team's role as it stands: its words, its holders, how it rotates."""

    id: int
    team_id: str
    key: str
    name: str
    purpose: str = ""
    accountabilities: tuple[str, ...] = ()
    expertise: tuple[str, ...] = ()
    holders: tuple[str, ...] = ()
    rotation: str = ""

    @property
    def rotation_weeks(self) -> int | None:
        """0 for every meeting, N for every N weeks, None when it does not rotate."""
        return parse_rotation(self.rotation) if self.rotation else None

    def as_dict(self) -> dict[str, object]:
        """The role for JSON (``retrobot roles --format json``, a change's before and after)."""
        return {
            "id": self.key,
            "name": self.name,
            "purpose": self.purpose,
            "accountabilities": list(self.accountabilities),
            "expertise": list(self.expertise),
            "holders": list(self.holders),
            "rotates": self.rotation or None,
        }


@dataclass(frozen=True)
class RoleChangeRequest:
    """What an adopted decision does to one role of its team.

    ``role`` is the role's id (``rota``). ``create`` needs a name and holders (or a rotation);
    ``change`` sets whichever of name, purpose, accountabilities, expertise and rotation it
    gives (None leaves one as it is); ``assign`` gives the role to ``holders``; ``remove``
    ends it (its history stays).
    """

    kind: ChangeKind
    role: str
    name: str | None = None
    purpose: str | None = None
    accountabilities: tuple[str, ...] | None = None
    expertise: tuple[str, ...] | None = None
    holders: tuple[str, ...] | None = None
    rotation: str | None = None


@dataclass(frozen=True)
class RoleChangeResult:
    """A decision's change as applied: the role after it, and False when that decision had
    already changed this role (nothing was done twice)."""

    role: RoleInfo
    applied: bool


@dataclass(frozen=True)
class RoleDecision:
    """The adopted decision that last changed a role (``retrobot roles`` shows it)."""

    decision_id: int
    kind: str
    changed_at: datetime
    text: str


@dataclass(frozen=True)
class TurnPlan:
    """Who holds a rotating role (or the facilitator role) at one meeting, as decided now."""

    team_id: str
    role_id: int
    role_key: str
    role_name: str
    meeting_date: date
    meeting_at: datetime
    holder: str | None
    previous: tuple[str, ...]
    rotated: bool
    kept_reason: KeptReason | None = None


@dataclass(frozen=True)
class TurnNotice:
    """One team's turns to announce in its channel after a rotation."""

    team_id: str
    channel: str
    turn_ids: tuple[int, ...]
    plans: tuple[TurnPlan, ...] = field(default_factory=tuple)
