"""Check-in fan-out: a round to 12,000 members against the Slack stand-in's rate limit.

    python bench/checkin_fanout.py [--members 12000] [--teams 1] [--rate 100] [--burst 10]
                                   [--database-url URL] [--write-docs]

The Slack stand-in runs in a process of its own, holding chat.postMessage to ``--rate`` calls a
second (a token bucket, bursts of ``--burst``; over-rate calls get 429 with Retry-After). This
process is retrobot: it opens the round(s) with the same ``bot.checkins.usecases.send_round`` the
scheduler calls, paced at the same rate (Slack's published budget is what the app is told), and
measures:

- wall time against the bound the rate limit sets (members / rate); target within 10 %;
- the app's CPU time per DM (user + system, this process only); target under 2 ms;
- duplicates and misses, counted by the stand-in per DM channel; target none;
- peak resident memory of this process; target under 200 MB.

``--teams 1000`` sends 1,000 rounds of 12 at once instead of one of 12,000, as a whole
organisation meeting at the same hour would (ten at a time, as the scheduler's job pool runs).
``--write-docs`` puts the figures in docs/benchmarks.md under "Check-in fan-out".

Shifts (bot/shifts): ``--off-shift 0.34`` puts about a third of the members off shift — half
in Slack's do-not-disturb until after the meeting (set in the stand-in), half with a working
pattern that has them off now (in the database). Every DM then passes the shift gate: the
stand-in also holds dnd.teamInfo to ``--dnd-rate`` calls a second (by default Slack's Tier 2,
20 a minute, scaled by the same factor as chat.postMessage's rate over the app's real pace of 5
a second) and the app is paced to it. The bound is then the members on shift ÷ rate; targets:
within 10 % of it, at most 240 dnd.teamInfo calls (50 people each), and no DM to anyone off
shift. ``--repeat 5`` runs it five times and gives the median with the min–max; with
``--write-docs`` the figures go under "Check-in fan-out with a third off shift".
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

REPO = Path(__file__).resolve().parents[1]
DOCS = REPO / "docs" / "benchmarks.md"
SECTION = "## Check-in fan-out"
SHIFT_SECTION = "## Check-in fan-out with a third off shift"
# Slack's pace for the app (bot.slack.pacing) and dnd.teamInfo's tier (Tier 2: 20 a minute):
# the stand-in's DND limit is scaled from --rate by the same factor as chat.postMessage's.
REAL_DM_PACE = 5.0
REAL_DND_PACE = 20 / 60
DND_BURST = 5
BOT_TOKEN = "xoxb-bench-token"
JOB_POOL = 10  # the scheduler's executor runs this many rounds at once


# --- The stand-in, in its own process -------------------------------------------------------------


def serve_standin(
    rate: float,
    burst: int,
    report: Path,
    dnd_rate: float | None = None,
    dnd_file: Path | None = None,
) -> None:
    """Serve the stand-in with chat.postMessage (and dnd.teamInfo) rate-limited, with the DND of
    ``dnd_file`` ([[user, start, end], ...]); on SIGTERM write what it saw."""
    from bot.standin.web_api import FakeSlack

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    fake = FakeSlack(strict_users=False, strict_channels=False, trigger_ttl=None)
    fake.rate_limit("chat.postMessage", per_second=rate, burst=burst)
    if dnd_rate:
        fake.rate_limit("dnd.teamInfo", per_second=dnd_rate, burst=DND_BURST)
    if dnd_file is not None:
        for user_id, start, end in json.loads(dnd_file.read_text()):
            fake.set_dnd(user_id, start, end)
    with fake:
        print(f"SLACK_API_URL={fake.url}", flush=True)
        stop.wait()
        delivered: Counter[str] = Counter()
        refused: Counter[str] = Counter()
        for call in fake.calls_to("chat.postMessage"):
            if call.ok:
                delivered[str(call.args.get("channel"))] += 1
            else:
                refused[call.error or "error"] += 1
    dnd = fake.calls_to("dnd.teamInfo")
    report.write_text(
        json.dumps(
            {
                "delivered": dict(delivered),
                "refused": dict(refused),
                "violations": fake.limit_violations[:5],
                "dnd_calls": sum(1 for call in dnd if call.ok),
                "dnd_refused": sum(1 for call in dnd if not call.ok),
                "dnd_most_users": max(
                    (len(str(call.args.get("users", "")).split(",")) for call in dnd), default=0
                ),
            }
        )
    )


class Standin:
    """The stand-in's process: started with a rate limit, stopped for its report."""

    def __init__(
        self,
        rate: float,
        burst: int,
        folder: Path,
        dnd_rate: float | None = None,
        dnd_file: Path | None = None,
    ) -> None:
        self.report = folder / "standin.json"
        shifts = []
        if dnd_rate:
            shifts += ["--dnd-rate", str(dnd_rate)]
        if dnd_file is not None:
            shifts += ["--dnd-file", str(dnd_file)]
        self.process = subprocess.Popen(
            [
                sys.executable,
                str(Path(__file__).resolve()),
                "--serve-standin",
                "--rate",
                str(rate),
                "--burst",
                str(burst),
                "--report",
                str(self.report),
                *shifts,
            ],
            stdout=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONPATH": str(REPO)},
        )
        assert self.process.stdout is not None
        line = self.process.stdout.readline().strip()
        if not line.startswith("SLACK_API_URL="):
            self.process.kill()
            raise RuntimeError(f"the stand-in did not start: {line!r}")
        self.url = line.split("=", 1)[1]

    def stop(self) -> dict[str, Any]:
        """Stop it (by its own pid) and read what it counted."""
        self.process.send_signal(signal.SIGTERM)
        self.process.wait(timeout=60)
        return json.loads(self.report.read_text())


