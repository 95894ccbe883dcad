"""The demo's team, its app.yaml, and the week it plays through the real handlers."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import ids
from bot.demo import night_shift
from bot.demo.cast import (
    ANA,
    APPRECIATIONS,
    BEN,
    CARA,
    CHECKIN_NOTES,
    CHECKIN_STORIES,
    COACH,
    DEV,
    EARLIER_TENSIONS,
    EVE,
    FRAN,
    MEMBERS,
    NORTH,
    OUTCOMES,
    PEOPLE,
    TENSIONS,
    VISITOR,
    metric_field,
)
from bot.demo.decisions import DecisionScenes
from bot.demo.feedback import FeedbackScenes
from bot.demo.meeting import MeetingScenes
from bot.demo.retro import RetroScenes
from bot.demo.steps import DemoSteps, Scene
from bot.demo.transcript import boxed


class DemoWeek(DemoSteps, FeedbackScenes, DecisionScenes, MeetingScenes, RetroScenes):
    """Plays the demo week step by step through the real app (bot.demo.steps' moves; the
    feedback, deciding, meeting and retrospective scenes each in a module of their own)."""

    def play_checkins(self) -> None:
        """The week begins: the check-in round goes out; most answer, one is away, one skips."""
        from bot.checkins.report import format_report
        from bot.core.meetings import next_meeting

        night_shift.set_working_time_then_open(self, DEV)  # shifts: asked at 20:00, not 10:00
        self.closed()  # the scheduler's 08:30 summary and digest, before the 10:00 round
        self.say("Monday 10:00: the check-in round goes out to the team, in a DM each")
        report = self.send_round()
        self.scenes.append(
            Scene(
                "the admin",
                "$ retrobot checkin send --team north",
                format_report(report).split("\n"),
            )
        )
        dm = self.checkin_dm(ANA)
        self.saw_message(ANA, "DM from retrobot", dm.to_dict())
        self.play_checkin_answers()

        self.later(12)
        self.say(f"{self.name(EVE)} is on leave: Away until… a date after the meeting")
        view = self.open_modal(
            EVE,
            lambda: self.slack.click(self.checkin_dm(EVE), ids.CHECKIN_AWAY, user_id=EVE),
        )
        back = next_meeting(self.services.config.team("north"), self.services.now())
        self.slack.submit_view(
            view, user_id=EVE, values={ids.AWAY_DATE_ACTION: back.date + timedelta(days=3)}
        )
        self.saw_message(
            EVE, "The check-in DM", self.redrawn(self.checkin_dm(EVE), "away").to_dict()
        )

        self.later(12)
        self.say(f"{self.name(FRAN)} skips this week")
        self.slack.click(self.checkin_dm(FRAN), ids.CHECKIN_SKIP, user_id=FRAN)
        skipped = self.redrawn(self.checkin_dm(FRAN), "skipping")
        self.saw_message(FRAN, "The check-in DM", skipped.to_dict())

    def play_checkin_answers(self) -> None:
        """Ana, Ben and Cara check in from the DM's button; Ben's visits are "about 20", which
        the modal refuses until he types a number."""
        visits, hours = metric_field("visits"), metric_field("hours")
        answers = [
            (ANA, "4", "Rested after a quiet weekend", "23", "11.5", CHECKIN_STORIES[0], ""),
            (BEN, "3", "Busy, but fine", "about 20", "9", "", ""),
            (CARA, "5", "Loving the new rota", "18", "7", CHECKIN_STORIES[1], ""),
        ]
        for user, mood, note, visit_count, road_hours, story, tension in answers:
            self.later(12)
            self.say(f"{self.name(user)} clicks Check in and answers: mood {mood} of 5")
            view = self.open_modal(
                user,
                lambda user=user: self.slack.click(
                    self.checkin_dm(user), ids.CHECKIN_OPEN, user_id=user
                ),
            )
            if user == ANA:
                self.saw_view(ANA, "Check in opens the check-in modal", view)
            values = {
                ids.CHECKIN_MOOD_ACTION: mood,
                ids.CHECKIN_NOTE_ACTION: note,
                visits: visit_count,
                hours: road_hours,
                ids.CHECKIN_STORY_ACTION: story,
                ids.CHECKIN_TENSION_ACTION: tension,
            }
            answer = self.slack.submit_view(view, user_id=user, values=values)
            errors = (answer.json or {}).get("errors", {})
            if errors:
                self.scenes.append(
                    Scene(self.name(user), "The check-in stays open, with", list(errors.values()))
                )
                self.say(f"{self.name(user)} types a plain number instead")
                values[visits] = "20"
                self.slack.submit_view(view, user_id=user, values=values)
            done = self.redrawn(self.checkin_dm(user), "checked in")
            if user in (ANA, DEV):
                self.saw_message(user, "The check-in DM, after answering", done.to_dict())

    def play(self) -> None:
        """The week, as the team lives it."""
        self.play_checkins()
        self.play_tensions()
        self.play_tensions_refused()
        night_shift.ask_at_his_shift_then_meet(self, DEV)  # shifts: Dev answers at 20:00
        self.play_feedback()
        self.play_decisions()  # deciding (bot/decisions)
        self.play_retrospective()

    def play_tensions(self) -> None:
        """Monday afternoon: tensions raised by command and from a message."""
        self.at(0, "14:00")
        self.say(f"{self.name(ANA)} opens retrobot's Home tab")
        self.open_home(ANA)

        first = TENSIONS[0]
        self.later()
        self.say(f"{self.name(ANA)} types `/tension {first}`")
        self.raise_by_command(ANA, first)

        self.later(25)
        self.say(f"{self.name(BEN)} raises a tension from a message in #north-team")
        posted = "We have no shared view of who covers the weekend on-call & it bit us again <3"
        view = self.open_modal(
            BEN,
            lambda: self.slack.message_shortcut(
                ids.RAISE_TENSION_SHORTCUT,
                user_id=BEN,
                channel_id=NORTH,
                message_text=posted.replace("&", "&amp;").replace("<", "&lt;"),
                message_user=CARA,
                message_ts=f"{(self.services.now() - timedelta(minutes=40)).timestamp():.6f}",
            ),
        )
        self.saw_view(BEN, "Raise as tension (message shortcut)", view)
        dms = len(self.fake.dms(BEN))
        self.slack.submit_view(view, user_id=BEN, values={ids.TENSION_AREA_ACTION: "Rota"})
        self.saw_message(BEN, "DM from retrobot", self.latest_dm(BEN, dms).to_dict())

    def play_tensions_refused(self) -> None:
        """What retrobot refuses, kindly: an empty tension, a client's NHS number, someone in no
        team; and a private tension only the coach hears of."""
        self.later(25)
        self.say(f"{self.name(CARA)} submits an empty tension, and is asked for a few words")
        view = self.tension_command(CARA)
        answer = self.slack.submit_view(view, user_id=CARA, values={ids.TENSION_TEXT_ACTION: "   "})
        errors = (answer.json or {}).get("errors", {})
        self.scenes.append(
            Scene(self.name(CARA), "The modal stays open, with", list(errors.values()))
        )

        self.later(25)
        self.say(
            f"{self.name(DEV)} mentions a client's NHS number; retrobot asks them to rewrite it"
        )
        view = self.tension_command(DEV)
        answer = self.slack.submit_view(
            view,
            user_id=DEV,
            values={ids.TENSION_TEXT_ACTION: "Mr B (NHS 943 476 5919) keeps missing his visits"},
        )
        errors = (answer.json or {}).get("errors", {})
        self.scenes.append(
            Scene(self.name(DEV), "The modal stays open, with", list(errors.values()))
        )
        dms = len(self.fake.dms(DEV))
        self.slack.submit_view(view, user_id=DEV, values={ids.TENSION_TEXT_ACTION: TENSIONS[2]})
        self.saw_message(
            DEV, "DM from retrobot, after rewriting", self.latest_dm(DEV, dms).to_dict()
        )

        self.later(25)
        self.say(f"{self.name(EVE)} raises a private tension; only the coach hears of it")
        coach_dms = len(self.fake.dms(COACH))
        self.raise_by_command(EVE, "I'm finding the lone working at night hard", private=True)
        self.saw_message(COACH, "DM from retrobot", self.latest_dm(COACH, coach_dms).to_dict())

        self.later(25)
        self.say(f"{self.name(VISITOR)}, who is in no team, tries `/tension`")
        answer = self.slack.command(ids.TENSION_COMMAND, "hello", user_id=VISITOR, channel_id=NORTH)
        text = (answer.json or {}).get("text", answer.body)
        self.scenes.append(Scene(self.name(VISITOR), "Only you can see this", [text]))

        self.later(25)
        self.say(f"{self.name(FRAN)} opens the Home tab and sees the team's tensions")
        self.saw_view(FRAN, "Home tab", self.open_home(FRAN))

    def play_earlier_week(self, index: int) -> None:
        """One of the weeks before the one shown in full, played quickly through the same
        handlers: check-ins with moods that lift over the weeks, a tension or two triaged,
        an appreciation, and the summary and digest the next Monday. One progress line."""

        rng = self.rng
        if not self.earlier:
            self.earlier = rng.sample(EARLIER_TENSIONS, len(EARLIER_TENSIONS))
        self.at(0, "10:00")
        self.send_round()
        moods = self.earlier_checkins(index)
        self.at(0, "15:00")
        raised = [self.earlier.pop() for _ in range(rng.randint(1, 2)) if self.earlier]
        self.earlier_triage(index, raised)
        self.at(3, "16:00")
        giver, receiver = rng.sample(MEMBERS, 2)
        dms = len(self.fake.dms(receiver))
        view = self.feedback_command(giver, f"<@{receiver}> {rng.choice(APPRECIATIONS)}")
        self.slack.submit_view(
            view,
            user_id=giver,
            values={ids.FEEDBACK_VALUES_ACTION: [rng.choice(["Compassion", "Trust", "Courage"])]},
        )
        self.latest_dm(receiver, dms)
        week = self.close_week(beside=True)
        mood = f", mood {sum(moods) / len(moods):.1f}" if len(moods) >= 3 else ""
        self.say(
            f"Week {week[-2:].lstrip('0')} ({self.monday:%-d %b}): {len(moods)} of "
            f"{len(MEMBERS)} checked in{mood}; {len(raised)} tension{'s' * (len(raised) > 1)} "
            f"triaged; {self.name(giver)} thanked {self.name(receiver)}"
        )

    def earlier_checkins(self, index: int) -> list[int]:
        """An earlier week's check-ins: each member answers with a mood that lifts over the
        weeks (or, one time in five, skips); returns the moods given."""
        rng = self.rng
        moods: list[int] = []
        for user in MEMBERS:
            self.later(rng.randint(3, 25))
            if rng.random() < 0.2:
                self.slack.click(self.checkin_dm(user), ids.CHECKIN_SKIP, user_id=user)
                self.redrawn(self.checkin_dm(user), "skipping")
                continue
            mood = max(1, min(5, round(rng.gauss(2.7 + 0.4 * index, 0.8))))
            moods.append(mood)
            self.answer_checkin(
                user,
                {
                    ids.CHECKIN_MOOD_ACTION: str(mood),
                    ids.CHECKIN_NOTE_ACTION: rng.choice(CHECKIN_NOTES),
                    metric_field("visits"): str(rng.randint(14, 28)),
                    metric_field("hours"): str(rng.randint(6, 14)),
                },
            )
        return moods

    def earlier_triage(self, index: int, raised: list[str]) -> None:
        """An earlier week's tensions (``raised``): raised on Monday afternoon, on Tuesday's
        agenda, and triaged at the meeting."""
        rng = self.rng
        for text in raised:
            self.later(rng.randint(10, 60))
            self.raise_by_command(rng.choice(MEMBERS), text, show=False)
        self.at(1, "09:30")
        self.post_agenda()
        self.at(1, "10:00")
        for n, text in enumerate(raised):
            outcome = OUTCOMES[(index + n) % len(OUTCOMES)]
            values: dict[str, Any] = {
                ids.TRIAGE_OUTCOME_ACTION: outcome,
                ids.TRIAGE_OWNER_ACTION: rng.choice(MEMBERS),
            }
            if outcome == "next_action":
                values[ids.TRIAGE_DUE_ACTION] = self.services.now().date() + timedelta(days=3)
            self.triage(text[:25], values)

    def close_week(self, *, show: bool = False, beside: bool = False) -> str:
        """Monday 08:30 after the week: the scheduler's summary in the team channel and the
        coach's digest DM, sent as the scheduler sends them. Returns the week closed.

        ``beside`` (an earlier week's close, which shows nothing): they are sent on a thread
        of their own while the next week begins, as the scheduler's process sends them beside
        people's clicks, and their charts are drawn meanwhile; the next close, and the round of the
        week played in full, first wait for them (:meth:`closed`)."""
        from bot.core.meetings import iso_week

        self.closed()
        assert self.monday is not None
        week = iso_week(self.services.now(), ZoneInfo("Europe/London"))
        self.at(7, "08:30")
        now = self.services.now()
        posts, dms = len(self.fake.messages(NORTH)), len(self.fake.dms(COACH))
        if beside:
            scheduler = ThreadPoolExecutor(1, thread_name_prefix="scheduler")
            self.closing = scheduler.submit(self.send_week, week, now)
            scheduler.shutdown(wait=False)  # its thread ends with the week's sending
            return week
        self.send_week(week, now)
        if show:
            headline = next(m for m in self.fake.messages(NORTH)[posts:] if m.thread_ts is None)
            self.saw_message(NORTH, "Monday 08:30, posted in #north-team", headline.to_dict())
            self.saw_message(
                COACH, "Monday 08:30, DM from retrobot", self.fake.dms(COACH)[dms].to_dict()
            )
        return week

    def send_week(self, week: str, now: datetime) -> None:
        """The week's summary and digest, sent as the scheduler sends them at ``now``."""
        from bot.digests.usecases import send_coach_digest, send_team_summary

        send_team_summary(self.services, team_id="north", week=week, now=now)
        send_coach_digest(self.services, coach_id=COACH, week=week, now=now)

    def closed(self) -> None:
        """Wait for the summary and digest of a week closed ``beside`` (its errors raised
        here): the scenes that follow count messages and Slack's ids in order."""
        closing, self.closing = self.closing, None
        if closing is not None:
            closing.result()

    def print_summaries(self, folder: Path, week: str | None = None) -> list[Path]:
        """Print the demo week's team summary and its coach's digest (as the CLI prints them),
        and save both charts in ``folder``, with a retrospective's health chart when one was
        played; returns the chart files."""
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
            self.attached(
                f"{team.id}-{week}.png", lambda: charts.summary_chart(renderer, summary.figures)
            )
        )
        digest_png.write_bytes(
            self.attached(
                f"coach-digest-{week}.png",
                lambda: charts.digest_chart(renderer, [t.figures for t in digest.teams]),
            )
        )
        return [summary_png, digest_png, *self.save_retro_charts(folder)]

    def attached(self, filename: str, draw: Callable[[], bytes]) -> bytes:
        """The chart the app just attached as ``filename`` (the week's summary and digest were
        sent a moment ago, from the same figures), or drawn when none was."""
        for upload in reversed(self.fake.files()):
            if upload.filename == filename:
                return upload.content
        return draw()

    def transcript(self) -> str:
        """Everything people saw, in order."""
        parts = ["WHAT EACH PERSON SAW", "=" * 20]
        for scene in self.scenes:
            parts.append(boxed(f"{scene.who} — {scene.title}", scene.lines))
        return "\n".join(parts) + "\n"
