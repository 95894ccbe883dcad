"""A local stand-in for Slack's Web API: an HTTP server on 127.0.0.1 that answers as Slack does.

Tests, the demo and the benchmarks point ``SLACK_API_URL`` at :attr:`FakeSlack.url`, so the real
app (and the WebClient Bolt builds per request) talks to it over real HTTP. It keeps the
workspace's people, channels and user groups, answers the methods retrobot calls with the fields
slack_sdk and Bolt read, refuses what Slack refuses (unknown channels, deactivated people,
reused triggers, Block Kit over its limits), records every call, and can be told to fail, rate
limit or slow down. Queries such as :meth:`FakeSlack.dms` show what people would see.

Besides ``/api/<method>`` it serves the two other URLs Slack hands out: the upload URL of
``files.getUploadURLExternal`` (``/upload/<file id>``) and ``response_url`` (``/response/<id>``).

Faults: :meth:`FakeSlack.fail_next` (an ok:false error), :meth:`~FakeSlack.rate_limit_next`
(429), :meth:`~FakeSlack.server_error_next` (5xx), :meth:`~FakeSlack.drop_next` (the connection
closed with no answer), :meth:`~FakeSlack.answer_late_next` (acted on, answered too late: a
client timeout) and :meth:`~FakeSlack.drop_after_acting_next` (acted on, then the connection
closed with no answer), each for some calls only when given ``when``. Rate limits:
:meth:`FakeSlack.rate_limit` keeps a token bucket per method (optionally per channel).

The package, one module per part:

- ``server.py``: the HTTP server, routing, and :class:`FakeSlack`, which puts the rest together
- ``state.py``: the workspace (people, channels, user groups) and everything recorded
- ``model.py``: the records tests read (:class:`ApiCall`, :class:`Message`...) and the rest
- ``wire.py``: reading arguments, paging, filling in block ids
- one module per Web API family: ``auth.py``, ``chat.py``, ``conversations.py``, ``users.py``
  (with usergroups.*), ``dnd.py`` (do-not-disturb, set by tests), ``views.py`` (with triggers
  and view acks), ``files.py``
- ``responses.py`` (response_url and command acks), ``faults.py``, ``queries.py``
"""

from bot.standin.web_api.model import (
    DROPPED,
    ApiCall,
    Ephemeral,
    Message,
    SlackApiFailure,
    UploadedFile,
    all_text,
    real_monotonic,
)
from bot.standin.web_api.server import FakeSlack
from bot.standin.web_api.state import DEFAULT_SCOPES
from bot.standin.web_api.views import UNKNOWN_TRIGGER_USER

__all__ = [
    "DEFAULT_SCOPES",
    "DROPPED",
    "UNKNOWN_TRIGGER_USER",
    "ApiCall",
    "Ephemeral",
    "FakeSlack",
    "Message",
    "SlackApiFailure",
    "UploadedFile",
    "all_text",
    "real_monotonic",
]
