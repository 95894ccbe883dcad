"""The demo's deciding (bot/decisions): a proposal by the advice process, decided with the
advice it was given; and an integrated decision, blocked by an objection, amended, adopted."""

from __future__ import annotations

from typing import Any

from bot.core import ids
from bot.demo.cast import ANA, BEN, CARA, COACH, DEV, EVE, FRAN, NORTH


class DecisionScenes:
    """DemoWeek's deciding scenes (it supplies the moves: say, at, open_modal, saw_...)."""

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
        self.amend_until_adopted(card, first)

    def amend_until_adopted(self, card: Any, first: dict[str, Any]) -> None:
        """Dev amends the blocked proposal; those who answered ``first`` are asked again; Cara's
        objection is integrated and it is adopted; Fran looks it up with `/decisions`."""
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
