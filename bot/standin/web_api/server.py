"""The HTTP server of the stand-in and :class:`FakeSlack`, the Web API families put together.

Routes ``/api/<method>`` (faults and rate limits first, then the family that answers the
method), ``/upload/<file id>`` and ``/response/<id>``. Every call is recorded, answered or
refused; a request the stand-in itself fails on is kept in ``internal_errors``.
"""

from __future__ import annotations

import json
import logging
import threading
import time
import traceback
from collections.abc import Callable, Mapping
from functools import cached_property
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any

from bot.standin.web_api.auth import AuthMethods
from bot.standin.web_api.chat import ChatMethods
from bot.standin.web_api.conversations import ConversationMethods
from bot.standin.web_api.dnd import DndMethods
from bot.standin.web_api.faults import FaultInjection
from bot.standin.web_api.files import FileMethods
from bot.standin.web_api.model import DROPPED, ApiCall, SlackApiFailure
from bot.standin.web_api.queries import Queries
from bot.standin.web_api.responses import ResponseUrls
from bot.standin.web_api.users import UserMethods
from bot.standin.web_api.views import ViewMethods
from bot.standin.web_api.wire import bearer, parse_args

logger = logging.getLogger(__name__)

Answer = tuple[int, dict[str, str], dict[str, Any]]


