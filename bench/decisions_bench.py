"""Deciding at scale: a proposal asking 500 people for advice, and `/decisions` over 10,000.

    python bench/decisions_bench.py [--asked 500] [--rate 100] [--runs 5]
                                    [--decisions 10000] [--database-url URL] [--smoke]

**The fan-out.** A proposal asks 500 people of 50 teams for advice (an organisation-wide
question). The Slack stand-in runs in a process of its own (bench/checkin_fanout.py's), holding
chat.postMessage to ``--rate`` calls a second (a token bucket; 429 with Retry-After over it).
retrobot runs in a subprocess and announces the proposal as its listener does
(``bot.decisions.usecases.announce_proposal``: the channel message, its thread's first note,
every advice DM, the proposer's confirmation), paced at the rate it is told. Measured:

- wall time against the bound the rate limit sets (posts / rate, as bench/checkin_fanout.py
  computes it); target within 1.1x;
- the sending process's CPU (user + system, all its threads) per DM sent; target under 2 ms;
- after ``kill -9``: the same announcement killed part way, then resumed as the app resumes —
  the scheduler's ``decisions`` job (``run_decision_jobs``) at start, which sends the asks still
  pending, and at its next tick 5 minutes on, when the claims the killed process left are in
  doubt and are looked for in each person's DM before anything is posted again. Every person
  asked must have got exactly one DM (counted by the stand-in per person); target none twice,
  none missing.

**`/decisions`.** 10,000 adopted decisions in one team (with their proposals, 3 advice rows and
2 objection-round rows each, bulk-inserted), ``retrobot serve --http`` on them, and signed
`/decisions [words]` commands from the team's members over HTTP (bench/load.py), at a fixed
rate in an open loop: no words, one common word, one rare word, two words. The latency is from
each request's scheduled time to the whole answer read: the ack *is* the answer (an ephemeral
list of the ten newest matching decisions). Target p99 under 200 ms.

Each part runs ``--runs`` times (at least 5 but in ``--smoke``); the figures are medians with
the min–max, the load average is read before and between runs (bench/protocol.py's LoadWatch),
and ``LOADED MACHINE`` is said when it was over the core count. With ``--database-url`` (a
PostgreSQL server) each run makes a scratch database there and drops it.
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
import time
import urllib.parse
import urllib.request
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench import harness, protocol
from bench.checkin_fanout import Standin, app_yaml

TARGET_RATIO = 1.1
TARGET_CPU_MS = 2.0
TARGET_P99_MS = 200.0
PER_TEAM = 10
WORDS = ("", "handover", "minibus", "rota visits")  # none, common, rare, two words
TOPICS = ("handover", "rota", "visits", "training", "supervision", "holiday", "mileage", "keys")


def cpu_seconds() -> float:
    """User plus system CPU time of this process (all its threads) so far."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def spread(values: list[float], fmt: str) -> str:
    """``median (min–max)`` of the runs' values."""
    shown = format(statistics.median(values), fmt)
    if len(values) == 1:
        return shown
    return f"{shown} ({format(min(values), fmt)}–{format(max(values), fmt)})"


# --- the fan-out: the sending process --------------------------------------------------------


def open_app(folder: Path, database_url: str, slack_url: str, rate: float) -> Any:
    """retrobot's services on this database and stand-in, paced at ``rate``."""
    from bot.core.config import load_config
    from bot.core.settings import Settings
    from bot.services import open_services
    from bot.slack import pacing

    settings = Settings(
        bot_token=harness.BOT_TOKEN, slack_api_url=slack_url, database_url=database_url
    )
    # The app is told Slack's rate, not its burst (as bench/checkin_fanout.py).
    pacing.PACE = pacing.Pace(rate, pacing.DM_BURST)
    return open_services(settings, load_config(folder / "app.yaml"))


def store_proposal(services: Any, asked: int) -> int:
    """The proposal of team-0000's first member asking ``asked`` people of every team."""
    from bot.decisions import service
    from bot.decisions.model import Advisor, ProposalDraft
    from storage.models import ProposalMethod

    config = services.config
    team = config.teams[0]
    proposer = team.member_ids[0]
    people = [m for t in config.teams for m in t.member_ids if m != proposer][:asked]
    home = set(team.member_ids)
    draft = ProposalDraft(
        team_id=team.id,
        text="From July every team keeps a shared minibus diary for client outings.",
        why="Outings clash over the two minibuses and clients are let down.",
        method=ProposalMethod.ADVICE,
        decide_by=services.now().date() + timedelta(days=7),
        review_date=None,
        people=tuple(people),
        advisors=tuple(
            Advisor(p, None if p in home else config.teams_of(p)[0].id, False) for p in people
        ),
    )
    with services.session() as session:
        proposal = service.create_proposal(
            session, config=config, user_id=proposer, draft=draft, now=services.now()
        )
        assert proposal is not None
        return proposal.id or 0


