"""`retrobot forget --member U… [--yes]`: erase one person who has left (bot/data/member_forget.py).

It needs app.yaml (a person still listed there is refused) and ``DATABASE_URL``. It shows what it
will do, then asks at the terminal; without a terminal, ``--yes`` is the confirmation.
`retrobot export --member U…` (bot/cli/data.py) is its companion: a person's copy of their data.
"""

from __future__ import annotations

import argparse
import getpass
import socket
import sys
from collections.abc import Callable
from typing import Any


def register(commands: argparse._SubParsersAction, *, load: Callable[..., Any]) -> None:  # type: ignore[type-arg]
    """Add the `forget` command; ``load`` reads the settings and app.yaml."""
    forget = commands.add_parser(
        "forget",
        help="erase one person who has left app.yaml: their words deleted, "
        "their identity removed from the team's records, past figures unchanged",
    )
    forget.add_argument("--member", required=True, help="the person's Slack member id (U…)")
    forget.add_argument(
        "--yes", action="store_true", help="do not ask for confirmation (needed without a terminal)"
    )
    forget.set_defaults(run=lambda args: run_forget(args, load))


def run_forget(args: argparse.Namespace, load: Callable[..., Any]) -> int:
    """Check, show the plan, confirm, forget, and say what was done."""
    from bot.cli.data import database_session
    from bot.core.errors import RetrobotError
    from bot.data.member import check_member_id
    from bot.data.member_forget import forget_member, preview_forget, refuse_if_listed
    from bot.services import utcnow
    from prompts import Renderer

    user_id = check_member_id(args.member)
    _, config = load(args)
    renderer = Renderer()
    with database_session() as session:
        refuse_if_listed(session, config=config, user_id=user_id)
        plan = preview_forget(session, user_id=user_id, now=utcnow())
        print("\n".join(plan.lines(renderer)))
        if not args.yes:
            if not sys.stdin.isatty():
                raise RetrobotError(
                    "nothing was changed: there is no terminal to confirm at, so run "
                    "retrobot forget again with --yes to confirm."
                )
            answer = input(renderer.plain("member.confirm", user_id=user_id) + " ")
            if answer.strip().lower() not in ("yes", "y"):
                print(renderer.plain("member.not_confirmed"))
                return 1
        report = forget_member(
            session,
            config=config,
            user_id=user_id,
            run_by=_who_runs_it(),
            now=utcnow(),
            renderer=renderer,
        )
    tables = len(report.plan.counts())
    print(
        renderer.plain(
            "member.forgotten",
            user_id=user_id,
            rows=report.plan.rows,
            tables=tables,
            hash=report.member_hash,
        )
    )
    return 0


def _who_runs_it() -> str:
    """``user@host`` of the person at the terminal, as the record of the erasure keeps it."""
    try:
        user = getpass.getuser()
    except (KeyError, OSError):
        user = "unknown"
    return f"{user}@{socket.gethostname()}"
