"""Fixtures of the listeners' tests: the app's clock, moved by a test."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.services import Services
from tests.handlers.decision_steps import NOW, Clock


@pytest.fixture
def clock(services: Services) -> Iterator[Clock]:
    """The app's clock, from Monday 1 June 2026 at 10:00 in London."""
    clock = Clock(NOW)
    before = services.clock
    services.clock = clock
    yield clock
    services.clock = before
