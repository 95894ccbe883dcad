"""The organisation report for a whole organisation: `retrobot report --all` over a year.

    python bench/report_bench.py                 # SQLite, 1,000 teams, 52 weeks, 5 runs
    python bench/report_bench.py --database-url postgresql+psycopg://postgres@127.0.0.1:5432/postgres
    python bench/report_bench.py --smoke         # 5 teams, 13 weeks, 1 run: it still works

Fills a fresh database with the generated organisation and history of bench/digest_bench.py
(1,000 teams of 12, a check-in round a week with ~10 answers, ~5 tensions and ~10 pieces of
feedback), then ticks checklist items in every answer, marks a quarter of the stories *may be
shared beyond the team*, and maps the metrics and a checklist item to key questions. Then runs
the command people type, `retrobot report --all --from ... --to ...`, each run a fresh process:
its wall time (interpreter start to the file written), its peak memory (``ru_maxrss``) and the
file's size; the figures are the median of the runs with their range. The number of SQL
statements is counted in-process for 10, 100 and all the teams: it does not grow with them.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import yaml

from bench import digest_bench, harness

TARGET_SECONDS = 30.0
TARGET_RSS_MB = 400.0
TARGET_FILE_MB = 5.0
KEY_QUESTIONS = {
    "visits": "responsive",
    "travel": "effective",
    "checklist.medication_audits_up_to_date": "safe",
}


def write_config(path: Path, teams: list[Any]) -> Path:
    """The generated app.yaml, with the report's key questions under defaults:."""
    harness.write_app_yaml(path, teams)
    document = yaml.safe_load(path.read_text(encoding="utf-8"))
    document["defaults"]["key_questions"] = KEY_QUESTIONS
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


def enrich(database_url: str) -> None:
    """Tick checklist items (the audit missed in one check-in of five) and let a quarter of the
    stories leave their team, in three UPDATEs."""
    from sqlalchemy import update

    from storage import db
    from storage.models import CheckinResponse

    engine = db.make_engine(database_url)
    done = {"Medication audits up to date": True, "Rota for next week published": True}
    missed = {**done, "Medication audits up to date": False}
    with engine.begin() as connection:
        connection.execute(update(CheckinResponse).values(checklist=done))
        connection.execute(
            update(CheckinResponse).where(CheckinResponse.id % 5 == 0).values(checklist=missed)
        )
        connection.execute(
            update(CheckinResponse)
            .where(CheckinResponse.id % 4 == 0, CheckinResponse.story != "")
            .values(story_beyond_team=True)
        )
    with engine.connect() as connection:
        connection.exec_driver_sql("ANALYZE")
        connection.commit()
    engine.dispose()


def period(weeks: int) -> tuple[str, str]:
    """The ``weeks`` weeks up to the generated history's last week, as --from and --to."""
    starts = digest_bench.week_starts(weeks)
    from zoneinfo import ZoneInfo

    london = ZoneInfo("Europe/London")
    first = starts[0].astimezone(london).date()
    last = starts[-1].astimezone(london).date() + timedelta(days=6)
    return first.isoformat(), last.isoformat()


def one_run(database_url: str, config: Path, out: Path, start: str, end: str) -> dict[str, Any]:
    """`retrobot report --all` in a fresh process: wall and CPU seconds, peak MB, bytes."""
    env = harness.child_env(DATABASE_URL=database_url, RETROBOT_CONFIG=str(config))
    script = (
        "import resource, sys\n"
        "from bot.cli import main\n"
        "code = main(sys.argv[1:])\n"
        "use = resource.getrusage(resource.RUSAGE_SELF)\n"
        "print(use.ru_utime + use.ru_stime, use.ru_maxrss, file=sys.stderr)\n"
        "sys.exit(code)\n"
    )
    argv = ["report", "--all", "--from", start, "--to", end, "--out", str(out)]
    started = time.perf_counter()
    done = subprocess.run(
        [sys.executable, "-c", script, *argv], env=env, capture_output=True, text=True
    )
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"PROBLEM: retrobot report failed:\n{done.stderr}")
    cpu, peak_kb = done.stderr.strip().splitlines()[-1].split()
    return {
        "seconds": seconds,
        "cpu_seconds": float(cpu),
        "peak_mb": int(peak_kb) / 1024,
        "bytes": out.stat().st_size,
    }


