"""Serving retrobot: the WSGI app (Slack's endpoint and /healthz), gunicorn, Socket Mode."""

from __future__ import annotations

import json
import logging
import signal
import threading
import time
from collections.abc import Callable, Iterable
from http import HTTPStatus
from socketserver import ThreadingMixIn
from typing import TYPE_CHECKING, Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from slack_bolt import App, BoltRequest, BoltResponse
from slack_sdk.errors import SlackApiError

from bot.app import create_app
from bot.core import heap
from bot.core.config import AppConfig, load_config
from bot.core.errors import ConfigError, RetrobotError
from bot.core.settings import Settings
from bot.services import Services, open_services
from bot.slack.signature import SIGNATURE_CHECKED, log_refusal, refusal
from storage import db

if TYPE_CHECKING:
    from bot.jobs.process import SchedulerProcess

logger = logging.getLogger(__name__)

SLACK_PATH = "/slack/events"
HEALTH_PATH = "/healthz"

WsgiApp = Callable[[dict, Callable[..., Any]], Iterable[bytes]]


def make_wsgi_app(app: App, services: Services) -> WsgiApp:
    """The WSGI app: POST /slack/events to Bolt, GET /healthz to a database check, else 404.

    A request to Slack's endpoint is verified here first, before Bolt reads it: Bolt parses the
    body (and its length) before its own check, and fails on one that is not what Slack sends.
    Any request that cannot be verified is a 401 and one log line. A verified one goes to
    ``app.dispatch`` with its body as read here, marked as checked, so the app's own check
    (bot.slack.signature.VerifySignature, for requests that do not come this way) does not
    compute the same signature a second time.
    """
    secret = services.settings.signing_secret

    def wsgi(environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        path, method = environ.get("PATH_INFO", ""), environ.get("REQUEST_METHOD")
        if path == HEALTH_PATH and method in ("GET", "HEAD"):
            healthy = db.ping(services.engine)
            status = "200 OK" if healthy else "503 Service Unavailable"
            return _json(start_response, status, {"ok": healthy})
        if path != SLACK_PATH or method != "POST":
            return _plain(start_response, "404 Not Found", "Not Found")
        body = _body(environ)
        if secret:
            reason = _unverified(environ, body, secret)
            if reason is not None:
                log_refusal(reason, source=environ.get("REMOTE_ADDR"))
                return _json(start_response, "401 Unauthorized", {"error": "invalid request"})
        answer = app.dispatch(
            BoltRequest(
                body=(body or b"").decode("utf-8", errors="replace"),
                query=environ.get("QUERY_STRING", ""),
                headers=_headers(environ),
                context={SIGNATURE_CHECKED: True} if secret else None,
            )
        )
        return _bolt_answer(start_response, answer)

    return wsgi


def _body(environ: dict) -> bytes | None:
    """The request's body, or None when its length is not a number."""
    try:
        length = int(environ.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return None
    return environ["wsgi.input"].read(length) if length > 0 else b""


def _headers(environ: dict) -> dict[str, str]:
    """The request's headers as Bolt takes them: lower-case names, dashes."""
    headers = {
        key[5:].lower().replace("_", "-"): value
        for key, value in environ.items()
        if key.startswith("HTTP_")
    }
    for key in ("CONTENT_TYPE", "CONTENT_LENGTH"):
        if key in environ:
            headers[key.lower().replace("_", "-")] = environ[key]
    return headers


def _unverified(environ: dict, body: bytes | None, secret: str) -> str | None:
    """Why the request cannot be taken to be Slack's; None when it is."""
    if body is None:
        return "its length is not a number"
    return refusal(
        body,
        environ.get("HTTP_X_SLACK_REQUEST_TIMESTAMP"),
        environ.get("HTTP_X_SLACK_SIGNATURE"),
        signing_secret=secret,
    )


def _bolt_answer(start_response: Callable[..., Any], answer: BoltResponse) -> list[bytes]:
    """Bolt's response as WSGI's, as Bolt's own WSGI adapter writes it."""
    body = answer.body.encode("utf-8") if isinstance(answer.body, str) else answer.body
    headers = [
        (name, value)
        for name, values in answer.headers.items()
        if name.lower() != "content-length"
        for value in values
    ]
    headers.append(("content-length", str(len(body))))
    status = HTTPStatus(answer.status)
    start_response(f"{status.value} {status.phrase}", headers)
    return [body]


def _plain(start_response: Callable[..., Any], status: str, text: str) -> list[bytes]:
    body = text.encode()
    start_response(
        status, [("content-type", "text/plain;charset=utf-8"), ("content-length", str(len(body)))]
    )
    return [body]


def _json(start_response: Callable[..., Any], status: str, answer: dict) -> list[bytes]:
    body = json.dumps(answer).encode()
    start_response(
        status, [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
    )
    return [body]


def startup_line(settings: Settings, config: AppConfig, *, mode: str) -> str:
    """The one line that says how retrobot is running (no secrets: the password is hidden)."""
    teams = ", ".join(team.id for team in config.teams)
    return (
        f"retrobot serving over {mode} · database {db.redact_url(settings.database_url)} · "
        f"{len(config.teams)} team{'s' if len(config.teams) != 1 else ''} loaded ({teams})"
    )


class _QuietHandler(WSGIRequestHandler):
    def log_message(self, format: str, *args: Any) -> None:
        logger.debug("%s " + format, self.address_string(), *args)


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True


class LocalServer:
    """retrobot on a threaded wsgiref server in this process (the demo and the tests use it)."""

    def __init__(self, wsgi_app: WsgiApp, *, host: str = "127.0.0.1", port: int = 0) -> None:
        self._server = make_server(
            host, port, wsgi_app, server_class=_ThreadingWSGIServer, handler_class=_QuietHandler
        )
        # It looks for stop() this often: the default half second is a wait at every stop.
        self._thread = threading.Thread(
            target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    @property
    def url(self) -> str:
        """The base URL, e.g. http://127.0.0.1:54321."""
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def start(self) -> LocalServer:
        """Start serving in a background thread."""
        self._thread.start()
        return self

    def stop(self) -> None:
        """Stop serving and close the socket."""
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> LocalServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def serve_http(
    settings: Settings,
    config: AppConfig,
    *,
    host: str = "127.0.0.1",
    port: int = 3000,
    workers: int = 1,
    threads: int = 2,
    scheduler: bool = True,
    request_timeout: float | None = None,
) -> None:
    """Serve Slack's requests over HTTP with gunicorn: K worker processes of T threads each,
    which see only whole requests (bot.front: one slower than ``request_timeout`` s, 10 by
    default, is a 408). bot.front and gunicorn are imported here: nothing else pays for them.

    The database is migrated and app.yaml mirrored once, here, before the workers start; each
    worker then opens its own connection pool. gunicorn stops cleanly on SIGTERM.

    The scheduler runs in one place only: a process of its own that gunicorn's master starts
    when it is ready and stops on exit (bot.jobs.process: never threads of the master,
    which forks the workers), never in the workers, which only serve requests. Across instances the
    scheduler's database lock lets one run the jobs. SIGHUP makes gunicorn reload: app.yaml is
    read again, the scheduler derives its jobs anew and the new workers serve the new file.
    """
    from gunicorn.app.base import BaseApplication

    from bot import front

    timeout = front.REQUEST_TIMEOUT if request_timeout is None else request_timeout
    services = open_services(settings, config)
    services.engine.dispose()  # never share a pool across fork
    running = _Running(config)

    class RetrobotServer(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": front.front_worker(timeout),
                "timeout": 30,
                "graceful_timeout": 10,
                "loglevel": "warning",
                "proc_name": "retrobot",
            }
            if scheduler:
                options.update(
                    when_ready=lambda server: running.start_scheduler(settings),
                    on_reload=lambda server: running.reload(),
                    on_exit=lambda server: running.stop_scheduler(),
                )
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> WsgiApp:
            return _worker_app(settings, running.config)

    logger.info(startup_line(settings, config, mode=f"HTTP on {host}:{port} ({workers} workers)"))
    RetrobotServer().run()


def _worker_app(settings: Settings, config: AppConfig) -> WsgiApp:
    """A gunicorn worker's app, on a connection pool of its own. What it built lives as long as
    the worker does, and is kept out of the cycle collector's walks (bot.core.heap)."""
    services = Services(
        config=config, settings=settings, engine=db.make_engine(settings.database_url)
    )
    wsgi = make_wsgi_app(create_app(services), services)
    heap.settle()
    return wsgi


def serve_socket_mode(settings: Settings, config: AppConfig, *, scheduler: bool = True) -> None:
    """Connect to Slack over Socket Mode (no public URL needed) and serve until stopped.

    The scheduler runs in this process (when the database lock elects it); SIGHUP reloads
    app.yaml, SIGTERM stops cleanly.
    """
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    from bot.jobs.scheduler import Scheduler, reload_on_sighup

    services = open_services(settings, config)
    app = create_app(services, socket_mode=True)
    heap.settle()
    logger.info(startup_line(settings, config, mode="Socket Mode"))
    jobs: Scheduler | None = None
    signal.signal(signal.SIGTERM, _exit_on_sigterm)  # also while waiting for Slack below
    try:
        handler = SocketModeHandler(app, settings.app_token)
        connect_patiently(handler.connect)
        if scheduler:
            jobs = Scheduler(services).start()
            reload_on_sighup(jobs)
        threading.Event().wait()
    except SlackApiError as error:
        reason = error.response.get("error") if error.response is not None else error
        raise RetrobotError(
            f"Slack refused the Socket Mode connection ({reason}). Check that SLACK_APP_TOKEN is "
            "an app-level token (xapp-...) with the connections:write scope."
        ) from None
    finally:
        if jobs is not None:
            jobs.stop()


# Waits between attempts to reach Slack at start-up: doubling from 1 s, at most a minute.
FIRST_WAIT, LONGEST_WAIT = 1.0, 60.0
SAY_EVERY = 60.0  # one log line a minute while Slack cannot be reached


def connect_patiently(
    connect: Callable[[], None],
    *,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> None:
    """Connect, and while Slack cannot be reached (the network not up yet, a proxy down, Slack
    answering 5xx or 429) keep trying with backoff, saying so in one line a minute, until it
    connects or the process is stopped. A refusal (a bad token) is raised at once."""
    wait, said_at, attempts = FIRST_WAIT, None, 0
    while True:
        try:
            connect()
        except SlackApiError as error:
            status = error.response.status_code if error.response is not None else 0
            if status < 500 and status != 429:
                raise
            reason = f"HTTP {status}"
        except OSError as error:  # URLError, refused, reset, timed out, no route, DNS
            reason = type(error).__name__
        else:
            if attempts:
                logger.info("Connected to Slack after %d attempts.", attempts + 1)
            return
        attempts += 1
        if said_at is None or clock() - said_at >= SAY_EVERY:
            said_at = clock()
            logger.warning(
                "Slack cannot be reached yet (%s); retrobot keeps trying (attempt %d, "
                "next in %.0f s). Stop it with SIGTERM.",
                reason,
                attempts,
                wait,
            )
        sleep(wait)
        wait = min(wait * 2, LONGEST_WAIT)


def _exit_on_sigterm(signum: int, frame: Any) -> None:
    """Turn SIGTERM into a normal exit, so the scheduler stops and gives its lock up."""
    raise SystemExit(0)


class _Running:
    """The configuration the workers serve and the master's scheduler (gunicorn's hooks)."""

    def __init__(self, config: AppConfig) -> None:
        self.config = config
        self.scheduler: SchedulerProcess | None = None

    def start_scheduler(self, settings: Settings) -> None:
        """In the master, once it listens: start the scheduler's process, which competes for
        the scheduler lock and runs the jobs."""
        from bot.jobs.process import SchedulerProcess

        self.scheduler = SchedulerProcess(settings, self.config).start()

    def reload(self) -> None:
        """On SIGHUP: read app.yaml again for the scheduler and the workers gunicorn starts next."""
        try:
            config = load_config(self.config.source)
        except ConfigError as error:
            logger.error("app.yaml was not reloaded; keeping the running configuration:\n%s", error)
            return
        self.config = config
        if self.scheduler is not None:
            self.scheduler.reload()  # it reads app.yaml again itself

    def stop_scheduler(self) -> None:
        """On exit: stop the jobs and give the scheduler lock up."""
        if self.scheduler is not None:
            self.scheduler.stop()
            self.scheduler = None
