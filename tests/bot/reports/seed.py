"""A small organisation with three weeks of history, for the report's tests.

Three teams in two time zones; every person has a name and a Slack id, and everything they type
carries a marker word, so a test can look for each in a report and be sure none is there (but
the consented stories). June 2026: weeks W23, W24 and W25 (Monday 1 to Sunday 21 June).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from bot.core.config import AppConfig, parse_config
from bot.services import sync_teams
from storage.models import FeedbackKind, OutcomeKind, PromptStatus, TensionStatus
from tests.storage.factories import (
    make_feedback,
    make_prompt,
    make_response,
    make_round,
    make_tension,
)

NOW = datetime(2026, 6, 22, 9, 0, tzinfo=UTC)  # Monday after the period
START, END = date(2026, 6, 1), date(2026, 6, 21)
WEEKS = ["2026-W23", "2026-W24", "2026-W25"]

PEOPLE = {
    "north": [("U0NANA01", "Anastasia"), ("U0NBEN02", "Benedikt"), ("U0NCAR03", "Carys"),
              ("U0NDEV04", "Devika")],
    "south": [("U0SEMI05", "Emrys"), ("U0SFIN06", "Finnian"), ("U0SGWE07", "Gwendolyn")],
    "east": [("U0EHAL08", "Halvard"), ("U0EIMO09", "Imogen")],
}  # fmt: skip
COACHES = {"north": ("U0CKIM10", "Kimberley"), "south": ("U0CLEE11", "Leonora"),
           "east": ("U0CMOR12", "Morwenna")}  # fmt: skip
CHANNELS = {"north": "C0NORTHCH", "south": "C0SOUTHCH", "east": "C0EASTCH1"}
ZONES = {"north": "Europe/London", "south": "Europe/London", "east": "America/New_York"}


def _people(team: str) -> str:
    return ", ".join(f"{{id: {uid}, name: {name}}}" for uid, name in PEOPLE[team])


REPORT_APP_YAML = f"""
organisation:
  name: Riverside Community Care
  values: [Compassion, Trust, Courage]
defaults:
  tactical: {{day: tuesday, time: "10:00"}}
teams:
  - id: north
    name: North Neighbourhood Team
    channel: {CHANNELS["north"]}
    timezone: {ZONES["north"]}
    members: [{_people("north")}]
    coaches: [{{id: {COACHES["north"][0]}, name: {COACHES["north"][1]}}}]
    metrics:
      - {{id: visits, label: Client visits, unit: visits}}
    checklist: [Medication audits done, Rota published]
    key_questions: {{visits: responsive, checklist.medication_audits_done: safe}}
  - id: south
    name: South Riverside Team
    channel: {CHANNELS["south"]}
    timezone: {ZONES["south"]}
    members: [{_people("south")}]
    coaches: [{{id: {COACHES["south"][0]}, name: {COACHES["south"][1]}}}]
    metrics:
      - {{id: visits, label: Client visits, unit: visits}}
      - {{id: travel, label: Hours travelling, unit: hours}}
    checklist: [Medication audits done]
  - id: east
    name: East Harbour Team
    channel: {CHANNELS["east"]}
    timezone: {ZONES["east"]}
    members: [{_people("east")}]
    coaches: [{{id: {COACHES["east"][0]}, name: {COACHES["east"][1]}}}]
"""


def report_config() -> AppConfig:
    """The seeded organisation's app.yaml."""
    return parse_config(REPORT_APP_YAML, source="report-app.yaml")


@dataclass
class Seeded:
    """What was written: every secret a report must not show, and the consented stories."""

    secrets: set[str] = field(default_factory=set)
    consented: list[str] = field(default_factory=list)


