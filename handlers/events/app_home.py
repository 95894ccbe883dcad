"""The App Home tab: published when a person opens it and after they change something."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.home import usecases as home
from bot.services import Services


def publish_home(client: WebClient, services: Services, user_id: str) -> None:
    """Build and publish the person's App Home."""
    home.publish_home(services, client, user_id)


def handle_app_home_opened(event: dict, client: WebClient, services: Services) -> None:
    """Show the Home tab (the Messages tab needs nothing from us)."""
    if event.get("tab", "home") == "home":
        home.publish_home(services, client, event["user"])
