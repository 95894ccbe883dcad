"""The demo's team, its app.yaml, and the week it plays through the real handlers.

The people and their words are in bot.demo.cast, the moves each step makes in bot.demo.steps;
this is the script: the weeks before, played quickly, and the week shown in full.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import ids
from bot.demo.cast import (
    ANA,
    APPRECIATIONS,
    BEN,
    CARA,
    CHECKIN_NOTES,
    CHECKIN_STORIES,
    COACH,
    DEMO_APP_YAML,
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
from bot.demo.steps import DemoSteps, Scene
from bot.demo.transcript import render_message

__all__ = ["ANA", "BEN", "CARA", "COACH", "DEMO_APP_YAML", "PEOPLE", "DemoWeek", "Scene"]


class DemoWeek(DemoSteps):
    """Plays the demo week step by step, printing progress, collecting what people saw."""

    def play_checkins(self) -> None:
        """The week begins: the check-in round goes out; most answer, one is away, one skips."""
        from bot.checkins.report import format_report
        from bot.core.meetings import next_meeting

        self.at(0, "10:00")
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
        visits, hours = metric_field("visits"), metric_field("hours")
        answers = [
            (ANA, "4", "Rested after a quiet weekend", "23", "11.5", CHECKIN_STORIES[0], ""),
            (BEN, "3", "Busy, but fine", "about 20", "9", "", ""),
            (CARA, "5", "Loving the new rota", "18", "7", CHECKIN_STORIES[1], ""),
            (DEV, "2", "Stretched: two visits ran long on Friday", "27", "14", "", TENSIONS[3]),
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

    def play(self) -> None:
        """The week, as the team lives it."""
        self.play_checkins()
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
        self.play_meeting()
        self.play_feedback()

    def play_feedback(self) -> None:
        """Peer feedback: a shared appreciation, a private suggestion, a request and its
        answer, and a thanks."""
        self.at(3, "16:30")
        self.say(
            f"Thursday: {self.name(ANA)} types `/feedback @{self.name(BEN)} ...` to thank him, "
            "naming a value and sharing it with the team"
        )
        view = self.feedback_command(
            ANA, f"<@{BEN}|ben> You stayed late so Mrs D wasn't alone when the ambulance came"
        )
        self.saw_view(ANA, "/feedback @Ben opens a modal, prefilled", view)
        dms, posts = len(self.fake.dms(BEN)), len(self.fake.messages(NORTH))
        self.slack.submit_view(
            view,
            user_id=ANA,
            values={
                ids.FEEDBACK_VALUES_ACTION: ["Compassion"],
                ids.FEEDBACK_SHARE_ACTION: [ids.FEEDBACK_SHARE_VALUE],
            },
        )
        appreciation = self.latest_dm(BEN, dms)
        self.saw_message(BEN, "DM from retrobot", appreciation.to_dict())
        post = self.fake.wait_for(
            lambda: (
                self.fake.messages(NORTH)[posts] if len(self.fake.messages(NORTH)) > posts else None
            )
        )
        self.saw_message(NORTH, "Posted in #north-team", post.to_dict())

        self.later(20)
        self.say(
            f"{self.name(CARA)} gives {self.name(DEV)} a suggestion; only {self.name(DEV)} sees it"
        )
        view = self.feedback_command(CARA)
        dms = len(self.fake.dms(DEV))
        self.slack.submit_view(
            view,
            user_id=CARA,
            values={
                ids.FEEDBACK_RECEIVERS_ACTION: [DEV],
                ids.FEEDBACK_KIND_ACTION: "suggestion",
                ids.FEEDBACK_TEXT_ACTION: (
                    "When you hand over by phone, a two-line note in the shared log "
                    "would save the next visit ten minutes"
                ),
            },
        )
        self.saw_message(DEV, "DM from retrobot", self.latest_dm(DEV, dms).to_dict())

        self.later(20)
        self.say(
            f"{self.name(EVE)} asks {self.name(FRAN)} and {self.name(ANA)} for feedback "
            "with `/feedback request`"
        )
        view = self.feedback_command(
            EVE, f"request <@{FRAN}|fran> <@{ANA}|ana> How I led Tuesday's case review"
        )
        self.saw_view(EVE, "/feedback request opens a modal", view)
        before = {user: len(self.fake.dms(user)) for user in (EVE, FRAN, ANA)}
        self.slack.submit_view(view, user_id=EVE)
        sent = {user: self.latest_dm(user, count) for user, count in before.items()}
        self.saw_message(EVE, "DM from retrobot", sent[EVE].to_dict())
        ask = sent[FRAN]
        self.saw_message(FRAN, "DM from retrobot", ask.to_dict())

        self.at(4, "09:15")
        self.say(f"Friday: {self.name(FRAN)} answers from the button in the DM")
        view = self.open_modal(
            FRAN, lambda: self.slack.click(ask, ids.FEEDBACK_ANSWER_REQUEST, user_id=FRAN)
        )
        self.saw_view(FRAN, "Give feedback opens the modal, prefilled", view)
        dms = len(self.fake.dms(EVE))
        self.slack.submit_view(
            view,
            user_id=FRAN,
            values={
                ids.FEEDBACK_VALUES_ACTION: ["Trust"],
                ids.FEEDBACK_TEXT_ACTION: (
                    "You let everyone finish, and you summed up the actions at the end"
                ),
            },
        )
        self.saw_message(EVE, "DM from retrobot", self.latest_dm(EVE, dms).to_dict())

        self.later(30)
        self.say(f"{self.name(BEN)} says thanks; {self.name(ANA)} is told")
        dms = len(self.fake.dms(ANA))
        self.slack.click(appreciation, ids.FEEDBACK_THANKS, user_id=BEN)
        self.saw_message(ANA, "DM from retrobot", self.latest_dm(ANA, dms).to_dict())

        self.later(30)
        self.say(f"{self.name(EVE)} opens the Home tab: who has answered, who not yet")
        self.saw_view(EVE, "Home tab", self.open_home(EVE))

    def play_earlier_week(self, index: int) -> None:
        """One of the weeks before the one shown in full, played quickly through the same
        handlers: check-ins with moods that lift over the weeks, a tension or two triaged,
        an appreciation, and the summary and digest the next Monday. One progress line."""

        rng = self.rng
        if not self.earlier:
            self.earlier = rng.sample(EARLIER_TENSIONS, len(EARLIER_TENSIONS))
        self.at(0, "10:00")
        self.send_round()
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
        self.at(0, "15:00")
        raised = [self.earlier.pop() for _ in range(rng.randint(1, 2)) if self.earlier]
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
        week = self.close_week()
        mood = f", mood {sum(moods) / len(moods):.1f}" if len(moods) >= 3 else ""
        self.say(
            f"Week {week[-2:].lstrip('0')} ({self.monday:%-d %b}): {len(moods)} of "
            f"{len(MEMBERS)} checked in{mood}; {len(raised)} tension{'s' * (len(raised) > 1)} "
            f"triaged; {self.name(giver)} thanked {self.name(receiver)}"
        )

    def play_meeting(self) -> None:
        """The tactical meeting: the agenda, triage into outcomes, progress, the raiser's yes."""
        self.at(1, "09:30")
        self.say(
            f"Tuesday 09:30: {self.name(DEV)} facilitates: `/tactical` in #north-team posts "
            "the agenda"
        )
        agenda, reply = self.post_agenda()
        self.saw_message(NORTH, "Posted in #north-team", agenda.to_dict())
        self.scenes.append(
            Scene(
                self.name(DEV),
                "Only you can see this",
                render_message({"text": reply.text}, PEOPLE),
            )
        )

        self.say(f"{self.name(VISITOR)}, not in the team, clicks Triage and is told why not")
        value = self.triage_button(agenda, TENSIONS[0][:20])
        told = len(self.fake.ephemerals(VISITOR))
        self.slack.click(agenda, ids.AGENDA_TRIAGE, user_id=VISITOR, value=value)
        refusal = self.fake.wait_for(
            lambda: len(self.fake.ephemerals(VISITOR)) > told and self.fake.ephemerals(VISITOR)
        )[-1]
        self.scenes.append(
            Scene(
                self.name(VISITOR),
                "Only you can see this",
                render_message({"text": refusal.text}, PEOPLE),
            )
        )

        due = (self.services.now().astimezone(ZoneInfo("Europe/London")) + timedelta(days=3)).date()
        self.at(1, "10:00")
        self.say(
            f"The team triages: a next action for {self.name(CARA)}, a project for "
            f"{self.name(BEN)}, information from {self.name(FRAN)}"
        )
        owner_dms, raiser_dms = len(self.fake.dms(CARA)), len(self.fake.dms(ANA))
        self.triage(
            TENSIONS[0][:20],
            {
                ids.TRIAGE_OUTCOME_ACTION: "next_action",
                ids.TRIAGE_OWNER_ACTION: CARA,
                ids.TRIAGE_DUE_ACTION: due,
                ids.TRIAGE_NOTE_ACTION: "Cara drafts a 6pm handover checklist",
            },
            show=True,
        )
        self.triage(
            "weekend on-call",
            {ids.TRIAGE_OUTCOME_ACTION: "project", ids.TRIAGE_OWNER_ACTION: BEN},
        )
        self.triage(
            "referral form",
            {
                ids.TRIAGE_OUTCOME_ACTION: "information",
                ids.TRIAGE_OWNER_ACTION: FRAN,
                ids.TRIAGE_NOTE_ACTION: "Fran knows who owns the form and will ask them",
            },
        )
        self.saw_message(NORTH, "The agenda, updated in place", self.agenda_message().to_dict())
        owner_dm = self.latest_dm(CARA, owner_dms)
        self.saw_message(CARA, "DM from retrobot", owner_dm.to_dict())

        self.later(20)
        self.say(f"{self.name(ANA)} is asked whether she got what she needed, and says yes")
        question = self.latest_dm(ANA, raiser_dms)
        self.saw_message(ANA, "DM from retrobot", question.to_dict())
        self.slack.click(
            question,
            ids.NEEDS_MET_YES,
            user_id=ANA,
            value=question.blocks[-1]["elements"][0]["value"],
        )
        answered = self.fake.wait_for(
            lambda: (
                "closed" in self.fake.message(question.channel, question.ts).all_text
                and self.fake.message(question.channel, question.ts)
            )
        )
        self.saw_message(ANA, "The same DM, answered", answered.to_dict())

        self.at(2, "15:00")
        self.say(f"Wednesday: {self.name(CARA)} finishes her next action and marks it done")
        self.slack.click(
            owner_dm, ids.ACTION_DONE, user_id=CARA, value=owner_dm.blocks[0]["accessory"]["value"]
        )
        done = self.fake.wait_for(
            lambda: (
                "thank you" in self.fake.message(owner_dm.channel, owner_dm.ts).all_text
                and self.fake.message(owner_dm.channel, owner_dm.ts)
            )
        )
        self.saw_message(CARA, "The same DM, done", done.to_dict())

        self.later(40)
        self.say(f"{self.name(BEN)}'s Home tab: his project, and the next meeting in his time zone")
        self.saw_view(BEN, "Home tab", self.open_home(BEN))
