"""Where a team may want support: the coach digest's signals, each with its evidence.

Computed from a team's :class:`TeamFigures` (counts and averages only), with what the digest
adds from roles and circles: one person holding most roles, and issues in common. Evidence is
numbers, dates, and role or area names: never a person, never a text anyone typed in full.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.circles.model import CommonIssue
from bot.digests.model import (
    MIN_ANSWERS,
    MONTH_WEEKS,
    MOOD_DROP,
    STALE_TENSION,
    SignalKind,
    SupportSignal,
    TeamFigures,
)


def support_signals(
    figures: TeamFigures,
    *,
    roles_held: tuple[int, int] | None = None,
    common_issues: Sequence[tuple[str, list[CommonIssue]]] = (),
) -> list[SupportSignal]:
    """Where the team may want support this week, each with its evidence; [] when nothing shows.

    ``roles_held`` is (how many roles one person holds, how many the team has) when one holds
    most (bot.roles); ``common_issues`` the issues in common of the team's circles, by circle
    name (bot.circles). Counts and role or area names only: nobody is named.
    """
    found = [
        _participation_falling(figures),
        _mood_down(figures),
        _old_tensions(figures),
        _private_tensions(figures),
        _leadership_concentrated(figures),
        _roles_concentrated(figures, roles_held),
        _proposals_overdue(figures),
        _no_feedback(figures),
        *(_issues_in_common(figures, circle, issues) for circle, issues in common_issues),
    ]
    return [signal for signal in found if signal is not None]


def _signal(figures: TeamFigures, kind: SignalKind, **evidence: Any) -> SupportSignal:
    return SupportSignal(kind, figures.team_id, figures.team_name, evidence)


def _participation_falling(figures: TeamFigures) -> SupportSignal | None:
    """Fewer answered each of the last three weeks with a check-in, this one included."""
    rated = [(w.week, w.participation) for w in figures.weeks if w.participation is not None]
    if len(rated) < 3 or rated[-1][0] != figures.week:
        return None
    (w1, p1), (w2, p2), (w3, p3) = rated[-3:]
    if not p1 > p2 > p3:  # type: ignore[operator]
        return None
    return _signal(
        figures,
        SignalKind.PARTICIPATION_FALLING,
        weeks=[w1, w2, w3],
        rates=[round(p * 100) for p in (p1, p2, p3)],  # type: ignore[operator]
    )


def _mood_down(figures: TeamFigures) -> SupportSignal | None:
    """This week's mood at least :data:`MOOD_DROP` below the last week's that had one."""
    moods = [(w.week, w.mood) for w in figures.weeks if w.mood is not None]
    if len(moods) < 2 or moods[-1][0] != figures.week:
        return None
    (before_week, before), (_, now_mood) = moods[-2], moods[-1]
    # Compared as shown (one decimal), so the evidence never contradicts the claim.
    if round(before, 1) - round(now_mood, 1) < MOOD_DROP:  # type: ignore[arg-type]
        return None
    return _signal(
        figures,
        SignalKind.MOOD_DOWN,
        before=round(before, 1),  # type: ignore[arg-type]
        after=round(now_mood, 1),  # type: ignore[arg-type]
        before_week=before_week,
    )


def _old_tensions(figures: TeamFigures) -> SupportSignal | None:
    """Tensions open for longer than :data:`STALE_TENSION`."""
    tensions = figures.tensions
    if not tensions.stale_open:
        return None
    return _signal(
        figures,
        SignalKind.OLD_TENSIONS,
        count=tensions.stale_open,
        weeks=STALE_TENSION.days // 7,
        oldest_days=figures.oldest_open_days,
    )


def _private_tensions(figures: TeamFigures) -> SupportSignal | None:
    """Tensions raised privately this week (how many, and how many are still open)."""
    tensions = figures.tensions
    if not tensions.private_raised:
        return None
    return _signal(
        figures,
        SignalKind.PRIVATE_TENSIONS,
        count=tensions.private_raised,
        still_open=tensions.private_open,
    )


def _leadership_concentrated(figures: TeamFigures) -> SupportSignal | None:
    """One person owns more than half of the team's open actions (of three or more)."""
    owners = figures.owners
    if owners.actions < MIN_ANSWERS or owners.top_owner_actions * 2 <= owners.actions:
        return None
    return _signal(
        figures,
        SignalKind.LEADERSHIP_CONCENTRATED,
        top=owners.top_owner_actions,
        total=owners.actions,
        owners=owners.owners,
    )


def _roles_concentrated(
    figures: TeamFigures, roles_held: tuple[int, int] | None
) -> SupportSignal | None:
    """One person holds more than half of the team's roles (of three or more; bot.roles)."""
    if roles_held is None:
        return None
    held, total = roles_held
    return _signal(figures, SignalKind.ROLES_CONCENTRATED, held=held, total=total)


def _proposals_overdue(figures: TeamFigures) -> SupportSignal | None:
    """Proposals past their decide-by date with no decision: how many, never their words."""
    if not figures.decisions.overdue:
        return None
    return _signal(figures, SignalKind.PROPOSALS_OVERDUE, count=figures.decisions.overdue)


def _issues_in_common(
    figures: TeamFigures, circle: str, issues: Sequence[CommonIssue]
) -> SupportSignal | None:
    """Three or more of the circle's teams have open tensions on the same role or area."""
    if not issues:
        return None
    return _signal(figures, SignalKind.ISSUES_IN_COMMON, circle=circle, issues=list(issues))


def _no_feedback(figures: TeamFigures) -> SupportSignal | None:
    """No feedback in :data:`MONTH_WEEKS` weeks, in a team known for longer than that."""
    month_start = figures.end - timedelta(weeks=MONTH_WEEKS)
    known_a_month = figures.first_activity is not None and figures.first_activity < month_start
    if not known_a_month or figures.feedback.month_total != 0:
        return None
    last = figures.feedback.last_at
    return _signal(
        figures,
        SignalKind.NO_FEEDBACK,
        weeks=MONTH_WEEKS,
        last=last.astimezone(ZoneInfo(figures.timezone)).date() if last else None,
        looked_back=len(figures.weeks),
    )
