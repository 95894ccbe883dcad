"""What the benchmarks share: the machine, a generated organisation, the processes they start.

The processes are retrobot itself (``python -m bot.cli serve --http``), the bare Bolt app
(``bench/bare_app.py``) and the Slack stand-in (``bench/standin.py``), each in its own process
so that none of them competes for the load generator's GIL. Each is stopped by its own pid.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import os
import platform
import secrets
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml

REPO = Path(__file__).resolve().parents[1]
SIGNING_SECRET = "bench-signing-secret"
BOT_TOKEN = "xoxb-bench-token"
MEMBERS_PER_TEAM = 12
STARTUP_TIMEOUT = 300.0  # mirroring 1,000 teams into a fresh database takes a while


# -- the machine --------------------------------------------------------------------------------


def cpu_model() -> str:
    """The processor's model name, as /proc/cpuinfo (or the platform) gives it."""
    with contextlib.suppress(OSError):
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def database_label(url: str) -> str:
    """The database a URL names, with its server's version: "SQLite 3.45.1" or "PostgreSQL 16.4"."""
    if url.startswith("sqlite"):
        return f"SQLite {sqlite3.sqlite_version} (file, WAL)"
    from sqlalchemy import text

    from storage import db

    engine = db.make_engine(url)
    try:
        with engine.connect() as connection:
            version = connection.execute(text("SHOW server_version")).scalar_one()
    finally:
        engine.dispose()
    return f"PostgreSQL {str(version).split()[0]}"


def machine_lines(database_url: str | None = None) -> list[str]:
    """Where a benchmark ran: CPU, cores, Python, operating system and database."""
    lines = [
        f"CPU: {cpu_model()}, {os.cpu_count()} cores",
        f"Python: {platform.python_implementation()} {platform.python_version()}",
        f"OS: {platform.system()} {platform.release()}",
    ]
    if database_url:
        lines.append(f"Database: {database_label(database_url)}")
    return lines


# -- a generated organisation -------------------------------------------------------------------


@dataclass(frozen=True)
class GeneratedTeam:
    """One team of the generated app.yaml."""

    id: str
    name: str
    channel: str
    members: tuple[str, ...]
    coach: str


def generated_teams(count: int, members_per_team: int = MEMBERS_PER_TEAM) -> list[GeneratedTeam]:
    """``count`` teams of ``members_per_team`` people each, one coach per ten teams."""
    teams = []
    for number in range(1, count + 1):
        teams.append(
            GeneratedTeam(
                id=f"team-{number:04d}",
                name=f"Neighbourhood Team {number}",
                channel=f"C{number:07d}T",
                members=tuple(f"U{number:06d}M{m:02d}" for m in range(1, members_per_team + 1)),
                coach=f"U{(number - 1) // 10 + 1:06d}COACH",
            )
        )
    return teams


def quiet_weekday(today: dt.date | None = None) -> str:
    """A weekday three days off: meetings (check-in 24 h before) and digests on it leave the
    scheduler nothing to send while a benchmark runs."""
    day = (today or dt.date.today()) + dt.timedelta(days=3)
    return day.strftime("%A").lower()


def write_app_yaml(path: Path, teams: Sequence[GeneratedTeam]) -> Path:
    """Write an app.yaml for these teams: meetings at hours spread over a quiet weekday (see
    :func:`quiet_weekday`), two metrics and a checklist each."""
    day = quiet_weekday()
    document: dict[str, Any] = {
        "organisation": {
            "name": "Benchmark Community Care",
            "values": ["Compassion", "Trust", "Accountability", "Courage"],
        },
        "defaults": {
            "timezone": "Europe/London",
            "tactical": {"day": day, "time": "10:00", "checkin_lead": "24h"},
            "digest": {"day": day, "time": "08:30"},
        },
        "teams": [
            {
                "id": team.id,
                "name": team.name,
                "channel": team.channel,
                "members": list(team.members),
                "coaches": [team.coach],
                "tactical": {"day": day, "time": f"{9 + index % 8:02d}:00"},
                "metrics": [
                    {"id": "visits", "label": "Client visits", "unit": "visits"},
                    {"id": "travel", "label": "Hours travelling", "unit": "hours", "max": 80},
                ],
                "checklist": ["Medication audits up to date", "Rota for next week published"],
            }
            for index, team in enumerate(teams)
        ],
    }
    path.write_text(yaml.safe_dump(document, sort_keys=False), encoding="utf-8")
    return path


