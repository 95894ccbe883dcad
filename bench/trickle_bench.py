"""Slow clients against `retrobot serve --http`: Slack's signed requests while 50 connections
trickle 100 kB bodies a few bytes a second (issue 15, item 4).

    python bench/trickle_bench.py                        # serve --http, 5 rounds each side
    python bench/trickle_bench.py --front nginx          # behind nginx, as deploy/nginx.conf
    python bench/trickle_bench.py --tree ../retrobot-before --rounds 5   # an earlier checkout

Starts ``retrobot serve --http --workers 4 --threads 2`` (docs/deploy.md's sizing) on a fresh
database with a generated app.yaml and a Slack stand-in, and — with ``--front nginx`` — nginx in
front of it with the settings of deploy/nginx.conf (its client_*, proxy_* and timeout lines,
read from that file; nginx must be installed). Then, following bench/protocol.py, two sides in
turn, 5 rounds each: **quiet**, then **trickling** — 50 connections (another process) each
announcing a 100 kB body and sending 4 bytes of it a second, reconnecting the moment one is
answered or closed, so 50 are always open. In each round signed `/tension` commands and
tension submissions (bench/load.py, half each) are offered at a fixed rate for 20 s in an open
loop, latencies measured from each request's scheduled time; a request unanswered after 5 s
(Slack gives up at 3) counts as failed, at 5 s. The figure is the p99 of every measured request,
failed ones included, against the target of 1 s while trickling; it prints each round, then the
medians and min–max, the ratio trickling ÷ quiet round by round, what the slow clients were
answered, and the load average.
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import selectors
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness, load, protocol
from bench.harness import median, percentile
from bench.workload import tension_requests
from bot.core.config import load_config

QUIET, TRICKLING = "quiet", "trickling"
TARGET_P99_MS = 1000.0
GIVE_UP = 5.0  # seconds a signed request may take before it counts as failed
NGINX_CONF = harness.REPO / "deploy" / "nginx.conf"


@dataclass
class Figures:
    """One side's figures in one round."""

    p50_ms: float
    p99_ms: float
    answered: int
    failed: int
    slow_clients: dict[str, int] = field(default_factory=dict)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; --smoke is a tiny run that only proves the benchmark works."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=protocol.MIN_ROUNDS, help="each side")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--teams", type=int, default=100)
    parser.add_argument("--slow-clients", type=int, default=50)
    parser.add_argument("--body", type=int, default=100_000, help="bytes each announces")
    parser.add_argument("--bytes-per-second", type=float, default=4.0)
    parser.add_argument("--rate", type=float, default=20.0, help="signed requests per second")
    parser.add_argument("--seconds", type=float, default=20.0, help="measured, each round")
    parser.add_argument("--warmup-seconds", type=float, default=2.0)
    parser.add_argument("--front", choices=("none", "nginx"), default="none")
    parser.add_argument("--tree", type=Path, default=harness.REPO, help="the checkout to serve")
    parser.add_argument("--database-url", help="a PostgreSQL server to make a scratch database on")
    parser.add_argument("--pin", default="auto", help="auto, off, or SERVERS:LOAD cpu lists")
    parser.add_argument(
        "--idle-seconds", type=float, default=2.0, help="quiet retrobot must be before it starts"
    )
    parser.add_argument("--smoke", action="store_true")
    args = parser.parse_args(argv)
    if args.smoke:
        args.rounds, args.teams, args.seconds, args.slow_clients = 1, 10, 3.0, 10
        args.idle_seconds = 0.5
    protocol.check_rounds(args.rounds, smoke=args.smoke)
    return args


# -- the slow clients ---------------------------------------------------------------------------


def trickle(host: str, port: int, args: argparse.Namespace, stop: Any, results: Any) -> None:
    """Keep ``args.slow_clients`` connections open, each sending its announced body a few bytes
    a second; one answered or closed is replaced at once. Sends back what they were answered."""
    head = (
        f"POST /slack/events HTTP/1.1\r\nHost: {host}\r\n"
        "Content-Type: application/x-www-form-urlencoded\r\nX-Slack-Request-Timestamp: 0\r\n"
        f"X-Slack-Signature: v0=0\r\nContent-Length: {args.body}\r\n\r\n"
    ).encode()
    selector = selectors.DefaultSelector()
    tally: dict[str, int] = {"opened": 0}

    def count(what: str) -> None:
        tally[what] = tally.get(what, 0) + 1

    def open_one() -> None:
        try:
            sock = socket.create_connection((host, port), timeout=5)
            sock.sendall(head)
        except OSError:
            count("could not connect")
            return
        tally["opened"] += 1
        selector.register(sock, selectors.EVENT_READ)

    def answered(sock: socket.socket) -> None:
        try:
            first = sock.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
        except OSError:
            first = ""
        count(f"answered {first[9:]}" if first.startswith("HTTP/") else "closed unanswered")
        selector.unregister(sock)
        sock.close()
        open_one()

    for _ in range(args.slow_clients):
        open_one()
    step = max(1, round(args.bytes_per_second / 4))  # a few bytes, four times a second
    while not stop.is_set():
        for key, _ in selector.select(timeout=0.25):
            answered(key.fileobj)  # type: ignore[arg-type]
        for key in list(selector.get_map().values()):
            try:
                key.fileobj.send(b"a" * step)  # type: ignore[union-attr]
            except OSError:
                answered(key.fileobj)  # type: ignore[arg-type]
    for key in list(selector.get_map().values()):
        key.fileobj.close()  # type: ignore[union-attr]
    results.put(tally)


