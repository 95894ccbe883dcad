"""app.yaml: its models (``models``) and the reader that locates every problem (``loader``)."""

from bot.core.config.loader import load_config, parse_config
from bot.core.config.models import (
    WEEKDAYS,
    AppConfig,
    CircleConfig,
    DigestSchedule,
    MemberConfig,
    MetricConfig,
    OrganisationConfig,
    RetroSchedule,
    RoleConfig,
    TacticalSchedule,
    TeamConfig,
    format_duration,
    format_rotation,
    parse_duration,
    parse_rotation,
)

__all__ = [
    "WEEKDAYS",
    "AppConfig",
    "CircleConfig",
    "DigestSchedule",
    "MemberConfig",
    "MetricConfig",
    "OrganisationConfig",
    "RetroSchedule",
    "RoleConfig",
    "TacticalSchedule",
    "TeamConfig",
    "format_duration",
    "format_rotation",
    "load_config",
    "parse_config",
    "parse_duration",
    "parse_rotation",
]
