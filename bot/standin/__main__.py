"""Run the Slack stand-in as a long-running process: ``python -m bot.standin --port 3999``."""

from __future__ import annotations

import argparse
import threading

from bot.standin.web_api import FakeSlack


def main(argv: list[str] | None = None) -> None:
    """Serve the fake Web API on 127.0.0.1 until interrupted, after printing its URL."""
    parser = argparse.ArgumentParser(prog="python -m bot.standin", description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument(
        "--no-trigger-expiry",
        action="store_true",
        help="let trigger_ids live forever (for stepping through handlers in a debugger)",
    )
    parser.add_argument(
        "--lenient",
        action="store_true",
        help="accept posts to channels and people that were never registered",
    )
    options = parser.parse_args(argv)
    fake = FakeSlack(
        options.port,
        trigger_ttl=None if options.no_trigger_expiry else 3.0,
        strict_users=not options.lenient,
        strict_channels=not options.lenient,
    )
    with fake:
        print(f"Slack stand-in listening: SLACK_API_URL={fake.url}", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("stopped", flush=True)


if __name__ == "__main__":
    main()
