"""The Slack stand-in as a benchmark needs it: its own process, any trigger, bounded memory.

``python bench/standin.py --stats calls.json`` serves bot.standin's FakeSlack on 127.0.0.1,
prints ``SLACK_API_URL=...``, accepts any trigger_id (a load generator cannot ask for one per
request), any person and any channel, and every half second tallies the calls it answered into
``--stats`` (method → {"ok": n, error: n}) and forgets them, so its memory stays flat however
long the load runs. Every view and message is still checked against Block Kit's limits.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections import Counter, defaultdict
from pathlib import Path
from types import FrameType

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bot.standin.web_api import FakeSlack

TALLY_EVERY = 0.5


def write_tally(path: Path, tally: dict[str, Counter[str]]) -> None:
    """Replace the tally file atomically, so a reader never sees half of it."""
    partial = path.with_suffix(".part")
    partial.write_text(json.dumps({method: dict(counts) for method, counts in tally.items()}))
    os.replace(partial, path)


def main(argv: list[str] | None = None) -> None:
    """Serve until SIGTERM or SIGINT, tallying the traffic."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, default=0, help="port on 127.0.0.1 (0: any free)")
    parser.add_argument("--stats", type=Path, required=True, help="file to keep the tally in")
    options = parser.parse_args(argv)

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    tally: dict[str, Counter[str]] = defaultdict(Counter)
    fake = FakeSlack(
        options.port,
        trigger_ttl=None,
        strict_users=False,
        strict_channels=False,
        strict_triggers=False,
    )
    with fake:
        write_tally(options.stats, tally)
        print(f"SLACK_API_URL={fake.url}", flush=True)
        while not stop.wait(TALLY_EVERY):
            if take_into(fake, tally):
                write_tally(options.stats, tally)
        take_into(fake, tally)
        write_tally(options.stats, tally)


def take_into(fake: FakeSlack, tally: dict[str, Counter[str]]) -> bool:
    """Move the stand-in's recorded calls (and any failure of its own) into the tally."""
    failures = fake.internal_errors
    for failure in failures:
        print(failure, file=sys.stderr, flush=True)
        tally["stand-in"]["internal_error"] += 1
    calls = fake.take_calls()
    for call in calls:
        tally[call.method]["ok" if call.ok else str(call.error)] += 1
    return bool(calls or failures)


if __name__ == "__main__":
    main()
