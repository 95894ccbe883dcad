"""The demo's team, its app.yaml, and the week it plays through the real handlers."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from typing import Any, TextIO

from bot import ids
from bot.demo.transcript import boxed, render_message, render_view
from bot.services import Services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack

ANA, BEN, CARA, DEV, EVE, FRAN = (
    "U0DEMOANA",
    "U0DEMOBEN",
    "U0DEMOCARA",
    "U0DEMODEV",
    "U0DEMOEVE",
    "U0DEMOFRAN",
)
COACH = "U0DEMOKIM"
VISITOR = "U0DEMOOLU"
NORTH = "C0DEMONORTH"

PEOPLE = {
    ANA: "Ana",
    BEN: "Ben",
    CARA: "Cara",
    DEV: "Dev",
    EVE: "Eve",
    FRAN: "Fran",
    COACH: "Kim (coach)",
    VISITOR: "Olu",
    NORTH: "north-team",
}

DEMO_APP_YAML = f"""\
# The demo organisation: one team of six in London, with a coach.
organisation:
  name: Riverside Community Care
  values: [Compassion, Trust, Accountability, Courage]
defaults:
  timezone: Europe/London
  tactical: {{day: tuesday, time: "10:00", checkin_lead: 24h, reminder_after: 4h, agenda_lead: 30m}}
  digest: {{day: monday, time: "08:30"}}
teams:
  - id: north
    name: North Neighbourhood Team
    channel: {NORTH}
    members: [{ANA}, {BEN}, {CARA}, {DEV}, {EVE}, {FRAN}]
    coaches: [{COACH}]
    metrics:
      - {{id: visits, label: Client visits, unit: visits}}
      - {{id: hours, label: Hours on the road, unit: hours}}
"""

TENSIONS = [
    "Friday handovers keep running past 6pm",
    "We have no shared view of who covers the weekend on-call",
    "The new referral form asks for the same details three times",
    "Mileage claims take weeks to come back",
]


@dataclass
class Scene:
    """One thing a person saw: a DM, a modal, their Home tab, or an answer to a command."""

    who: str
    title: str
    lines: list[str]


@dataclass
class DemoWeek:
    """Plays the demo week step by step, printing progress, collecting what people saw."""

    fake: FakeSlack
    slack: SlackSender
    services: Services
    rng: random.Random
    out: TextIO
    scenes: list[Scene] = field(default_factory=list)
    step: int = 0

    def say(self, text: str) -> None:
        """One progress line on the terminal."""
        self.step += 1
        print(f"  {self.step:>2}. {text}", file=self.out, flush=True)

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

    def raise_by_command(self, user_id: str, text: str, *, private: bool = False) -> None:
        """`/tension text`, the modal, submit, the confirmation DM."""
        view = self.tension_command(user_id, text)
        self.saw_view(user_id, f"/tension {text[:30]}… opens a modal", view)
        dms = len(self.fake.dms(user_id))
        values: dict[str, Any] = {ids.TENSION_TEXT_ACTION: text}
        if private:
            values[ids.TENSION_PRIVATE_ACTION] = [ids.TENSION_PRIVATE_VALUE]
        self.slack.submit_view(view, user_id=user_id, values=values)
        dm = self.latest_dm(user_id, dms)
        self.saw_message(user_id, "DM from retrobot", dm.to_dict())

    def play(self) -> None:
        """The week, as the team lives it."""
        self.say(f"{self.name(ANA)} opens retrobot's Home tab for the first time")
        self.slack.app_home_opened(ANA)
        self.fake.wait_for(lambda: self.fake.home(ANA))

        first = TENSIONS[0]
        self.say(f"{self.name(ANA)} types `/tension {first}`")
        self.raise_by_command(ANA, first)

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
            ),
        )
        self.saw_view(BEN, "Raise as tension (message shortcut)", view)
        dms = len(self.fake.dms(BEN))
        self.slack.submit_view(view, user_id=BEN, values={ids.TENSION_AREA_ACTION: "Rota"})
        self.saw_message(BEN, "DM from retrobot", self.latest_dm(BEN, dms).to_dict())

        self.say(f"{self.name(CARA)} submits an empty tension, and is asked for a few words")
        view = self.tension_command(CARA)
        answer = self.slack.submit_view(view, user_id=CARA, values={ids.TENSION_TEXT_ACTION: "   "})
        errors = (answer.json or {}).get("errors", {})
        self.scenes.append(
            Scene(self.name(CARA), "The modal stays open, with", list(errors.values()))
        )

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

        self.say(f"{self.name(EVE)} raises a private tension; only the coach hears of it")
        coach_dms = len(self.fake.dms(COACH))
        self.raise_by_command(EVE, "I'm finding the lone working at night hard", private=True)
        self.saw_message(COACH, "DM from retrobot", self.latest_dm(COACH, coach_dms).to_dict())

        self.say(f"{self.name(VISITOR)}, who is in no team, tries `/tension`")
        answer = self.slack.command(ids.TENSION_COMMAND, "hello", user_id=VISITOR, channel_id=NORTH)
        text = (answer.json or {}).get("text", answer.body)
        self.scenes.append(Scene(self.name(VISITOR), "Only you can see this", [text]))

        self.say(f"{self.name(FRAN)} opens the Home tab and sees the team's tensions")
        self.slack.app_home_opened(FRAN)
        home = self.fake.wait_for(lambda: self.fake.home(FRAN))
        self.saw_view(FRAN, "Home tab", home)

    def transcript(self) -> str:
        """Everything people saw, in order."""
        parts = ["WHAT EACH PERSON SAW", "=" * 20]
        for scene in self.scenes:
            parts.append(boxed(f"{scene.who} — {scene.title}", scene.lines))
        return "\n".join(parts) + "\n"
