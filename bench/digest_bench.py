"""Weekly summaries and coach digests for a whole organisation, against the bare aggregate SQL.

    python bench/digest_bench.py                 # SQLite, 1,000 teams, a year of history
    python bench/digest_bench.py --database-url postgresql://postgres@127.0.0.1:5432/postgres
    python bench/digest_bench.py --teams 50 --weeks 14     # a quick look

Fills a fresh database, with bulk inserts, with a generated organisation (bench/harness.py:
1,000 teams of 12, a coach per ten teams) and a year of weekly history per team: a check-in
round with its 12 prompts and about 10 answers (mood, two metrics, some stories), ~5 tensions
going through triage to closure, and ~10 pieces of feedback. Then, in a fresh process (so that
its peak memory is the build's, not the generator's), for the last complete week:

- the bare aggregate SQL: every statement the build runs, captured and re-run as raw SQL;
- every team's summary (``build_team_summaries``), then every coach's digest
  (``build_coach_digests``), each with its Block Kit messages built;
- the number of statements (SQLAlchemy ``before_cursor_execute`` events), for 10, 100 and all
  teams, and for a week with a quarter of the history: it does not grow with teams or rows.

The steps are timed in turn, ``--runs`` rounds, and each is reported as its best round (the
first, cold one is shown too), so a busy moment of the machine does not favour one step. Peak
memory is the measuring process's maximum resident set (``ru_maxrss``). With --database-url
(a PostgreSQL server) a scratch database is created there and dropped at the end.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness

TARGET_SECONDS = 10.0
TARGET_RSS_MB = 300.0
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)  # Monday: week 2026-W48 has just ended
WEEK = "2026-W48"
VALUES = ["Compassion", "Trust", "Accountability", "Courage"]
TENSIONS_PER_WEEK = 5
FEEDBACK_PER_WEEK = 10
STORIES = (
    "Mrs B walked to the corner shop for the first time since her fall.",
    "The new handover sheet saved us an hour on Friday.",
    "We covered every visit during the storm by swapping rounds.",
)


# --- the generated history ----------------------------------------------------------------------


def _insert(connection: Any, table: Any, rows: list[dict[str, Any]]) -> None:
    """Bulk-insert rows that all name the same columns: COPY on PostgreSQL, else executemany."""
    if not rows:
        return
    if connection.dialect.name != "postgresql":
        connection.execute(table.insert(), rows)
        return
    from sqlalchemy import JSON

    columns = list(rows[0])
    json_columns = {c.name for c in table.columns if isinstance(c.type, JSON)}
    names = ", ".join(f'"{name}"' for name in columns)
    cursor = connection.connection.dbapi_connection.cursor()
    try:
        with cursor.copy(f'COPY "{table.name}" ({names}) FROM STDIN') as copy:
            for row in rows:
                copy.write_row([_copy_value(row[c], c in json_columns) for c in columns])
    finally:
        cursor.close()


def _copy_value(value: Any, is_json: bool) -> Any:
    """A value as COPY takes it: JSON as text, datetimes as naive UTC (as UTCDateTime stores)."""
    if is_json:
        return json.dumps(value)
    if isinstance(value, datetime):
        return value.astimezone(UTC).replace(tzinfo=None)
    return value


def week_starts(weeks: int) -> list[datetime]:
    """The Mondays (00:00 London, as UTC) of the ``weeks`` weeks up to and including WEEK."""
    from zoneinfo import ZoneInfo

    from bot.core.meetings import shift_week, week_bounds

    zone = ZoneInfo("Europe/London")
    return [week_bounds(shift_week(WEEK, -back), zone)[0] for back in range(weeks - 1, -1, -1)]


def generate(database_url: str, config_path: Path, teams: list[Any], weeks: int, seed: int) -> int:
    """Fill the database with ``weeks`` weeks of history for every team; the rows written."""
    from bot.core.config import load_config
    from storage import db
    from storage.models import (
        CheckinPrompt,
        CheckinResponse,
        CheckinRound,
        Coach,
        Feedback,
        Member,
        Team,
        Tension,
    )

    config = load_config(config_path)
    engine = db.make_engine(database_url)
    db.migrate(engine)
    rng = random.Random(seed)
    tables = {
        "team": Team.__table__,  # type: ignore[attr-defined]
        "member": Member.__table__,  # type: ignore[attr-defined]
        "coach": Coach.__table__,  # type: ignore[attr-defined]
        "round": CheckinRound.__table__,  # type: ignore[attr-defined]
        "prompt": CheckinPrompt.__table__,  # type: ignore[attr-defined]
        "response": CheckinResponse.__table__,  # type: ignore[attr-defined]
        "tension": Tension.__table__,  # type: ignore[attr-defined]
        "feedback": Feedback.__table__,  # type: ignore[attr-defined]
    }
    written = 0
    with engine.begin() as connection:
        _insert(
            connection,
            tables["team"],
            [
                {
                    "id": t.id,
                    "name": t.name,
                    "channel": t.channel,
                    "timezone": t.timezone,
                    "active": True,
                    "updated_at": NOW,
                }
                for t in config.teams
            ],
        )
        _insert(
            connection,
            tables["member"],
            [
                {"team_id": t.id, "user_id": m.id, "active": True}
                for t in config.teams
                for m in t.members
            ],
        )
        _insert(
            connection,
            tables["coach"],
            [
                {"team_id": t.id, "user_id": c.id, "active": True}
                for t in config.teams
                for c in t.coaches
            ],
        )
    # Each team's own habits: how many answer, how they feel, who takes on actions, whether
    # feedback dried up lately — so that some teams show each kind of signal.
    habits = {
        team.id: {
            "answering": rng.uniform(0.6, 0.95),
            "mood": rng.uniform(2.4, 4.3),
            "busiest": 0.7 if rng.random() < 0.1 else 0.15,
            "quiet_feedback": rng.random() < 0.05,
        }
        for team in teams
    }
    round_id = prompt_id = 0
    starts = week_starts(weeks)
    for index, start in enumerate(starts):
        rows: dict[str, list[dict[str, Any]]] = {name: [] for name in tables}
        recent = index >= len(starts) - 5
        for team in teams:
            habit = habits[team.id]
            members = list(team.members)
            round_id += 1
            meeting = start + timedelta(days=1, hours=9 + round_id % 8)
            rows["round"].append(
                {
                    "id": round_id,
                    "team_id": team.id,
                    "meeting_date": meeting.date(),
                    "meeting_at": meeting,
                    "opens_at": meeting - timedelta(days=1),
                    "status": "closed",
                    "created_at": meeting - timedelta(days=1),
                    "agenda_messages": {},
                }
            )
            for position, user_id in enumerate(members):
                prompt_id += 1
                away = rng.random() < 0.04
                answers = not away and rng.random() < habit["answering"]
                rows["prompt"].append(
                    {
                        "id": prompt_id,
                        "round_id": round_id,
                        "user_id": user_id,
                        "status": "away" if away else ("answered" if answers else "sent"),
                        "created_at": meeting - timedelta(days=1),
                        "sent_at": meeting - timedelta(days=1),
                    }
                )
                if not answers:
                    continue
                mood = min(5, max(1, round(rng.gauss(habit["mood"], 0.9))))
                rows["response"].append(
                    {
                        "round_id": round_id,
                        "user_id": user_id,
                        "mood": mood,
                        "note": "",
                        "shared": rng.random() < 0.9,
                        "metric_values": {
                            "visits": rng.randint(5, 30),
                            "travel": round(rng.uniform(2, 15), 1),
                        },
                        "checklist": {},
                        "progress": "",
                        "story": STORIES[position % 3] if position < 2 else "",
                        "answers": {},
                        "created_at": meeting - timedelta(hours=position + 1),
                        "updated_at": meeting - timedelta(hours=position + 1),
                    }
                )
            for _ in range(TENSIONS_PER_WEEK):
                rows["tension"].append(_tension(rng, team.id, members, start, habit["busiest"]))
            if not (recent and habit["quiet_feedback"]):
                for _ in range(FEEDBACK_PER_WEEK):
                    rows["feedback"].append(_feedback(rng, team.id, members, start))
        with engine.begin() as connection:
            for name in ("round", "prompt", "response", "tension", "feedback"):
                _insert(connection, tables[name], rows[name])
                written += len(rows[name])
    # A database that has lived a year has its planner statistics; so should this one.
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    engine.dispose()
    return written


def _tension(
    rng: random.Random, team_id: str, members: list[str], start: datetime, busiest: float
) -> dict[str, Any]:
    """One tension raised in the week starting ``start``, taken as far as NOW allows."""
    created = start + timedelta(seconds=rng.randrange(7 * 86400))
    row: dict[str, Any] = {
        "team_id": team_id,
        "raised_by": rng.choice(members),
        "text": "Handovers keep running late",
        "area": "",
        "private": rng.random() < 0.05,
        "status": "open",
        "triage_note": "",
        "governance": False,
        "created_at": created,
        "updated_at": created,
        # Every row names the same columns, as one executemany needs.
        "outcome": None,
        "owner": None,
        "due_date": None,
        "triaged_at": None,
        "done_at": None,
        "resolved_at": None,
    }
    if row["private"] or rng.random() < 0.1:
        return row  # waits for triage (some will grow old)
    triaged = created + timedelta(days=rng.randint(1, 10))
    if triaged > NOW:
        return row
    outcome = rng.choices(
        ["next_action", "project", "information", "space", "proposal", "resolved", "dropped"],
        weights=[40, 15, 15, 10, 5, 10, 5],
    )[0]
    row.update(status="triaged", outcome=outcome, triaged_at=triaged, updated_at=triaged)
    if outcome in ("next_action", "project"):
        owner = members[0] if rng.random() < busiest else rng.choice(members)
        row.update(owner=owner, due_date=(triaged + timedelta(days=rng.randint(7, 21))).date())
        if rng.random() < 0.75:
            done = triaged + timedelta(days=rng.randint(2, 25))
            if done <= NOW:
                row.update(done_at=done, status="closed", resolved_at=done, updated_at=done)
    elif rng.random() < 0.9:
        resolved = triaged + timedelta(days=rng.randint(0, 7))
        if resolved <= NOW:
            row.update(status="closed", resolved_at=resolved, updated_at=resolved)
    return row


def _feedback(rng: random.Random, team_id: str, members: list[str], start: datetime) -> dict:
    """One piece of feedback given in the week starting ``start``."""
    giver, receiver = rng.sample(members, 2)
    appreciation = rng.random() < 0.8
    anonymous = rng.random() < 0.05
    return {
        "team_id": team_id,
        "giver": None if anonymous else giver,
        "receiver": receiver,
        "kind": "appreciation" if appreciation else "suggestion",
        "values": rng.sample(VALUES, rng.randint(0, 2)) if appreciation else [],
        "text": "Thank you for picking up my Friday visits",
        "shared": appreciation and rng.random() < 0.4,
        "anonymous": anonymous,
        "created_at": start + timedelta(seconds=rng.randrange(7 * 86400)),
    }


# --- the measurement (in a process of its own) --------------------------------------------------


def _rounds(runs: int, steps: dict[str, Callable[[], Any]]) -> dict[str, dict[str, Any]]:
    """Run the steps in turn, ``runs`` rounds, so that a busy moment of the machine falls on
    all of them alike; per step: the first round's seconds, the best, and the last result."""
    times: dict[str, list[float]] = {name: [] for name in steps}
    results: dict[str, Any] = {}
    for _ in range(runs):
        for name, work in steps.items():
            started = time.perf_counter()
            results[name] = work()
            times[name].append(time.perf_counter() - started)
    return {
        name: {"first": spent[0], "best": min(spent), "result": results[name]}
        for name, spent in times.items()
    }


