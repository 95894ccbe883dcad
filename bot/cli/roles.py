"""`retrobot roles --team ID [--format text|json]`: the team's roles as they stand — purpose,
accountabilities, holders, expertise, rotation (seeded from app.yaml once, then by decision),
and the adopted decision that last changed each one, if any."""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bot.core.config import AppConfig
    from bot.core.settings import Settings

Loader = Callable[[argparse.Namespace], "tuple[Settings, AppConfig]"]


def register(commands: argparse._SubParsersAction, *, load: Loader) -> None:  # type: ignore[type-arg]
    """Add the `roles` command; ``load`` reads the settings and app.yaml."""
    roles = commands.add_parser("roles", help="a team's roles: purpose, holders, rotation")
    roles.add_argument("--team", required=True, help="the team's id in app.yaml")
    roles.add_argument("--format", choices=("text", "json"), default="text")
    roles.set_defaults(run=lambda args: run_roles(args, load))


def run_roles(args: argparse.Namespace, load: Loader) -> int:
    """Print the team's roles; nothing is sent to Slack."""
    from bot.roles import usecases as roles
    from bot.services import open_services

    settings, config = load(args)
    team = config.team(args.team)
    services = open_services(settings, config)
    try:
        listed = roles.team_roles(services, team_id=team.id)
        decided = roles.role_decisions(services, team_id=team.id)
    finally:
        services.engine.dispose()
    if args.format == "json":
        payload = {
            "team": team.id,
            "name": team.name,
            "roles": [_as_json(role, decided.get(role.key)) for role in listed],
        }
        print(json.dumps(payload, indent=2, ensure_ascii=False))
        return 0
    names = {person.id: person.name for person in team.members if person.name}
    renderer = services.renderer
    print(
        renderer.plain("roles.cli_heading", team_name=team.name, team_id=team.id, count=len(listed))
    )
    for role in listed:
        print(
            renderer.plain("roles.cli_role", role=role, names=names, decided=decided.get(role.key))
        )
    return 0


def _as_json(role: Any, decided: Any) -> dict[str, Any]:
    """A role for JSON; one a decision changed names that decision (id, change, when, words)."""
    shown = role.as_dict()
    if decided is not None:
        shown["decision"] = {
            "id": decided.decision_id,
            "change": decided.kind,
            "at": decided.changed_at.isoformat(),
            "text": decided.text,
        }
    return shown
