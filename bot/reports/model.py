"""The organisation report's figures: what each holds, the k threshold, the JSON schema's version.

Every figure is a frozen dataclass whose fields are exactly what ``--format json`` writes
(``dataclasses.asdict``), so the HTML and the JSON can never disagree. A value made of people's
answers is ``None`` when it would rest on fewer than :data:`K` of them: the report then says
"fewer than 3 answers" instead; or when it would give away an answer kept private
(:mod:`bot.core.privacy`): its ``withheld`` is then true and the report says so.
Nothing here holds a person's id or name; the only text a person typed is a story whose
teller consented to it leaving the team (:class:`Story`).

docs/report.md explains each figure; bump :data:`SCHEMA_VERSION` on any change to these fields
that a reader of the JSON would notice (a renamed or removed field; an added one is compatible).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.core.config import KEY_QUESTIONS
from bot.core.privacy import MIN_ANSWERS

SCHEMA = "retrobot.report"
SCHEMA_VERSION = 1
# A mood, number, share or median made of fewer answers than this is not shown: it would be
# (nearly) one person's own answer. The same threshold as the coach digest's.
K = MIN_ANSWERS
OTHER = "other"
SECTIONS = (*KEY_QUESTIONS, OTHER)
# At most this many consented stories per team in one report (the latest); the rest counted.
STORIES_PER_TEAM = 3
# The longest period one report covers: a chart of more weeks stops being readable.
MAX_WEEKS = 160


@dataclass(frozen=True)
class Period:
    """The report's dates, both included, as each team's local calendar reckons them."""

    start: date
    end: date

    @property
    def weeks(self) -> list[str]:
        """The ISO weeks the period touches, in order (``2026-W01``...)."""
        labels: list[str] = []
        day = self.start - timedelta(days=self.start.weekday())
        while day <= self.end:
            year, week, _ = day.isocalendar()
            labels.append(f"{year}-W{week:02d}")
            day += timedelta(days=7)
        return labels


@dataclass(frozen=True)
class TeamRef:
    """A team as the report names it: its app.yaml id and its name (never its channel)."""

    id: str
    name: str


# --- figures -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Participation:
    """Check-ins asked and answered; ``rate`` is None when fewer than K were asked."""

    asked: int = 0
    answered: int = 0
    rate: float | None = None


@dataclass(frozen=True)
class Mean:
    """An average of answers (a mood from 1 to 5); None below K answers."""

    answers: int = 0
    mean: float | None = None
    withheld: bool = False  # not shown: it would give away an answer kept private


@dataclass(frozen=True)
class Total:
    """A metric's total over answers; None below K answers. ``weeks`` counted in it."""

    answers: int = 0
    total: float | None = None
    weeks: int = 0
    withheld: bool = False  # not shown: it would give away an answer kept private


@dataclass(frozen=True)
class Share:
    """How many check-ins ticked a checklist item, of those that answered it; None below K."""

    answers: int = 0
    ticked: int = 0
    share: float | None = None
    withheld: bool = False  # not shown: it would give away an answer kept private


@dataclass(frozen=True)
class Median:
    """The median number of days something took, over ``count`` cases; None below K cases."""

    count: int = 0
    days: float | None = None


@dataclass(frozen=True)
class TensionCounts:
    """Tensions raised, triaged and closed in a period or a week (the team's, not private ones)."""

    raised: int = 0
    triaged: int = 0
    closed: int = 0
    to_triage: Median = field(default_factory=Median)
    to_close: Median = field(default_factory=Median)


@dataclass(frozen=True)
class WeekTensions:
    """Tensions raised, triaged and closed in one week."""

    raised: int = 0
    triaged: int = 0
    closed: int = 0


@dataclass(frozen=True)
class WeekFeedback:
    """Appreciations and suggestions given in one week."""

    appreciations: int = 0
    suggestions: int = 0


@dataclass(frozen=True)
class FeedbackCounts:
    """Peer feedback given in a period or a week, and how often each value was named."""

    appreciations: int = 0
    suggestions: int = 0
    values: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Decisions:
    """Decisions adopted, by method (advice, integrated), and how widely advice was sought:
    the median number of people asked per decision (None below K decisions), the people asked
    in all and how many of them answered (``answered_share`` None below K asked)."""

    decided: int = 0
    by_method: dict[str, int] = field(default_factory=dict)
    median_asked: float | None = None
    asked: int = 0
    answered: int = 0
    answered_share: float | None = None


@dataclass(frozen=True)
class RolesHeld:
    """How leadership is distributed: how many people hold how many roles, as the roles stand
    when the report is made (``by_count``: "0", "1", "2", "3+" -> people). Shown only over at
    least K people (``people`` says how many there are either way)."""

    people: int = 0
    roles_held: int = 0
    by_count: dict[str, int] | None = None


@dataclass(frozen=True)
class WeekDecisions:
    """Decisions adopted in one week."""

    decided: int = 0


@dataclass(frozen=True)
class Weekly:
    """One week's value of a figure: the figure's own value type, or for tensions, feedback and
    decisions :class:`WeekTensions`, :class:`WeekFeedback` and :class:`WeekDecisions`."""

    week: str
    value: Any


@dataclass(frozen=True)
class TeamValue:
    """One team's value of a figure over the period."""

    team: TeamRef
    value: Any


@dataclass(frozen=True)
class Figure:
    """One figure of the report: its period value for the scope, week by week, and by team.

    ``kind`` says which value type it holds: participation (:class:`Participation`), mood and
    health (:class:`Mean`), metric (:class:`Total`), checklist (:class:`Share`), tensions
    (:class:`TensionCounts`), feedback (:class:`FeedbackCounts`), decisions
    (:class:`Decisions`), roles (:class:`RolesHeld`). ``teams`` is empty when the report is
    about one team.
    """

    kind: str
    key: str  # "participation", "mood", "metric:visits", "checklist:<item>", ...
    title: str
    unit: str
    value: Any
    weeks: list[Weekly] = field(default_factory=list)
    teams: list[TeamValue] = field(default_factory=list)


@dataclass(frozen=True)
class Story:
    """A story its teller marked *may be shared beyond the team*: the team and week only."""

    team: TeamRef
    week: str
    text: str


@dataclass(frozen=True)
class Stories:
    """The consented stories of the period (the latest few per team), and how many more."""

    kind: str = "stories"
    key: str = "stories"
    stories: list[Story] = field(default_factory=list)
    not_shown: int = 0


@dataclass(frozen=True)
class NotRecorded:
    """A part of the report whose data this retrobot does not hold: it says so, and shows no
    figure (not a zero). ``key`` is the part: decisions, health, roles."""

    kind: str
    key: str
    reason: str


@dataclass(frozen=True)
class Section:
    """One key question (or "other") and the figures that answer it."""

    id: str
    figures: list[Any] = field(default_factory=list)


@dataclass(frozen=True)
class Report:
    """The whole report: scope, period, threshold, and a section per key question."""

    organisation: str
    scope: str  # "organisation" or "team"
    teams: list[TeamRef]
    period: Period
    weeks: list[str]
    generated_at: datetime
    sections: list[Section]
    k: int = K
    schema: str = SCHEMA
    version: int = SCHEMA_VERSION

    def section(self, section_id: str) -> Section:
        """The section of one key question (or "other")."""
        return next(s for s in self.sections if s.id == section_id)