def child(options: argparse.Namespace) -> int:
    """The sending process: announce the proposal (or resume as the app does) and say how it
    went on its last line, as JSON."""
    from bot.decisions import service, usecases

    folder = Path(options.folder)
    services = open_app(folder, options.child_database, options.slack, options.rate)
    with services.session() as session:
        proposal = service.proposal_by_id(session, options.proposal)
        session.expunge_all()
    warm_up(services, proposal)
    print("SENDING", flush=True)
    cpu, wall = cpu_seconds(), time.monotonic()
    if options.resume:
        now = services.now()
        first = usecases.run_decision_jobs(services, now=now)  # the scheduler's start
        later = usecases.run_decision_jobs(services, now=now + timedelta(minutes=5))
        asked = first.asked + later.asked
    else:
        usecases.announce_proposal(services, services.client, proposal=proposal)
        asked = -1
    figures = {"wall": time.monotonic() - wall, "cpu": cpu_seconds() - cpu, "asked": asked}
    services.engine.dispose()
    print(json.dumps(figures), flush=True)
    return 0


def warm_up(services: Any, proposal: Any) -> None:
    """Build the channel message and an ask once, unsent, as a serving process has long done
    by the time a proposal comes: its templates compiled, its database connection open."""
    from bot.decisions import delivery
    from bot.decisions.views import build_advice_ask

    delivery.card_payload(services, proposal)
    build_advice_ask(
        services.renderer, proposal=proposal, team=services.config.team(proposal.team_id)
    )


# --- the fan-out: the parent ---------------------------------------------------------------


def _spawn(folder: Path, database_url: str, slack_url: str, options: Any, *more: str) -> Any:
    args = [sys.executable, str(Path(__file__).resolve()), "--child", "--folder", str(folder)]
    args += ["--child-database", database_url, "--slack", slack_url]
    args += ["--rate", str(options.rate), "--proposal", str(options.proposal_id), *more]
    return subprocess.Popen(
        args, stdout=subprocess.PIPE, text=True, env=harness.child_env(), cwd=harness.REPO
    )


def _result(process: Any) -> dict[str, Any]:
    out, _ = process.communicate(timeout=600)
    if process.returncode != 0:
        raise RuntimeError(f"the sending process failed ({process.returncode}):\n{out}")
    return dict(json.loads(out.strip().splitlines()[-1]))


