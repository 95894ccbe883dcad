"""The demo's moves: one person's step through the real app, and what they saw of it.

bot.demo.script plays them into weeks; each move sends what Slack would send (a signed command,
click or submission) and waits for what the app does in answer, as the stand-in records it.
"""

from __future__ import annotations

import random
from concurrent.futures import Future
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any, TextIO

from bot.core import ids
from bot.demo.cast import DEV, NORTH, PEOPLE
from bot.demo.clock import DemoClock
from bot.demo.listeners import ListenerPool
from bot.demo.transcript import render_message, render_view
from bot.services import Services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack

if TYPE_CHECKING:
    from bot.checkins.model import DeliveryReport


@dataclass
class Scene:
    """One thing a person saw: a DM, a modal, their Home tab, or an answer to a command."""

    who: str
    title: str
    lines: list[str]


@dataclass
class DemoSteps:
    """The moves the demo makes through the real app — a command, a click, a modal submitted, a
    DM awaited — printing progress and collecting what people saw (DemoWeek plays them)."""

    fake: FakeSlack
    slack: SlackSender
    services: Services
    rng: random.Random
    out: TextIO
    clock: DemoClock | None = None
    listeners: ListenerPool | None = None
    scenes: list[Scene] = field(default_factory=list)
    step: int = 0
    monday: date | None = None
    earlier: list[str] = field(default_factory=list)
    closing: Future[None] | None = None  # a week's summary and digest being sent beside

    def say(self, text: str) -> None:
        """One progress line on the terminal."""
        self.step += 1
        print(f"  {self.step:>2}. {text}", file=self.out, flush=True)

    def at(self, weekday: int, when: str) -> None:
        """Move the demo clock to ``when`` (local) on a day of the week being played
        (0 is its Monday, 7 the next Monday). Without a demo clock, time is real."""
        if self.clock is not None and self.monday is not None:
            self.clock.set(self.monday + timedelta(days=weekday), when)

    def later(self, minutes: int = 5) -> None:
        """A few minutes pass on the demo clock."""
        if self.clock is not None:
            self.clock.tick(minutes)

    def name(self, user_id: str) -> str:
        """A person's demo name."""
        return PEOPLE.get(user_id, user_id)

    def saw_view(self, who: str, title: str, view: dict[str, Any]) -> None:
        """Remember a modal or Home tab the person saw."""
        self.scenes.append(Scene(self.name(who), title, render_view(view, PEOPLE)))

    def saw_message(self, who: str, title: str, payload: dict[str, Any]) -> None:
        """Remember a message the person saw."""
        self.scenes.append(Scene(self.name(who), title, render_message(payload, PEOPLE)))

    def latest_dm(self, user_id: str, count_before: int) -> Any:
        """Wait for a new DM to the person and return it."""
        return self.fake.wait_for(
            lambda: (
                self.fake.dms(user_id)[-1] if len(self.fake.dms(user_id)) > count_before else None
            )
        )

    def open_home(self, user_id: str) -> dict[str, Any]:
        """The person opens retrobot's Home tab; returns it as published for them."""

        def published() -> int:
            calls = self.fake.calls_to("views.publish")
            return sum(1 for call in calls if call.args.get("user_id") == user_id)

        # Listeners finish their work after the ack: a Home tab published by an earlier step
        # must not be mistaken for the one the person opens.
        self.settle()
        before = published()
        self.slack.app_home_opened(user_id)
        self.fake.wait_for(lambda: published() > before)
        self.settle()
        return self.fake.home(user_id) or {}

    def settle(self) -> None:
        """Wait until the app has done what it was asked: its listeners have finished (or,
        without the demo's listener pool, Slack has heard nothing from it for a moment)."""
        if self.listeners is not None:
            self.listeners.wait_idle()
        else:
            self.fake.wait_quiet()

    def send_round(self) -> DeliveryReport:
        """Team north's check-in round, as the scheduler sends it. The stand-in keeps no rate
        limit, so the demo's services send unpaced (``Services.dm_pace``): each DM goes as soon
        as it may."""
        from bot.checkins import usecases as checkins

        return checkins.send_round(self.services, team_id="north")

    def open_modal(self, user_id: str, send: Any) -> dict[str, Any]:
        """Do what opens a modal (a command, a shortcut) and return the modal the person sees."""
        opened = self.fake.count_views_opened(user_id)
        send()
        self.fake.wait_for(lambda: self.fake.count_views_opened(user_id) > opened)
        return self.fake.views_opened(user_id, since=opened)[0]

    def tension_command(self, user_id: str, text: str = "") -> dict[str, Any]:
        """`/tension text` in the team channel; returns the modal it opens."""
        return self.open_modal(
            user_id,
            lambda: self.slack.command(
                ids.TENSION_COMMAND, text, user_id=user_id, channel_id=NORTH
            ),
        )

    def raise_by_command(
        self, user_id: str, text: str, *, private: bool = False, show: bool = True
    ) -> None:
        """`/tension text`, the modal, submit, the confirmation DM."""
        view = self.tension_command(user_id, text)
        if show:
            self.saw_view(user_id, f"/tension {text[:30]}… opens a modal", view)
        dms = len(self.fake.dms(user_id))
        values: dict[str, Any] = {ids.TENSION_TEXT_ACTION: text}
        if private:
            values[ids.TENSION_PRIVATE_ACTION] = [ids.TENSION_PRIVATE_VALUE]
        self.slack.submit_view(view, user_id=user_id, values=values)
        dm = self.latest_dm(user_id, dms)
        if show:
            self.saw_message(user_id, "DM from retrobot", dm.to_dict())

    def checkin_dm(self, user_id: str) -> Any:
        """The person's check-in DM (the latest one retrobot sent them)."""
        return next(
            m for m in reversed(self.fake.dms(user_id)) if m.metadata and "event_type" in m.metadata
        )

    def redrawn(self, dm: Any, words: str) -> Any:
        """Wait until the check-in DM has been redrawn to say ``words``; return it."""
        return self.fake.wait_for(
            lambda: (now := self.fake.message(dm.channel, dm.ts)) and words in now.all_text and now
        )

    def feedback_command(self, user_id: str, text: str = "") -> dict[str, Any]:
        """`/feedback text` in the team channel; returns the modal it opens."""
        return self.open_modal(
            user_id,
            lambda: self.slack.command(
                ids.FEEDBACK_COMMAND, text, user_id=user_id, channel_id=NORTH
            ),
        )

    def propose_command(self, user_id: str, text: str) -> dict[str, Any]:
        """`/propose text` in the team channel; returns the modal it opens."""
        return self.open_modal(
            user_id,
            lambda: self.slack.command(
                ids.PROPOSE_COMMAND, text, user_id=user_id, channel_id=NORTH
            ),
        )

    def post_agenda(self) -> tuple[Any, Any]:
        """`/tactical` in #north-team: the agenda message, and the facilitator's ephemeral."""
        told = len(self.fake.ephemerals(DEV))
        self.slack.command(ids.TACTICAL_COMMAND, user_id=DEV, channel_id=NORTH)
        reply = self.fake.wait_for(
            lambda: len(self.fake.ephemerals(DEV)) > told and self.fake.ephemerals(DEV)
        )[-1]
        return self.fake.wait_for(self.agenda_message), reply

    def answer_checkin(self, user_id: str, values: dict[str, Any]) -> Any:
        """Check in from the DM's button with ``values``; the DM as redrawn."""
        view = self.open_modal(
            user_id,
            lambda: self.slack.click(self.checkin_dm(user_id), ids.CHECKIN_OPEN, user_id=user_id),
        )
        self.slack.submit_view(view, user_id=user_id, values=values)
        return self.redrawn(self.checkin_dm(user_id), "checked in")

    def agenda_message(self) -> Any:
        """The agenda message in #north-team, as it is now."""
        for posted in reversed(self.fake.messages(NORTH)):
            now = self.fake.message(NORTH, posted.ts)
            if posted.thread_ts is None and now is not None and "Tactical meeting" in now.all_text:
                return now
        return None
