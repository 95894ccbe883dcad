"""Retrospectives at scale: a thousand teams opening theirs in the same minute, and closing one.

    python bench/retro_bench.py [--teams 1000] [--per-team 12] [--rate 100] [--burst 10]
                                [--database-url URL] [--smoke] [--write-docs]

The Slack stand-in runs in a process of its own (bench/checkin_fanout.py's), holding
chat.postMessage to ``--rate`` calls a second. This process is retrobot: the scheduler's job
(``bot.retros.usecases.run_due``) runs at the teams' retrospective time, so every team's
retrospective opens at once — its channel message, then every member's Reflect DM, all paced at
the rate the app is told. Measured:

- wall time against the bound the rate limit sets (posts / rate); target within 10 %;
- duplicates and misses (per DM and per channel, counted by the stand-in); target none;
- closing one 12-member retrospective with 100 reflections and 36 votes (the votes counted, the
  ballots deleted, the chosen improvements raised as tensions, the thread and channel message
  updated in Slack); target under 1 s.

``--write-docs`` puts the figures in docs/benchmarks.md under "Retrospectives".
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.checkin_fanout import BOT_TOKEN, Standin, app_yaml, write_docs

SECTION = "## Retrospectives"
OPENS = datetime(2026, 5, 21, 13, 0, tzinfo=UTC)  # an "on" Thursday, 14:00 in London
REFLECTIONS = 100
LINES = ("Handovers ran late on {n}", "The rota reached us on {n}", "Try pairing on visit {n}")


def _clock(start: datetime) -> Any:
    """The app's clock: ``start``, moving on in real time."""
    began = time.monotonic()

    def now() -> datetime:
        from datetime import timedelta

        return start + timedelta(seconds=time.monotonic() - began)

    return now


