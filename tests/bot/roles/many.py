"""An organisation of many teams, each with a rotating facilitator, for rotation's cost tests
and bench/roles_bench.py."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from bench.roles_bench import many_teams_yaml
from bot.core.config import AppConfig, TeamConfig, parse_config
from bot.roles import usecases
from bot.services import Services, sync_teams


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
