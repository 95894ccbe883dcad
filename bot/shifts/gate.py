"""The shift gate: every scheduled DM passes it on its way to the outbox.

A capability hands the gate the rows it is about to send (a round's prompts, the reminders due,
the asks of a proposal) and says what each is (:class:`ScheduledDm`: its kind and row, whose it
is, its deadline). The gate reads each person's working pattern and any decision recorded
earlier from the database, and their do-not-disturb from Slack (read ahead in batches, only for
those whose pattern has them working now), then lets through the rows that may go now. Each
other row is recorded in ``shift_hold`` (to go at its person's next working time, or not at all:
off shift until its deadline), and the capability marks its own row (``mark``): that is what the
next run, in this process or another after a restart, goes by.

A row in doubt (a claim a stopped process left, a post Slack never answered) is never held: it
may have arrived, and the outbox looks for it in Slack first. Replies to what a person just did
(a confirmation, a field error) never come here: they are not scheduled.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Generic, TypeVar

from sqlmodel import Session

from bot.services import Services
from bot.shifts import service
from bot.shifts.dnd import DndReading
from bot.shifts.model import Decision, Pattern
from bot.shifts.service import Held
from storage.models import ShiftHold

logger = logging.getLogger(__name__)

Row = TypeVar("Row")
# Decisions written per statement while a round is being sent (and all at its end).
RECORD_EVERY = 200


@dataclass(frozen=True)
class ScheduledDm:
    """What the gate needs to know of one scheduled DM."""

    kind: str  # what it is: "checkin", "checkin_reminder", "advice", ...
    ref_id: int  # its row in the capability's table
    user_id: str
    deadline: datetime  # after this it is of no use (the meeting, the decision date...)
    team_id: str | None = None
    in_doubt: bool = False  # it may have arrived already: never held, looked up instead


@dataclass
class GateReport:
    """What the gate decided in one run: who waits (until when), who is off shift, and whether
    Slack's do-not-disturb could be read."""

    waiting: dict[str, datetime] = field(default_factory=dict)
    off_shift: list[str] = field(default_factory=list)
    dnd_calls: int = 0
    dnd_failed: str | None = None


class ShiftGate(Generic[Row]):
    """Lets through the rows whose person is on shift and not in do-not-disturb now.

    Build it with every row the run may send (their patterns, earlier decisions and DND are
    read once, DND ahead of the sending); then :meth:`admit` (or the claim :meth:`wrap` makes)
    for each batch as it goes, and :meth:`finish` at the end.
    """

    def __init__(
        self,
        services: Services,
        rows: Sequence[Row],
        *,
        describe: Callable[[Row], ScheduledDm],
        now: datetime,
        what: str,
        mark: Callable[[Session, list[Held]], None] | None = None,
    ) -> None:
        self.services = services
        self.now = now
        self.report = GateReport()
        self._describe = describe
        self._mark = mark
        self._unrecorded: list[Held] = []
        scheduled = [describe(row) for row in rows]
        with services.session() as session:
            self._patterns = service.patterns_of(session, (dm.user_id for dm in scheduled))
            self._earlier = service.holds_of(session, ((dm.kind, dm.ref_id) for dm in scheduled))
            session.expunge_all()
        self.what = what
        readable = [dm.user_id for dm in scheduled if self._needs_dnd(dm)]
        self._dnd = DndReading(services.client, readable)

    def _earlier_decision(self, dm: ScheduledDm) -> ShiftHold | None:
        """A decision recorded before that still holds: a later time not yet come, or off shift
        until this same deadline."""
        earlier = self._earlier.get((dm.kind, dm.ref_id))
        if earlier is None:
            return None
        if earlier.send_at is None:
            return earlier if earlier.deadline == dm.deadline else None
        return earlier if earlier.send_at > self.now else None

    def _pattern(self, dm: ScheduledDm) -> Pattern | None:
        return self._patterns.get(dm.user_id)

    def _needs_dnd(self, dm: ScheduledDm) -> bool:
        """True when the DM could go now but for the person's DND: worth reading it."""
        if dm.in_doubt or dm.deadline <= self.now or self._earlier_decision(dm) is not None:
            return False
        pattern = self._pattern(dm)
        return pattern is None or pattern.working_at(self.now)

    def decision(self, dm: ScheduledDm) -> Decision:
        """When this DM may go, by its person's pattern and DND as read now."""
        dnd = self._dnd.get(dm.user_id) if self._needs_dnd(dm) else None
        return service.decide(self._pattern(dm), dnd, now=self.now, deadline=dm.deadline)

    def admit(self, rows: Sequence[Row]) -> list[Row]:
        """The rows that may go now; each of the others is recorded (held, or off shift)."""
        ready: list[Row] = []
        for row in rows:
            dm = self._describe(row)
            if dm.in_doubt:
                ready.append(row)
                continue
            earlier = self._earlier_decision(dm)
            if earlier is not None:
                self._note(dm.user_id, earlier.send_at)
                continue
            decision = self.decision(dm)
            if decision.due(self.now):
                ready.append(row)
                continue
            self._note(dm.user_id, decision.send_at)
            self._unrecorded.append(Held(dm.kind, dm.ref_id, dm.user_id, dm.team_id, decision))
        if len(self._unrecorded) >= RECORD_EVERY:
            self._record()
        return ready

    def _note(self, user_id: str, send_at: datetime | None) -> None:
        if send_at is None:
            self.report.off_shift.append(user_id)
        else:
            self.report.waiting[user_id] = send_at

    def wrap(self, claim: Callable[..., list[Row]]) -> Callable[..., list[Row]]:
        """``claim`` behind the gate: only the rows that may go now are claimed. ``claim`` takes
        the rows as its last positional argument (``claim(session, rows, now=...)``).

        The others are never claimed, so never sent; their decisions are written a few hundred
        at a time and at :meth:`finish`. A process that stops first leaves them as they were,
        and the next run decides them again, the same way.
        """

        def gated(*args: Any, **kwargs: Any) -> list[Row]:
            *head, rows = args
            ready = self.admit(rows)
            return claim(*head, ready, **kwargs) if ready else []

        return gated

    def _record(self) -> None:
        """Write the decisions taken so far (shift_hold, and the capability's own rows)."""
        if not self._unrecorded:
            return
        held, self._unrecorded = self._unrecorded, []
        with self.services.session() as session:
            service.record_holds(session, held, now=self.now)
            if self._mark is not None:
                self._mark(session, held)

    def finish(self) -> GateReport:
        """Write what is left to write; the run's report. When Slack's DND could not be read
        for some of its people, the log says so here, once for the run."""
        self._record()
        self.report.dnd_calls = self._dnd.calls
        self.report.dnd_failed = self._dnd.failed
        if self.report.dnd_failed:
            logger.warning(
                "Could not read Slack's do-not-disturb for %s (%s): those DMs went by working "
                "patterns alone",
                self.what,
                self.report.dnd_failed,
            )
        return self.report
