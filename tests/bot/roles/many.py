"""An organisation of many teams, each with a rotating facilitator, for rotation's cost tests
and bench/roles_bench.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bot.core.config import AppConfig, TeamConfig, parse_config
from bot.roles import usecases
from bot.services import Services, sync_teams


def many_teams_yaml(count: int, members: int = 8, prefix: str = "t") -> str:
    """app.yaml for ``count`` teams of ``members`` people, each with a rotating facilitator."""
    lines = [
        "organisation: {name: Big Care}",
        "defaults:",
        "  timezone: Europe/London",
        '  tactical: {day: tuesday, time: "10:00"}',
        "  roles:",
        "    - {id: facilitator, name: Facilitator, rotates: every meeting}",
        "    - {id: rota, name: Rota organiser, rotates: every 4 weeks}",
        "teams:",
    ]
    for number in range(count):
        tag = f"{prefix.upper()}{number:04d}"
        people = ", ".join(f"U{tag}M{m}" for m in range(members))
        lines += [
            f"  - id: {prefix}{number:04d}",
            f"    name: Team {number}",
            f"    channel: C{tag}X",
            f"    members: [{people}]",
        ]
    return "\n".join(lines) + "\n"


def many_teams_config(count: int, prefix: str = "t") -> AppConfig:
    """The configuration of :func:`many_teams_yaml`."""
    return parse_config(many_teams_yaml(count, prefix=prefix), source="many.yaml")


@contextmanager
def many_teams_services(
    services: Services, count: int, prefix: str = "t"
) -> Iterator[tuple[Services, list[TeamConfig]]]:
    """``services`` on the same database with ``count`` more teams (ids t0000...), seeded."""
    config = many_teams_config(count, prefix)
    big = Services(config=config, settings=services.settings, engine=services.engine)
    with big.session() as session:
        sync_teams(session, config)
    usecases.ensure_seeded(big)
    yield big, list(config.teams)