# -- a round ------------------------------------------------------------------------------------


def measure(side: str, args: argparse.Namespace, url: str, requests: list) -> Figures:
    """One round of one side: the signed requests' latencies, with or without slow clients."""
    context = multiprocessing.get_context("fork")
    stop, results = context.Event(), context.Queue()
    slow = None
    if side == TRICKLING:
        host, port = url.split("//", 1)[1].split("/", 1)[0].split(":")
        slow = context.Process(target=trickle, args=(host, int(port), args, stop, results))
        slow.start()
        time.sleep(2.0)  # every slow client has connected and is trickling
    try:
        outcome = load.offer(
            url,
            harness.SIGNING_SECRET,
            requests,
            rate=args.rate,
            seconds=args.seconds,
            warmup=args.warmup_seconds,
            processes=1,
            connections=max(8, int(args.rate * GIVE_UP)),  # enough for every request in flight
        )
    finally:
        stop.set()
    tally = results.get(timeout=30) if slow is not None else {}
    if slow is not None:
        slow.join(timeout=10)
    measured = outcome.measured()
    latencies = [s.latency * 1000 for s in measured]
    return Figures(
        p50_ms=percentile(latencies, 50),
        p99_ms=percentile(latencies, 99),
        answered=sum(1 for s in measured if s.status == 200),
        failed=sum(1 for s in measured if s.status != 200),
        slow_clients=tally,
    )


def show(number: int, results: dict[str, Figures]) -> None:
    """One round, as it comes."""
    print(f"round {number}:")
    for side, figures in results.items():
        slow = f" | slow clients: {figures.slow_clients}" if figures.slow_clients else ""
        print(
            f"  {side:9} p50 {figures.p50_ms:7.1f} ms, p99 {figures.p99_ms:7.1f} ms, "
            f"{figures.answered} answered, {figures.failed} failed{slow}",
            flush=True,
        )


# -- nginx in front -----------------------------------------------------------------------------


def nginx_config(workdir: Path, upstream_port: int, port: int) -> Path:
    """deploy/nginx.conf's upstream and server, on 127.0.0.1 without TLS, in a config of its own."""
    text = NGINX_CONF.read_text()
    text = re.sub(r"^\s*(listen|server_name|ssl_\w+) .*\n", "", text, flags=re.M)
    servers = re.findall(r"^\s*server \S+:\d+.*\n", text, flags=re.M)
    text = text.replace(servers[0], f"    server 127.0.0.1:{upstream_port} max_fails=0;\n")
    for line in servers[1:]:
        text = text.replace(line, "")
    text = text.replace("server {", f"server {{\n    listen 127.0.0.1:{port};", 1)
    temp = workdir / "nginx"
    temp.mkdir()
    config = workdir / "nginx.conf"
    config.write_text(
        f"user root;\nworker_processes 1;\npid {temp}/nginx.pid;\nerror_log {temp}/error.log;\n"
        "events { worker_connections 1024; }\n"
        f"http {{\n  access_log off;\n  client_body_temp_path {temp}/body;\n"
        f"  proxy_temp_path {temp}/proxy;\n{text}\n}}\n"
    )
    return config


def start_nginx(workdir: Path, upstream: str) -> tuple[harness.Child, str]:
    """nginx, in the foreground, in front of ``upstream``; it and its base URL."""
    nginx = shutil.which("nginx") or "/usr/sbin/nginx"
    if not Path(nginx).exists():
        raise SystemExit("--front nginx needs nginx installed (apt-get install nginx-light)")
    port = harness.free_port()
    config = nginx_config(workdir, int(upstream.rsplit(":", 1)[1]), port)
    subprocess.run([nginx, "-t", "-q", "-c", str(config)], check=True)
    child = harness.Child(
        "nginx", [nginx, "-c", str(config), "-g", "daemon off;"], {}, workdir / "nginx.log"
    )
    base = f"http://127.0.0.1:{port}"
    child.wait_http(f"{base}/healthz", timeout=30)
    return child, base


# -- the report ---------------------------------------------------------------------------------


