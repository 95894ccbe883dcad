"""The demo's peer feedback (bot/feedback): an appreciation shared with the team, a private
suggestion, a request answered from its DM, and a thanks."""

from __future__ import annotations

from typing import Any

from bot.core import ids
from bot.demo.cast import ANA, BEN, CARA, DEV, EVE, FRAN, NORTH


class FeedbackScenes:
    """DemoWeek's feedback scenes (it supplies the moves: say, at, open_modal, saw_...)."""

    def play_feedback(self) -> None:
        """Peer feedback: a shared appreciation and a private suggestion; then a request, its
        answer, and a thanks (play_feedback_request)."""
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
        self.play_feedback_request(appreciation)

    def play_feedback_request(self, appreciation: Any) -> None:
        """Eve asks two people for feedback; Fran answers from the DM's button the next day;
        Ben thanks Ana for her ``appreciation``; Eve's Home tab shows who has answered."""
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