# --- The organisation -----------------------------------------------------------------------------


def app_yaml(teams: int, per_team: int) -> tuple[str, list[str]]:
    """An app.yaml of ``teams`` teams of ``per_team`` members, and every member's id."""
    members = [f"U{n:09d}" for n in range(1, teams * per_team + 1)]
    lines = [
        "organisation: {name: Benchmark Community Care}",
        "defaults:",
        "  timezone: Europe/London",
        '  tactical: {day: tuesday, time: "10:00", checkin_lead: 24h}',
        "teams:",
    ]
    for number in range(teams):
        chunk = members[number * per_team : (number + 1) * per_team]
        lines += [
            f"  - id: team-{number:04d}",
            f"    name: Team {number}",
            f"    channel: C{number:08d}",
            f"    members: [{', '.join(chunk)}]",
            "    metrics: [{id: visits, label: Client visits, unit: visits}]",
        ]
    return "\n".join(lines) + "\n", members


# --- The run --------------------------------------------------------------------------------------


def cpu_seconds() -> float:
    """User plus system CPU time of this process so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def off_shift_members(members: list[str], fraction: float) -> tuple[list[str], list[str]]:
    """Every n-th member off shift (about ``fraction`` of them): in do-not-disturb until after
    the meeting (the first list) or with a working pattern that has them off now (the second),
    alternately."""
    if fraction <= 0:
        return [], []
    step = max(1, round(1 / fraction))
    chosen = members[step - 1 :: step]
    return chosen[0::2], chosen[1::2]


def dnd_file(folder: Path, users: list[str]) -> Path | None:
    """The stand-in's DND for ``users``: from an hour ago until ten days on (past any meeting)."""
    if not users:
        return None
    now = time.time()
    path = folder / "dnd.json"
    path.write_text(json.dumps([[user, now - 3600, now + 10 * 86400] for user in users]))
    return path