def measure(database_url: str, config_path: Path, runs: int, weeks: int) -> dict[str, Any]:
    """Time the bare SQL, the summaries and the digests; count statements; report as JSON."""
    from sqlalchemy import event
    from sqlmodel import Session

    from bot.core.config import load_config
    from bot.core.meetings import shift_week
    from bot.digests.service import build_coach_digests, build_team_summaries
    from bot.digests.views import build_digest_messages, build_summary_messages
    from prompts import Renderer
    from storage import db

    config = load_config(config_path)
    engine = db.make_engine(database_url)
    renderer = Renderer()
    team_ids = [team.id for team in config.teams]
    captured: list[tuple[str, Any]] = []
    counting = {"on": False, "count": 0}

    def before_execute(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        if counting["on"]:
            counting["count"] += 1
            captured.append((statement, params))

    event.listen(engine, "before_cursor_execute", before_execute)

    def statements(work: Callable[[], Any]) -> int:
        captured.clear()
        counting.update(on=True, count=0)
        try:
            work()
        finally:
            counting["on"] = False
        return counting["count"]

    def summaries(ids: list[str] | None = None, week: str = WEEK) -> dict[str, Any]:
        with Session(engine) as session:
            return build_team_summaries(
                session, config=config, team_ids=ids or team_ids, week=week, now=NOW
            )

    def digests() -> dict[str, Any]:
        with Session(engine) as session:
            return build_coach_digests(session, config=config, week=WEEK, now=NOW)

    load_before = os.getloadavg()[0]
    rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    # The statements of one full build, re-run as they are: the bare aggregate SQL.
    statements(summaries)
    bare_statements = list(captured)

    def bare() -> int:
        rows = 0
        with engine.connect() as connection:
            raw = connection.connection.dbapi_connection
            cursor = raw.cursor()
            for statement, params in bare_statements:
                cursor.execute(statement, params)
                rows += len(cursor.fetchall())
            cursor.close()
        return rows

    from bot.digests import charts

    built: dict[str, Any] = {}
    coach_digests: dict[str, Any] = {}

    def summaries_now() -> dict[str, Any]:
        built.update(summaries())
        return built

    def digests_now() -> dict[str, Any]:
        coach_digests.update(digests())
        return coach_digests

    timed = _rounds(
        runs,
        {
            "bare_sql": bare,
            "summaries": summaries_now,
            "summary_messages": lambda: [
                build_summary_messages(renderer, s) for s in built.values()
            ],
            "digests": digests_now,
            "digest_messages": lambda: [
                build_digest_messages(renderer, d) for d in coach_digests.values()
            ],
            "chart": lambda: charts.summary_chart(renderer, next(iter(built.values())).figures),
        },
    )
    early_week = shift_week(WEEK, -(weeks * 3 // 4))
    counts = {
        "10 teams": statements(lambda: summaries(team_ids[:10])),
        "100 teams": statements(lambda: summaries(team_ids[:100])),
        f"{len(team_ids)} teams": statements(summaries),
        f"{len(team_ids)} teams, {early_week}": statements(lambda: summaries(week=early_week)),
        "every coach's digest": statements(digests),
    }
    signals: dict[str, int] = {}
    for digest in coach_digests.values():
        for signal in digest.signals:
            signals[signal.kind.value] = signals.get(signal.kind.value, 0) + 1
    with engine.connect() as connection:
        from sqlalchemy import text

        rows = {
            table: connection.execute(text(f"SELECT count(*) FROM {table}")).scalar_one()
            for table in (
                "checkin_round",
                "checkin_prompt",
                "checkin_response",
                "tension",
                "feedback",
            )
        }
    engine.dispose()
    return {
        "database": harness.database_label(database_url),
        "teams": len(team_ids),
        "coaches": len(coach_digests),
        "rows": rows,
        "bare_sql": {
            "statements": len(bare_statements),
            "rows": timed["bare_sql"]["result"],
            "first": timed["bare_sql"]["first"],
            "best": timed["bare_sql"]["best"],
        },
        **{
            step: {"first": timed[step]["first"], "best": timed[step]["best"]}
            for step in ("summaries", "summary_messages", "digests", "digest_messages")
        },
        "chart": {
            "first": timed["chart"]["first"],
            "best": timed["chart"]["best"],
            "bytes": len(timed["chart"]["result"]),
        },
        "statements": counts,
        "signals": signals,
        "rss_mb_after_start": rss_before,
        "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "load": [load_before, os.getloadavg()[0]],
    }


# --- the report ---------------------------------------------------------------------------------


def report(figures: dict[str, Any], generated: dict[str, Any]) -> str:
    """The figures as the Markdown that goes into docs/benchmarks.md."""

    def ms(seconds: float) -> str:
        return f"{seconds * 1000:,.0f} ms"

    bare = figures["bare_sql"]
    summaries = figures["summaries"]
    total = summaries["best"] + figures["summary_messages"]["best"]
    lines = [
        f"{figures['database']}: {figures['teams']:,} teams, {figures['coaches']} coaches; "
        + ", ".join(f"{table} {count:,}" for table, count in figures["rows"].items())
        + f" (generated in {generated['seconds']:.0f} s).",
        "",
        "| step | first run | best run |",
        "|---|---:|---:|",
        f"| bare aggregate SQL ({bare['statements']} statements, {bare['rows']:,} rows) "
        f"| {ms(bare['first'])} | {ms(bare['best'])} |",
        f"| every team's summary (figures, signals, stories) | {ms(summaries['first'])} "
        f"| {ms(summaries['best'])} |",
        f"| … and their Block Kit messages | {ms(figures['summary_messages']['first'])} "
        f"| {ms(figures['summary_messages']['best'])} |",
        f"| every coach's digest | {ms(figures['digests']['first'])} "
        f"| {ms(figures['digests']['best'])} |",
        f"| … and their Block Kit messages | {ms(figures['digest_messages']['first'])} "
        f"| {ms(figures['digest_messages']['best'])} |",
        f"| one chart (PNG, {figures['chart']['bytes'] // 1024} kB) "
        f"| {ms(figures['chart']['first'])} | {ms(figures['chart']['best'])} |",
        "",
        f"All {figures['teams']:,} summaries with their messages: {total:.2f} s "
        f"(target < {TARGET_SECONDS:.0f} s: {'met' if total < TARGET_SECONDS else 'MISSED'}); "
        f"{summaries['best'] / bare['best']:.1f}× the bare SQL. "
        f"Peak memory {figures['peak_rss_mb']:.0f} MB "
        f"(target < {TARGET_RSS_MB:.0f} MB: "
        f"{'met' if figures['peak_rss_mb'] < TARGET_RSS_MB else 'MISSED'}; "
        f"{figures['rss_mb_after_start']:.0f} MB after imports).",
        "",
        f"Load average (1 min) on the machine while measuring: {figures['load'][0]:.1f} at the "
        f"start, {figures['load'][1]:.1f} at the end.",
        "",
        "Statements per build: "
        + "; ".join(f"{label}: {count}" for label, count in figures["statements"].items())
        + ".",
        "",
        "Signals found: "
        + (
            ", ".join(f"{kind} {count}" for kind, count in sorted(figures["signals"].items()))
            or "none"
        )
        + ".",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Generate, then measure in a child process, then print the report."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=52, help="weeks of history (default 52)")
    parser.add_argument("--runs", type=int, default=5, help="rounds of timing (default 5)")
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--database-url", help="a PostgreSQL server (default: a SQLite file)")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    parser.add_argument("--measure", nargs=2, metavar=("URL", "CONFIG"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.measure:
        url, config_path = args.measure
        print(json.dumps(measure(url, Path(config_path), args.runs, args.weeks)))
        return 0
    if args.weeks < 13:
        parser.error("--weeks must be at least 13 (the summary looks back 12 weeks)")
    with tempfile.TemporaryDirectory(prefix="retrobot-digest-bench-") as tmp:
        workdir = Path(tmp)
        teams = harness.generated_teams(args.teams)
        config_path = harness.write_app_yaml(workdir / "app.yaml", teams)
        with harness.scratch_database(args.database_url, workdir) as url:
            print("\n".join(harness.machine_lines(url)), flush=True)
            started = time.perf_counter()
            written = generate(url, config_path, teams, args.weeks, args.seed)
            generated = {"rows": written, "seconds": time.perf_counter() - started}
            print(f"Generated {written:,} rows in {generated['seconds']:.1f} s.", flush=True)
            child = subprocess.run(
                [
                    sys.executable,
                    __file__,
                    "--measure",
                    url,
                    str(config_path),
                    "--runs",
                    str(args.runs),
                    "--weeks",
                    str(args.weeks),
                ],
                check=True,
                capture_output=True,
                text=True,
            )
            figures = json.loads(child.stdout)
    print(json.dumps(figures, indent=2) if args.json else "\n" + report(figures, generated))
    return 0


if __name__ == "__main__":
    sys.exit(main())
