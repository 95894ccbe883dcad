"""Ack latency and throughput: retrobot against a bare Bolt app, on the same server and machine.

    python bench/ack_bench.py                 # SQLite, 1,000 teams, 5 rounds each
    python bench/ack_bench.py --database-url postgresql://postgres@127.0.0.1:5432/perf_bench

Starts ``retrobot serve --http --workers 4 --threads 2`` (the sizing docs/deploy.md gives for two
cores; ``--workers`` and ``--threads`` change it) on a fresh database with a generated
1,000-team app.yaml, and the bare Bolt app (bench/bare_app.py) on gunicorn with the same workers
and threads; each talks to its own Slack stand-in process. Both get the same load from a
generator on 127.0.0.1 (bench/load.py): signed `/tension` commands and tension submissions, half
each, every submission with a view id of its own so each stores a tension. It follows the A/B
protocol of bench/protocol.py: retrobot then the bare app, round after round (at least 5 each),
the load generator pinned apart from the servers where the cores allow, the load average read
at the start and between rounds. For each app, in every round:

- saturated throughput: requests answered per second over 50 keep-alive connections;
- ack latency at a fixed offered rate of 100 requests/s (open loop, from the scheduled time).
- the serving workers' CPU time per answered request in each of the two (from /proc), which
  other load on the machine disturbs far less than throughput.

It prints each round with its ratios, then each ratio's median and min–max over the rounds (the
ratio is taken within a round, then the median), against the targets of issue 9, and whether
the machine was loaded. Afterwards it checks that
the work was really done: every answered submission stored a tension, and each app made the
Slack calls its requests call for. With --database-url (a PostgreSQL server) it creates a scratch
database there and drops it at the end.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness, protocol
from bench.harness import median, percentile
from bench.load import Outcome, offer, saturate
from bench.workload import COMMAND, SUBMISSION, bare_views, tension_requests
from bot.core.config import load_config

RETROBOT, BARE = "retrobot", "bare"
TARGET_THROUGHPUT_RATIO = 0.8
TARGET_P99_MS = 100.0
TARGET_P99_RATIO = 1.25
# The Slack calls each kind of request makes, in retrobot and in the bare app alike.
EXPECTED_CALLS = {COMMAND: ("views.open",), SUBMISSION: ("chat.postMessage",)}


@dataclass
class Figures:
    """One app's figures in one run."""

    throughput: float
    p50_ms: float
    p99_ms: float
    p99_by_kind: dict[str, float]
    achieved_rate: float
    cpu_ms_saturated: float = 0.0  # the serving workers' CPU per answered request, saturated
    cpu_ms_offered: float = 0.0  # ... and at the fixed rate


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; --smoke is a tiny run that only proves the benchmark works."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to make a scratch database on")
    parser.add_argument(
        "--rounds", "--runs", dest="runs", type=int, default=protocol.MIN_ROUNDS, help="each"
    )
    parser.add_argument("--pin", default="auto", help="auto, off, or SERVERS:LOAD cpu lists")
    parser.add_argument("--teams", type=int, default=1000)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--connections", type=int, default=50, help="for saturation")
    parser.add_argument("--saturation-seconds", type=float, default=10.0)
    parser.add_argument("--rate", type=float, default=100.0, help="offered requests/s")
    parser.add_argument("--rate-seconds", type=float, default=20.0)
    parser.add_argument("--rate-connections", type=int, default=32)
    parser.add_argument("--warmup-seconds", type=float, default=2.0)
    parser.add_argument("--processes", type=int, default=2, help="load generator processes")
    parser.add_argument(
        "--settle-seconds", type=float, default=1.0, help="after each phase, for work after acks"
    )
    parser.add_argument(
        "--idle-seconds", type=float, default=2.0, help="quiet retrobot must be before it starts"
    )
    parser.add_argument("--smoke", action="store_true", help="a few requests, to prove it runs")
    args = parser.parse_args(argv)
    if args.smoke:
        args.runs, args.teams, args.workers, args.threads = 1, 20, 1, 4
        args.connections, args.saturation_seconds, args.warmup_seconds = 4, 1.0, 0.3
        args.rate, args.rate_seconds, args.rate_connections, args.processes = 20.0, 1.0, 4, 1
        args.settle_seconds, args.idle_seconds = 0.2, 0.5
    protocol.check_rounds(args.runs, smoke=args.smoke)
    return args