def store_patterns(services: Any, team_of: dict[str, str], users: list[str]) -> None:
    """A working pattern for each of ``users`` that has them off now: one hour, 08:00 to 09:00
    in London, on the day after tomorrow only (held for it, or off shift if the meeting comes
    first)."""
    from datetime import UTC, datetime, timedelta
    from zoneinfo import ZoneInfo

    from sqlalchemy import insert

    from storage.models import PatternKind, WorkingPattern

    if not users:
        return
    now = datetime.now(UTC)
    day = (now.astimezone(ZoneInfo("Europe/London")) + timedelta(days=2)).weekday()
    rows = [
        {
            "team_id": team_of[user],
            "user_id": user,
            "kind": PatternKind.DAYS,
            "days": [day],
            "starts": "08:00",
            "ends": "09:00",
            "timezone": "Europe/London",
            "updated_at": now,
        }
        for user in users
    ]
    with services.session() as session:
        session.execute(insert(WorkingPattern), rows)
        session.commit()


def run(options: argparse.Namespace) -> dict[str, Any]:
    """Send the round(s) and return the figures."""
    from bot.checkins import usecases as checkins
    from bot.core.config import parse_config
    from bot.core.settings import Settings
    from bot.services import open_services
    from bot.shifts import dnd
    from bot.slack import pacing

    per_team = options.members // options.teams
    text, members = app_yaml(options.teams, per_team)
    team_of = {member: f"team-{index // per_team:04d}" for index, member in enumerate(members)}
    in_dnd, patterned = off_shift_members(members, options.off_shift)
    on_shift = sorted(set(members) - set(in_dnd) - set(patterned))
    folder = Path(tempfile.mkdtemp(prefix="retrobot-fanout-"))
    database_url = options.database_url or f"sqlite:///{folder / 'fanout.db'}"
    if options.database_url and options.database_url.startswith("postgresql"):
        _reset_postgres(options.database_url)
    elif options.database_url and options.database_url.startswith("sqlite:///"):
        for suffix in ("", "-wal", "-shm"):  # a fresh file, as for PostgreSQL a fresh schema
            Path(options.database_url.removeprefix("sqlite:///") + suffix).unlink(missing_ok=True)
    dnd_rate = options.dnd_rate or options.rate * REAL_DND_PACE / REAL_DM_PACE
    standin = Standin(options.rate, options.burst, folder, dnd_rate, dnd_file(folder, in_dnd))
    stats: dict[str, Any] = {}
    try:
        config = parse_config(text, source=str(folder / "app.yaml"))
        settings = Settings(
            bot_token=BOT_TOKEN, slack_api_url=standin.url, database_url=database_url
        )
        services = open_services(settings, config)  # migrated, members mirrored (as at start-up)
        store_patterns(services, team_of, patterned)
        # The app is told Slack's rate, not its burst: it spends no burst, so Slack's bucket stays
        # full and absorbs the jitter of requests in flight. Its DND reads are paced likewise.
        pacing.PACE = pacing.Pace(options.pace or options.rate, pacing.DM_BURST)
        dnd.PACE = pacing.Pace(dnd_rate, 1)
        team_ids = [team.id for team in config.teams]
        cpu_before, wall_before = cpu_seconds(), time.monotonic()
        if len(team_ids) == 1:
            reports = [checkins.send_round(services, team_id=team_ids[0])]
        else:
            with ThreadPoolExecutor(JOB_POOL) as pool:
                reports = list(
                    pool.map(
                        lambda team_id: checkins.send_round(services, team_id=team_id), team_ids
                    )
                )
        wall = time.monotonic() - wall_before
        cpu = cpu_seconds() - cpu_before
        services.engine.dispose()
    finally:
        stats = standin.stop()
    delivered: dict[str, int] = stats["delivered"]
    asked = sum(len(r.asked) for r in reports)
    return {
        "members": len(members),
        "teams": options.teams,
        "rate": options.rate,
        "burst": options.burst,
        "pace": options.pace or options.rate,
        "dnd_rate": dnd_rate,
        "senders": pacing.SEND_WORKERS,
        "database_url": database_url,
        "wall": wall,
        "bound": len(on_shift) / options.rate,
        "cpu": cpu,
        "asked": asked,
        "on_shift": len(on_shift),
        "in_dnd": len(in_dnd),
        "patterned": len(patterned),
        "waiting": sum(len(r.waiting) for r in reports),
        "off_shift": sum(len(r.off_shift) for r in reports),
        "leaked": sum(delivered.get(user, 0) for user in (*in_dnd, *patterned)),
        "dnd_calls": stats["dnd_calls"],
        "dnd_refused": stats["dnd_refused"],
        "dnd_most_users": stats["dnd_most_users"],
        "failed": sum(len(r.failed) for r in reports),
        "delivered": sum(delivered.values()),
        "duplicates": sum(count - 1 for count in delivered.values() if count > 1),
        "missing": len(set(on_shift) - set(delivered)),
        "refused": stats["refused"],
        "violations": stats["violations"],
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }


