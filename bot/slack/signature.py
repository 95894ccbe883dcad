"""Is a request from Slack? Its signature, checked without ever failing on a malformed one.

Slack signs every request it sends over HTTP: ``v0=HMAC-SHA256(signing secret,
"v0:{timestamp}:{body}")`` in ``X-Slack-Signature``, the Unix time in
``X-Slack-Request-Timestamp``. slack_sdk's verifier turns the timestamp into an int without
looking, so a request whose timestamp is not a number raised instead of being refused: a 500
and a traceback, for anyone who cared to send one. Here any request that cannot be verified is
refused with a reason fit for one log line, and never its body.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from slack_bolt import BoltRequest, BoltResponse
from slack_bolt.middleware import Middleware
from slack_sdk.signature import SignatureVerifier

logger = logging.getLogger(__name__)

# Slack's own rule: a request signed more than five minutes from now may be a replay.
MAX_AGE_SECONDS = 5 * 60
_LONGEST_TIMESTAMP = 12  # Unix seconds for the next thirty thousand years
# The request context's mark that the signature was checked before the request reached Bolt
# (bot.server's WSGI app checks every request to Slack's endpoint itself, first).
SIGNATURE_CHECKED = "retrobot_signature_checked"


def refusal(
    body: bytes | str,
    timestamp: str | None,
    signature: str | None,
    *,
    signing_secret: str,
    now: float | None = None,
) -> str | None:
    """Why the request cannot be taken to be Slack's, or None when its signature is good."""
    if not timestamp or not signature:
        return "it is not signed"
    if not (timestamp.isascii() and timestamp.isdigit() and len(timestamp) <= _LONGEST_TIMESTAMP):
        return "its timestamp is not a time"
    if abs((time.time() if now is None else now) - int(timestamp)) > MAX_AGE_SECONDS:
        return "its timestamp is more than five minutes away"
    if not SignatureVerifier(signing_secret).is_valid(body, timestamp, signature):
        return "its signature does not match"
    return None


def log_refusal(reason: str, *, source: str | None = None) -> None:
    """The one line a refused request is worth: why, and where it came from."""
    logger.warning("Refused a request not signed by Slack: %s (from %s)", reason, source or "?")


class VerifySignature(Middleware):
    """Bolt's request verification, minus its failures: a bad request is a 401, never a 500.

    Passed to the App as ``before_authorize`` with Bolt's own verification turned off, so it
    runs where Bolt's would (after the SSL check, before anything else looks at the request).
    """

    def __init__(self, signing_secret: str) -> None:
        self.signing_secret = signing_secret

    def process(
        self, *, req: BoltRequest, resp: BoltResponse, next: Callable[[], BoltResponse]
    ) -> BoltResponse | None:
        """Go on with a request Slack signed; answer 401 to any other."""
        if req.mode == "socket_mode":  # Slack's own connection: nothing to sign
            return next()
        if req.context.get(SIGNATURE_CHECKED):  # checked on its way in (bot.server)
            return next()
        reason = refusal(
            req.raw_body,
            _first(req.headers.get("x-slack-request-timestamp")),
            _first(req.headers.get("x-slack-signature")),
            signing_secret=self.signing_secret,
        )
        if reason is None:
            return next()
        log_refusal(reason)
        return BoltResponse(status=401, body={"error": "invalid request"})


def _first(values: list[str] | str | None) -> str | None:
    if isinstance(values, list):
        return values[0] if values else None
    return values