def figures_of(saturated: Outcome, offered: Outcome, rate_seconds: float) -> Figures:
    """Throughput from the closed loop; latencies (ms) from the open loop."""
    latencies = [s.latency * 1000 for s in offered.ok()]
    return Figures(
        throughput=saturated.answered_per_second(),
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        p99_by_kind={
            kind: percentile([s.latency * 1000 for s in offered.ok(kind)], 99)
            for kind in offered.kinds
        },
        achieved_rate=len(offered.ok()) / rate_seconds,
    )


def workers_cpu(master: int) -> float:
    """CPU seconds used so far by a gunicorn master's serving workers."""
    return sum(harness.cpu_seconds(pid) for pid in harness.gunicorn_workers(master))


def cpu_ms_per_request(master: int, before: float, outcome: Outcome) -> float:
    """The workers' CPU since ``before`` per request answered in the phase, in ms."""
    answered = sum(outcome.sent(kind) for kind in outcome.kinds)
    return (workers_cpu(master) - before) * 1000 / max(answered, 1)


def measure(args: argparse.Namespace, url: str, requests: list, sent: dict, master: int) -> Figures:
    """Saturate, then offer the fixed rate, to one app; count what it answered, and the CPU
    its serving workers used per request (work after the ack included: each phase ends with a
    pause for it)."""
    before = workers_cpu(master)
    saturated = saturate(
        url,
        harness.SIGNING_SECRET,
        requests,
        connections=args.connections,
        seconds=args.saturation_seconds,
        warmup=args.warmup_seconds,
        processes=args.processes,
    )
    time.sleep(args.settle_seconds)  # the work still running after the last acks
    cpu_saturated = cpu_ms_per_request(master, before, saturated)
    before = workers_cpu(master)
    offered = offer(
        url,
        harness.SIGNING_SECRET,
        requests,
        rate=args.rate,
        seconds=args.rate_seconds,
        warmup=args.warmup_seconds,
        processes=args.processes,
        connections=args.rate_connections,
    )
    time.sleep(args.settle_seconds)
    cpu_offered = cpu_ms_per_request(master, before, offered)
    for outcome in (saturated, offered):
        count_answered(outcome, sent)
    figures = figures_of(saturated, offered, args.rate_seconds)
    figures.cpu_ms_saturated, figures.cpu_ms_offered = cpu_saturated, cpu_offered
    return figures


KEPT_OPEN = "kept open"


def count_answered(outcome: Outcome, sent: dict) -> None:
    """Add a phase's answered requests (by kind), the submissions among them whose modal was
    kept open (the database busy past the save's wait: not stored, nothing confirmed, as the
    person is told) and failures (by reason) to ``sent``."""
    for kind in outcome.kinds:
        sent[kind] = sent.get(kind, 0) + outcome.sent(kind)
    sent[KEPT_OPEN] = sent.get(KEPT_OPEN, 0) + outcome.kept_open(SUBMISSION)
    errors = sent.setdefault("errors", {})
    for error, count in outcome.errors.items():
        errors[error] = errors.get(error, 0) + count


def warm_up(args: argparse.Namespace, url: str, requests: list, sent: dict) -> None:
    """A short burst so both apps have imported, connected and pooled before the clock runs."""
    outcome = saturate(
        url,
        harness.SIGNING_SECRET,
        requests,
        connections=min(args.connections, 8),
        seconds=max(args.warmup_seconds, 0.5),
        warmup=0,
        processes=1,
    )
    count_answered(outcome, sent)


def wait_for_calls(stats: Path, sent: dict, timeout: float = 60.0) -> dict[str, dict[str, int]]:
    """The stand-in's tally once every call the answered requests make has arrived (or timeout)."""
    expected = expected_calls(sent)
    deadline = time.monotonic() + timeout
    while True:
        tally = harness.read_tally(stats)
        done = all(sum(tally.get(m, {}).values()) >= n for m, n in expected.items())
        if done or time.monotonic() > deadline:
            return tally
        time.sleep(0.25)


def stored_submissions(sent: dict) -> int:
    """The answered submissions that stored their tension (not those kept open)."""
    return sent.get(SUBMISSION, 0) - sent.get(KEPT_OPEN, 0)


def expected_calls(sent: dict) -> dict[str, int]:
    """Slack method → how many calls the answered requests make (a submission kept open makes
    none: no tension, no confirmation)."""
    expected: dict[str, int] = {}
    for kind, methods in EXPECTED_CALLS.items():
        count = stored_submissions(sent) if kind == SUBMISSION else sent.get(kind, 0)
        for method in methods:
            expected[method] = expected.get(method, 0) + count
    return expected


