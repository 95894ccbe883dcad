"""dnd.*: people's do-not-disturb, as a test sets it (:meth:`DndMethods.set_dnd`).

``dnd.teamInfo`` answers for up to 50 people a call with each one's ``dnd_enabled`` and next
scheduled quiet time; ``dnd.info`` answers for one person and adds their snooze. Both need the
``dnd:read`` scope. The stand-in keeps the moments it was given as they are: the app's clock,
frozen or moved by a test, decides what is "now".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.standin.web_api.model import SlackApiFailure
from bot.standin.web_api.state import Workspace
from bot.standin.web_api.wire import required

TEAM_INFO_MAX_USERS = 50
Moment = datetime | float | int


def _ts(moment: Moment | None) -> int:
    if moment is None:
        return 0
    return int(moment.timestamp() if isinstance(moment, datetime) else moment)


@dataclass(frozen=True)
class DndState:
    """One person's do-not-disturb: a scheduled quiet time and a snooze (Unix seconds)."""

    start: int = 0
    end: int = 0
    snooze_until: int = 0

    def json(self, *, snooze: bool) -> dict[str, Any]:
        """As dnd.teamInfo (``snooze`` False) or dnd.info describes it."""
        answer: dict[str, Any] = {
            "dnd_enabled": bool(self.end),
            "next_dnd_start_ts": self.start or 1,
            "next_dnd_end_ts": self.end or 1,
        }
        if snooze:
            answer["snooze_enabled"] = bool(self.snooze_until)
            if self.snooze_until:
                answer["snooze_endtime"] = self.snooze_until
        return answer


class DndMethods(Workspace):
    """dnd.teamInfo and dnd.info, and setting a person's do-not-disturb."""

    @property
    def _dnd(self) -> dict[str, DndState]:
        with self._lock:
            if "_dnd_states" not in self.__dict__:
                self.__dict__["_dnd_states"] = {}
            return self.__dict__["_dnd_states"]

    def set_dnd(
        self,
        user_id: str,
        start: Moment | None = None,
        end: Moment | None = None,
        *,
        snooze_until: Moment | None = None,
    ) -> None:
        """The person's do-not-disturb: quiet from ``start`` to ``end`` (their schedule's next
        quiet time, or the one they are in), and snoozed until ``snooze_until``."""
        with self._lock:
            self._dnd[user_id] = DndState(_ts(start), _ts(end), _ts(snooze_until))

    def clear_dnd(self, user_id: str | None = None) -> None:
        """Turn one person's do-not-disturb off (everyone's, without ``user_id``)."""
        with self._lock:
            if user_id is None:
                self._dnd.clear()
            else:
                self._dnd.pop(user_id, None)

    def _check_dnd_scope(self) -> None:
        if "dnd:read" not in self.scopes:
            raise SlackApiFailure("missing_scope")

    def _known(self, user_id: str) -> bool:
        return not self.strict_users or user_id in self._users

    def _dnd_team_info(self, args: dict[str, Any]) -> dict[str, Any]:
        self._check_dnd_scope()
        users = [u.strip() for u in required(args, "users").split(",") if u.strip()]
        if len(users) > TEAM_INFO_MAX_USERS:
            raise SlackApiFailure("too_many_users")
        return {
            "users": {
                user_id: self._dnd.get(user_id, DndState()).json(snooze=False)
                for user_id in users
                if self._known(user_id)
            }
        }

    def _dnd_info(self, args: dict[str, Any]) -> dict[str, Any]:
        self._check_dnd_scope()
        user_id = required(args, "user")
        if not self._known(user_id):
            raise SlackApiFailure("user_not_found")
        return self._dnd.get(user_id, DndState()).json(snooze=True)