def _reset_postgres(url: str) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    with engine.begin() as connection:
        connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        connection.execute(text("CREATE SCHEMA public"))
    engine.dispose()


def describe(figures: dict[str, Any]) -> list[str]:
    """The figures against the targets, one line each (Markdown-friendly)."""
    from bench.harness import machine_lines

    over = (figures["wall"] / figures["bound"] - 1) * 100
    per_dm = figures["cpu"] / max(figures["delivered"], 1) * 1000
    refused = ", ".join(f"{n} × {error}" for error, n in figures["refused"].items()) or "none"
    shape = (
        f"{figures['members']:,} members in one team"
        if figures["teams"] == 1
        else f"{figures['members']:,} members in {figures['teams']:,} teams, rounds sent "
        f"{JOB_POOL} at a time"
    )
    ok = figures["duplicates"] == 0 and figures["missing"] == 0 and figures["failed"] == 0
    return [
        f"- Round: {shape}; chat.postMessage limited to {figures['rate']:g}/s "
        f"(bursts of {figures['burst']}); the app paced at {figures['pace']:g}/s, posting from "
        f"{figures['senders']} threads shared by all rounds.",
        f"- Wall time: {figures['wall']:.1f} s against the bound N / rate = "
        f"{figures['bound']:.1f} s ({over:+.1f} %; target within 10 %: "
        f"{'met' if abs(over) <= 10 else 'NOT met'}).",
        f"- App CPU: {figures['cpu']:.1f} s = {per_dm:.2f} ms per DM (target under 2 ms: "
        f"{'met' if per_dm < 2 else 'NOT met'}).",
        f"- DMs: {figures['delivered']:,} delivered for {figures['members']:,} members; "
        f"duplicates {figures['duplicates']}, missing {figures['missing']}, failed "
        f"{figures['failed']} (target none: {'met' if ok else 'NOT met'}); refused by the "
        f"rate limit and waited out: {refused}.",
        f"- Peak memory (RSS) of the app's process: {figures['peak_rss_mb']:.0f} MB (target "
        f"under 200 MB: {'met' if figures['peak_rss_mb'] < 200 else 'NOT met'}).",
        *[f"- {line}" for line in machine_lines(figures["database_url"])],
    ]


INTRO = (
    "A check-in round DMs every member through `bot.checkins.usecases.send_round` (what the "
    "scheduler and `retrobot checkin send` run) against the Slack stand-in, in its own "
    "process, whose chat.postMessage is rate-limited (a token bucket; over-rate calls get "
    "429 with Retry-After). CPU and memory are this process's alone (the stand-in's are "
    "not counted); a run's peak memory is the process's peak so far, earlier runs included. "
    "Rerun with:"
)
SHIFT_INTRO = (
    "The same round with about a third of the members off shift (bot/shifts): half in Slack's "
    "do-not-disturb until after the meeting (set in the stand-in), half with a working pattern "
    "that has them off now. Every DM passes the shift gate, which reads dnd.teamInfo 50 people "
    "a call ahead of the sending; the stand-in limits it to Slack's Tier 2 (20 a minute) scaled "
    "by the same factor as chat.postMessage (the app's real pace is 5 DMs a second), and the "
    "app is paced to both. The bound is the members on shift ÷ rate; each figure is the median "
    "of the runs, with the min–max. Rerun with:"
)


