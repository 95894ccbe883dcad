"""Whole `retrobot` commands timed from outside: wall time and CPU, this tree against another.

    python bench/command_bench.py --baseline ../retrobot-before --quick        # --help, check...
    python bench/command_bench.py --baseline ../retrobot-before -- demo --weeks 3

Each round runs ``python -m bot.cli ARGS`` once from this tree and once from the baseline
checkout (``git worktree add ../retrobot-before <commit>``), in turn, as bench/protocol.py has
every A/B benchmark do, with the same environment: a fresh SQLite file for DATABASE_URL, the
repository's app.yaml, Slack's variables set (nothing calls Slack). The clock runs from the
start of the process to its exit; its CPU (user + system, children included) comes from the
operating system. ``--quick`` times the commands that touch no database's tables in turn:
``--help``, ``check --config-only``, ``manifest`` and ``check``. A demo gets a folder of its own.
Both trees run on this interpreter and its packages; only the project's code differs.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness, protocol

THIS, BASELINE = "this tree", "baseline"
QUICK = (["--help"], ["check", "--config-only"], ["manifest"], ["check"])


@dataclass(frozen=True)
class Timed:
    """One run of a command: wall seconds, CPU seconds, its exit code."""

    wall: float
    cpu: float
    code: int


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line: the options, then ``--`` and the `retrobot` arguments to time."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--baseline", type=Path, help="another checkout to compare with")
    parser.add_argument("--rounds", type=int, default=protocol.MIN_ROUNDS, help="each")
    parser.add_argument("--quick", action="store_true", help="time the quick commands in turn")
    parser.add_argument("--smoke", action="store_true", help="one round, to prove it runs")
    parser.add_argument("command", nargs="*", help="retrobot's arguments, after --")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds = 1
    if not args.quick and not args.command:
        parser.error("give --quick, or -- and the retrobot arguments to time")
    protocol.check_rounds(args.rounds, smoke=args.smoke)
    return args


def run_once(tree: Path, command: list[str], workdir: Path) -> Timed:
    """Run ``python -m bot.cli COMMAND`` from ``tree``; its wall time, CPU and exit code."""
    if command and command[0] == "demo":
        command = [*command, "--out", tempfile.mkdtemp(dir=workdir)]
    env = harness.child_env(
        SLACK_BOT_TOKEN=harness.BOT_TOKEN,
        SLACK_SIGNING_SECRET=harness.SIGNING_SECRET,
        DATABASE_URL=f"sqlite:///{tempfile.mkdtemp(dir=workdir)}/retrobot.db",
        RETROBOT_CONFIG=str(tree / "app.yaml"),
        PYTHONPATH=str(tree),
    )
    started = time.monotonic()
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", *command],
        cwd=tree,
        env=env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    _, status, usage = os.wait4(process.pid, 0)
    wall = time.monotonic() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    return Timed(wall, usage.ru_utime + usage.ru_stime, process.returncode)


def time_command(
    trees: dict[str, Path], command: list[str], rounds: int, workdir: Path
) -> tuple[protocol.Rounds[Timed], protocol.LoadWatch]:
    """The rounds of one command, the sides in turn."""
    watch = protocol.LoadWatch()
    label = "retrobot " + " ".join(command)

    def show(number: int, results: dict[str, Timed]) -> None:
        each = ", ".join(
            f"{side} {r.wall:.2f} s wall, {r.cpu:.2f} s CPU (exit {r.code})"
            for side, r in results.items()
        )
        print(f"{label} round {number}: {each}", flush=True)

    timed = protocol.alternate(
        tuple(trees),
        rounds,
        lambda side, _: run_once(trees[side], command, workdir),
        watch=watch,
        show=show,
    )
    return timed, watch


def report(command: list[str], timed: protocol.Rounds[Timed], watch: protocol.LoadWatch) -> str:
    """One command's medians and min–max per side, and the ratios."""
    lines = [f"`retrobot {' '.join(command)}` — {len(timed.rounds)} round(s) each:"]
    for side in timed.sides:
        wall = timed.values(side, lambda r: r.wall)
        cpu = timed.values(side, lambda r: r.cpu)
        lines.append(
            f"- {side}: wall {protocol.spread(wall, ' s')}, CPU {protocol.spread(cpu, ' s')}"
        )
    if len(timed.sides) == 2:
        lines.append("- " + protocol.ratio_line("wall, this ÷ baseline", timed.ratios(_wall)))
        lines.append("- " + protocol.ratio_line("CPU, this ÷ baseline", timed.ratios(_cpu)))
    lines.append(f"- {watch.summary()}")
    return "\n".join(lines)


def _wall(timed: Timed) -> float:
    return timed.wall


def _cpu(timed: Timed) -> float:
    return timed.cpu


def main(argv: list[str] | None = None) -> int:
    """Time each command asked for and print the reports."""
    args = parse_args(argv)
    trees = {THIS: harness.REPO}
    if args.baseline:
        trees[BASELINE] = args.baseline.resolve()
    commands = [list(c) for c in QUICK] if args.quick else [args.command]
    reports = []
    print("\n".join(harness.machine_lines()), flush=True)
    with tempfile.TemporaryDirectory(prefix="retrobot-command-bench-") as scratch:
        for command in commands:
            timed, watch = time_command(trees, command, args.rounds, Path(scratch))
            reports.append(report(command, timed, watch))
    print("\n" + "\n\n".join(reports))
    return 0


if __name__ == "__main__":
    sys.exit(main())
