"""`retrobot export`, `retrobot import` and `retrobot status`: a team's data and deliveries (and
with `export --member`, one person's; bot/cli/member.py has `retrobot forget`).

They need only ``DATABASE_URL`` (not app.yaml, not Slack): export and status read the database,
import writes to it. Each migrates the database to the newest schema first, so an export from an
older retrobot loads into a new, empty PostgreSQL. Problems are one line, never a traceback.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from sqlmodel import Session


def register(commands: argparse._SubParsersAction) -> None:  # type: ignore[type-arg]
    """Add the `export`, `import` and `status` commands (`export --member` included)."""
    export = commands.add_parser(
        "export", help="write all of one team's data, or all that is held about a person, to a file"
    )
    whose = export.add_mutually_exclusive_group(required=True)
    whose.add_argument("--team", help="the team's id (as in app.yaml)")
    whose.add_argument(
        "--member", help="a person's Slack member id (U…): everything held about them, every team"
    )
    export.add_argument(
        "--format",
        choices=("json", "csv"),
        default="json",
        help="json: one document; csv: a zip of one CSV file per table (default: json)",
    )
    export.add_argument(
        "--out",
        help="file to write, or - for standard output "
        "(default: retrobot-TEAM-YYYYMMDD.json or .zip here; retrobot-member-U…-YYYYMMDD.… "
        "for --member)",
    )
    export.set_defaults(run=run_export)

    restore = commands.add_parser(
        "import", help="load an export into DATABASE_URL (restore, or move to PostgreSQL)"
    )
    restore.add_argument("file", type=Path, help="a .json or .zip file written by retrobot export")
    restore.set_defaults(run=run_import)

    status = commands.add_parser(
        "status", help="the last check-in round's and weekly deliveries' report per team"
    )
    status.add_argument("--team", help="only this team (its id in app.yaml)")
    status.set_defaults(run=run_status)


@contextmanager
def database_session() -> Iterator[Session]:
    """A session on DATABASE_URL, migrated; a database problem becomes one plain line."""
    from sqlalchemy.exc import SQLAlchemyError

    from bot.core.errors import RetrobotError
    from bot.core.settings import load_settings
    from storage import db

    url = load_settings().database_url
    storage_logger = logging.getLogger("storage.db")
    level = storage_logger.level
    if not logging.getLogger().isEnabledFor(logging.DEBUG):
        # "Migrating ..." on every command is not news to the person at the terminal.
        storage_logger.setLevel(logging.WARNING)
    engine = None
    try:
        engine = db.make_engine(url)
        db.migrate(engine)
        with db.session_factory(engine)() as session:
            yield session
    except SQLAlchemyError as error:
        reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
        raise RetrobotError(f"cannot use the database {db.redact_url(url)}: {reason}") from None
    finally:
        storage_logger.setLevel(level)
        if engine is not None:
            engine.dispose()


def run_export(args: argparse.Namespace) -> int:
    """`retrobot export --team ID [--format json|csv] [--out PATH]` (or ``--member U…``)."""
    from bot.data.export import default_export_name, export_team, export_team_to_file
    from bot.services import utcnow

    if args.member is not None:
        return run_member_export(args)
    now = utcnow()
    with database_session() as session:
        if args.out == "-":
            report = export_team(
                session,
                team_id=args.team,
                export_format=args.format,
                out=sys.stdout.buffer,
                now=now,
            )
            sys.stdout.buffer.flush()
            where, tell = "standard output", sys.stderr
        else:
            path = Path(args.out or default_export_name(args.team, args.format, now))
            report = export_team_to_file(
                session, team_id=args.team, export_format=args.format, path=path, now=now
            )
            where, tell = str(path), sys.stdout
    tables = sum(1 for count in report.rows.values() if count)
    print(
        f"Exported team {report.team_id}: {report.total} rows from {tables} tables "
        f"({args.format}) to {where}.",
        file=tell,
    )
    return 0


def run_member_export(args: argparse.Namespace) -> int:
    """`retrobot export --member U… [--format json|csv] [--out PATH]`: a subject access request."""
    from bot.data.member import check_member_id
    from bot.data.member_export import (
        default_member_export_name,
        export_member,
        export_member_to_file,
    )
    from bot.services import utcnow
    from prompts import Renderer

    user_id = check_member_id(args.member)
    now, renderer = utcnow(), Renderer()
    with database_session() as session:
        if args.out == "-":
            report = export_member(
                session,
                user_id=user_id,
                export_format=args.format,
                out=sys.stdout.buffer,
                now=now,
                renderer=renderer,
            )
            sys.stdout.buffer.flush()
            where, tell = "standard output", sys.stderr
        else:
            path = Path(args.out or default_member_export_name(user_id, args.format, now))
            report = export_member_to_file(
                session,
                user_id=user_id,
                export_format=args.format,
                path=path,
                now=now,
                renderer=renderer,
            )
            where, tell = str(path), sys.stdout
    parts = sum(1 for count in report.rows.values() if count)
    said = renderer.plain(
        "member.exported",
        user_id=user_id,
        rows=report.total,
        parts=parts,
        fmt=args.format,
        where=where,
    )
    print(said, file=tell)
    return 0


def run_import(args: argparse.Namespace) -> int:
    """`retrobot import FILE`."""
    from bot.data.importer import import_export

    with database_session() as session:
        report = import_export(session, path=args.file)
    added, updated = sum(report.added.values()), sum(report.updated.values())
    unchanged = sum(report.unchanged.values())
    print(
        f"Imported team {report.team_id} from {args.file}: {added} rows added, "
        f"{updated} updated, {unchanged} already there."
    )
    return 0


def run_status(args: argparse.Namespace) -> int:
    """`retrobot status [--team ID]`."""
    from bot.data.status import delivery_report, format_report
    from bot.services import utcnow

    with database_session() as session:
        report = delivery_report(session, now=utcnow(), team_id=args.team)
    sys.stdout.write(format_report(report))
    return 0
