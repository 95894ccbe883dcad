"""The organisation with a training circle, as tests.bot.circles has it."""

from __future__ import annotations

from tests.bot.circles.conftest import config, fake_slack

__all__ = ["config", "fake_slack"]
