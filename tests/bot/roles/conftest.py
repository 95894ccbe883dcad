"""Roles' tests run on the organisation with roles (tests.bot.roles.organisation)."""

from __future__ import annotations

import pytest

from bot.core.config import AppConfig, parse_config
from tests.bot.roles.organisation import ROLES_APP_YAML


@pytest.fixture
def config() -> AppConfig:
    """The test organisation, North with roles."""
    return parse_config(ROLES_APP_YAML, source="roles-app.yaml")
