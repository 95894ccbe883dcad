"""The demo's team, its app.yaml, and the week it plays through the real handlers."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
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
from bot.demo.retro import RetroScenes
from bot.demo.steps import DemoSteps, Scene
from bot.demo.transcript import boxed, render_message
from bot.roles import usecases as roles


class DemoWeek(DemoSteps, RetroScenes):
    """Plays the demo week step by step through the real app (bot.demo.steps' moves)."""

    def play_checkins(self) -> None:
        """The week begins: the check-in round goes out; most answer, one is away, one skips."""
        from bot.checkins.report import format_report
        from bot.core.meetings import next_meeting

        night_shift.set_working_time_then_open(self, DEV)  # shifts: asked at 20:00, not 10:00
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

    # --- deciding (bot/decisions) -------------------------------------------------------------

    def proposal_card(self, before: int) -> Any:
        """The newest proposal message in #north-team after ``before`` top-level posts."""
        top = lambda: [m for m in self.fake.messages(NORTH) if not m.thread_ts]  # noqa: E731
        posted = self.fake.wait_for(lambda: top()[before] if len(top()) > before else None)
        self.settle()
        return self.fake.message(posted.channel, posted.ts) or posted

    def asked_dm(self, user_id: str, action_id: str) -> Any:
        """The person's newest DM holding a button ``action_id``."""
        return self.fake.wait_for(
            lambda: next(
                (m for m in reversed(self.fake.dms(user_id)) if action_id in str(m.blocks)), None
            )
        )

    def play_decisions(self) -> None:
        """One advice-process decision and one integrated decision, blocked then integrated."""
        self.at(4, "11:00")
        top = len([m for m in self.fake.messages(NORTH) if not m.thread_ts])
        self.say(
            f"Friday: {self.name(ANA)} proposes, by the advice process, to publish the rota "
            f"two weeks ahead, asking {self.name(BEN)}, {self.name(CARA)} and the coach"
        )
        view = self.propose_command(ANA, "Publish the rota two weeks ahead, every Friday")
        self.saw_view(ANA, "/propose opens a modal, prefilled", view)
        self.slack.submit_view(
            view,
            user_id=ANA,
            values={
                ids.PROPOSAL_WHY_ACTION: "People with children can't plan their week",
                ids.PROPOSAL_PEOPLE_ACTION: [BEN, CARA, COACH],
                ids.PROPOSAL_VALUES_ACTION: ["Trust"],
            },
        )
        card = self.proposal_card(top)
        self.saw_message(NORTH, "Posted in #north-team", card.to_dict())
        ask = self.asked_dm(BEN, ids.ADVICE_GIVE)
        self.saw_message(BEN, "DM from retrobot", ask.to_dict())
        self.later(30)
        self.say(f"{self.name(BEN)} gives advice; the coach has none to give")
        view = self.open_modal(BEN, lambda: self.slack.click(ask, ids.ADVICE_GIVE, user_id=BEN))
        self.slack.submit_view(
            view,
            user_id=BEN,
            values={ids.ADVICE_TEXT_ACTION: "Let the part-timers choose their shifts first"},
        )
        self.slack.click(self.asked_dm(COACH, ids.ADVICE_NONE), ids.ADVICE_NONE, user_id=COACH)
        self.settle()
        self.later(60)
        self.say(f"{self.name(ANA)} decides; {self.name(CARA)}, who did not answer, is recorded")
        card = self.fake.message(card.channel, card.ts) or card
        view = self.open_modal(
            ANA, lambda: self.slack.click(card, ids.PROPOSAL_DECIDE, user_id=ANA)
        )
        self.saw_view(ANA, "Decide opens a modal", view)
        self.slack.submit_view(
            view,
            user_id=ANA,
            values={
                ids.DECIDE_SHAPED_ACTION: "Ben's advice: part-timers choose their shifts first"
            },
        )
        self.fake.wait_for(
            lambda: "Adopted" in (self.fake.message(card.channel, card.ts) or card).all_text
        )
        self.saw_message(
            NORTH,
            "The proposal, updated in place",
            self.fake.message(card.channel, card.ts).to_dict(),
        )
        self.play_integrated_decision()

    def play_integrated_decision(self) -> None:
        """Dev proposes an integrated decision; Cara objects; Dev amends; it is integrated."""
        self.at(4, "13:00")
        top = len([m for m in self.fake.messages(NORTH) if not m.thread_ts])
        self.say(f"{self.name(DEV)} proposes an integrated decision: a handover checklist")
        view = self.propose_command(DEV, "Every handover uses the shared checklist")
        self.slack.submit_view(view, user_id=DEV, values={ids.PROPOSAL_METHOD_ACTION: "integrated"})
        card = self.proposal_card(top)
        first = {m: self.asked_dm(m, ids.ROUND_NO_OBJECTION) for m in (ANA, BEN, CARA, EVE, FRAN)}
        self.saw_message(CARA, "DM from retrobot", first[CARA].to_dict())
        self.later(20)
        self.say(f"{self.name(CARA)} objects; the others have no objection: it is blocked")
        view = self.open_modal(
            CARA, lambda: self.slack.click(first[CARA], ids.ROUND_OBJECT, user_id=CARA)
        )
        self.slack.submit_view(
            view,
            user_id=CARA,
            values={ids.OBJECTION_REASON_ACTION: "Night visits have no time for a long checklist"},
        )
        for member in (ANA, BEN, EVE, FRAN):
            self.slack.click(first[member], ids.ROUND_NO_OBJECTION, user_id=member)
        self.settle()
        self.saw_message(
            NORTH,
            "The proposal, blocked",
            (self.fake.message(card.channel, card.ts) or card).to_dict(),
        )
        self.later(30)
        self.say(f"{self.name(DEV)} amends it; everyone who answered is asked again")
        card = self.fake.message(card.channel, card.ts) or card
        view = self.open_modal(DEV, lambda: self.slack.click(card, ids.PROPOSAL_AMEND, user_id=DEV))
        before = {m: len(self.fake.dms(m)) for m in first}
        self.slack.submit_view(
            view,
            user_id=DEV,
            values={
                ids.PROPOSAL_TEXT_ACTION: (
                    "Day handovers use the shared checklist; nights the short one"
                ),
                ids.PROPOSAL_NOTE_ACTION: "A three-line checklist for night visits",
            },
        )
        again = {m: self.latest_dm(m, count) for m, count in before.items()}
        self.saw_message(CARA, "DM from retrobot", again[CARA].to_dict())
        self.later(30)
        self.say(f"{self.name(CARA)} confirms her objection is integrated: adopted by consent")
        for member in (ANA, BEN, EVE, FRAN):
            self.slack.click(again[member], ids.ROUND_NO_OBJECTION, user_id=member)
        self.slack.click(again[CARA], ids.OBJECTION_INTEGRATED, user_id=CARA)
        self.fake.wait_for(
            lambda: "Adopted" in (self.fake.message(card.channel, card.ts) or card).all_text
        )
        self.settle()
        self.saw_message(
            NORTH, "The proposal, adopted", self.fake.message(card.channel, card.ts).to_dict()
        )
        self.later(10)
        self.say(f"{self.name(FRAN)} looks the decisions up with `/decisions`")
        answer = self.slack.command(ids.DECISIONS_COMMAND, "", user_id=FRAN, channel_id=NORTH)
        self.saw_message(FRAN, "Only you can see this", answer.json or {"text": answer.body})

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

    def post_agenda_and_brief(self) -> tuple[Any, Any]:
        """`/tactical` posts the agenda; then the scheduler's roles job: Dev holds the rotating
        facilitator role this meeting and gets the brief with the agenda's link (next week the
        role passes to Eve)."""
        briefs = len(self.fake.dms(DEV))
        agenda, reply = self.post_agenda()
        self.saw_message(NORTH, "Posted in #north-team", agenda.to_dict())
        roles.rotate_roles(self.services, now=self.services.now())
        self.saw_message(
            DEV, "DM from retrobot (the facilitator's brief)", self.latest_dm(DEV, briefs).to_dict()
        )
        return agenda, reply

    def play_meeting(self) -> None:
        """The tactical meeting: the agenda, triage into outcomes, progress, the raiser's yes."""
        self.at(1, "09:30")
        self.say(
            f"Tuesday 09:30: {self.name(DEV)} facilitates: `/tactical` in #north-team posts "
            "the agenda"
        )
        agenda, reply = self.post_agenda_and_brief()
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