class FakeSlack(
    AuthMethods,
    ChatMethods,
    ConversationMethods,
    UserMethods,
    DndMethods,
    ViewMethods,
    FileMethods,
    ResponseUrls,
    FaultInjection,
    Queries,
):
    """Slack's Web API on 127.0.0.1, with the workspace, recording and faults tests need."""

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> FakeSlack:
        """Listen on 127.0.0.1 and serve from a daemon thread; returns self."""
        if self._server is not None:
            return self
        server = _Server(("127.0.0.1", self._requested_port), _Handler)
        server.fake = self
        self._server = server
        self._thread = threading.Thread(
            target=server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name=f"FakeSlack:{server.server_address[1]}",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        server, thread = self._server, self._thread
        if server is None:
            return
        server.shutdown()
        server.server_close()
        if thread is not None:
            thread.join()
        self._server = self._thread = None

    def __enter__(self) -> FakeSlack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- request handling --------------------------------------------------------------------

    @cached_property
    def _methods(self) -> dict[str, Callable[[dict[str, Any]], dict[str, Any]]]:
        """Every Web API method the stand-in answers, and the family method that answers it."""
        return {
            "auth.test": self._auth_test,
            "apps.connections.open": self._apps_connections_open,
            "chat.postMessage": self._chat_post_message,
            "chat.update": self._chat_update,
            "chat.postEphemeral": self._chat_post_ephemeral,
            "chat.getPermalink": self._chat_get_permalink,
            "chat.delete": self._chat_delete,
            "conversations.open": self._conversations_open,
            "conversations.info": self._conversations_info,
            "conversations.members": self._conversations_members,
            "conversations.history": self._conversations_history,
            "conversations.replies": self._conversations_replies,
            "users.info": self._users_info,
            "users.list": self._users_list,
            "usergroups.users.list": self._usergroups_users_list,
            "dnd.teamInfo": self._dnd_team_info,
            "dnd.info": self._dnd_info,
            "views.open": self._views_open,
            "views.push": self._views_push,
            "views.update": self._views_update,
            "views.publish": self._views_publish,
            "files.getUploadURLExternal": self._files_get_upload_url_external,
            "files.completeUploadExternal": self._files_complete_upload_external,
        }

    def _handle_api(
        self, method: str, query: str, body: bytes, headers: Mapping[str, str]
    ) -> Answer:
        """Answer one Web API request: status, headers, JSON body."""
        token = bearer(headers.get("Authorization"))
        try:
            args = parse_args(query, body, headers.get("Content-Type") or "")
        except ValueError:
            return self._answer(method, {}, token, SlackApiFailure("invalid_json"))
        token = token or args.pop("token", None)
        args.pop("token", None)
        if method not in self._methods:
            return self._answer(method, args, token, SlackApiFailure("unknown_method"))
        if not self._token_ok(token):
            return self._answer(method, args, token, SlackApiFailure("invalid_auth"))
        with self._lock:
            pause = self._delays.get(method, self._delays.get("*", 0.0))
        if pause:
            time.sleep(pause)
        with self._lock:
            try:
                acting = self._apply_faults(method, args)
                result = self._methods[method](args)
            except SlackApiFailure as failure:
                return self._answer(method, args, token, failure)
            headers_out = {}
            if method == "auth.test":
                headers_out["X-OAuth-Scopes"] = ",".join(self.scopes)
            self._record(ApiCall(method, args, token, time.time()))
        if acting is not None and acting.drop_after:
            return DROPPED, {}, {}
        if acting is not None and acting.late:
            time.sleep(acting.late)
        return 200, headers_out, {"ok": True, **result}

    def _answer(
        self, method: str, args: dict[str, Any], token: str | None, failure: SlackApiFailure
    ) -> Answer:
        """Record a refused call and shape Slack's ok:false answer."""
        body: dict[str, Any] = {"ok": False, "error": failure.error}
        if failure.messages:
            body["response_metadata"] = {"messages": failure.messages}
        with self._lock:
            self._record(
                ApiCall(method, args, token, time.time(), False, failure.error, failure.status)
            )
        return failure.status, failure.headers, body


class _Server(ThreadingHTTPServer):
    """The HTTP server; handler threads are daemons so a hung request never blocks exit."""

    daemon_threads = True
    # socketserver's default backlog is 5: a benchmark's bursts of calls from several worker
    # threads overflowed it and saw connections reset, which Slack itself never does.
    request_queue_size = 128
    fake: FakeSlack

    def handle_error(self, request: Any, client_address: Any) -> None:
        """Keep the traceback of a failed request in ``internal_errors`` (and the log)."""
        # A client that timed out (a delay test) and hung up is expected, not an error.
        exc = traceback.format_exc()
        if "BrokenPipeError" in exc or "ConnectionResetError" in exc:
            return
        with self.fake._lock:
            self.fake._internal_errors.append(exc)
        logger.error("FakeSlack failed on a request:\n%s", exc)


class _Handler(BaseHTTPRequestHandler):
    """Routes /api/<method>, /upload/<file id> and /response/<id>."""

    server: _Server
    protocol_version = "HTTP/1.0"

    def do_POST(self) -> None:
        """Answer a POST (how slack_sdk calls every method)."""
        length = int(self.headers.get("Content-Length") or 0)
        self._dispatch(self.rfile.read(length) if length else b"")

    def do_GET(self) -> None:
        """Answer a GET (slack_sdk uses it for a few read methods)."""
        self._dispatch(b"")

    def _dispatch(self, body: bytes) -> None:
        fake = self.server.fake
        path, _, query = self.path.partition("?")
        try:
            if path.startswith("/api/"):
                status, headers, answer = fake._handle_api(path[5:], query, body, self.headers)
                if status == DROPPED:
                    self.close_connection = True  # no status line: the client sees a reset
                    return
                self._send(status, json.dumps(answer).encode(), "application/json", headers)
            elif path.startswith("/upload/") and self.command == "POST":
                status, text = fake._handle_upload(path[8:], body)
                self._send(status, text.encode(), "text/plain")
            elif path.startswith("/response/") and self.command == "POST":
                content_type = self.headers.get("Content-Type") or ""
                status, text = fake._handle_response_url(path[10:], body, content_type)
                self._send(status, text.encode(), "text/plain")
            else:
                self._send(404, b"not found", "text/plain")
        except Exception:
            self.server.handle_error(self.request, self.client_address)
            answer = {"ok": False, "error": "fatal_error"}
            self._send(500, json.dumps(answer).encode(), "application/json")

    def _send(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.send_response(status)
        self.send_header("Content-Type", f"{content_type}; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep request lines out of test output; they go to the debug log."""
        logger.debug("FakeSlack %s", format % args)
