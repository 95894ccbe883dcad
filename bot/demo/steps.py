"""The demo's moves: one person's step through the real app, and what they saw of it.

bot.demo.script plays them into weeks; each move sends what Slack would send (a signed command,
click or submission) and waits for what the app does in answer, as the stand-in records it.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO
from zoneinfo import ZoneInfo

from bot.core import ids
from bot.demo.cast import COACH, DEV, NORTH, PEOPLE
from bot.demo.clock import DemoClock
from bot.demo.listeners import ListenerPool
from bot.demo.transcript import boxed, render_message, render_view
from bot.services import Services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack

if TYPE_CHECKING:
    from bot.checkins.service import DeliveryReport


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
        """Team north's check-in round, as the scheduler sends it, DMs one after another.

        The stand-in keeps no rate limit, so the DMs need not keep Slack's pace (five a second,
        which made the demo wait a second a round): each goes as soon as it may.
        """
        from bot.checkins import service as checkins

        return checkins.send_round(
            self.services, team_id="north", pace=checkins.Pace(per_second=math.inf)
        )

    def open_modal(self, user_id: str, send: Any) -> dict[str, Any]:
        """Do what opens a modal (a command, a shortcut) and return the modal the person sees."""
        opened = len(self.fake.views_opened(user_id))
        send()
        return self.fake.wait_for(
            lambda: (
                self.fake.views_opened(user_id)[-1]
                if len(self.fake.views_opened(user_id)) > opened
                else None
            )
        )

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

    def close_week(self, *, show: bool = False) -> str:
        """Monday 08:30 after the week: the scheduler's summary in the team channel and the
        coach's digest DM, sent as the scheduler sends them. Returns the week closed."""
        from bot.core.meetings import iso_week
        from bot.digests.usecases import send_coach_digest, send_team_summary

        assert self.monday is not None
        week = iso_week(self.services.now(), ZoneInfo("Europe/London"))
        self.at(7, "08:30")
        now = self.services.now()
        posts, dms = len(self.fake.messages(NORTH)), len(self.fake.dms(COACH))
        send_team_summary(self.services, team_id="north", week=week, now=now)
        send_coach_digest(self.services, coach_id=COACH, week=week, now=now)
        if show:
            headline = next(m for m in self.fake.messages(NORTH)[posts:] if m.thread_ts is None)
            self.saw_message(NORTH, "Monday 08:30, posted in #north-team", headline.to_dict())
            self.saw_message(
                COACH, "Monday 08:30, DM from retrobot", self.fake.dms(COACH)[dms].to_dict()
            )
        return week

    def agenda_message(self) -> Any:
        """The agenda message in #north-team, as it is now."""
        for posted in reversed(self.fake.messages(NORTH)):
            now = self.fake.message(NORTH, posted.ts)
            if posted.thread_ts is None and now is not None and "Tactical meeting" in now.all_text:
                return now
        return None

    def triage_button(self, agenda: Any, words: str) -> str:
        """The value of the Triage button next to the tension that says ``words``."""
        for block in agenda.blocks:
            accessory = block.get("accessory") or {}
            if accessory.get("action_id") == ids.AGENDA_TRIAGE and words in str(block):
                return str(accessory["value"])
        raise AssertionError(f"no Triage button for {words!r} on the agenda")

    def triage(self, words: str, values: dict[str, Any], *, show: bool = False) -> None:
        """The facilitator clicks a tension's Triage button and records its outcome."""
        agenda = self.agenda_message()
        value = self.triage_button(agenda, words)
        view = self.open_modal(
            DEV, lambda: self.slack.click(agenda, ids.AGENDA_TRIAGE, user_id=DEV, value=value)
        )
        if show:
            self.saw_view(DEV, "Triage opens a modal", view)
        self.slack.submit_view(view, user_id=DEV, values=values)
        self.fake.wait_for(lambda: value not in str(self.agenda_message().blocks))

    def print_summaries(self, folder: Path, week: str | None = None) -> list[Path]:
        """Print the demo week's team summary and its coach's digest (as the CLI prints them),
        and save both charts in ``folder``; returns the chart files."""
        from bot.core.meetings import iso_week
        from bot.digests import charts
        from bot.digests.usecases import week_digest, week_summary
        from bot.digests.views import digest_document, summary_document

        services, renderer = self.services, self.services.renderer
        team = services.config.team("north")
        now = services.now()
        week = week or iso_week(now, team.zone)
        summary = week_summary(services, team_id=team.id, week=week, now=now)
        digest = week_digest(services, coach_id=COACH, week=week, now=now)
        text = summary_document(renderer, summary) + "\n" + digest_document(renderer, digest)
        for user_id, name in PEOPLE.items():
            text = text.replace(f"@{user_id}", f"@{name}")
        print("\n" + text, file=self.out)
        folder.mkdir(parents=True, exist_ok=True)
        summary_png = folder / f"summary-{team.id}-{week}.png"
        digest_png = folder / f"coach-digest-{week}.png"
        summary_png.write_bytes(
            self.chart_sent(f"{team.id}-{week}.png")
            or charts.summary_chart(renderer, summary.figures)
        )
        digest_png.write_bytes(
            self.chart_sent(f"coach-digest-{week}.png")
            or charts.digest_chart(renderer, [t.figures for t in digest.teams])
        )
        return [summary_png, digest_png]

    def chart_sent(self, filename: str) -> bytes | None:
        """The chart the app last attached under ``filename``, if it did: the week's summary
        and digest just sent carry the very charts printed here, and drawing one again costs
        as much as the rest of a week's play."""
        sent = [file.content for file in self.fake.files() if file.filename == filename]
        return sent[-1] if sent else None

    def transcript(self) -> str:
        """Everything people saw, in order."""
        parts = ["WHAT EACH PERSON SAW", "=" * 20]
        for scene in self.scenes:
            parts.append(boxed(f"{scene.who} — {scene.title}", scene.lines))
        return "\n".join(parts) + "\n"