def check_work(name: str, tally: dict, sent: dict) -> list[str]:
    """Problems with what an app did: refused requests, missing or refused Slack calls."""
    problems = []
    if sent.get("errors"):
        problems.append(f"{name}: requests not answered 200: {sent['errors']}")
    for method, count in expected_calls(sent).items():
        calls = tally.get(method, {})
        if calls.get("ok", 0) != count:
            problems.append(f"{name}: {method} made {calls} for {count} answered requests")
    for method, calls in tally.items():
        refused = {k: v for k, v in calls.items() if k != "ok"}
        if refused:
            problems.append(f"{name}: {method} refused by the stand-in: {refused}")
    return problems


def show_run(number: int, results: dict[str, Figures]) -> None:
    """One round's figures and ratios, as they come."""
    ours, bare = results[RETROBOT], results[BARE]
    print(f"round {number}:")
    for name, figures in ((RETROBOT, ours), (BARE, bare)):
        kinds = ", ".join(f"{k} {v:.1f}" for k, v in figures.p99_by_kind.items())
        print(
            f"  {name:9} saturated {figures.throughput:7.1f} req/s | at {figures.achieved_rate:.0f}"
            f" req/s: p50 {figures.p50_ms:6.1f} ms, p99 {figures.p99_ms:6.1f} ms ({kinds})"
            f" | workers' CPU/request: saturated {figures.cpu_ms_saturated:.2f} ms, "
            f"at the rate {figures.cpu_ms_offered:.2f} ms"
        )
    print(
        f"  ratios    throughput {ours.throughput / bare.throughput:.2f}x, "
        f"p50 {ours.p50_ms / bare.p50_ms:.2f}x, p99 {ours.p99_ms / bare.p99_ms:.2f}x",
        flush=True,
    )


