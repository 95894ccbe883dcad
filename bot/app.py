"""The Bolt app factory: one App, its Web API client, the services middleware, the listeners."""

from __future__ import annotations

import logging
from collections.abc import Callable
from concurrent.futures import Executor, ThreadPoolExecutor

from slack_bolt import App, BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk import WebClient

import handlers
from bot.core.errors import NotInTeamError, RetrobotError
from bot.core.logs import keep_typed_text_out_of_logs
from bot.roles import usecases as roles
from bot.services import Services
from bot.slack.acks import answer_on_ack
from bot.slack.client import make_client
from bot.slack.signature import VerifySignature
from storage import claims

logger = logging.getLogger(__name__)

# Listeners run on these threads and ack from them, then wait on Slack and the database. Bolt's
# default is 5: a sixth request at the same moment (or five waiting on a slow Slack) would keep
# its ack waiting past Slack's 3 s. The threads wait on sockets, so many cost little.
LISTENER_THREADS = 32


def create_app(
    services: Services, *, socket_mode: bool = False, listener_executor: Executor | None = None
) -> App:
    """Build the Bolt app for these services, with every listener registered.

    ``listener_executor`` runs the listeners (default: a pool of LISTENER_THREADS threads); the
    demo gives one that knows when the app has finished what it was asked.
    """
    settings = services.settings
    keep_typed_text_out_of_logs()  # before the App, whose loggers copy the filter
    app = App(
        client=make_client(settings.bot_token, settings.slack_api_url),
        signing_secret=None if socket_mode else settings.signing_secret,
        # Ours instead of Bolt's, in its place: a malformed request is a 401, never a 500.
        request_verification_enabled=False,
        before_authorize=None if socket_mode else VerifySignature(settings.signing_secret or ""),
        token_verification_enabled=False,
        logger=logging.getLogger("retrobot.bolt"),
        listener_executor=listener_executor
        or ThreadPoolExecutor(LISTENER_THREADS, thread_name_prefix="listener"),
    )

    answer_on_ack(app)  # the ack goes out when the listener acks, not at Bolt's next 10 ms poll
    app.use(ProvideServices(services))
    app.error(error_handler(services))
    handlers.register(app)
    # Roles seeded from app.yaml before the first request (once), so circles know their
    # representatives from the start (bot/roles, bot/circles).
    roles.ensure_seeded(services)
    return app


class ProvideServices(Middleware):
    """Put the services in every listener's reach, and let each event have its effect once.

    Slack redelivers an event it thinks was lost. One middleware for both: Bolt runs each
    middleware on every request, and its cost is per middleware, not per line. A ``Middleware``
    of its own rather than a function: Bolt builds every listener argument for a function
    middleware on every request (~15 µs), and calls this one directly.
    """

    def __init__(self, services: Services) -> None:
        self.services = services

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        """Claim an event (answering a redelivered one at once), then go on to the listener."""
        services, body = self.services, req.body
        event_id = body.get("event_id") if body.get("type") == "event_callback" else None
        if event_id:
            with services.session() as session:
                if not claims.claim_event(session, event_id, now=services.now()):
                    logger.info("Event %s was already handled; ignoring the redelivery", event_id)
                    return BoltResponse(status=200, body="")
        services.keep_rosters_fresh()  # who is in each user-group team, reread now and then
        req.context["services"] = services
        return next()


def error_handler(services: Services) -> Callable[[Exception, dict, WebClient], None]:
    """The app's error handler, holding the services itself: an error can come before
    ``ProvideServices`` has put them in the request's context (a middleware that failed)."""

    def handle_error(error: Exception, body: dict, client: WebClient) -> None:
        """Log an unhandled error and tell the person, kindly, that it did not go through."""
        if isinstance(error, NotInTeamError):
            text = services.renderer.say("errors.not_in_team")
        elif isinstance(error, RetrobotError):
            text = services.renderer.say("errors.cannot_do", reason=str(error))
        else:
            logger.exception("Unhandled error in a Slack listener", exc_info=error)
            text = services.renderer.say("errors.something_went_wrong")
        user_id = _person(body)
        if not user_id:
            return
        try:
            client.chat_postMessage(channel=user_id, text=text)
        except Exception:
            # Not naming them: the action that failed may have been anonymous feedback.
            logger.exception("Could not tell the person about the error")

    return handle_error


def _person(body: dict) -> str | None:
    """Who sent the request: an interaction's user, or a command's user_id."""
    user = body.get("user")
    if isinstance(user, dict) and isinstance(user.get("id"), str):
        return user["id"]
    user_id = body.get("user_id")
    return user_id if isinstance(user_id, str) else None