def seed(session: Session, config: AppConfig) -> Seeded:
    """Three weeks of check-ins, tensions and feedback for the three teams."""
    sync_teams(session, config)
    seeded = Seeded()
    for team, people in PEOPLE.items():
        seeded.secrets |= {uid for uid, _ in people} | {name for _, name in people}
        seeded.secrets |= set(COACHES[team]) | {CHANNELS[team]}
        for week in range(3):
            _week(session, seeded, team, week)
    _tensions(session, seeded)
    _feedback(session, seeded)
    session.commit()
    return seeded


def _week(session: Session, seeded: Seeded, team: str, week: int) -> None:
    """One round: every member asked; north's four and south's three answer; east's two."""
    meeting = datetime(2026, 6, 2, 9, tzinfo=UTC) + timedelta(weeks=week)
    if team == "east":
        meeting += timedelta(hours=5)  # 10:00 in New York
    found = make_round(
        session, team_id=team, meeting_date=meeting.date(), meeting_at=meeting,
        opens_at=meeting - timedelta(days=1),
    )  # fmt: skip
    for position, (uid, name) in enumerate(PEOPLE[team]):
        make_prompt(session, round_id=found.id, user_id=uid, status=PromptStatus.ANSWERED)
        note = f"note-secret-{team}-{week}-{position}"
        progress = f"progress-secret-{team}-{week}-{position}"
        seeded.secrets |= {note, progress}
        story = ""
        beyond = False
        if position == 0:  # consented: shared with the team and beyond it
            story = f"Consented story {team} {week}: {name} helped Mrs B to the shop."
            beyond = True
            seeded.consented.append(story)
        elif position == 1:  # shared with the team only
            story = f"team-only-story-secret {team} {week}"
            seeded.secrets.add(story)
        make_response(
            session,
            round_id=found.id,
            user_id=uid,
            mood=2 + (position + week) % 4,
            note=note,
            progress=progress,
            story=story,
            story_beyond_team=beyond,
            shared=True,
            metric_values={"visits": 10 + position, "travel": 3},
            checklist={"Medication audits done": position != 2, "Rota published": True},
            answers={},
        )


def _tensions(session: Session, seeded: Seeded) -> None:
    """North raises four in W23 (three triaged after 2 days, closed after 5); one private."""
    for n in range(4):
        text = f"tension-secret-{n}"
        seeded.secrets.add(text)
        raised = datetime(2026, 6, 1, 12, tzinfo=UTC) + timedelta(hours=n)
        triaged = n < 3
        make_tension(
            session,
            team_id="north",
            raised_by=PEOPLE["north"][n][0],
            text=text,
            created_at=raised,
            status=TensionStatus.CLOSED if triaged else TensionStatus.OPEN,
            outcome=OutcomeKind.NEXT_ACTION if triaged else None,
            owner=PEOPLE["north"][0][0] if triaged else None,
            triaged_at=raised + timedelta(days=2) if triaged else None,
            resolved_at=raised + timedelta(days=5) if triaged else None,
            triage_note=f"triage-secret-{n}",
        )
        seeded.secrets.add(f"triage-secret-{n}")
    make_tension(
        session, team_id="north", raised_by=PEOPLE["north"][1][0], text="private-secret",
        private=True, created_at=datetime(2026, 6, 3, 12, tzinfo=UTC),
    )  # fmt: skip
    seeded.secrets.add("private-secret")


def _feedback(session: Session, seeded: Seeded) -> None:
    """Appreciations naming Compassion and Trust (never Courage), and a suggestion."""
    for n, values in enumerate([["Compassion"], ["Compassion", "Trust"], []]):
        text = f"feedback-secret-{n}"
        seeded.secrets.add(text)
        make_feedback(
            session,
            team_id="south",
            giver=PEOPLE["south"][n][0],
            receiver=PEOPLE["south"][(n + 1) % 3][0],
            kind=FeedbackKind.APPRECIATION if values else FeedbackKind.SUGGESTION,
            values=values,
            text=text,
            created_at=datetime(2026, 6, 10, 12, tzinfo=UTC),
        )