# -- processes ----------------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def child_env(**extra: str) -> dict[str, str]:
    """This environment without Slack's variables, with the repository importable."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLACK_", "RETROBOT_"))}
    env["PYTHONPATH"] = os.pathsep.join(p for p in (str(REPO), env.get("PYTHONPATH")) if p)
    env.update(extra)
    return env


class Child:
    """A process a benchmark started, with its output in a log file; stopped by its own pid."""

    def __init__(
        self, name: str, args: list[str], env: dict[str, str], log: Path, *, cwd: Path = REPO
    ) -> None:
        self.name = name
        self.log_path = log
        self._log: IO[str] = log.open("w")
        self.process = subprocess.Popen(
            args,
            cwd=cwd,
            env=env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its workers share its process group, and only they do
        )

    @property
    def pid(self) -> int:
        """The process id."""
        return self.process.pid

    def log_tail(self, lines: int = 30) -> str:
        """The last lines of the process's output."""
        self._log.flush()
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def check_running(self) -> None:
        """Raise, showing its log, if the process has exited."""
        if self.process.poll() is not None:
            raise RuntimeError(
                f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}"
            )

    def wait_http(self, url: str, timeout: float = STARTUP_TIMEOUT) -> None:
        """Wait until ``url`` answers 200."""
        deadline = time.monotonic() + timeout
        while True:
            self.check_running()
            try:
                with urllib.request.urlopen(url, timeout=2) as answer:
                    if answer.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not answer {url} in {timeout:.0f} s")
            time.sleep(0.2)

    def wait_line(self, prefix: str, timeout: float = 30.0) -> str:
        """Wait for a line of output starting with ``prefix``; return the rest of it."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            self.check_running()
            for line in self.log_path.read_text(errors="replace").splitlines():
                if line.startswith(prefix):
                    return line[len(prefix) :].strip()
            time.sleep(0.05)
        raise RuntimeError(f"{self.name} never said {prefix!r}:\n{self.log_tail()}")

    def stop(self, timeout: float = 20.0) -> None:
        """SIGTERM the process (gunicorn then stops its workers); kill its group if it hangs."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self._log.close()


def stop_children_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit, so that a benchmark stopped that way still stops (in its
    ``finally``) the servers it started; Ctrl-C does so already."""

    def exit_now(signum: int, frame: Any) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, exit_now)


def start_standin(workdir: Path, name: str) -> tuple[Child, str, Path]:
    """Start a Slack stand-in process; return it, its SLACK_API_URL and its tally file."""
    stats = workdir / f"{name}-calls.json"
    child = Child(
        name,
        [sys.executable, str(REPO / "bench" / "standin.py"), "--stats", str(stats)],
        child_env(),
        workdir / f"{name}.log",
    )
    url = child.wait_line("SLACK_API_URL=")
    return child, url, stats


def read_tally(stats: Path) -> dict[str, dict[str, int]]:
    """The stand-in's tally so far: method → {"ok": n, error code: n}."""
    try:
        return dict(json.loads(stats.read_text()))
    except (OSError, ValueError):
        return {}


def start_retrobot(
    workdir: Path,
    *,
    app_yaml: Path,
    slack_api_url: str,
    database_url: str,
    workers: int,
    threads: int,
    prefix: Sequence[str] = (),
    tree: Path = REPO,
) -> tuple[Child, str]:
    """Start ``retrobot serve --http`` and wait for /healthz; return it and its base URL.

    ``prefix`` goes before the command (``taskset -c 0,1``: see bench.protocol); ``tree`` is
    the checkout to run (this one, or an earlier one to compare with)."""
    port = free_port()
    env = child_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_api_url,
        DATABASE_URL=database_url,
        RETROBOT_CONFIG=str(app_yaml),
        PYTHONPATH=str(tree),
    )
    args = [*prefix, sys.executable, "-m", "bot.cli", "serve", "--http", "--port", str(port)]
    args += ["--workers", str(workers), "--threads", str(threads)]
    child = Child("retrobot", args, env, workdir / "retrobot.log", cwd=tree)
    base = f"http://127.0.0.1:{port}"
    child.wait_http(f"{base}/healthz")
    return child, base


