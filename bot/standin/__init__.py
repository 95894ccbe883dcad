"""A local Slack for tests, the demo and benchmarks: a fake Web API and a request sender.

:class:`FakeSlack` answers the Web API calls the app makes (point ``SLACK_API_URL`` at its
``url``); :class:`SlackSender` sends the app signed requests exactly as Slack would.
"""

from bot.standin.sender import Response, SlackSender
from bot.standin.web_api import (
    ApiCall,
    Ephemeral,
    FakeSlack,
    Message,
    SlackApiFailure,
    UploadedFile,
    all_text,
)

__all__ = [
    "ApiCall",
    "Ephemeral",
    "FakeSlack",
    "Message",
    "Response",
    "SlackApiFailure",
    "SlackSender",
    "UploadedFile",
    "all_text",
]
