"""app.yaml: its models (``models``) and the reader that locates every problem (``loader``)."""

from bot.core.config.loader import load_config, parse_config
from bot.core.config.models import (
    WEEKDAYS,
    AppConfig,
    DigestSchedule,
    MemberConfig,
    MetricConfig,
    OrganisationConfig,
    RetroSchedule,
    TacticalSchedule,
    TeamConfig,
    format_duration,
    parse_duration,
)

__all__ = [
    "WEEKDAYS",
    "AppConfig",
    "DigestSchedule",
    "MemberConfig",
    "MetricConfig",
    "OrganisationConfig",
    "RetroSchedule",
    "TacticalSchedule",
    "TeamConfig",
    "format_duration",
    "load_config",
    "parse_config",
    "parse_duration",
]
