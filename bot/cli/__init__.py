"""The `retrobot` command line (DESIGN.md, The interface).

A command imports what it uses when it runs: `retrobot --help`, `check --config-only` and
`manifest` never load SQLAlchemy, Alembic or the tables, and `check` loads no tables (each
import below points down the layers, so none makes a cycle).
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from bot.core import heap
from bot.core.errors import ConfigError, RetrobotError
from bot.core.logs import keep_typed_text_out_of_logs

if TYPE_CHECKING:
    from bot.core.config import AppConfig
    from bot.core.settings import Settings

logger = logging.getLogger("retrobot")

# The modules of bot/cli/ whose `register` adds a capability's commands, in --help order
# (`member`: `retrobot forget`, which reads app.yaml; `export --member` is bot/cli/data.py's).
CAPABILITY_COMMANDS = (
    "digests",
    "agenda",
    "checkins",
    "retros",
    "roles",
    "decisions",
    "reports",
    "member",
)


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="retrobot",
        description="The weekly tactical rhythm of a self-organising team, in Slack.",
    )
    parser.add_argument(
        "--config", type=Path, help="path of app.yaml (default: $RETROBOT_CONFIG or ./app.yaml)"
    )
    parser.add_argument("-v", "--verbose", action="store_true", help="log more detail")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _register_own_commands(commands)
    for name in CAPABILITY_COMMANDS:
        importlib.import_module(f"bot.cli.{name}").register(commands, load=_load)
    importlib.import_module("bot.cli.data").register(commands)  # needs no app.yaml
    return parser


def _register_own_commands(commands: argparse._SubParsersAction) -> None:
    """serve, check, manifest and demo: the commands of the app itself."""
    serve = commands.add_parser("serve", help="run the app (Socket Mode if SLACK_APP_TOKEN is set)")
    serve.add_argument(
        "--http", action="store_true", help="serve HTTP even if SLACK_APP_TOKEN is set"
    )
    serve.add_argument(
        "--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)"
    )
    serve.add_argument("--port", type=int, default=3000, help="HTTP port (default 3000)")
    serve.add_argument("--workers", type=int, default=1, help="HTTP worker processes (default 1)")
    serve.add_argument(
        "--threads",
        type=int,
        default=2,
        help="threads per worker (default 2: more workers serve more than more threads)",
    )
    serve.add_argument(
        "--request-timeout",
        type=_seconds,
        default=10.0,
        metavar="SECONDS",
        help="a request must arrive whole within this, or it is answered 408 (default 10)",
    )
    serve.set_defaults(run=_serve)

    check = commands.add_parser("check", help="validate app.yaml and the environment")
    check.add_argument(
        "--config-only", action="store_true", help="check app.yaml only, not the environment"
    )
    check.set_defaults(run=_check)

    manifest = commands.add_parser("manifest", help="print the Slack app manifest (YAML)")
    manifest.add_argument(
        "--url", help="public https base URL for HTTP mode (default: a Socket Mode manifest)"
    )
    manifest.set_defaults(run=_manifest)

    demo = commands.add_parser("demo", help="play retrobot locally, with no Slack account")
    demo.add_argument("--db", type=Path, help="SQLite file to use (default: a temporary one)")
    demo.add_argument("--keep", action="store_true", help="keep the demo database and files")
    demo.add_argument("--out", type=Path, help="folder for the transcript (default: temporary)")
    demo.add_argument("--seed", type=int, default=7, help="seed for a repeatable demo")
    demo.add_argument(
        "--weeks", type=int, default=3, help="weeks to play, the last one in full (default 3)"
    )
    demo.set_defaults(run=_demo)


def _seconds(text: str) -> float:
    """A positive number of seconds, for argparse (which says kindly what is wrong)."""
    try:
        seconds = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not 0 < seconds < 3600:
        raise argparse.ArgumentTypeError("give a number of seconds above 0 and under 3600")
    return seconds


def _config_path(args: argparse.Namespace, settings: Settings) -> Path:
    return args.config or settings.config_path


def _load(args: argparse.Namespace) -> tuple[Settings, AppConfig]:
    from bot.core.config import load_config
    from bot.core.settings import load_settings

    settings = load_settings()
    return settings, load_config(_config_path(args, settings))


def _serve(args: argparse.Namespace) -> int:
    with heap.importing():
        from bot import server

    settings, config = _load(args)
    http = args.http or not settings.socket_mode
    settings.require(http=http)
    if http:
        server.serve_http(
            settings,
            config,
            host=args.host,
            port=args.port,
            workers=args.workers,
            threads=args.threads,
            request_timeout=args.request_timeout,
        )
    else:
        server.serve_socket_mode(settings, config)
    return 0


def _check(args: argparse.Namespace) -> int:
    from bot.core.config import load_config
    from bot.core.settings import load_settings

    settings = load_settings()
    path = _config_path(args, settings)
    problems: list[str] = []
    try:
        config = load_config(path)
    except ConfigError as error:
        problems += error.problems
        config = None
    if not args.config_only:
        problems += settings.problems(http=not settings.socket_mode)
        problems += _database_problems(settings)
    for problem in problems:
        print(problem, file=sys.stderr)
    if problems:
        print(f"retrobot check: {len(problems)} problem(s) found.", file=sys.stderr)
        return 1
    assert config is not None
    members = sum(len(team.members) for team in config.teams)
    circles = f", {len(config.circles)} circle(s)" if config.circles else ""  # bot/circles
    print(
        f"{path}: OK — {config.organisation.name}, "
        f"{len(config.teams) - len(config.circles)} team(s){circles}, "
        f"{members} member(s) listed."
    )
    if not args.config_only:
        print("Environment: OK.")
    return 0


def _database_problems(settings: Settings) -> list[str]:
    """What stops retrobot from using DATABASE_URL: a URL it cannot use, a database not there."""
    from storage import db

    try:
        engine = db.make_engine(settings.database_url)
    except Exception as error:  # a malformed URL names itself
        return [f"DATABASE_URL cannot be used: {error}"]
    try:
        if not db.ping(engine):
            return [f"DATABASE_URL: cannot reach {db.redact_url(settings.database_url)}."]
        return []
    finally:
        engine.dispose()


def _manifest(args: argparse.Namespace) -> int:
    import yaml

    from bot.manifest import build_manifest

    if args.url and not args.url.startswith("https://"):
        raise RetrobotError("--url must be the https:// address Slack can reach you at.")
    _, config = _load(args)
    manifest = build_manifest(config, url=args.url)
    sys.stdout.write(yaml.safe_dump(manifest, sort_keys=False, allow_unicode=True))
    return 0


def _demo(args: argparse.Namespace) -> int:
    with heap.importing():
        from bot.demo import run_demo

    return run_demo(
        db_path=args.db, keep=args.keep, out_dir=args.out, seed=args.seed, weeks=args.weeks
    )


def run() -> None:
    """The `retrobot` command and `python -m bot.cli`: :func:`main`, then exit with its code,
    leaving out the collector's walks of everything the process held (bot.core.heap.leave)."""
    code = main()
    heap.leave()
    sys.exit(code)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one `retrobot` command; problems are told plainly, never as a traceback."""
    args = _parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # Even with -v, no line holds what people typed: Slack's payloads are cut from its lines.
    keep_typed_text_out_of_logs()
    if not args.verbose:
        # Migrations and the demo's own plumbing are not news to the person at the terminal.
        logging.getLogger("alembic").setLevel(logging.WARNING)
        if args.command == "demo":
            logging.getLogger().setLevel(logging.WARNING)
    try:
        return args.run(args)
    except ConfigError as error:
        for problem in error.problems:
            print(problem, file=sys.stderr)
        return 1
    except RetrobotError as error:
        print(f"retrobot: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # Output piped into `head` or a pager that quit: stop quietly, as other tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 141