def start_bare_app(
    workdir: Path,
    *,
    views: Path,
    slack_api_url: str,
    workers: int,
    threads: int,
    prefix: Sequence[str] = (),
) -> tuple[Child, str]:
    """Start the bare Bolt app on gunicorn and wait for it; return it and its base URL."""
    port = free_port()
    env = child_env(
        SLACK_BOT_TOKEN=BOT_TOKEN,
        SLACK_SIGNING_SECRET=SIGNING_SECRET,
        SLACK_API_URL=slack_api_url,
    )
    args = [*prefix, sys.executable, str(REPO / "bench" / "bare_app.py"), "--port", str(port)]
    args += ["--workers", str(workers), "--threads", str(threads), "--views", str(views)]
    child = Child("bare app", args, env, workdir / "bare.log")
    base = f"http://127.0.0.1:{port}"
    child.wait_http(f"{base}/healthz", timeout=60)
    return child, base


def cpu_seconds(pid: int) -> float:
    """User and system CPU time a process has used so far (0 once it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_idle(parent: int, *, quiet: float = 2.0, timeout: float = STARTUP_TIMEOUT) -> float:
    """Wait until a process and its children use under 5% of a core for ``quiet`` seconds
    (retrobot's scheduler catches up on start); return the seconds waited."""
    started = time.monotonic()
    deadline = started + timeout

    def used() -> float:
        return sum(cpu_seconds(pid) for pid in (parent, *worker_pids(parent)))

    while True:
        before = used()
        time.sleep(quiet)
        if used() - before < 0.05 * quiet or time.monotonic() > deadline:
            return time.monotonic() - started


def worker_pids(parent: int) -> list[int]:
    """The pids of ``parent``'s child processes (gunicorn's workers), from /proc."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == parent:
            found.append(int(entry.name))
    return sorted(found)


def command_line(pid: int) -> list[str]:
    """A process's command line ([] once it is gone)."""
    try:
        raw = Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return []
    return [part.decode(errors="replace") for part in raw.split(b"\0") if part]


def gunicorn_workers(master: int) -> list[int]:
    """The master's gunicorn workers: children forked from it, so with its command line (the
    scheduler's process, also a child, has its own)."""
    own = command_line(master)
    return [pid for pid in worker_pids(master) if command_line(pid) == own]


def memory_of(pid: int) -> dict[str, float]:
    """A process's resident size and proportional set size, in MB (from /proc)."""
    sizes: dict[str, float] = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(("VmRSS:", "VmHWM:")):
            sizes[line.split(":")[0]] = int(line.split()[1]) / 1024
    with contextlib.suppress(OSError):
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith(("Pss:", "Private_Clean:", "Private_Dirty:")):
                sizes[line.split(":")[0]] = int(line.split()[1]) / 1024
    return sizes


# -- databases ----------------------------------------------------------------------------------


@contextlib.contextmanager
def scratch_database(server_url: str | None, workdir: Path) -> Iterator[str]:
    """A fresh database for one benchmark: a SQLite file, or a new database on that PostgreSQL
    server (named retrobot_bench_<random>, dropped afterwards)."""
    if not server_url:
        yield f"sqlite:///{workdir / 'retrobot.db'}"
        return
    from sqlalchemy import create_engine, text

    from storage import db

    server = db.normalise_url(server_url)
    name = f"retrobot_bench_{secrets.token_hex(4)}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{name}"'))
        try:
            yield server.set(database=name).render_as_string(hide_password=False)
        finally:
            with admin.connect() as connection:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    finally:
        admin.dispose()


def count_tensions(database_url: str) -> int:
    """How many tensions the database holds."""
    from sqlalchemy import func
    from sqlmodel import Session, select

    from storage import db
    from storage.models import Tension

    engine = db.make_engine(database_url)
    try:
        with Session(engine) as session:
            return int(session.exec(select(func.count()).select_from(Tension)).one())
    finally:
        engine.dispose()


# -- figures ------------------------------------------------------------------------------------


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0-100) by linear interpolation between closest ranks."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    position = (len(ordered) - 1) * q / 100
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def median(values: Sequence[float]) -> float:
    """The median, or NaN for no values."""
    return statistics.median(values) if values else float("nan")