def summary(
    args: argparse.Namespace,
    runs: list[dict[str, Figures]],
    machine: list[str],
    *,
    watch: protocol.LoadWatch,
    pinning: protocol.Pinning,
) -> str:
    """The medians over the rounds, with ratios (median and min–max) and targets, as Markdown."""

    def med(name: str, attr: str) -> float:
        return median([getattr(run[name], attr) for run in runs])

    def ratios(attr: str) -> list[float]:
        return [getattr(run[RETROBOT], attr) / getattr(run[BARE], attr) for run in runs]

    def ratio(attr: str) -> float:
        return median(ratios(attr))

    def spread(attr: str) -> str:
        return protocol.spread(ratios(attr))

    throughput_ratio, p99_ratio = ratio("throughput"), ratio("p99_ms")
    p99 = med(RETROBOT, "p99_ms")
    met_throughput = throughput_ratio >= TARGET_THROUGHPUT_RATIO
    met_p99 = p99 < TARGET_P99_MS and p99_ratio <= TARGET_P99_RATIO
    rate = f"{args.rate:g} req/s"
    lines = [
        f"Medians of {len(runs)} round(s) each, retrobot and the bare app in turn; ratios are "
        "retrobot ÷ bare app within each round: the median, then the min–max.",
        "",
        "| | retrobot | bare Bolt app | ratio (min–max) | target | |",
        "|---|---|---|---|---|---|",
        f"| saturated throughput ({args.connections} connections) "
        f"| {med(RETROBOT, 'throughput'):.0f} req/s | {med(BARE, 'throughput'):.0f} req/s "
        f"| {spread('throughput')} | ≥ {TARGET_THROUGHPUT_RATIO}x "
        f"| {'met' if met_throughput else 'MISSED'} |",
        f"| p50 ack at {rate} | {med(RETROBOT, 'p50_ms'):.1f} ms | {med(BARE, 'p50_ms'):.1f} ms "
        f"| {spread('p50_ms')} | | |",
        f"| p99 ack at {rate} | {p99:.1f} ms | {med(BARE, 'p99_ms'):.1f} ms "
        f"| {spread('p99_ms')} | < {TARGET_P99_MS:.0f} ms and ≤ {TARGET_P99_RATIO}x "
        f"| {'met' if met_p99 else 'MISSED'} |",
        f"| serving workers' CPU per request, saturated | "
        f"{med(RETROBOT, 'cpu_ms_saturated'):.2f} ms | {med(BARE, 'cpu_ms_saturated'):.2f} ms "
        f"| {spread('cpu_ms_saturated')} | | |",
        f"| serving workers' CPU per request at {rate} | "
        f"{med(RETROBOT, 'cpu_ms_offered'):.2f} ms | {med(BARE, 'cpu_ms_offered'):.2f} ms "
        f"| {spread('cpu_ms_offered')} | | |",
        "",
        protocol.ratio_line("Throughput ratio", ratios("throughput")),
        "",
        f"Setup: {args.teams} teams, `retrobot serve --http --workers {args.workers} "
        f"--threads {args.threads}` and the bare app on gunicorn with the same workers and "
        f"threads; `/tension` commands and submissions, half each; saturation "
        f"{args.saturation_seconds:g} s, fixed rate {args.rate_seconds:g} s, each after "
        f"{args.warmup_seconds:g} s of warm-up.",
        "",
        *(f"- {line}" for line in machine),
        f"- {pinning.line()}",
        f"- {watch.summary()}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every request was answered and its work done, else 1."""
    args = parse_args(argv)
    harness.stop_children_on_sigterm()
    pinning = protocol.plan_pinning(args.pin)
    watch = protocol.LoadWatch()
    with tempfile.TemporaryDirectory(prefix="retrobot-ack-bench-") as scratch:
        workdir = Path(scratch)
        with harness.scratch_database(args.database_url, workdir) as database_url:
            machine = harness.machine_lines(database_url)
            print("\n".join(machine), flush=True)
            teams = harness.generated_teams(args.teams)
            app_yaml = harness.write_app_yaml(workdir / "app.yaml", teams)
            requests = tension_requests(load_config(app_yaml), teams)
            views = workdir / "views.json"
            views.write_text(json.dumps(bare_views(teams[0])), encoding="utf-8")
            children: list[harness.Child] = []
            try:
                ours_slack, ours_slack_url, ours_stats = harness.start_standin(workdir, "slack-1")
                children.append(ours_slack)
                bare_slack, bare_slack_url, bare_stats = harness.start_standin(workdir, "slack-2")
                children.append(bare_slack)
                print(f"starting retrobot with {args.teams} teams...", flush=True)
                print(pinning.line(), flush=True)
                ours, ours_url = harness.start_retrobot(
                    workdir,
                    app_yaml=app_yaml,
                    slack_api_url=ours_slack_url,
                    database_url=database_url,
                    workers=args.workers,
                    threads=args.threads,
                    prefix=pinning.server_command([]),
                )
                children.append(ours)
                waited = harness.wait_idle(ours.pid, quiet=args.idle_seconds)
                print(f"retrobot is up and idle ({waited:.0f} s after /healthz)", flush=True)
                bare, bare_url = harness.start_bare_app(
                    workdir,
                    views=views,
                    slack_api_url=bare_slack_url,
                    workers=args.workers,
                    threads=args.threads,
                    prefix=pinning.server_command([]),
                )
                children.append(bare)
                pinning.pin_this_process_to_load()  # the generator processes fork from here
                urls = {RETROBOT: f"{ours_url}/slack/events", BARE: f"{bare_url}/slack/events"}
                masters = {RETROBOT: ours.pid, BARE: bare.pid}
                sent: dict[str, dict] = {RETROBOT: {}, BARE: {}}
                for name, url in urls.items():
                    warm_up(args, url, requests, sent[name])
                runs = protocol.alternate(
                    (RETROBOT, BARE),
                    args.runs,
                    lambda name, _: measure(args, urls[name], requests, sent[name], masters[name]),
                    watch=watch,
                    show=show_run,
                ).rounds
                problems = []
                for name, stats in ((RETROBOT, ours_stats), (BARE, bare_stats)):
                    problems += check_work(name, wait_for_calls(stats, sent[name]), sent[name])
                stored = harness.count_tensions(database_url)
                if stored != stored_submissions(sent[RETROBOT]):
                    problems.append(
                        f"retrobot stored {stored} tensions for "
                        f"{stored_submissions(sent[RETROBOT])} submissions answered and not "
                        "kept open"
                    )
                for child in (ours, bare):
                    child.check_running()
            finally:
                for child in reversed(children):
                    child.stop()
    print()
    print(summary(args, runs, machine, watch=watch, pinning=pinning))
    answered = {
        name: {k: v for k, v in counts.items() if k not in ("errors", KEPT_OPEN)}
        for name, counts in sent.items()
    }
    print(f"\nAnswered requests (all phases): {answered}; tensions stored by retrobot: {stored}")
    kept_open = sent[RETROBOT].get(KEPT_OPEN, 0)
    print(
        f'Submissions whose modal retrobot kept open with "couldn\'t save just now" (the '
        f"database busy past the save's 1.5 s): {kept_open} of {sent[RETROBOT].get(SUBMISSION, 0)}"
    )
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