def _section_bounds(text: str, title: str) -> tuple[int, int] | None:
    """Where the section titled exactly ``title`` starts and ends in ``text``."""
    start = 0
    while (start := text.find(title, start)) != -1:
        line_end = text.find("\n", start)
        if text[start : line_end if line_end != -1 else len(text)].rstrip() == title:
            end = text.find("\n## ", start + len(title))
            return start, len(text) if end == -1 else end + 1
        start += len(title)
    return None


def write_docs(
    runs: list[list[str]], command: str, *, title: str = SECTION, intro: str = INTRO
) -> None:
    """Replace (or add, after the fan-out's own) this benchmark's section of docs/benchmarks.md;
    the other sections stay as they are."""
    body = [title, "", intro, "", f"    {command}", ""]
    for lines in runs:
        body += [*lines, ""]
    section = "\n".join(body).rstrip("\n") + "\n"
    text = DOCS.read_text(encoding="utf-8") if DOCS.exists() else "# Benchmarks\n"
    found = _section_bounds(text, title)
    if found is None:
        after = _section_bounds(text, SECTION)
        at = after[1] if after is not None else len(text)
        before = text[:at].rstrip("\n") + "\n\n"
        rest = text[at:]
        text = before + section + ("\n" + rest if rest else "")
    else:
        start, end = found
        rest = text[end:]
        text = text[:start] + section + ("\n" + rest if rest else "")
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text.rstrip("\n") + "\n", encoding="utf-8")


def _median_range(values: list[float], fmt: str) -> str:
    """``median (min–max)`` of the runs' values."""
    shown = format(statistics.median(values), fmt)
    if len(values) == 1:
        return shown
    return f"{shown} ({format(min(values), fmt)}–{format(max(values), fmt)})"


def describe_shifts(runs: list[dict[str, Any]]) -> list[str]:
    """The runs with a third off shift against their targets, medians with min–max."""
    from bench.harness import machine_lines

    first = runs[0]
    ratios = [r["wall"] / r["bound"] for r in runs]
    per_dm = [r["cpu"] / max(r["delivered"], 1) * 1000 for r in runs]
    calls = [float(r["dnd_calls"]) for r in runs]
    clean = all(
        r["leaked"] == 0 and r["duplicates"] == 0 and r["missing"] == 0 and r["failed"] == 0
        for r in runs
    )
    shape = (
        f"{first['members']:,} members in one team"
        if first["teams"] == 1
        else f"{first['members']:,} members in {first['teams']:,} teams, rounds sent "
        f"{JOB_POOL} at a time"
    )
    return [
        f"- Round: {shape}, {len(runs)} runs; {first['in_dnd']:,} in do-not-disturb past the "
        f"meeting and {first['patterned']:,} off by their working pattern "
        f"({first['in_dnd'] + first['patterned']:,} off shift, {first['on_shift']:,} on shift); "
        f"chat.postMessage limited to {first['rate']:g}/s (bursts of {first['burst']}), "
        f"dnd.teamInfo to {first['dnd_rate']:.2f}/s (bursts of {DND_BURST}); the app paced to "
        "both.",
        f"- Wall time: {_median_range([r['wall'] for r in runs], '.1f')} s against the bound "
        f"on shift / rate = {first['bound']:.1f} s: {_median_range(ratios, '.3f')}× (target "
        f"at most 1.1×: {'met' if max(ratios) <= 1.1 else 'NOT met'}).",
        f"- dnd.teamInfo: {_median_range(calls, '.0f')} calls, at most "
        f"{max(r['dnd_most_users'] for r in runs)} people each (target at most 240 calls: "
        f"{'met' if max(calls) <= 240 else 'NOT met'}); refused "
        f"{sum(r['dnd_refused'] for r in runs)} times. Those whose pattern has them off now "
        "are not read.",
        f"- Off shift: held for later {_median_range([r['waiting'] for r in runs], '.0f')}, "
        f"skipped until after the meeting {_median_range([r['off_shift'] for r in runs], '.0f')}"
        f"; DMs to anyone off shift: {sum(r['leaked'] for r in runs)} (target none).",
        f"- DMs: {_median_range([r['delivered'] for r in runs], ',.0f')} delivered for "
        f"{first['on_shift']:,} on shift; duplicates, missing and failed: "
        f"{sum(r['duplicates'] + r['missing'] + r['failed'] for r in runs)} "
        f"(target none: {'met' if clean else 'NOT met'}).",
        f"- App CPU: {_median_range(per_dm, '.2f')} ms per DM sent (target under 2 ms: "
        f"{'met' if statistics.median(per_dm) < 2 else 'NOT met'}); peak memory "
        f"{max(r['peak_rss_mb'] for r in runs):.0f} MB.",
        *[f"- {line}" for line in machine_lines(first["database_url"])],
    ]


