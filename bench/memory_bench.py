"""Memory: the resident size of one serving retrobot worker with a 1,000-team app.yaml.

    python bench/memory_bench.py                 # SQLite, 1,000 teams, 3 runs
    python bench/memory_bench.py --database-url postgresql://postgres@127.0.0.1:5432/postgres

Each run starts ``retrobot serve --http --workers 1 --threads 8`` on a fresh database with a
generated 1,000-team app.yaml (12,000 members), waits until its scheduler's start-up catch-up is
done, has it serve a mix of `/tension` commands, tension submissions and App Home openings (each
Home built from the database), then reads the worker's memory from /proc: resident size (RSS,
the target's measure), its peak (VmHWM) and proportional set size (PSS: pages shared with the
master counted by share). The gunicorn master and the scheduler's process are shown beside it.
It prints each run and the medians; the target of issue 9 is a worker under 150 MB.
"""

from __future__ import annotations

import argparse
import itertools
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness
from bench.harness import median
from bench.load import offer
from bench.workload import HOME_OPENED, SUBMISSION, home_opened_requests, tension_requests
from bot.core.config import load_config

TARGET_MB = 150.0


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; --smoke is a tiny run that only proves the benchmark works."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to make a scratch database on")
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--rate", type=float, default=100.0, help="requests/s while serving")
    parser.add_argument("--seconds", type=float, default=20.0, help="how long to serve")
    parser.add_argument(
        "--idle-seconds", type=float, default=2.0, help="quiet retrobot must be before measuring"
    )
    parser.add_argument("--smoke", action="store_true", help="a few requests, to prove it runs")
    args = parser.parse_args(argv)
    if args.smoke:
        args.runs, args.teams, args.rate, args.seconds = 1, 20, 20.0, 1.0
        args.idle_seconds = 0.5
    return args


def mixed_requests(teams: list[harness.GeneratedTeam], config_path: Path) -> list:
    """Commands, submissions and Home openings, taken in turn."""
    tensions = tension_requests(load_config(config_path), teams, count=400)
    homes = home_opened_requests(teams, count=200)
    pairs = [tensions[i : i + 2] for i in range(0, len(tensions), 2)]
    return [r for pair, home in zip(pairs, itertools.cycle(homes)) for r in (*pair, home)]


def one_run(
    args: argparse.Namespace, workdir: Path, number: int, slack_url: str, stats: Path
) -> dict[str, float]:
    """Start retrobot, have it serve, measure its worker; the figures in MB."""
    run_dir = workdir / f"run-{number}"
    run_dir.mkdir()
    teams = harness.generated_teams(args.teams)
    app_yaml = harness.write_app_yaml(run_dir / "app.yaml", teams)
    requests = mixed_requests(teams, app_yaml)
    with harness.scratch_database(args.database_url, run_dir) as database_url:
        server, base = harness.start_retrobot(
            run_dir,
            app_yaml=app_yaml,
            slack_api_url=slack_url,
            database_url=database_url,
            workers=1,
            threads=args.threads,
        )
        try:
            harness.wait_idle(server.pid, quiet=args.idle_seconds)
            [worker] = harness.gunicorn_workers(server.pid)
            before = harness.memory_of(worker)["VmRSS"]
            outcome = offer(
                f"{base}/slack/events",
                harness.SIGNING_SECRET,
                requests,
                rate=args.rate,
                seconds=args.seconds,
                warmup=0,
                processes=1,
                connections=16,
            )
            if outcome.failed():
                raise RuntimeError(f"requests not answered 200: {outcome.errors}")
            wait_for_homes(stats, outcome.sent(HOME_OPENED))
            harness.wait_idle(server.pid, quiet=min(1.0, args.idle_seconds))
            worker_memory = harness.memory_of(worker)
            others = [pid for pid in harness.worker_pids(server.pid) if pid != worker]
            stored = harness.count_tensions(database_url)
            expected = outcome.sent(SUBMISSION) - outcome.kept_open(SUBMISSION)
            if stored != expected:
                raise RuntimeError(f"{stored} tensions stored for {expected}")
            server.check_running()
            return {
                "served": float(len(outcome.samples)),
                "rss_at_start": before,
                "rss": worker_memory["VmRSS"],
                "peak": worker_memory["VmHWM"],
                "pss": worker_memory.get("Pss", float("nan")),
                "master": harness.memory_of(server.pid)["VmRSS"],
                "scheduler": sum(harness.memory_of(pid)["VmRSS"] for pid in others),
            }
        finally:
            server.stop()


def wait_for_homes(stats: Path, expected: int, timeout: float = 60.0) -> None:
    """Wait until the stand-in has every Home the answered openings publish (cumulative)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if harness.read_tally(stats).get("views.publish", {}).get("ok", 0) >= expected:
            return
        time.sleep(0.2)
    raise RuntimeError(f"the stand-in never saw {expected} Home tabs published")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print its figures."""
    args = parse_args(argv)
    harness.stop_children_on_sigterm()
    machine = harness.machine_lines(None)
    print("\n".join(machine), flush=True)
    results = []
    served = 0
    with tempfile.TemporaryDirectory(prefix="retrobot-memory-bench-") as scratch:
        workdir = Path(scratch)
        slack, slack_url, stats = harness.start_standin(workdir, "slack")
        try:
            for number in range(1, args.runs + 1):
                figures = one_run(args, workdir, number, slack_url, stats)
                served = int(figures["served"])
                results.append(figures)
                print(
                    f"run {number}: served {figures['served']:.0f} requests; worker RSS "
                    f"{figures['rss_at_start']:.1f} MB at start, {figures['rss']:.1f} MB after "
                    f"(peak {figures['peak']:.1f}, PSS {figures['pss']:.1f}); master "
                    f"{figures['master']:.1f} MB, scheduler {figures['scheduler']:.1f} MB",
                    flush=True,
                )
        finally:
            slack.stop()
    database = (
        harness.database_label(args.database_url) if args.database_url else "SQLite (file, WAL)"
    )

    def med(key: str) -> float:
        return median([r[key] for r in results])

    rss = med("rss")
    print()
    print(f"Medians of {len(results)} run(s), {args.teams} teams, {served} requests served each.")
    print()
    print("| one serving worker | MB | target | |")
    print("|---|---|---|---|")
    verdict = "met" if rss < TARGET_MB else "MISSED"
    print(f"| RSS after serving | {rss:.1f} | < {TARGET_MB:.0f} | {verdict} |")
    print(f"| RSS at start (before any request) | {med('rss_at_start'):.1f} | | |")
    print(f"| peak RSS (VmHWM) | {med('peak'):.1f} | | |")
    print(f"| PSS after serving | {med('pss'):.1f} | | |")
    print(f"| gunicorn master (RSS) | {med('master'):.1f} | | |")
    print(f"| scheduler process (RSS) | {med('scheduler'):.1f} | | |")
    print()
    print("\n".join(f"- {line}" for line in [*machine, f"Database: {database}"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
