"""users.* and usergroups.*: people as Slack describes them, and user groups' members."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.standin.web_api.model import Person, SlackApiFailure
from bot.standin.web_api.state import Workspace
from bot.standin.web_api.wire import handle, page, required

USERS_LIST_UNPAGED_MAX = 1000


class UserMethods(Workspace):
    """users.info, users.list, usergroups.users.list."""

    def _users_info(self, args: dict[str, Any]) -> dict[str, Any]:
        user_id = required(args, "user")
        if user_id == self.bot_user_id:
            return {"user": self._bot_user_json()}
        user = self._users.get(user_id)
        if user is None:
            raise SlackApiFailure("user_not_found")
        return {"user": self._user_json(user)}

    def _users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        members = [self._user_json(u) for u in self._users.values()] + [self._bot_user_json()]
        if not int(args.get("limit") or 0) and len(members) > USERS_LIST_UNPAGED_MAX:
            raise SlackApiFailure("limit_required")
        return {**page(members, args, "members", default_limit=0), "cache_ts": int(time.time())}

    def _usergroups_users_list(self, args: dict[str, Any]) -> dict[str, Any]:
        group = required(args, "usergroup")
        if group not in self._usergroups:
            raise SlackApiFailure("no_such_subteam")
        return {"users": list(self._usergroups[group])}

    def _user_json(self, user: Person) -> dict[str, Any]:
        """A person as users.info and users.list describe them, their zone's offset as now."""
        zone = ZoneInfo(user.tz)
        now = datetime.now(UTC).astimezone(zone)
        offset = now.utcoffset()
        real_name = user.name or user.id
        profile: dict[str, Any] = {
            "real_name": real_name,
            "real_name_normalized": real_name,
            "display_name": user.name,
            "display_name_normalized": user.name,
            "team": self.team_id,
        }
        if user.email:
            profile["email"] = user.email
        return {
            "id": user.id,
            "team_id": self.team_id,
            "name": handle(user.name) if user.name else user.id.lower(),
            "deleted": user.deleted,
            "real_name": real_name,
            "tz": user.tz,
            "tz_label": now.tzname(),
            "tz_offset": int(offset.total_seconds()) if offset is not None else 0,
            "is_bot": user.is_bot,
            "is_app_user": False,
            "is_admin": False,
            "is_restricted": False,
            "updated": 1_700_000_000,
            "profile": profile,
        }

    def _bot_user_json(self) -> dict[str, Any]:
        """The app's bot user as users.info and users.list describe it."""
        return {
            "id": self.bot_user_id,
            "team_id": self.team_id,
            "name": self.bot_name,
            "deleted": False,
            "real_name": self.bot_name,
            "tz": "America/Los_Angeles",
            "tz_label": "Pacific Time",
            "tz_offset": -28800,
            "is_bot": True,
            "is_app_user": False,
            "updated": 1_700_000_000,
            "profile": {
                "real_name": self.bot_name,
                "display_name": "",
                "bot_id": self.bot_id,
                "api_app_id": self.app_id,
                "team": self.team_id,
            },
        }
