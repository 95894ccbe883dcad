"""Start-up: from `retrobot serve` to the first /healthz that answers 200, with 1,000 teams.

    python bench/startup_bench.py                                   # this tree, SQLite
    python bench/startup_bench.py --baseline ../retrobot-before     # against an earlier tree
    python bench/startup_bench.py --database-url postgresql://postgres@127.0.0.1:5432/perf_bench

Each round starts ``python -m bot.cli serve --http --workers 4 --threads 2`` on a fresh
database (a new SQLite file, or a scratch database made on the PostgreSQL server given and
dropped afterwards) with the generated organisation of bench/harness.py (1,000 teams of 12, a
coach per ten, two metrics and a checklist each), polls /healthz every 20 ms, and stops it.
The clock runs from the moment the process is started to the first 200; the master's own CPU
until then is read from /proc. With ``--baseline DIR`` (another checkout, e.g. made with
``git worktree add ../retrobot-before <commit>``) the two trees take turns, this one first, as
bench/protocol.py has every A/B benchmark do, and the ratio is taken round by round. Both run
on this interpreter and its packages; only the project's code differs.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness, protocol

THIS, BASELINE = "this tree", "baseline"
TARGET_SECONDS = 3.0
POLL_SECONDS = 0.02


@dataclass(frozen=True)
class StartUp:
    """One start: seconds to the first healthy /healthz, and the master's CPU until then."""

    seconds: float
    master_cpu: float


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; --smoke is one small round that only proves the benchmark works."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=Path, help="another checkout to compare with")
    parser.add_argument("--database-url", help="a PostgreSQL server to make scratch databases on")
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--rounds", type=int, default=protocol.MIN_ROUNDS, help="each")
    parser.add_argument("--pin", default="auto", help="auto, off, or SERVERS:LOAD cpu lists")
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    if args.smoke:
        args.teams, args.workers, args.rounds = 20, 1, 1
    protocol.check_rounds(args.rounds, smoke=args.smoke)
    return args


def start_once(
    tree: Path, workdir: Path, *, args: argparse.Namespace, database_url: str, env: dict[str, str]
) -> StartUp:
    """Start `retrobot serve` from ``tree``, time it to a healthy /healthz, and stop it."""
    port = harness.free_port()
    command = [sys.executable, "-m", "bot.cli", "serve", "--http", "--port", str(port)]
    command += ["--workers", str(args.workers), "--threads", str(args.threads)]
    log = (workdir / "serve.log").open("w")
    pinning = protocol.plan_pinning(args.pin)
    started = time.monotonic()
    process = subprocess.Popen(
        pinning.server_command(command),
        cwd=tree,
        env={**env, "DATABASE_URL": database_url, "PYTHONPATH": str(tree)},
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        seconds = wait_healthy(process, f"http://127.0.0.1:{port}/healthz", started)
        return StartUp(seconds, harness.cpu_seconds(process.pid))
    finally:
        process.terminate()
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, 9)
            process.wait()
        log.close()


def wait_healthy(process: subprocess.Popen[bytes], url: str, started: float) -> float:
    """Seconds from ``started`` to the first 200 from ``url``; RuntimeError if it exits."""
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"serve exited with {process.returncode} before /healthz")
        try:
            with urllib.request.urlopen(url, timeout=2) as answer:
                if answer.status == 200:
                    return time.monotonic() - started
        except (urllib.error.URLError, OSError):
            pass
        if time.monotonic() - started > harness.STARTUP_TIMEOUT:
            raise RuntimeError(f"/healthz did not answer within {harness.STARTUP_TIMEOUT:.0f} s")
        time.sleep(POLL_SECONDS)


def show(number: int, results: dict[str, StartUp]) -> None:
    """One round, as it comes."""
    each = ", ".join(
        f"{side} {r.seconds:.2f} s (master CPU {r.master_cpu:.2f} s)" for side, r in results.items()
    )
    ratio = ""
    if len(results) == 2:
        this, base = results[THIS], results[BASELINE]
        ratio = f"; ratio {this.seconds / base.seconds:.2f}x"
    print(f"round {number}: {each}{ratio}", flush=True)


def report(
    rounds: protocol.Rounds[StartUp],
    args: argparse.Namespace,
    machine: list[str],
    watch: protocol.LoadWatch,
) -> str:
    """Each side's median and min–max, the ratio's, the target, and where it ran."""
    lines = [
        f"Start-up to the first healthy /healthz, {args.teams} teams, `serve --http --workers "
        f"{args.workers} --threads {args.threads}`, {len(rounds.rounds)} round(s) each:",
        "",
    ]
    for side in rounds.sides:
        seconds = rounds.values(side, lambda r: r.seconds)
        cpu = rounds.values(side, lambda r: r.master_cpu)
        met = "met" if statistics.median(seconds) <= TARGET_SECONDS else "MISSED"
        lines.append(
            f"- {side}: {protocol.spread(seconds, ' s')} (target ≤ {TARGET_SECONDS:g} s: {met}); "
            f"the master's CPU until then {protocol.spread(cpu, ' s')}"
        )
    if len(rounds.sides) == 2:
        lines.append(
            "- " + protocol.ratio_line("this tree ÷ baseline", rounds.ratios(lambda r: r.seconds))
        )
    lines += ["", *(f"- {line}" for line in machine), f"- {watch.summary()}"]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the rounds and print the report."""
    args = parse_args(argv)
    harness.stop_children_on_sigterm()
    trees = {THIS: harness.REPO}
    if args.baseline:
        trees[BASELINE] = args.baseline.resolve()
    watch = protocol.LoadWatch()
    with tempfile.TemporaryDirectory(prefix="retrobot-startup-bench-") as scratch:
        workdir = Path(scratch)
        app_yaml = harness.write_app_yaml(workdir / "app.yaml", harness.generated_teams(args.teams))
        slack, slack_url, _ = harness.start_standin(workdir, "slack")
        env = harness.child_env(
            SLACK_BOT_TOKEN=harness.BOT_TOKEN,
            SLACK_SIGNING_SECRET=harness.SIGNING_SECRET,
            SLACK_API_URL=slack_url,
            RETROBOT_CONFIG=str(app_yaml),
        )
        machine = harness.machine_lines(args.database_url)
        print("\n".join(machine), flush=True)

        def run(side: str, number: int) -> StartUp:
            place = workdir / f"{number}-{side.replace(' ', '-')}"
            place.mkdir()
            with harness.scratch_database(args.database_url, place) as database_url:
                return start_once(trees[side], place, args=args, database_url=database_url, env=env)

        try:
            rounds = protocol.alternate(tuple(trees), args.rounds, run, watch=watch, show=show)
        finally:
            slack.stop()
    print()
    print(report(rounds, args, machine, watch))
    return 0


if __name__ == "__main__":
    sys.exit(main())
