"""Slack listeners, one package per surface; each surface has ``register(app)``.

Handlers are thin: ack first, parse the payload into plain values, call one function in ``bot/``,
build the view with a builder, make the Slack call.
"""

from __future__ import annotations

from slack_bolt import App


def register(app: App) -> None:
    """Register the listeners of every surface on ``app``."""
    from handlers import actions, commands, events, shortcuts, views

    for surface in (commands, views, actions, events, shortcuts):
        surface.register(app)
