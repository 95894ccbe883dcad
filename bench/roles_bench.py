"""Roles' rotation: every team's facilitator rotated in one scheduler tick.

    python bench/roles_bench.py [--teams 1000] [--runs 5] [--database-url sqlite|URL ...]
                                [--write-docs]

An organisation of ``--teams`` teams of 8 (each with a facilitator rotating every meeting and a
rota organiser every 4 weeks) is seeded into a fresh database (a SQLite file, or a scratch
database on the PostgreSQL server ``--database-url`` names). Each run is the scheduler's roles
job at a moment when every team's check-in has opened: ``bot.roles.usecases.rotate_roles``
records each role's turn at the coming meeting and passes the facilitator on (``send=False``:
the announcements then go to Slack at its pace, one message per channel, as any post does).
Run N is the tick of week N, so every run rotates every team's facilitator anew.

Measured: wall time of the tick (target under 5 s for 1,000 teams) and the SQL statements it
ran per batch of teams (target: a fixed few, not one per team), median of the runs with min-max.
``--write-docs`` puts the figures in docs/benchmarks.md under "Roles: rotation".
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.harness import machine_lines, scratch_database

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "benchmarks.md"
SECTION = "## Roles: rotation"
TARGET_SECONDS = 5.0
# Monday 1 June 2026, 12:00 UTC: Tuesday's meetings (10:00 London) have their check-ins open.
FIRST_TICK = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)


def many_teams_yaml(count: int, members: int = 8, prefix: str = "t") -> str:
    """app.yaml for ``count`` teams of ``members`` people, each with a facilitator rotating
    every meeting and a rota organiser every 4 weeks (set once under defaults:)."""
    lines = [
        "organisation: {name: Big Care}",
        "defaults:",
        "  timezone: Europe/London",
        '  tactical: {day: tuesday, time: "10:00"}',
        "  roles:",
        "    - {id: facilitator, name: Facilitator, rotates: every meeting}",
        "    - {id: rota, name: Rota organiser, rotates: every 4 weeks}",
        "teams:",
    ]
    for number in range(count):
        tag = f"{prefix.upper()}{number:04d}"
        people = ", ".join(f"U{tag}M{m}" for m in range(members))
        lines += [
            f"  - id: {prefix}{number:04d}",
            f"    name: Team {number}",
            f"    channel: C{tag}X",
            f"    members: [{people}]",
        ]
    return "\n".join(lines) + "\n"


def measure(database_url: str, teams: int, runs: int) -> dict[str, object]:
    """Seed the organisation, then time ``runs`` weekly ticks; the figures."""
    from sqlalchemy import event

    from bot.core.config import parse_config
    from bot.core.settings import Settings
    from bot.roles import usecases
    from bot.services import open_services

    config = parse_config(many_teams_yaml(teams), source="bench.yaml")
    services = open_services(Settings(database_url=database_url), config)
    usecases.ensure_seeded(services)
    statements: list[int] = [0]

    def count(*_: object) -> None:
        statements[0] += 1

    event.listen(services.engine, "before_cursor_execute", count)
    seconds, per_batch, rotated = [], [], []
    batches = -(-teams // usecases.ROTATION_BATCH)
    try:
        for week in range(runs):
            statements[0] = 0
            started = time.perf_counter()
            report = usecases.rotate_roles(
                services, now=FIRST_TICK + timedelta(weeks=week), send=False
            )
            seconds.append(time.perf_counter() - started)
            per_batch.append(statements[0] / batches)
            rotated.append(report.rotated)
    finally:
        event.remove(services.engine, "before_cursor_execute", count)
        services.engine.dispose()
    return {
        "seconds": seconds,
        "per_batch": per_batch,
        "rotated": rotated,
        "batches": batches,
        "database_url": database_url,
    }


def lines_for(figures: dict[str, object], teams: int) -> list[str]:
    """The run's figures as markdown lines."""
    seconds: list[float] = figures["seconds"]  # type: ignore[assignment]
    per_batch: list[float] = figures["per_batch"]  # type: ignore[assignment]
    rotated: list[int] = figures["rotated"]  # type: ignore[assignment]
    median = statistics.median(seconds)
    verdict = "met" if max(seconds) < TARGET_SECONDS else "NOT met"
    statements = statistics.median(per_batch)
    return [
        f"- Organisation: {teams:,} teams of 8, a facilitator rotating every meeting and a rota "
        f"organiser every 4 weeks; {figures['batches']} batch(es) of "
        f"up to 250 teams; {len(seconds)} runs, one a week.",
        f"- Tick: median {median:.2f} s (min {min(seconds):.2f}, max {max(seconds):.2f}); "
        f"target under {TARGET_SECONDS:.0f} s: {verdict}.",
        f"- SQL statements per batch: median {statements:g} (min {min(per_batch):g}, "
        f"max {max(per_batch):g}); the same for 10 teams or 250 (one per team would be 250).",
        f"- Roles passed on per tick: {min(rotated):,}–{max(rotated):,} "
        "(every team's facilitator; at the first tick and every 4th week its rota organiser "
        "too).",
        *[f"- {line}" for line in machine_lines(figures["database_url"])],  # type: ignore[arg-type]
    ]


def write_docs(runs: list[list[str]], command: str) -> None:
    """Replace (or add) this benchmark's section of docs/benchmarks.md; others' stay as they are."""
    body = [
        SECTION,
        "",
        "The scheduler's roles job (`bot.roles.usecases.rotate_roles`) records, for every team "
        "whose meeting's check-in has opened, who holds each rotating role at that meeting, and "
        "passes the facilitator on: per batch of teams, four reads (the roles, their turns so far, "
        "their holders, who is away) and four writes (holders out, holders in, the history, the "
        "turns), each one statement for the whole batch. Announcing the turns is one channel "
        "message per team, at Slack's pace. Rerun with:",
        "",
        f"    {command}",
        "",
    ]
    for lines in runs:
        body += [*lines, ""]
    section = "\n".join(body)
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    start = text.find(SECTION)
    if start == -1:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + len(SECTION))
        rest = "" if end == -1 else "\n" + text[end + 1 :]
        text = text[:start] + section.rstrip("\n") + "\n" + rest
    DOCS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 1 when a target is not met."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--database-url", action="append", default=[])
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--smoke", action="store_true", help="a tiny run (tests use it)")
    args = parser.parse_args(argv)
    teams, runs = (20, 2) if args.smoke else (args.teams, args.runs)
    results, ok = [], True
    # "sqlite" (or any sqlite: URL) is a fresh SQLite file; anything else a PostgreSQL server.
    servers = [None if u.startswith("sqlite") else u for u in args.database_url] or [None]
    for server in servers:
        with (
            tempfile.TemporaryDirectory() as workdir,
            scratch_database(server, Path(workdir)) as url,
        ):
            figures = measure(url, teams, runs)
            lines = lines_for(figures, teams)  # while the database is there to ask its version
        print("\n".join(lines) + "\n")
        results.append(lines)
        ok = ok and max(figures["seconds"]) < TARGET_SECONDS  # type: ignore[arg-type]
        ok = ok and min(figures["rotated"]) >= teams  # type: ignore[arg-type,operator]
    if args.write_docs:
        shown = [a for a in (argv or sys.argv[1:]) if a != "--write-docs"]
        command = "python bench/roles_bench.py " + " ".join(shown)
        write_docs(results, command.strip())
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
