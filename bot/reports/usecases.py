"""`retrobot report`: build the organisation report for a team or all teams over a period.

One read-only transaction: the aggregate queries, the figures, then the document (HTML with its
charts, or JSON). The caller writes it where it was asked to; a progress bar, when given, hears
of each step.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from typing import Protocol

from bot.core.errors import InvalidInputError, NotFoundError
from bot.reports import views
from bot.reports.model import MAX_WEEKS, Period
from bot.reports.service import build_report
from bot.services import Services

_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class Progress(Protocol):
    """What the report tells a progress bar: how many steps in all, and each step as it ends."""

    def plan(self, steps: int) -> None:
        """There are ``steps`` steps in all (called again when the count is known better)."""

    def advance(self, what: str) -> None:
        """One step has ended."""


@dataclass(frozen=True)
class Scope:
    """Which teams the report is about: one team, or the whole organisation."""

    team_id: str | None = None  # None: every team

    @property
    def name(self) -> str:
        """The word a file name uses for the scope."""
        return self.team_id or "organisation"


def parse_day(text: str, what: str) -> date:
    """A date written ``YYYY-MM-DD``; InvalidInputError saying what is wrong otherwise."""
    cleaned = (text or "").strip()
    try:
        if not _DATE.match(cleaned):
            raise ValueError
        return date.fromisoformat(cleaned)
    except ValueError:
        raise InvalidInputError(
            {what: f"{what} {text!r} is not a date: write it as YYYY-MM-DD, for example 2026-01-31"}
        ) from None


def parse_period(start: str, end: str) -> Period:
    """The report's period from two typed dates, both included."""
    period = Period(parse_day(start, "--from"), parse_day(end, "--to"))
    if period.end < period.start:
        raise InvalidInputError({"--to": "--to comes before --from: give the earlier date first"})
    if len(period.weeks) > MAX_WEEKS:
        raise InvalidInputError(
            {"--to": f"the period spans {len(period.weeks)} weeks; one report covers at most "
             f"{MAX_WEEKS} (about three years)"}
        )  # fmt: skip
    return period


def default_file_name(scope: Scope, period: Period, fmt: str) -> str:
    """``report-north-2026-01-01-to-2026-03-31.html``: the scope and the period."""
    return f"report-{scope.name}-{period.start}-to-{period.end}.{fmt}"


def make_report(
    services: Services,
    *,
    scope: Scope,
    period: Period,
    fmt: str = "html",
    progress: Progress | None = None,
) -> str:
    """The report's document, as text: HTML or JSON."""
    config = services.config
    if scope.team_id is not None:
        team = config.find_team(scope.team_id)
        if team is None:
            known = ", ".join(t.id for t in config.teams)
            raise NotFoundError(f"No team {scope.team_id!r} in app.yaml; teams are: {known}")
        teams = [team]
    else:
        teams = list(config.teams)
    zones = len({team.timezone for team in teams})
    if progress:
        progress.plan(zones + 2)
    step = progress.advance if progress else None
    with services.session() as session:
        report = build_report(
            session,
            config=config,
            teams=teams,
            scope="team" if scope.team_id else "organisation",
            period=period,
            now=services.now(),
            progress=step,
        )
        session.rollback()  # read only: nothing to keep
    if fmt == "json":
        document = views.json_document(report)
    else:
        if progress:
            progress.plan(zones + 2 + views.chart_count(services.renderer, report))
        document = views.html_document(services.renderer, report, progress=step)
    if progress:
        progress.advance("written")
    return document