def _fill(services: Any, retro_id: int, members: list[str]) -> None:
    """Each member reflects until there are 100 reflections, one kind a field."""
    from bot.retros import service
    from storage.models import ReflectionKind

    kinds = list(ReflectionKind)
    per_member = -(-REFLECTIONS // len(members))
    made = 0
    for index, user_id in enumerate(members):
        count = min(per_member, REFLECTIONS - made)
        texts: dict[ReflectionKind, list[str]] = {kind: [] for kind in kinds}
        for n in range(count):
            texts[kinds[n % 3]].append(LINES[n % 3].format(n=f"{index}-{n}"))
        made += count
        draft = service.ReflectionDraft(texts=texts, scores={"We learn": 1 + index % 5})
        with services.session() as session:
            service.save_reflection(
                session,
                config=services.config,
                retro_id=retro_id,
                user_id=user_id,
                draft=draft,
                now=services.now(),
            )


def run(options: argparse.Namespace) -> dict[str, Any]:
    """Open every team's retrospective at once, then close one; return the figures."""
    from sqlmodel import select

    from bot.core.config import parse_config
    from bot.core.settings import Settings
    from bot.retros import usecases, voting
    from bot.services import open_services
    from bot.slack import pacing
    from storage.models import Reflection, Retrospective

    text, members = app_yaml(options.teams, options.per_team)
    folder = Path(tempfile.mkdtemp(prefix="retrobot-retro-bench-"))
    database_url = options.database_url or f"sqlite:///{folder / 'retro.db'}"
    standin = Standin(options.rate, options.burst, folder)
    try:
        config = parse_config(text, source=str(folder / "app.yaml"))
        settings = Settings(
            bot_token=BOT_TOKEN, slack_api_url=standin.url, database_url=database_url
        )
        services = open_services(settings, config)
        pacing.PACE = pacing.Pace(options.rate, pacing.DM_BURST)
        services.clock = _clock(OPENS)
        before = time.monotonic()
        done = usecases.run_due(services)
        wall = time.monotonic() - before
        first = config.teams[0]
        with services.session() as session:
            retro = session.exec(
                select(Retrospective).where(Retrospective.team_id == first.id)
            ).one()
        assert retro.id is not None
        _fill(services, retro.id, first.member_ids)
        usecases.close_reflection_now(services, retro_id=retro.id)
        with services.session() as session:
            ids = list(session.exec(select(Reflection.id).where(Reflection.retro_id == retro.id)))
            for index, voter in enumerate(first.member_ids):
                picks = [ids[(index * 7 + k * 13) % len(ids)] for k in range(3)]
                voting.set_votes(
                    session,
                    config=services.config,
                    retro_id=retro.id,
                    voter=voter,
                    reflection_ids=list(dict.fromkeys(picks)),
                )
        before = time.monotonic()
        usecases.close_voting_now(services, retro_id=retro.id)
        close = time.monotonic() - before
        services.engine.dispose()
    finally:
        stats = standin.stop()
    delivered: dict[str, int] = stats["delivered"]
    dms = {channel: n for channel, n in delivered.items() if channel.startswith("U")}
    channels = Counter(channel for channel in delivered if channel.startswith("C"))
    posts_at_open = len(members) + options.teams
    return {
        "teams": options.teams,
        "members": len(members),
        "rate": options.rate,
        "burst": options.burst,
        "database_url": database_url,
        "opened": len(done.opened),
        "invited": done.invited,
        "wall": wall,
        "bound": posts_at_open / options.rate,
        "dm_duplicates": sum(n - 1 for n in dms.values() if n > 1),
        "dm_missing": len(set(members) - set(dms)),
        "channels": len(channels),
        "refused": stats["refused"],
        "violations": stats["violations"],
        "reflections": len(ids),
        "votes": 3 * len(first.member_ids),
        "close": close,
    }


def describe(figures: dict[str, Any]) -> list[str]:
    """The figures against the targets, one line each (Markdown-friendly)."""
    from bench.harness import machine_lines

    over = (figures["wall"] / figures["bound"] - 1) * 100
    refused = ", ".join(f"{n} × {error}" for error, n in figures["refused"].items()) or "none"
    ok = figures["dm_duplicates"] == 0 and figures["dm_missing"] == 0
    return [
        f"- Opening: {figures['teams']:,} teams of {figures['members'] // figures['teams']} "
        f"({figures['members']:,} members) reach their retrospective time together; one pass of "
        f"the scheduler's job opens {figures['opened']:,} and sends {figures['invited']:,} "
        f"Reflect DMs. chat.postMessage limited to {figures['rate']:g}/s (bursts of "
        f"{figures['burst']}); the app paced at the same rate.",
        f"- Wall time: {figures['wall']:.1f} s against the bound (channel messages + DMs) / rate "
        f"= {figures['bound']:.1f} s ({over:+.1f} %; target within 10 %: "
        f"{'met' if over <= 10 else 'NOT met'}).",
        f"- DMs: duplicates {figures['dm_duplicates']}, missing {figures['dm_missing']} (target "
        f"none: {'met' if ok else 'NOT met'}); channel messages in {figures['channels']:,} "
        f"channels; refused by the rate limit and waited out: {refused}.",
        f"- Closing one retrospective of 12 with {figures['reflections']} reflections and "
        f"{figures['votes']} votes (counting, the ballots deleted, tensions raised, the thread "
        f"and channel message updated): {figures['close'] * 1000:.0f} ms (target under 1 s: "
        f"{'met' if figures['close'] < 1 else 'NOT met'}).",
        *[f"- {line}" for line in machine_lines(figures["database_url"])],
    ]


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 1 when a DM went twice or not at all."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--per-team", type=int, default=12)
    parser.add_argument("--rate", type=float, default=100.0, help="chat.postMessage calls/s")
    parser.add_argument("--burst", type=int, default=10, help="the stand-in's burst")
    parser.add_argument("--database-url", help="default: a new SQLite file")
    parser.add_argument("--smoke", action="store_true", help="a few teams, fast")
    parser.add_argument("--write-docs", action="store_true")
    options = parser.parse_args(argv)
    if options.smoke:
        options.teams, options.rate, options.burst = 3, 200.0, 20
    import logging

    logging.basicConfig(level=logging.WARNING)
    figures = run(options)
    lines = describe(figures)
    print("\n".join(lines))
    if options.write_docs and not options.smoke:
        command = f"python bench/retro_bench.py --teams {options.teams} --rate {options.rate:g}"
        write_docs_section(lines, command)
    return 0 if figures["dm_duplicates"] == 0 and figures["dm_missing"] == 0 else 1


def write_docs_section(lines: list[str], command: str) -> None:
    """This benchmark's section of docs/benchmarks.md (bench/checkin_fanout.py's writer)."""
    import bench.checkin_fanout as fanout

    fanout_section = fanout.SECTION
    try:
        fanout.SECTION = SECTION
        write_docs([lines], command)
    finally:
        fanout.SECTION = fanout_section


if __name__ == "__main__":
    sys.exit(main())
