"""What may reach a log line: never what people typed, never who gave anonymous feedback.

Slack's libraries log whole payloads at DEBUG (``retrobot -v``): slack_sdk every request's and
response's body (a DM's channel, a feedback's text), Bolt the body of each answer (a modal's
field errors quote the text), the Socket Mode client every message received. The filter here
keeps each of their lines up to where the payload starts, so ``-v`` still shows which call was
made and how it went, and nothing of what it carried.

SQLAlchemy's side (parameters and rows) is kept out by the engine itself: ``storage.db``.
"""

from __future__ import annotations

import logging
import re

__all__ = ["PAYLOAD_NOT_LOGGED", "SlackPayloadFilter", "keep_typed_text_out_of_logs"]

PAYLOAD_NOT_LOGGED = "(payload not logged)"

# Where a Slack library's line starts to carry a payload: a named part that holds one, or the
# first bracket or quote of one written out ("Skipped self event: {...}", b'...').
_PAYLOAD_STARTS = re.compile(
    r"[,(]? ?\b(?:query_params|body_params|json_body|files|headers|body|payload|message|data"
    r"|event|bytes|request|response)\b ?[:=(]"
    r"|[{\[\"']"
)

# The loggers Slack's libraries write payloads to. Bolt's own class loggers copy the filters of
# the app's logger ("retrobot.bolt", passed to every App) when they are created.
SLACK_LOGGERS = (
    "slack_sdk",
    "slack_sdk.web.base_client",
    "slack_sdk.socket_mode.builtin.client",
    "slack_sdk.socket_mode.builtin.connection",
    "slack_sdk.socket_mode.builtin.internals",
    "slack_sdk.socket_mode.client",
    "slack_bolt",
    "retrobot.bolt",
)
_SLACK_PREFIXES = ("slack_sdk", "slack_bolt")


class SlackPayloadFilter(logging.Filter):
    """Cut a Slack library's log line where its payload starts; the rest of the line stays."""

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record's message without its payload (the record is always kept)."""
        try:
            message = record.getMessage()
        except (TypeError, ValueError):
            return True  # a malformed record: the handler reports it, as it would anyway
        payload = _PAYLOAD_STARTS.search(message)
        if payload is not None:
            kept = message[: payload.start()].rstrip(" ,:(-")
            record.msg = f"{kept} {PAYLOAD_NOT_LOGGED}" if kept else PAYLOAD_NOT_LOGGED
            record.args = None
        return True


_FILTER = SlackPayloadFilter()


def keep_typed_text_out_of_logs() -> None:
    """Put the payload filter on every logger of Slack's libraries (again is harmless)."""
    names = set(SLACK_LOGGERS)
    names.update(
        name for name in list(logging.root.manager.loggerDict) if name.startswith(_SLACK_PREFIXES)
    )
    for name in names:
        logging.getLogger(name).addFilter(_FILTER)
