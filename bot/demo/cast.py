"""The demo's cast: a team of six in London, its coach, a visitor, and what they say."""

from __future__ import annotations

from bot.core import ids

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
    roles:
      - {{id: rota, name: Rota organiser, purpose: A fair rota everyone can live with,
         expertise: [rota, on-call], holders: [{BEN}]}}
      - {{id: facilitator, name: Facilitator, rotates: every meeting, holders: [{DEV}]}}
"""

CHECKIN_STORIES = [
    "Mrs K walked to the corner shop on her own for the first time since her fall",
    "The new starter shadowed me all week and already knows every key safe",
]

MEMBERS = (ANA, BEN, CARA, DEV, EVE, FRAN)

TENSIONS = [
    "Friday handovers keep running past 6pm",
    "We have no shared view of who covers the weekend on-call",
    "The new referral form asks for the same details three times",
    "Mileage claims take weeks to come back",
]


# The quieter weeks before the one shown in full: what the team raised, felt and said.
EARLIER_TENSIONS = [
    "The pool car's tyres need checking before the weekend",
    "Nobody knows who reorders gloves and aprons",
    "Two of us booked the same training day",
    "The Sunday out-of-hours handover gets missed",
    "Care plans at three addresses are out of date",
    "The office is double-booked on Tuesday mornings",
    "Our shared calendar shows last month's rota",
    "The key safe code at Elm Court changed without notice",
    "Nobody has checked the first aid kits this year",
    "The referral inbox is only read on Mondays",
]
CHECKIN_NOTES = [
    "Tired but OK",
    "Good week, lots of laughs on the road",
    "A heavy visit on Thursday stayed with me",
    "Feeling settled",
    "Running to catch up after leave",
    "Proud of how we covered the sickness",
]
APPRECIATIONS = [
    "You picked up my late visit without being asked",
    "Your calm on the phone with the GP got Mr T seen the same day",
    "Thank you for showing me the new dressing technique",
    "You noticed I was struggling and made me a cup of tea",
    "Your handover notes are the clearest on the team",
]
OUTCOMES = ("next_action", "project", "information")


def metric_field(metric_id: str) -> str:
    """The check-in modal's input for one of the team's metrics, as the sender names it."""
    return f"{ids.numbered_block(ids.CHECKIN_METRIC_BLOCK, metric_id)}.{ids.CHECKIN_METRIC_ACTION}"