def count_statements(database_url: str, config_path: Path, start: str, end: str) -> dict:
    """Statements run by the report's build for 10, 100 and all the teams (in this process)."""
    from datetime import UTC, date, datetime

    from sqlalchemy import event
    from sqlmodel import Session

    from bot.core.config import load_config
    from bot.reports.model import Period
    from bot.reports.service import build_report
    from storage import db

    config = load_config(config_path)
    engine = db.make_engine(database_url)
    counts: dict[str, int] = {}
    statements: list[str] = []
    event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
    span = Period(date.fromisoformat(start), date.fromisoformat(end))
    for size in sorted({10, 100, len(config.teams)}):
        if size > len(config.teams):
            continue
        statements.clear()
        with Session(engine) as session:
            build_report(
                session,
                config=config,
                teams=config.teams[:size],
                scope="organisation",
                period=span,
                now=datetime(2026, 11, 30, 9, tzinfo=UTC),
            )
        counts[f"{size:,} teams"] = len(statements)
    engine.dispose()
    return counts


def summary(values: list[float]) -> dict[str, float]:
    return {"median": statistics.median(values), "min": min(values), "max": max(values)}


def report(figures: dict[str, Any]) -> str:
    """The figures as the Markdown that goes into docs/benchmarks.md."""
    s, c, m, b = figures["seconds"], figures["cpu"], figures["peak_mb"], figures["mb"]

    def met(value: float, target: float) -> str:
        return "met" if value < target else "MISSED"

    def row(label: str, f: dict[str, float], unit: str, target: float, digits: int = 1) -> str:
        return (
            f"| {label} | **{f['median']:.{digits}f} {unit}** "
            f"({f['min']:.{digits}f}–{f['max']:.{digits}f}) | < {target:g} {unit}: "
            f"{met(f['median'], target)} |"
        )

    return "\n".join(
        [
            f"{figures['database']}: {figures['teams']:,} teams, {figures['weeks']} weeks "
            f"({figures['period']}), {figures['rows']:,} rows generated in "
            f"{figures['generated_seconds']:.0f} s; {figures['runs']} runs.",
            "",
            "| `retrobot report --all` | median (min–max) | target |",
            "|---|---:|---|",
            row("wall time, process start to file written", s, "s", TARGET_SECONDS),
            row("CPU time of the process (user + system)", c, "s", TARGET_SECONDS),
            row("peak memory (ru_maxrss)", m, "MB", TARGET_RSS_MB, 0),
            row("HTML file", b, "MB", TARGET_FILE_MB, 2),
            "",
            f"Load average (1 min) on the machine: {figures['load'][0]:.1f} at the start of "
            f"the runs, {figures['load_after'][0]:.1f} at the end.",
            "",
            "Statements per build: "
            + "; ".join(f"{k}: {v}" for k, v in figures["statements"].items())
            + ".",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Generate, enrich, then time the command in fresh processes and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--weeks", type=int, default=52)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int, default=11)
    parser.add_argument("--database-url", help="a PostgreSQL server (default: a SQLite file)")
    parser.add_argument("--smoke", action="store_true", help="5 teams, 13 weeks, 1 run")
    parser.add_argument("--json", action="store_true", help="print the raw figures as JSON")
    args = parser.parse_args(argv)
    if args.smoke:
        args.teams, args.weeks, args.runs = 5, 13, 1
    with tempfile.TemporaryDirectory(prefix="retrobot-report-bench-") as tmp:
        workdir = Path(tmp)
        teams = harness.generated_teams(args.teams)
        config = write_config(workdir / "app.yaml", teams)
        with harness.scratch_database(args.database_url, workdir) as url:
            print("\n".join(harness.machine_lines(url)), flush=True)
            started = time.perf_counter()
            rows = digest_bench.generate(url, config, teams, args.weeks, args.seed)
            enrich(url)
            generated = time.perf_counter() - started
            print(f"Generated {rows:,} rows in {generated:.1f} s.", flush=True)
            start, end = period(args.weeks)
            load = os.getloadavg()
            runs = [
                one_run(url, config, workdir / f"report-{n}.html", start, end)
                for n in range(args.runs)
            ]
            page = (workdir / "report-0.html").read_text(encoding="utf-8")
            if "Responsive" not in page or "<svg" not in page:
                print("PROBLEM: the report lacks its sections or charts", file=sys.stderr)
                return 1
            statements = count_statements(url, config, start, end)
            database = harness.database_label(url)
    figures = {
        "database": database,
        "teams": args.teams,
        "weeks": args.weeks,
        "period": f"{start} to {end}",
        "rows": rows,
        "generated_seconds": generated,
        "runs": args.runs,
        "seconds": summary([r["seconds"] for r in runs]),
        "cpu": summary([r["cpu_seconds"] for r in runs]),
        "peak_mb": summary([r["peak_mb"] for r in runs]),
        "mb": summary([r["bytes"] / 1024 / 1024 for r in runs]),
        "statements": statements,
        "load": load,
        "load_after": os.getloadavg(),
        "self_peak_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }
    print(json.dumps(figures, indent=2) if args.json else "\n" + report(figures))
    if len(set(statements.values())) > 1:
        print("PROBLEM: the statement count grows with the teams", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
