"""The report's counts of things that happened: tensions (with their medians) and feedback.

These count events, not answers: a tension raised or a piece of feedback given holds nobody's
mood or number, so the counts are shown as they are. A median of days, which is one tension's
own duration when there are one or two, is shown over at least K of them only.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

from bot.reports.model import (
    FeedbackCounts,
    Figure,
    K,
    Median,
    TeamRef,
    TeamValue,
    TensionCounts,
    WeekFeedback,
    Weekly,
    WeekTensions,
)
from storage.reports import FeedbackWeek, TensionTally


def median_of(histogram: dict[int, int]) -> Median:
    """The median of a histogram (value -> how many), or None over fewer than K cases."""
    count = sum(histogram.values())
    if count < K:
        return Median(count)
    ordered = sorted(histogram.items())

    def nth(position: int) -> int:
        seen = 0
        for value, times in ordered:
            seen += times
            if position < seen:
                return value
        return ordered[-1][0]

    middle = (nth((count - 1) // 2) + nth(count // 2)) / 2
    return Median(count, float(middle))


def _merged(histograms: Iterable[dict[int, int]]) -> dict[int, int]:
    total: Counter[int] = Counter()
    for histogram in histograms:
        total.update(histogram)
    return dict(total)


def _tension_counts(tallies: Sequence[TensionTally]) -> TensionCounts:
    return TensionCounts(
        raised=sum(sum(t.raised.values()) for t in tallies),
        triaged=sum(sum(t.triaged.values()) for t in tallies),
        closed=sum(sum(t.closed.values()) for t in tallies),
        to_triage=median_of(_merged(t.to_triage for t in tallies)),
        to_close=median_of(_merged(t.to_close for t in tallies)),
    )


def tension_figure(
    *, labels: list[str], refs: dict[str, TeamRef], by_team: bool, found: dict[str, TensionTally]
) -> Figure:
    """Tensions raised, triaged and closed, and the median days to triage and to close."""
    tallies = {team_id: found.get(team_id, TensionTally()) for team_id in refs}
    weeks = [
        Weekly(
            label,
            WeekTensions(
                raised=sum(t.raised.get(i, 0) for t in tallies.values()),
                triaged=sum(t.triaged.get(i, 0) for t in tallies.values()),
                closed=sum(t.closed.get(i, 0) for t in tallies.values()),
            ),
        )
        for i, label in enumerate(labels)
    ]
    teams = [TeamValue(refs[team_id], _tension_counts([t])) for team_id, t in tallies.items()]
    value = _tension_counts(list(tallies.values()))
    return Figure("tensions", "tensions", "", "", value, weeks, teams if by_team else [])


def feedback_figure(
    *,
    labels: list[str],
    refs: dict[str, TeamRef],
    by_team: bool,
    given: dict[tuple[str, int], FeedbackWeek],
    named: dict[str, dict[str, int]],
    org_values: Sequence[str],
) -> Figure:
    """Appreciations and suggestions given, and how often each of the organisation's values was
    named by an appreciation ("are our values alive?")."""
    team_ids = list(refs)
    week_counts = [
        [given.get((team_id, i), FeedbackWeek()) for team_id in team_ids]
        for i in range(len(labels))
    ]
    weeks = [
        Weekly(
            label,
            WeekFeedback(
                sum(c.appreciations for c in week_counts[i]),
                sum(c.suggestions for c in week_counts[i]),
            ),
        )
        for i, label in enumerate(labels)
    ]

    def team_counts(team_id: str, index: int) -> FeedbackCounts:
        values = named.get(team_id, {})
        weekly = [week_counts[i][index] for i in range(len(labels))]
        return FeedbackCounts(
            appreciations=sum(c.appreciations for c in weekly),
            suggestions=sum(c.suggestions for c in weekly),
            values={value: values.get(value, 0) for value in org_values},
        )

    teams = [
        TeamValue(refs[team_id], team_counts(team_id, index))
        for index, team_id in enumerate(team_ids)
    ]
    value = FeedbackCounts(
        appreciations=sum(t.value.appreciations for t in teams),
        suggestions=sum(t.value.suggestions for t in teams),
        values={v: sum(t.value.values[v] for t in teams) for v in org_values},
    )
    return Figure("feedback", "feedback", "", "", value, weeks, teams if by_team else [])