def rerun_command(argv: list[str]) -> str:
    """The command that reruns these figures (a temporary SQLite file is the default anyway)."""
    shown: list[str] = []
    args = iter(argv)
    for arg in args:
        if arg == "--write-docs":
            continue
        if arg == "--database-url":
            url = next(args, "")
            shown += [arg, "sqlite:///fanout.db" if url.startswith("sqlite") else url]
            continue
        shown.append(arg)
    return " ".join(["python bench/checkin_fanout.py", *shown])


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark (or, internally, serve the stand-in)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--members", type=int, default=12_000)
    parser.add_argument(
        "--teams", type=int, action="append", help="teams sharing the members (repeatable; 1)"
    )
    parser.add_argument("--rate", type=float, default=100.0, help="chat.postMessage calls/s")
    parser.add_argument("--burst", type=int, default=10, help="the stand-in's burst")
    parser.add_argument("--pace", type=float, help="the app's DMs/s (default: --rate)")
    parser.add_argument(
        "--database-url",
        action="append",
        help="repeatable; default: a new SQLite file. A database named here is emptied "
        "first: give one for the benchmark alone",
    )
    parser.add_argument(
        "--off-shift",
        type=float,
        default=0.0,
        help="the share of members off shift, half in DND and half by working pattern (0.34)",
    )
    parser.add_argument("--dnd-rate", type=float, help="dnd.teamInfo calls/s (default: scaled)")
    parser.add_argument("--repeat", type=int, default=1, help="runs of each setting (median)")
    parser.add_argument("--write-docs", action="store_true")
    parser.add_argument("--serve-standin", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--report", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--dnd-file", type=Path, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.serve_standin:
        serve_standin(
            options.rate, options.burst, options.report, options.dnd_rate, options.dnd_file
        )
        return 0
    import logging

    logging.basicConfig(level=logging.WARNING)
    runs = []
    work_done = True
    for teams in options.teams or [1]:
        for url in options.database_url or [None]:
            one = argparse.Namespace(**{**vars(options), "teams": teams, "database_url": url})
            results = []
            for _ in range(max(1, options.repeat)):
                figures = run(one)
                results.append(figures)
                if figures["violations"]:
                    print(
                        "Block Kit problems the stand-in saw:", *figures["violations"], sep="\n  "
                    )
                work_done = work_done and figures["leaked"] == 0 and figures["missing"] == 0
                work_done = work_done and figures["duplicates"] == 0
            if options.off_shift > 0:
                lines = describe_shifts(results)
                print("Check-in fan-out, off shift", "\n".join(lines), sep="\n", flush=True)
                runs.append(lines)
            else:
                for figures in results:
                    lines = describe(figures)
                    print("Check-in fan-out", "\n".join(lines), sep="\n", flush=True)
                    runs.append(lines)
    if options.write_docs:
        command = rerun_command(argv if argv is not None else sys.argv[1:])
        if options.off_shift > 0:
            write_docs(runs, command, title=SHIFT_SECTION, intro=SHIFT_INTRO)
        else:
            write_docs(runs, command)
    return 0 if work_done else 1


if __name__ == "__main__":
    sys.exit(main())