def summary(
    args: argparse.Namespace,
    rounds: protocol.Rounds[Figures],
    machine: list[str],
    watch: protocol.LoadWatch,
    pinning: protocol.Pinning,
) -> str:
    """Medians, min–max and the ratio, against the target, as Markdown."""

    def spread(side: str, attr: str) -> str:
        return protocol.spread(rounds.values(side, lambda f: getattr(f, attr)), " ms", 1)

    p99 = median(rounds.values(TRICKLING, lambda f: f.p99_ms))
    ratios = [r[TRICKLING].p99_ms / r[QUIET].p99_ms for r in rounds.rounds]
    failed = {side: sum(rounds.values(side, lambda f: f.failed)) for side in (QUIET, TRICKLING)}
    answered = {side: sum(rounds.values(side, lambda f: f.answered)) for side in (QUIET, TRICKLING)}
    slow: dict[str, int] = {}
    for figures in (r[TRICKLING] for r in rounds.rounds):
        for what, n in figures.slow_clients.items():
            slow[what] = slow.get(what, 0) + n
    front = "behind nginx (deploy/nginx.conf)" if args.front == "nginx" else "direct"
    met = p99 < TARGET_P99_MS and failed[TRICKLING] == 0
    return "\n".join(
        [
            f"Medians of {len(rounds.rounds)} rounds each, quiet and trickling in turn "
            f"({front}; tree {args.tree}):",
            "",
            "| | quiet | with slow clients | trickling ÷ quiet | target | |",
            "|---|---|---|---|---|---|",
            f"| p50 of signed requests | {spread(QUIET, 'p50_ms')} "
            f"| {spread(TRICKLING, 'p50_ms')} | | | |",
            f"| p99 of signed requests | {spread(QUIET, 'p99_ms')} "
            f"| {spread(TRICKLING, 'p99_ms')} | {protocol.spread(ratios)} "
            f"| < {TARGET_P99_MS:.0f} ms | {'met' if met else 'MISSED'} |",
            f"| answered / failed | {answered[QUIET]} / {failed[QUIET]} "
            f"| {answered[TRICKLING]} / {failed[TRICKLING]} | | 0 failed | |",
            "",
            f"Slow clients over all trickling rounds: {slow}",
            "",
            f"Setup: `retrobot serve --http --workers {args.workers} --threads {args.threads}`, "
            f"{args.teams} teams; {args.slow_clients} slow clients announcing {args.body:,} "
            f"bytes and sending {args.bytes_per_second:g} bytes/s; signed `/tension` commands "
            f"and submissions at {args.rate:g} req/s for {args.seconds:g} s after "
            f"{args.warmup_seconds:g} s of warm-up; a request counts as failed after "
            f"{GIVE_UP:g} s.",
            "",
            *(f"- {line}" for line in machine),
            f"- {pinning.line()}",
            f"- {watch.summary()}",
        ]
    )


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every signed request was answered 200 in time, else 1."""
    args = parse_args(argv)
    harness.stop_children_on_sigterm()
    load.SEND_TIMEOUT = GIVE_UP  # read by each connection the generator opens
    pinning = protocol.plan_pinning(args.pin)
    watch = protocol.LoadWatch()
    with tempfile.TemporaryDirectory(prefix="retrobot-trickle-bench-") as scratch:
        workdir = Path(scratch)
        with harness.scratch_database(args.database_url, workdir) as database_url:
            machine = harness.machine_lines(database_url)
            print("\n".join(machine), flush=True)
            teams = harness.generated_teams(args.teams)
            app_yaml = harness.write_app_yaml(workdir / "app.yaml", teams)
            requests = tension_requests(load_config(app_yaml), teams)
            children: list[harness.Child] = []
            try:
                slack, slack_url, _ = harness.start_standin(workdir, "slack")
                children.append(slack)
                served, base = harness.start_retrobot(
                    workdir,
                    app_yaml=app_yaml,
                    slack_api_url=slack_url,
                    database_url=database_url,
                    workers=args.workers,
                    threads=args.threads,
                    prefix=pinning.server_command([]),
                    tree=args.tree.resolve(),
                )
                children.append(served)
                harness.wait_idle(served.pid, quiet=args.idle_seconds)
                if args.front == "nginx":
                    nginx, base = start_nginx(workdir, base)
                    children.append(nginx)
                pinning.pin_this_process_to_load()
                url = f"{base}/slack/events"
                print(f"serving at {url}; warming up", flush=True)
                load.saturate(
                    url, harness.SIGNING_SECRET, requests, connections=4, seconds=2, warmup=0,
                    processes=1,
                )  # fmt: skip
                rounds = protocol.alternate(
                    (QUIET, TRICKLING),
                    args.rounds,
                    lambda side, _: measure(side, args, url, requests),
                    watch=watch,
                    show=show,
                )
                for child in children:
                    child.check_running()
            finally:
                for child in reversed(children):
                    child.stop()
    print()
    print(summary(args, rounds, machine, watch, pinning))
    failed = sum(r[side].failed for r in rounds.rounds for side in (QUIET, TRICKLING))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
