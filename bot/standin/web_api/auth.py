"""auth.test and apps.connections.open: who the token belongs to, and no Socket Mode."""

from __future__ import annotations

import secrets
from typing import Any

from bot.standin.web_api.model import SlackApiFailure
from bot.standin.web_api.state import Workspace


class AuthMethods(Workspace):
    """auth.test (its answer's scopes header is added by the server), apps.connections.open."""

    def _auth_test(self, args: dict[str, Any]) -> dict[str, Any]:
        return {
            "url": f"https://{self.team_domain}.slack.com/",
            "team": self.team_domain.title(),
            "user": self.bot_name,
            "team_id": self.team_id,
            "user_id": self.bot_user_id,
            "bot_id": self.bot_id,
            "is_enterprise_install": False,
        }

    def _apps_connections_open(self, args: dict[str, Any]) -> dict[str, Any]:
        # Socket Mode needs an app-level token (xapp-); the stand-in only speaks HTTP.
        raise SlackApiFailure("not_allowed_token_type")

    def _token_ok(self, token: str | None) -> bool:
        """Whether the token is the bot token (any xoxb- one unless a token was given)."""
        if not token:
            return False
        if self.token is not None:
            return secrets.compare_digest(token, self.token)
        return token.startswith("xoxb-")
