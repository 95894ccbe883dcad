"""The report's parts that other capabilities record: decisions, the health check, roles.

Their tables come with their capabilities (decisions: ``decision`` and ``advice``;
retrospectives: ``retrospective`` and ``health_answer``; roles: ``role`` and ``role_holder``).
Where this retrobot has them, the report reads them (storage/reports.py) and these functions
make the figures; where it does not, the part is :class:`~bot.reports.model.NotRecorded` —
shown as "not recorded by this retrobot", never as a zero (docs/report.md, Seams).
"""

from __future__ import annotations

from collections import Counter

from bot.core.privacy import HEALTH_SCALE, anonymous_average
from bot.reports.model import (
    Decisions,
    Figure,
    K,
    Mean,
    NotRecorded,
    RolesHeld,
    TeamRef,
    TeamValue,
    WeekDecisions,
    Weekly,
)
from bot.reports.tallies import median_of
from storage.reports import DecisionTally

# Why a part shows no figure: the capability that records its data is not in this retrobot.
NOT_IN_THIS_VERSION = "not_in_this_version"
METHODS = ("advice", "integrated")


def not_recorded(part: str) -> NotRecorded:
    """A part this retrobot keeps no data for."""
    return NotRecorded("not_recorded", part, NOT_IN_THIS_VERSION)


def _decisions(tallies: list[DecisionTally]) -> Decisions:
    methods: Counter[str] = Counter({method: 0 for method in METHODS})
    histogram: Counter[int] = Counter()
    for tally in tallies:
        for (_, method), count in tally.decided.items():
            methods[method] += count
        histogram.update(tally.asked)
    asked = sum(t.asks for t in tallies)
    answered = sum(t.answers for t in tallies)
    return Decisions(
        decided=sum(methods.values()),
        by_method=dict(methods),
        median_asked=median_of(dict(histogram)).days,
        asked=asked,
        answered=answered,
        answered_share=answered / asked if asked >= K else None,
    )


def decisions_figure(
    *,
    labels: list[str],
    refs: dict[str, TeamRef],
    by_team: bool,
    found: dict[str, DecisionTally] | None,
) -> Figure | NotRecorded:
    """Decisions adopted, by method, and how widely advice was sought; not recorded when this
    retrobot has no decision log."""
    if found is None:
        return not_recorded("decisions")
    tallies = {team_id: found.get(team_id, DecisionTally()) for team_id in refs}
    weeks = [
        Weekly(
            label,
            WeekDecisions(
                sum(c for t in tallies.values() for (w, _), c in t.decided.items() if w == i)
            ),
        )
        for i, label in enumerate(labels)
    ]
    teams = [TeamValue(refs[t], _decisions([tally])) for t, tally in tallies.items()]
    value = _decisions(list(tallies.values()))
    return Figure("decisions", "decisions", "", "", value, weeks, teams if by_team else [])


def health_figures(
    *,
    labels: list[str],
    refs: dict[str, TeamRef],
    by_team: bool,
    found: dict[tuple[str, int, str], tuple[int, int]] | None,
) -> list[Figure] | list[NotRecorded]:
    """One figure per health question: its average per retrospective, over at least K answers
    (the retrospective's own rule); not recorded when this retrobot has no retrospectives."""
    if found is None:
        return [not_recorded("health")]
    questions = sorted({question for (_, _, question) in found})
    figures: list[Figure] = []
    for question in questions:
        cells: dict[str, list[Mean]] = {}
        for team_id in refs:
            row = []
            for index in range(len(labels)):
                n, total = found.get((team_id, index, question), (0, 0))
                given = anonymous_average(n, total, HEALTH_SCALE)
                row.append(Mean(n, given.average, given.withheld))
            cells[team_id] = row

        def combine(parts: list[Mean]) -> Mean:
            shown = [p for p in parts if p.mean is not None]
            if not shown:
                return Mean(sum(p.answers for p in parts), None, any(p.withheld for p in parts))
            n = sum(p.answers for p in shown)
            return Mean(n, sum(p.mean * p.answers for p in shown if p.mean is not None) / n)

        weeks = [
            Weekly(label, combine([cells[t][i] for t in cells])) for i, label in enumerate(labels)
        ]
        teams = [TeamValue(refs[t], combine(c)) for t, c in cells.items()]
        value = combine([cell for row in cells.values() for cell in row])
        shown = teams if by_team else []
        figures.append(Figure("health", f"health:{question}", question, "", value, weeks, shown))
    return figures


def _roles_held(histograms: list[dict[int, int]]) -> RolesHeld:
    """People by the number of roles they hold, "3+" together; shown over at least K people."""
    counts = {"0": 0, "1": 0, "2": 0, "3+": 0}
    people = held = 0
    for histogram in histograms:
        for roles, how_many in histogram.items():
            counts["3+" if roles >= 3 else str(roles)] += how_many
            people += how_many
            held += roles * how_many
    return RolesHeld(people, held, counts if people >= K else None)


def roles_figure(
    *, refs: dict[str, TeamRef], by_team: bool, found: dict[str, dict[int, int]] | None
) -> Figure | NotRecorded:
    """How leadership is distributed: roles per person, as a distribution, for the scope and
    by team; not recorded when this retrobot keeps no roles."""
    if found is None:
        return not_recorded("roles")
    per_team = {team_id: found.get(team_id, {}) for team_id in refs}
    teams = [TeamValue(refs[t], _roles_held([h])) for t, h in per_team.items()]
    value = _roles_held(list(per_team.values()))
    return Figure("roles", "roles", "", "", value, [], teams if by_team else [])
