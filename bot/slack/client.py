"""Sending to Slack: one person's failure is recorded and never stops the rest."""

from __future__ import annotations

import http.client
import logging
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.error import URLError

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import (
    ConnectionErrorRetryHandler,
    RateLimitErrorRetryHandler,
    ServerErrorRetryHandler,
)
from slack_sdk.http_retry.request import HttpRequest
from slack_sdk.http_retry.response import HttpResponse
from slack_sdk.http_retry.state import RetryState

from bot.core.logs import keep_typed_text_out_of_logs

logger = logging.getLogger(__name__)


# Slack was asked but did not answer (in time, or the connection dropped once the request was
# sent): the message may have arrived. Neither slack_sdk nor our retry handler retries a post
# then (a retry could post twice), so the caller decides; check-in DMs, summaries and digests
# are looked up in Slack before they are sent again (bot.checkins.delivery, bot.digests.service).
TIMEOUT = "timeout"

# Web API methods a second call would repeat: a message posted twice, a file shared twice. The
# others read, or set a state (a view, an update): sending them again does no harm.
NOT_IDEMPOTENT = frozenset(
    {
        "chat.postMessage",
        "chat.scheduleMessage",
        "chat.meMessage",
        "files.completeUploadExternal",
        "files.upload",
    }
)


def may_have_arrived(error: BaseException) -> bool:
    """True when the request went out whole and no answer came back: Slack may have acted.

    urllib raises a ``URLError`` when it could not connect or send (connection refused, a name
    that does not resolve, a connect timeout): Slack never had the request. A read timeout, or a
    connection reset or closed after the request was sent, comes as it is: the request may have
    been carried out, and only the answer was lost.
    """
    if isinstance(error, URLError):
        return False
    return isinstance(error, TimeoutError | ConnectionError | http.client.HTTPException)


def _method(url: str) -> str:
    return url.split("?", 1)[0].rstrip("/").rsplit("/", 1)[-1]


class SafeConnectionErrorRetryHandler(ConnectionErrorRetryHandler):
    """slack_sdk's retry of lost connections, minus the retries that could post twice.

    A connection lost after a post went out may have lost only Slack's answer: retrying would
    post the message again. Such a post is not retried: it fails like a timeout, and the caller
    decides (check-in DMs, summaries and digests look in Slack before sending again). A request
    that never left (connection refused), and any call that is safe to repeat, is retried.
    """

    def _can_retry(
        self,
        *,
        state: RetryState,
        request: HttpRequest,
        response: HttpResponse | None = None,
        error: Exception | None = None,
    ) -> bool:
        if not super()._can_retry(state=state, request=request, response=response, error=error):
            return False
        if _method(request.url) not in NOT_IDEMPOTENT:
            return True
        return error is not None and not may_have_arrived(error)


def make_client(token: str | None, base_url: str) -> WebClient:
    """A WebClient for Slack (or a stand-in) that waits out 429s and retries 5xx and lost links.

    A link lost after a post went out is not retried (Slack may have posted it): see
    :class:`SafeConnectionErrorRetryHandler`. Bolt builds a fresh client per request
    copying ``base_url`` and ``retry_handlers`` from the app's client, so setting them here
    reaches every listener. slack_sdk logs whole request and response bodies at DEBUG: they
    are cut from its log lines (:mod:`bot.core.logs`).
    """
    keep_typed_text_out_of_logs()
    return WebClient(
        token=token,
        base_url=base_url,
        timeout=15,
        retry_handlers=[
            SafeConnectionErrorRetryHandler(max_retry_count=2),
            RateLimitErrorRetryHandler(max_retry_count=5),
            ServerErrorRetryHandler(max_retry_count=2),
        ],
    )


@dataclass(frozen=True)
class Delivery:
    """What happened to one message: its channel and ts when sent, else Slack's error code."""

    recipient: str
    channel: str | None = None
    ts: str | None = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        """True when Slack accepted the message."""
        return self.error is None


def tagged_messages(
    client: WebClient,
    channel: str,
    event_type: str,
    *,
    pages: int,
    thread_ts: str | None = None,
) -> Iterator[tuple[str, dict[str, Any]]]:
    """The ts and metadata payload of each message in ``channel`` (or, given ``thread_ts``, in
    that thread) the app tagged with ``event_type`` (message metadata), among the newest
    ``pages`` × 100 messages (or the thread's first ``pages`` × 100 replies).

    This is how a message that may have been posted — a timeout, a process stopped mid-send —
    is found before it is sent again. SlackApiError when Slack cannot tell (no history scope,
    not in the channel): the caller must then not post blindly.
    """
    for message in conversation_messages(client, channel, pages=pages, thread_ts=thread_ts):
        metadata = message.get("metadata") or {}
        if metadata.get("event_type") == event_type:
            yield str(message.get("ts")), metadata.get("event_payload") or {}


def conversation_messages(
    client: WebClient, channel: str, *, pages: int, thread_ts: str | None = None
) -> Iterator[dict[str, Any]]:
    """The messages of ``channel`` (newest first, conversations.history) or of one thread's
    replies (oldest first, conversations.replies, the parent left out), with their metadata and
    files, ``pages`` × 100 at most. SlackApiError when Slack cannot tell."""
    cursor = None
    for _ in range(pages):
        if thread_ts is None:
            page = client.conversations_history(
                channel=channel, limit=100, include_all_metadata=True, cursor=cursor
            )
        else:
            page = client.conversations_replies(
                channel=channel, ts=thread_ts, limit=100, include_all_metadata=True, cursor=cursor
            )
        for message in page.get("messages") or []:
            if thread_ts is None or message.get("ts") != thread_ts:
                yield message
        cursor = (page.get("response_metadata") or {}).get("next_cursor")
        if not cursor:
            return


def post(client: WebClient, recipient: str, payload: dict[str, Any], **extra: Any) -> Delivery:
    """Post a message to a channel or (by user id) a DM; Slack's refusal becomes a Delivery error.

    The client's retry handlers have already waited out 429s and retried 5xx by the time an
    error reaches here, so what is left is recorded, not raised.
    """
    try:
        response = client.chat_postMessage(channel=recipient, **payload, **extra)
    except SlackApiError as error:
        code = error.response.get("error") if error.response is not None else None
        code = code or f"http_{getattr(error.response, 'status_code', 'error')}"
        logger.warning("Slack refused a message to %s: %s", recipient, code)
        return Delivery(recipient=recipient, error=str(code))
    except Exception as error:
        if may_have_arrived(error):  # no answer: it may have arrived; never blindly sent again
            logger.warning(
                "Slack did not answer about a message to %s (%s)", recipient, type(error).__name__
            )
            return Delivery(recipient=recipient, error=TIMEOUT)
        # a connection that stayed down after retries
        logger.exception("Could not reach Slack to message %s", recipient)
        return Delivery(recipient=recipient, error=type(error).__name__)
    return Delivery(recipient=recipient, channel=response.get("channel"), ts=response.get("ts"))


def post_each(
    client: WebClient, recipients: Iterable[str], payload: dict[str, Any]
) -> list[Delivery]:
    """Post the same message to each recipient in turn; every one is tried."""
    return [post(client, recipient, payload) for recipient in recipients]
