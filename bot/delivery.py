"""Sending to Slack: one person's failure is recorded and never stops the rest."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

logger = logging.getLogger(__name__)


# Slack was asked but did not answer in time: the message may have arrived. slack_sdk does not
# retry a read timeout (a retry could post twice), so the caller decides; check-in DMs are
# looked up in Slack before they are sent again (bot.checkins).
TIMEOUT = "timeout"


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
    except TimeoutError:
        logger.warning("Slack did not answer in time about a message to %s", recipient)
        return Delivery(recipient=recipient, error=TIMEOUT)
    except Exception as error:  # a connection that stayed down after retries
        logger.exception("Could not reach Slack to message %s", recipient)
        return Delivery(recipient=recipient, error=type(error).__name__)
    return Delivery(recipient=recipient, channel=response.get("channel"), ts=response.get("ts"))


def post_each(
    client: WebClient, recipients: Iterable[str], payload: dict[str, Any]
) -> list[Delivery]:
    """Post the same message to each recipient in turn; every one is tried."""
    return [post(client, recipient, payload) for recipient in recipients]
