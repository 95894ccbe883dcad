"""The App Home tab: published when a person opens it and after they change something."""

from __future__ import annotations

from slack_sdk import WebClient

from bot.home.usecases import home_view
from bot.services import Services


def publish_home(client: WebClient, services: Services, user_id: str) -> None:
    """Build and publish the person's App Home."""
    with services.session() as session:
        view = home_view(session, services=services, user_id=user_id, now=services.now())
    client.views_publish(user_id=user_id, view=view)


def handle_app_home_opened(event: dict, client: WebClient, services: Services) -> None:
    """Show the Home tab (the Messages tab needs nothing from us)."""
    if event.get("tab", "home") == "home":
        publish_home(client, services, event["user"])
