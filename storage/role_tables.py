"""The tables of roles and circles (bot/roles, bot/circles): a team's roles, their holders and
history, who holds a rotating role at each meeting, the role a tension was raised about, and
what a circle posts once. storage/models.py re-exports them; import them from there.
"""

from datetime import date, datetime
from enum import StrEnum
from typing import Any

from sqlalchemy import Index, Text, UniqueConstraint
from sqlmodel import Field, SQLModel

from storage.columns import created_at as _created_at
from storage.columns import datetime_column as _datetime
from storage.columns import json_dict as _json_dict
from storage.columns import json_list as _json_list
from storage.columns import text as _text
from storage.columns import updated_at as _updated_at
from storage.types import StrEnumType


class RoleChangeKind(StrEnum):
    """What changed a role: app.yaml's seed, an adopted decision, or its rotation."""

    SEED = "seed"  # seeded once from app.yaml
    CREATE = "create"  # a decision created it
    CHANGE = "change"  # a decision changed its name, purpose, accountabilities or expertise
    ASSIGN = "assign"  # a decision gave it to other holders
    REMOVE = "remove"  # a decision removed it (kept, inactive, for its history)
    ROTATE = "rotate"  # its rotation passed it on at a meeting


class TurnDelivery(StrEnum):
    """Whether a turn's announcement (or the facilitator's brief) reached Slack."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by one process, which is posting it right now
    SENT = "sent"
    FAILED = "failed"


class Role(SQLModel, table=True):
    """A role in a team: a name, a purpose, accountabilities and expertise words; seeded from
    app.yaml once, afterwards changed only by decision (``role_change`` keeps each change).
    ``key`` is the role's id in app.yaml and in decisions; a removed role stays, inactive."""

    __tablename__ = "role"
    __table_args__ = (UniqueConstraint("team_id", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(foreign_key="team.id")
    key: str
    name: str
    purpose: str = _text()
    accountabilities: list[str] = _json_list()
    expertise: list[str] = _json_list()
    # "", "every meeting" or "every N weeks" (bot.core.config.parse_rotation reads it).
    rotation: str = ""
    active: bool = True
    created_at: datetime = _created_at()
    updated_at: datetime = _updated_at()


class RoleHolder(SQLModel, table=True):
    """One person holding a role now (a role has one or more)."""

    __tablename__ = "role_holder"
    __table_args__ = (UniqueConstraint("role_id", "user_id"),)

    id: int | None = Field(default=None, primary_key=True)
    role_id: int = Field(foreign_key="role.id")
    user_id: str = Field(index=True)
    since: datetime = _created_at()


class RoleChange(SQLModel, table=True):
    """A role's history: each change, what it was before and after, and the decision that made
    it (None for the seed and for a rotation). Unique per role and decision: a decision applied
    twice changes the role once. ``decision_id`` has no foreign key, as the decision log keeps
    its own rows (bot/decisions)."""

    __tablename__ = "role_change"
    __table_args__ = (
        UniqueConstraint("role_id", "decision_id"),
        Index("ix_role_change_team_id_changed_at", "team_id", "changed_at"),
    )

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(foreign_key="team.id")
    role_id: int = Field(foreign_key="role.id", index=True)
    kind: RoleChangeKind = Field(sa_type=StrEnumType(RoleChangeKind))
    decision_id: int | None = None
    # The meeting at which a rotation passed the role on.
    meeting_date: date | None = None
    before: dict[str, Any] = _json_dict()
    after: dict[str, Any] = _json_dict()
    changed_at: datetime = _datetime()


class RoleTurn(SQLModel, table=True):
    """Who holds a rotating role (or the facilitator role) for one meeting, recorded once per
    meeting so a restart neither rotates twice nor announces or briefs twice."""

    __tablename__ = "role_turn"
    __table_args__ = (UniqueConstraint("role_id", "meeting_date"),)

    id: int | None = Field(default=None, primary_key=True)
    team_id: str = Field(foreign_key="team.id", index=True)
    role_id: int = Field(foreign_key="role.id")
    meeting_date: date
    meeting_at: datetime = _datetime()
    holder: str | None = None
    previous: str | None = None
    # True when the role passed to someone new at this meeting; False when it stayed (not yet
    # due, or everyone else was away: ``kept_reason`` then says why, for the channel).
    rotated: bool = False
    kept_reason: str | None = None
    announce_status: TurnDelivery | None = Field(default=None, sa_type=StrEnumType(TurnDelivery))
    announced_ts: str | None = None
    # The facilitator's DM before the meeting (the agenda link and the meeting's steps).
    brief_status: TurnDelivery | None = Field(default=None, sa_type=StrEnumType(TurnDelivery))
    briefed_at: datetime | None = _datetime(nullable=True, default=None)
    error: str | None = Field(default=None, sa_type=Text())
    created_at: datetime = _created_at()


class TensionRole(SQLModel, table=True):
    """The role a tension was raised about (chosen in the tension modal), and when its holders
    were told; one per tension (it goes with the tension when retention deletes that)."""

    __tablename__ = "tension_role"

    id: int | None = Field(default=None, primary_key=True)
    tension_id: int = Field(foreign_key="tension.id", unique=True)
    team_id: str = Field(foreign_key="team.id", index=True)
    role_id: int = Field(foreign_key="role.id", index=True)
    notified_at: datetime | None = _datetime(nullable=True, default=None)


# --- Circles: teams linking with teams (bot/circles) ------------------------------------------


class CircleNotice(SQLModel, table=True):
    """A message a circle posts once: its issues in common under a meeting's agenda
    (``kind`` "common", ``key`` the meeting date), or one of its decisions in a member team's
    channel (``kind`` "decision", ``key`` "<decision id>:<team id>"). Claimed before posting,
    so it goes out once however often the job runs."""

    __tablename__ = "circle_notice"
    __table_args__ = (UniqueConstraint("circle_id", "kind", "key"),)

    id: int | None = Field(default=None, primary_key=True)
    circle_id: str = Field(foreign_key="team.id")
    kind: str
    key: str
    channel: str | None = None
    ts: str | None = None
    status: TurnDelivery = Field(default=TurnDelivery.PENDING, sa_type=StrEnumType(TurnDelivery))
    error: str | None = Field(default=None, sa_type=Text())
    created_at: datetime = _created_at()
