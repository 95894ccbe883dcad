"""The demo's tactical meeting (bot/agenda, bot/triage, bot/roles): the agenda and the
facilitator's brief, triage into outcomes, the raiser's "did you get what you need?", the
owner's Done."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.core import ids
from bot.demo.cast import ANA, BEN, CARA, DEV, FRAN, NORTH, PEOPLE, TENSIONS, VISITOR
from bot.demo.steps import Scene
from bot.demo.transcript import render_message
from bot.roles import usecases as roles


class MeetingScenes:
    """DemoWeek's meeting scenes (it supplies the moves: say, at, open_modal, saw_...)."""

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

        self.play_triage()

    def play_triage(self) -> None:
        """10:00: the team triages the three tensions into a next action, a project and
        information; the agenda is updated in place and the next action's owner is told."""
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
        self.play_after_meeting(owner_dm, raiser_dms)

    def play_after_meeting(self, owner_dm: Any, raiser_dms: int) -> None:
        """After the meeting: Ana, who raised the first tension, says she got what she needed;
        on Wednesday Cara marks her next action (``owner_dm``) done; Ben opens his Home tab."""
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