def fanout_run(options: argparse.Namespace, *, kill: bool) -> dict[str, Any]:
    """One proposal announced to ``--asked`` people: timed, or killed part way and resumed."""
    folder = Path(tempfile.mkdtemp(prefix="retrobot-decisions-bench-"))
    teams = -(-(options.asked + 1) // PER_TEAM)
    text, _ = app_yaml(teams, PER_TEAM)
    (folder / "app.yaml").write_text(text)
    with harness.scratch_database(options.database_url, folder) as database_url:
        standin = Standin(options.rate, options.burst, folder)
        try:
            services = open_app(folder, database_url, standin.url, options.rate)
            options.proposal_id = store_proposal(services, options.asked)
            asked = _asked(services, options.proposal_id)
            services.engine.dispose()
            process = _spawn(folder, database_url, standin.url, options)
            figures: dict[str, Any] = {"killed_after": None}
            if kill:
                assert process.stdout is not None
                process.stdout.readline()  # SENDING
                time.sleep(options.kill_at * len(asked) / options.rate)
                os.kill(process.pid, signal.SIGKILL)  # kill -9, by its own pid
                process.wait()
                figures["killed_after"] = _sent_so_far(folder, database_url, options)
                figures.update(
                    _result(_spawn(folder, database_url, standin.url, options, "--resume"))
                )
            else:
                figures.update(_result(process))
        finally:
            stats = standin.stop()
    delivered: dict[str, int] = stats["delivered"]
    posts = sum(delivered.values())
    return figures | {
        "asked": len(asked),
        "dms": sum(delivered.get(p, 0) for p in asked),
        "posts": posts,
        "bound": posts / options.rate,
        "twice": sum(1 for p in asked if delivered.get(p, 0) > 1),
        "missing": sum(1 for p in asked if delivered.get(p, 0) == 0),
        "refused": stats["refused"],
        "database_url": database_url,
    }


def _asked(services: Any, proposal_id: int) -> list[str]:
    from sqlmodel import select

    from storage.models import Advice

    with services.session() as session:
        return list(session.exec(select(Advice.user_id).where(Advice.proposal_id == proposal_id)))


def _sent_so_far(folder: Path, database_url: str, options: Any) -> dict[str, int]:
    """How the killed process left the asks: recorded sent, claimed (in doubt), pending."""
    from sqlalchemy import func
    from sqlmodel import select

    from storage.models import Advice

    services = open_app(folder, database_url, "http://127.0.0.1:9", options.rate)
    try:
        with services.session() as session:
            rows = session.exec(select(Advice.status, func.count()).group_by(Advice.status))
            return {str(status.value): int(n) for status, n in rows}
    finally:
        services.engine.dispose()


def describe_fanout(timed: list[dict[str, Any]], killed: list[dict[str, Any]]) -> list[str]:
    """The fan-out's figures against its targets, medians with the min–max."""
    first = timed[0]
    ratios = [r["wall"] / r["bound"] for r in timed]
    per_dm = [r["cpu"] / max(r["dms"], 1) * 1000 for r in timed]
    clean = all(r["twice"] == 0 and r["missing"] == 0 for r in timed + killed)
    left = [r["killed_after"] or {} for r in killed]
    refused = sum(sum(r["refused"].values()) for r in timed + killed)
    wall_met = "met" if statistics.median(ratios) <= TARGET_RATIO else "NOT met"
    cpu_met = "met" if statistics.median(per_dm) < TARGET_CPU_MS else "NOT met"
    return [
        f"- Proposal: advice asked of {first['asked']:,} people in "
        f"{-(-(first['asked'] + 1) // PER_TEAM)} teams; {len(timed)} timed runs and "
        f"{len(killed)} killed and resumed; chat.postMessage limited to {first['rate']:g}/s "
        f"(bursts of {first['burst']}); the app paced at the same rate.",
        f"- Wall time: {spread([r['wall'] for r in timed], '.2f')} s against the bound posts / "
        f"rate = {first['bound']:.2f} s ({first['posts']} posts: the DMs, the channel message, "
        f"its thread's note, the proposer's confirmation): {spread(ratios, '.3f')}x (target at "
        f"most {TARGET_RATIO}x: {wall_met}).",
        f"- CPU of the sending process: {spread(per_dm, '.2f')} ms per DM (target under "
        f"{TARGET_CPU_MS:g} ms: {cpu_met}).",
        f"- kill -9 part way: the killed process had left {_left(left, 'sent')} recorded sent, "
        f"{_left(left, 'sending')} claimed (in doubt) and {_left(left, 'pending')} pending; "
        "resumed by the scheduler's job at start and 5 minutes on.",
        f"- Every person exactly one DM: {sum(r['twice'] for r in timed + killed)} sent twice, "
        f"{sum(r['missing'] for r in timed + killed)} missing over all runs (target none: "
        f"{'met' if clean else 'NOT met'}); refused by the rate limit and waited out: {refused}.",
    ]


def _left(left: list[dict[str, int]], status: str) -> str:
    return spread([float(one.get(status, 0)) for one in left], ".0f") if left else "n/a"


# --- /decisions over 10,000 ------------------------------------------------------------------


def seed_log(
    database_url: str, app_yaml_path: Path, team: harness.GeneratedTeam, count: int
) -> None:
    """``count`` adopted decisions in ``team``, with their proposals, 3 advice rows and 2
    objection-round rows each, bulk-inserted (the database migrated and mirrored first)."""
    from sqlalchemy import insert

    from bot.core.config import load_config
    from bot.core.settings import Settings
    from bot.services import open_services
    from storage.models import Advice, Decision, Objection, Proposal

    settings = Settings(bot_token=harness.BOT_TOKEN, database_url=database_url)
    services = open_services(settings, load_config(app_yaml_path))
    start = datetime(2020, 1, 1, 9, 0, tzinfo=UTC)
    proposals, decisions, advice, objections = [], [], [], []
    for n in range(1, count + 1):
        at = start + timedelta(hours=4 * n)
        topic, other = TOPICS[n % len(TOPICS)], TOPICS[(n * 3 + 1) % len(TOPICS)]
        rare = " and the minibus" if n % 97 == 0 else ""
        people = team.members
        method = "advice" if n % 2 else "integrated"
        proposals.append(
            {"id": n, "team_id": team.id, "proposer": people[n % len(people)],
             "text": f"Decision {n}: a new way to plan {topic} with {other}{rare}.",
             "why": f"The {topic} plan kept changing at short notice (case {n}).",
             "method": method, "status": "adopted", "version": 1,
             "decide_by": (at + timedelta(days=7)).date(), "values": ["Trust"], "ask_teams": [],
             "ask_roles": [], "created_at": at - timedelta(days=7), "updated_at": at}
        )  # fmt: skip
        decisions.append(
            {"id": n, "team_id": team.id, "proposal_id": n, "kind": "expectation",
             "method": method, "text": f"We plan {topic} together, weekly (decision {n}).",
             "shaped_by": f"Advice on {other} moved the day.", "decided_at": at,
             "decided_by": people[n % len(people)] if method == "advice" else None,
             "unanswered": []}
        )  # fmt: skip
        for k in range(3):
            advice.append(
                {"proposal_id": n, "user_id": people[(n + k + 1) % len(people)],
                 "status": "sent", "answer": "advice", "text": f"Mind the {other}.",
                 "answered_version": 1, "earlier": []}
            )  # fmt: skip
        for k in range(2):
            objections.append(
                {"proposal_id": n, "user_id": people[(n + k + 5) % len(people)],
                 "status": "sent", "answer": "no_objection", "answered_version": 1}
            )  # fmt: skip
    try:
        with services.session() as session:
            for model, rows in ((Proposal, proposals), (Decision, decisions)):
                session.execute(insert(model), rows)
            session.execute(insert(Advice), advice)
            session.execute(insert(Objection), objections)
            session.commit()
        if database_url.startswith("postgresql"):
            _after_bulk_insert(services)
    finally:
        services.engine.dispose()


def _after_bulk_insert(services: Any) -> None:
    """PostgreSQL: the ids were given, so move the sequences on; and analyse, as autovacuum
    would soon after a bulk load."""
    from sqlalchemy import text

    with services.engine.begin() as connection:
        for table in ("proposal", "decision", "advice", "objection"):
            connection.execute(
                text(
                    f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                    f"(SELECT max(id) FROM {table}))"
                )
            )
        connection.execute(text("ANALYZE"))


def decisions_requests(team: harness.GeneratedTeam) -> list[Any]:
    """Signed-ready `/decisions [words]` commands by the team's members, the words in turn."""
    from bench.load import Request
    from bench.workload import command_body
    from bot.core import ids
    from bot.standin.web_api import FakeSlack

    fake = FakeSlack()  # never started: it only names the workspace
    built = []
    for number in range(len(team.members) * len(WORDS)):
        user = team.members[number % len(team.members)]
        words = WORDS[number % len(WORDS)]
        body = command_body(fake, team, user, words, command=ids.DECISIONS_COMMAND)
        built.append(Request(WORDS[number % len(WORDS)] or "no words", body))
    return built


def check_answer(url: str, request: Any) -> str:
    """One `/decisions` answered over HTTP, as a person sees it (its text and blocks)."""
    from bench.load import Signer

    headers = Signer(harness.SIGNING_SECRET).headers(request.body, request.content_type)
    sent = urllib.request.Request(url, data=request.body, headers=headers, method="POST")
    with urllib.request.urlopen(sent, timeout=30) as answer:
        return answer.read().decode()


def latency_rounds(options: argparse.Namespace, watch: protocol.LoadWatch) -> dict[str, Any]:
    """Seed the log, serve it, and offer `/decisions` at the rate, ``--runs`` rounds."""
    from bench.load import offer

    with tempfile.TemporaryDirectory(prefix="retrobot-decisions-bench-") as scratch:
        workdir = Path(scratch)
        with harness.scratch_database(options.database_url, workdir) as database_url:
            teams = harness.generated_teams(options.teams)
            yaml_path = harness.write_app_yaml(workdir / "app.yaml", teams)
            began = time.monotonic()
            seed_log(database_url, yaml_path, teams[0], options.decisions)
            print(f"{options.decisions:,} decisions stored in {time.monotonic() - began:.1f} s")
            requests = decisions_requests(teams[0])
            children: list[harness.Child] = []
            try:
                slack, slack_url, _ = harness.start_standin(workdir, "slack")
                children.append(slack)
                server, base = harness.start_retrobot(
                    workdir,
                    app_yaml=yaml_path,
                    slack_api_url=slack_url,
                    database_url=database_url,
                    workers=options.workers,
                    threads=options.threads,
                )
                children.append(server)
                harness.wait_idle(server.pid)
                url = f"{base}/slack/events"
                shown = {r.kind: check_answer(url, r) for r in requests[: len(WORDS)]}
                rounds = []
                for number in range(1, options.runs + 1):
                    watch.read(f"before /decisions round {number}")
                    cpu = workers_cpu(server.pid)
                    outcome = offer(
                        url,
                        harness.SIGNING_SECRET,
                        requests,
                        rate=options.latency_rate,
                        seconds=options.seconds,
                        warmup=options.warmup,
                        processes=1,
                        connections=options.connections,
                    )
                    time.sleep(0.5)  # the last answers' work
                    used = (workers_cpu(server.pid) - cpu) * 1000
                    rounds.append(
                        _latencies(outcome) | {"cpu_ms": used / max(len(outcome.samples), 1)}
                    )
                    print(f"  /decisions round {number}: {rounds[-1]}", flush=True)
                server.check_running()
            finally:
                for one in reversed(children):
                    one.stop()
    return {"rounds": rounds, "shown": shown, "database_url": database_url}


def workers_cpu(master: int) -> float:
    """CPU seconds used so far by a gunicorn master's serving workers (bench/ack_bench.py's)."""
    return sum(harness.cpu_seconds(pid) for pid in harness.gunicorn_workers(master))


def _latencies(outcome: Any) -> dict[str, Any]:
    ok = [s.latency * 1000 for s in outcome.ok()]
    by_words = {
        k: harness.percentile([s.latency * 1000 for s in outcome.ok(k)], 99) for k in outcome.kinds
    }
    return {
        "answered": len(ok),
        "failed": outcome.failed(),
        "p50": harness.percentile(ok, 50),
        "p99": harness.percentile(ok, 99),
        "max": max(ok, default=float("nan")),
        "p99_by_words": {k: round(v, 1) for k, v in by_words.items()},
    }


def describe_latency(options: argparse.Namespace, found: dict[str, Any]) -> list[str]:
    """`/decisions`'s figures against the target, medians of the rounds with the min–max."""
    rounds = found["rounds"]
    p99s = [r["p99"] for r in rounds]
    kinds = sorted(rounds[0]["p99_by_words"])
    words = "; ".join(
        f"{k if k == 'no words' else '“' + k + '”'} "
        f"{spread([r['p99_by_words'][k] for r in rounds], '.1f')} ms"
        for k in kinds
    )
    met = statistics.median(p99s) < TARGET_P99_MS
    return [
        f"- Log: {options.decisions:,} adopted decisions in one team of {harness.MEMBERS_PER_TEAM} "
        f"({options.teams} teams in app.yaml), each with its proposal, 3 advice and 2 "
        f"objection-round rows; `retrobot serve --http --workers {options.workers} --threads "
        f"{options.threads}`.",
        f"- Load: `/decisions` from the team's members at {options.latency_rate:g} requests/s, "
        f"open loop, {options.seconds:g} s a round after {options.warmup:g} s of warm-up, "
        f"{len(rounds)} rounds; the words in turn: none, “handover” (1 decision in 8), "
        "“minibus” (1 in 97), “rota visits” (none holds both: the whole log is read).",
        f"- p99 (ack and the answer read): {spread(p99s, '.1f')} ms (target under "
        f"{TARGET_P99_MS:.0f} ms: {'met' if met else 'NOT met'}); p50 "
        f"{spread([r['p50'] for r in rounds], '.1f')} ms; slowest "
        f"{spread([r['max'] for r in rounds], '.0f')} ms.",
        f"- p99 by words: {words}.",
        f"- The serving workers' CPU per request: {spread([r['cpu_ms'] for r in rounds], '.1f')} "
        "ms (from /proc; the machine's other load disturbs it least).",
        f"- Answered {sum(r['answered'] for r in rounds):,}, failed "
        f"{sum(r['failed'] for r in rounds)}; each answer lists the ten newest matching "
        "decisions, checked before the rounds.",
    ]


def check_shown(found: dict[str, Any], decisions: int) -> list[str]:
    """Problems with what `/decisions` answered: the newest decision first, a word's match."""
    problems = []
    shown = found["shown"]
    if (
        f"Decision {decisions}:" not in shown["no words"]
        and f"decision {decisions})" not in shown["no words"]
    ):
        problems.append(
            f"/decisions did not show the newest decision first: {shown['no words'][:300]}"
        )
    if "minibus" not in shown["minibus"]:
        problems.append(f"/decisions minibus found nothing: {shown['minibus'][:300]}")
    return problems


# --- the command line -----------------------------------------------------------------------


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    """The command line; --smoke is a tiny run that only proves the benchmark works."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--database-url", help="a PostgreSQL server to make scratch databases on")
    parser.add_argument("--runs", type=int, default=protocol.MIN_ROUNDS)
    parser.add_argument("--part", choices=("both", "fanout", "search"), default="both")
    parser.add_argument("--asked", type=int, default=500, help="people asked for advice")
    parser.add_argument("--rate", type=float, default=100.0, help="chat.postMessage calls/s")
    parser.add_argument("--burst", type=int, default=10, help="the stand-in's burst")
    parser.add_argument("--kill-at", type=float, default=0.4, help="share of the bound")
    parser.add_argument("--decisions", type=int, default=10_000)
    parser.add_argument("--teams", type=int, default=20)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--latency-rate", type=float, default=20.0, help="/decisions per second")
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--smoke", action="store_true", help="a tiny run, to prove it works")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--resume", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--folder", help=argparse.SUPPRESS)
    parser.add_argument("--child-database", help=argparse.SUPPRESS)
    parser.add_argument("--slack", help=argparse.SUPPRESS)
    parser.add_argument("--proposal", type=int, help=argparse.SUPPRESS)
    options = parser.parse_args(argv)
    if options.smoke:
        options.runs, options.asked, options.rate, options.decisions = 1, 40, 200.0, 300
        options.teams, options.workers, options.threads = 3, 1, 4
        options.seconds, options.warmup, options.latency_rate = 1.0, 0.3, 10.0
    if not options.child:
        protocol.check_rounds(options.runs, smoke=options.smoke)
    return options


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark; 0 when every target of correctness held (nothing twice, none
    missing, every request answered), else 1."""
    options = parse_args(argv)
    if options.child:
        return child(options)
    harness.stop_children_on_sigterm()
    watch = protocol.LoadWatch()
    problems: list[str] = []
    lines: list[str] = []
    database_url = None
    if options.part in ("both", "fanout"):
        timed, killed = [], []
        for number in range(1, options.runs + 1):
            watch.read(f"before fan-out run {number}")
            timed.append(
                fanout_run(options, kill=False) | {"rate": options.rate, "burst": options.burst}
            )
            killed.append(fanout_run(options, kill=True))
            print(
                f"  fan-out run {number}: {_brief(timed[-1])}; killed: {_brief(killed[-1])}",
                flush=True,
            )
        database_url = timed[0]["database_url"]
        fanout = describe_fanout(timed, killed)
        lines += ["Fan-out", *fanout]
        problems += [
            f"run {i}: {r['twice']} twice, {r['missing']} missing"
            for i, r in enumerate(timed + killed, 1)
            if r["twice"] or r["missing"]
        ]
    if options.part in ("both", "search"):
        found = latency_rounds(options, watch)
        database_url = found["database_url"]
        lines += ["", "/decisions", *describe_latency(options, found)]
        problems += check_shown(found, options.decisions)
        problems += [
            f"/decisions: {r['failed']} requests not answered 200"
            for r in found["rounds"]
            if r["failed"]
        ]
    watch.read("at the end")
    lines += [
        "",
        *(f"- {line}" for line in harness.machine_lines(options.database_url or database_url)),
        f"- {watch.summary()}",
    ]
    print("\n".join(lines), flush=True)
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


def _brief(figures: dict[str, Any]) -> str:
    return (
        f"wall {figures.get('wall', 0):.2f} s (bound {figures['bound']:.2f} s), "
        f"cpu {figures.get('cpu', 0):.2f} s, DMs {figures['dms']}, twice {figures['twice']}, "
        f"missing {figures['missing']}, left by the kill {figures['killed_after']}"
    )


if __name__ == "__main__":
    sys.exit(main())
