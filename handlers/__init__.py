"""Slack listeners, one package per surface; each surface has ``register(app)``.

Handlers are thin: ack first, parse the payload into plain values, call one function in ``bot/``,
build the view with a builder, make the Slack call.
"""

from __future__ import annotations

from slack_bolt import App


def register(app: App) -> None:
    """Register the listeners of every surface on ``app``."""
    from bot.core import ids
    from handlers import actions, commands, events, shortcuts, views
    from handlers.commands.tension import handle_tension_command
    from handlers.views.tension import handle_tension_submission

    # Bolt tries the listeners in the order they were registered until one matches, and each
    # try builds every listener argument (~10 µs): the two that most requests are for (raising
    # a tension: /tension, then its modal's submission) go first.
    app.command(ids.TENSION_COMMAND)(handle_tension_command)
    app.view(ids.TENSION_MODAL)(handle_tension_submission)
    for surface in (commands, views, actions, events, shortcuts):
        surface.register(app)
