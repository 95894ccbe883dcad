"""The demo's retrospective: the period in figures, reflections without names, the health
chart, three votes each, and the chosen improvements on the next agenda."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from bot.core import ids
from bot.demo.cast import ANA, BEN, CARA, DEV, FRAN, NORTH
from bot.retros import usecases as retros


class RetroScenes:
    """DemoWeek's retrospective scenes (it supplies the moves: say, at, open_modal, saw_...)."""

    def reflect(self, user_id: str, texts: dict[str, str], scores: list[str]) -> dict[str, Any]:
        """Reflect from the retrospective's DM: the modal, what they wrote, saved."""
        invitation = next(
            (m for m in self.fake.dms(user_id) if "retrospective is open" in m.all_text), None
        )
        if invitation is None:  # off shift: the DM waits for their working time; /retro works
            view = self.open_modal(
                user_id,
                lambda: self.slack.command(ids.RETRO_COMMAND, user_id=user_id, channel_id=NORTH),
            )
        else:
            view = self.open_modal(
                user_id, lambda: self.slack.click(invitation, ids.RETRO_REFLECT, user_id=user_id)
            )
        values: dict[str, Any] = {
            f"{block}.{ids.RETRO_TEXT_ACTION}": text for block, text in texts.items()
        }
        for index, score in enumerate(scores):
            values[
                f"{ids.numbered_block(ids.RETRO_HEALTH_BLOCK, index)}.{ids.RETRO_HEALTH_ACTION}"
            ] = score
        self.slack.submit_view(view, user_id=user_id, values=values)
        self.settle()
        return view

    def retro_board(self) -> Any:
        """The retrospective's message in #north-team, as it is now."""
        for posted in reversed(self.fake.messages(NORTH)):
            now = self.fake.message(NORTH, posted.ts)
            if posted.thread_ts is None and now is not None and "Retrospective" in now.all_text:
                return now
        return None

    def play_retrospective(self) -> None:
        """The retrospective: the period in figures, reflections without names, the health
        chart, three votes each, and the chosen improvements on the next agenda."""
        self.at(4, "16:00")
        self.say(
            "Friday 16:00: the team's retrospective opens (`retrobot retro open --team north`)"
        )
        retros.open_retrospective(self.services, team_id="north")
        self.settle()
        self.saw_message(NORTH, "Posted in #north-team", self.retro_board().to_dict())
        self.saw_message(ANA, "DM from retrobot", self.fake.dms(ANA)[-1].to_dict())
        well, better, idea = ids.RETRO_WENT_WELL_BLOCK, ids.RETRO_BETTER_BLOCK, ids.RETRO_IDEA_BLOCK
        self.later(20)
        self.say(
            f"{self.name(ANA)}, {self.name(BEN)}, {self.name(CARA)} and {self.name(DEV)} reflect"
        )
        view = self.reflect(
            ANA,
            {
                well: "Mrs K's progress\nHandovers got calmer",
                better: "Friday handovers still overrun",
            },
            ["4", "3", "4", "5", "4"],
        )
        self.saw_view(ANA, "Reflect opens a modal", view)
        self.reflect(
            BEN,
            {better: "Weekend on-call is unclear", idea: "A shared on-call calendar"},
            ["4", "2", "3", "4", "4"],
        )
        self.reflect(
            CARA,
            {idea: "A 6pm handover checklist", well: "The new starter settled in"},
            ["5", "3", "4", "4", "5"],
        )
        self.say(
            f"{self.name(DEV)}'s Reflect DM waits for his night shift; he types `/retro` instead"
        )
        self.reflect(DEV, {better: "Handovers overrun on Fridays"}, ["3", "2", "4", "4", "3"])
        self.play_retro_votes()

    def play_retro_votes(self) -> None:
        """Reflection closes (the health chart), three votes each, voting closes (the chosen
        improvements go to the agenda)."""
        self.at(4, "17:30")
        self.say("17:30: reflection closes; the thread shows the team's health and its chart")
        retros.close_retrospective(self.services, team_id="north")
        self.settle()
        thread = [m for m in self.fake.messages(NORTH) if m.thread_ts == self.retro_board().ts]
        for reply in thread:
            now = self.fake.message(NORTH, reply.ts)
            if now is not None:
                self.saw_message(NORTH, "In the retrospective's thread", now.to_dict())
        self.later(10)
        self.say("Everyone has three votes: Vote on the reflections in the thread")
        buttons = [
            (self.fake.message(NORTH, m.ts), block["accessory"]["value"], block["text"]["text"])
            for m in thread
            for block in (self.fake.message(NORTH, m.ts) or m).blocks
            if (block.get("accessory") or {}).get("action_id") == ids.RETRO_VOTE
        ]
        wanted = ("checklist", "calendar", "still overrun")
        for voter in (ANA, BEN, CARA, DEV, FRAN):
            for message, value, words in buttons:
                if any(w in words for w in wanted) and self.rng.random() < 0.8:
                    self.slack.click(message, ids.RETRO_VOTE, user_id=voter, value=value)
        # Each vote's listener updates the channel message after its ack: let them all finish
        # before the demo clock jumps a night ahead.
        self.settle()
        self.at(5, "09:00")
        self.say("Saturday: voting closes; the most-voted reflections go to the tactical agenda")
        retros.close_retrospective(self.services, team_id="north")
        self.settle()
        self.saw_message(NORTH, "The retrospective's message, closed", self.retro_board().to_dict())
        results = [
            now
            for m in self.fake.messages(NORTH)
            if m.thread_ts == self.retro_board().ts
            and (now := self.fake.message(NORTH, m.ts)) is not None
            and "The team chose" in now.all_text
        ]
        for reply in results:
            self.saw_message(NORTH, "In the retrospective's thread", reply.to_dict())

    def save_retro_charts(self, folder: Path) -> list[Path]:
        """The retrospective's health chart(s), as attached in its thread."""
        uploads = [f for f in self.fake.files() if f.filename.startswith("retro-health")]
        saved = []
        for number, upload in enumerate(uploads):
            path = folder / f"retro-health-north{'-' + str(number + 1) if number else ''}.png"
            path.write_bytes(upload.content)
            saved.append(path)
        return saved
