"""The environment retrobot reads (DESIGN.md, The interface): tokens, URLs, paths."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from bot.core.errors import ConfigError

DEFAULT_DATABASE_URL = "sqlite:///retrobot.db"
DEFAULT_SLACK_API_URL = "https://slack.com/api/"


@dataclass(frozen=True)
class Settings:
    """What the environment says; read once at start-up by :func:`load_settings`."""

    bot_token: str | None = None
    signing_secret: str | None = None
    app_token: str | None = None
    slack_api_url: str = DEFAULT_SLACK_API_URL
    database_url: str = DEFAULT_DATABASE_URL
    config_path: Path = Path("app.yaml")

    @property
    def socket_mode(self) -> bool:
        """True when an app-level token is set, so `serve` connects over Socket Mode."""
        return bool(self.app_token)

    def problems(self, *, http: bool) -> list[str]:
        """Say, one line each, what is missing or malformed to serve in the given mode."""
        found = []
        if not self.bot_token:
            found.append("SLACK_BOT_TOKEN is not set: retrobot needs the bot token (xoxb-...).")
        elif not self.bot_token.startswith("xoxb-"):
            found.append("SLACK_BOT_TOKEN does not look like a bot token: it should start xoxb-.")
        if http and not self.signing_secret:
            found.append(
                "SLACK_SIGNING_SECRET is not set: HTTP mode needs it to verify Slack's requests."
            )
        if not http and self.app_token and not self.app_token.startswith("xapp-"):
            found.append("SLACK_APP_TOKEN does not look like an app-level token (xapp-...).")
        if not self.slack_api_url.startswith(("http://", "https://")):
            found.append(f"SLACK_API_URL is not an http(s) URL: {self.slack_api_url!r}.")
        return found

    def require(self, *, http: bool) -> None:
        """Raise :class:`ConfigError` naming each variable that keeps retrobot from serving."""
        if found := self.problems(http=http):
            raise ConfigError(found)


def load_settings(environ: Mapping[str, str] | None = None) -> Settings:
    """Read the settings from ``environ`` (the process environment by default)."""
    env = os.environ if environ is None else environ

    def get(name: str) -> str | None:
        value = env.get(name, "").strip()
        return value or None

    api_url = get("SLACK_API_URL") or DEFAULT_SLACK_API_URL
    if not api_url.endswith("/"):
        api_url += "/"
    return Settings(
        bot_token=get("SLACK_BOT_TOKEN"),
        signing_secret=get("SLACK_SIGNING_SECRET"),
        app_token=get("SLACK_APP_TOKEN"),
        slack_api_url=api_url,
        database_url=get("DATABASE_URL") or DEFAULT_DATABASE_URL,
        config_path=Path(get("RETROBOT_CONFIG") or "app.yaml"),
    )
