"""A bare Bolt app, the yardstick for retrobot's acks: same server, same Slack calls, no work.

Its listeners ack and then make the Slack calls retrobot makes for the same request, with views
of the same size (built by retrobot's own builders and handed over in ``--views``):

- ``/tension`` → ``views.open`` with the tension modal;
- the tension modal's submission → ``chat.postMessage`` (the confirmation DM). (retrobot
  publishes the App Home too when the modal was opened on the Home tab; the benchmark's come
  from ``/tension``.)

It runs on gunicorn with the options ``retrobot serve --http`` uses (gthread workers, the same
workers and threads) and reads the same environment (SLACK_BOT_TOKEN, SLACK_SIGNING_SECRET,
SLACK_API_URL). It imports nothing of retrobot.

    python bench/bare_app.py --port 3001 --workers 4 --threads 2 --views views.json
"""

from __future__ import annotations

import argparse
import json
import logging
import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from slack_bolt import App
from slack_bolt.adapter.wsgi import SlackRequestHandler
from slack_sdk import WebClient

TENSION_COMMAND = "/tension"
TENSION_MODAL = "tension_modal"

WsgiApp = Callable[[dict, Callable[..., Any]], Iterable[bytes]]


def create_bare_app(views: dict[str, Any], *, token: str, signing_secret: str, api_url: str) -> App:
    """The Bolt app, built as retrobot builds its own, with listeners that only ack and call."""
    app = App(
        client=WebClient(token=token, base_url=api_url, timeout=15),
        signing_secret=signing_secret,
        token_verification_enabled=False,
        logger=logging.getLogger("bare.bolt"),
    )

    @app.command(TENSION_COMMAND)
    def open_tension_modal(ack: Any, command: dict, client: WebClient) -> None:
        ack()
        client.views_open(trigger_id=command["trigger_id"], view=views["modal"])

    @app.view(TENSION_MODAL)
    def confirm_tension(ack: Any, body: dict, client: WebClient) -> None:
        ack()
        user_id = body["user"]["id"]
        client.chat_postMessage(channel=user_id, **views["confirmation"])

    return app


def make_wsgi_app(app: App) -> WsgiApp:
    """POST /slack/events to Bolt; GET /healthz answers 200 (there is no database to ask)."""
    slack = SlackRequestHandler(app, path="/slack/events")

    def wsgi(environ: dict, start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("PATH_INFO") == "/healthz":
            body = b'{"ok": true}'
            start_response(
                "200 OK", [("Content-Type", "application/json"), ("Content-Length", str(len(body)))]
            )
            return [body]
        return slack(environ, start_response)

    return wsgi


def serve(views: dict[str, Any], *, host: str, port: int, workers: int, threads: int) -> None:
    """Serve on gunicorn with the options retrobot's ``serve --http`` uses."""
    from gunicorn.app.base import BaseApplication

    class BareServer(BaseApplication):  # type: ignore[misc]
        def load_config(self) -> None:
            options = {
                "bind": f"{host}:{port}",
                "workers": workers,
                "threads": threads,
                "worker_class": "gthread",
                "timeout": 30,
                "graceful_timeout": 10,
                "loglevel": "warning",
                "proc_name": "bare-bolt",
            }
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> WsgiApp:
            app = create_bare_app(
                views,
                token=os.environ["SLACK_BOT_TOKEN"],
                signing_secret=os.environ["SLACK_SIGNING_SECRET"],
                api_url=os.environ["SLACK_API_URL"],
            )
            return make_wsgi_app(app)

    BareServer().run()


def main(argv: list[str] | None = None) -> None:
    """Parse the command line and serve."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=3001)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument(
        "--views", type=Path, required=True, help="JSON: the modal and the confirmation to send"
    )
    options = parser.parse_args(argv)
    logging.basicConfig(level=logging.WARNING)
    views = json.loads(options.views.read_text(encoding="utf-8"))
    serve(
        views,
        host=options.host,
        port=options.port,
        workers=options.workers,
        threads=options.threads,
    )


if __name__ == "__main__":
    main()
