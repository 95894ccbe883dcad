"""Hand-made weekly figures for builder, chart and CLI tests (no database needed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

from bot.core.meetings import shift_week
from bot.digests.model import MetricFigures, SignalKind, SupportSignal, TeamFigures, WeekFigures
from storage.weekly import FeedbackCounts, OwnerSpread, TensionCounts

WEEK = "2026-W48"


def figures(
    team_id: str = "north", name: str = "North Neighbourhood Team", **changes: Any
) -> TeamFigures:
    """North's week 48 unless changed: 4 of 5 answered (mood 3.75), 2 tensions raised."""
    weeks = [WeekFigures(week=shift_week(WEEK, back - 11)) for back in range(12)]
    weeks[-1] = WeekFigures(week=WEEK, rounds=1, asked=5, answered=4, moods=4, mood=3.75)
    base = TeamFigures(
        team_id=team_id,
        team_name=name,
        channel="C0NORTH",
        timezone="Europe/London",
        week=WEEK,
        start=datetime(2026, 11, 23, tzinfo=UTC),
        end=datetime(2026, 11, 30, tzinfo=UTC),
        in_progress=False,
        weeks=weeks,
        participation_average=0.7,
        mood_average=3.9,
        metrics=[
            MetricFigures("visits", "Client visits", "visits", 42.0, 4, 38.5, [None] * 11 + [42.0])
        ],
        tensions=TensionCounts(raised=2, triaged=1, open=3, stale_open=1),
        oldest_open_days=30,
        owners=OwnerSpread(0, 0, 0),
        feedback=FeedbackCounts(appreciations=3, shared_appreciations=2, month_total=5),
        values=[("Trust", 2)],
        first_activity=datetime(2026, 1, 5, tzinfo=UTC),
    )
    return replace(base, **changes)


def signal(team: TeamFigures, kind: SignalKind = SignalKind.OLD_TENSIONS) -> SupportSignal:
    """A signal about the team: one tension older than three weeks."""
    return SupportSignal(
        kind, team.team_id, team.team_name, {"count": 1, "weeks": 3, "oldest_days": 30}
    )
