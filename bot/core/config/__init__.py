"""app.yaml: its models (``models``), the reader that locates every problem (``loader``), and
the organisation report's key questions (``key_questions``)."""

from bot.core.config.key_questions import KEY_QUESTIONS, checklist_slug, key_question_target
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
    "KEY_QUESTIONS",
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
    "checklist_slug",
    "format_duration",
    "format_rotation",
    "key_question_target",
    "load_config",
    "parse_config",
    "parse_duration",
    "parse_rotation",
]
