"""A seeded organisation in which Shay (U0SHARED) is a member of north and of south, and sat in
the links circle (north's and south's representatives) where they raised a tension.

Everything Shay typed starts ``SHAY-`` (their words: forget deletes them) or ``RECORD-`` (what
became the team's record: an adopted decision, a tension handed to an owner — kept, by "a former
member"). What others typed starts with their name. Two past weeks in each team: in week 23 Shay
checks in without a shared story; in week 24 Shay shares a story, which north's summary of that
week (kept as sent) shows.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import Session

from bot.core.config import AppConfig, parse_config
from bot.digests import service as digests
from bot.digests import views
from prompts import Renderer
from storage.models import (
    Advice,
    AdviceAnswer,
    AskStatus,
    CheckinPrompt,
    CheckinResponse,
    CheckinRound,
    Coach,
    Decision,
    DeliveryStatus,
    DigestKind,
    Feedback,
    FeedbackKind,
    FeedbackRequest,
    FeedbackRequestRecipient,
    Member,
    Objection,
    OutcomeKind,
    PromptStatus,
    Proposal,
    ProposalAmendment,
    ProposalMethod,
    ProposalStatus,
    RoundAnswer,
    RoundStatus,
    SentDigest,
    Team,
    Tension,
    TensionStatus,
)
from tests.conftest import (
    ANA,
    BEN,
    CARA,
    COACH,
    DEV,
    NORTH_CHANNEL,
    SAM,
    SHARED,
    SOUTH_CHANNEL,
    SOUTH_COACH,
    TEST_APP_YAML,
)

NOW = datetime(2026, 7, 1, 9, 0, tzinfo=UTC)
WEEKS = ("2026-W23", "2026-W24")
MEETINGS = (datetime(2026, 6, 2, 9, 0, tzinfo=UTC), datetime(2026, 6, 9, 9, 0, tzinfo=UTC))
MOODS = {ANA: 4, BEN: 3, CARA: 4, DEV: 4, SHARED: 2, SAM: 3}

# Shay's words that forget deletes, and the ones the team keeps as its record.
SHAY_WORDS = (
    "SHAY-NOTE-north",
    "SHAY-NOTE-south",
    "SHAY-PROGRESS",
    "SHAY-ANSWER",
    "SHAY-STORY-the ambulance came at last",
    "SHAY-TENSION-open",
    "SHAY-TENSION-own-action",
    "SHAY-TENSION-private",
    "SHAY-TENSION-withdrawn",
    "SHAY-TENSION-circle",
    "SHAY-FEEDBACK-to-ana",
    "SHAY-FEEDBACK-answer-to-cara",
    "SHAY-REQUEST-about",
    "SHAY-PROPOSAL-open",
    "SHAY-WHY-open",
    "SHAY-AMEND-open",
    "SHAY-ADVICE-now",
    "SHAY-ADVICE-earlier",
    "SHAY-OBJECTION-reason",
)
RECORD_WORDS = (
    "RECORD-rota swaps need a form",
    "RECORD-rota published two weeks ahead",
    "RECORD-why the rota",
    "RECORD-shaped by Ana's advice",
    "RECORD-amended for nights",
)
OTHERS_WORDS = (
    "Ana to Shay: try the checklist",
    "Sam's anonymous thanks to Shay",
    "Ben answers Shay's request",
    "Ana's tension for <@U0SHARED> to follow up",
    "Ana's advice: ask nights too",
)

# app.yaml once Shay has left both teams.
WITHOUT_SHAY_YAML = TEST_APP_YAML.replace(f", {SHARED}]", "]").replace(f"[{SHARED}, ", "[")


def config_without_shay() -> AppConfig:
    """The test organisation's app.yaml with Shay removed from north and south."""
    config = parse_config(WITHOUT_SHAY_YAML, source="app.yaml")
    assert not config.teams_of(SHARED)
    return config


def seed(session: Session) -> None:
    """Fill the database with the organisation's two past weeks; commits."""
    _teams(session)
    rounds = _checkins(session)
    _tensions(session, rounds)
    _feedback(session)
    _decisions(session)
    session.commit()
    _kept_deliveries(session)
    session.commit()


def _add(session: Session, *rows: object) -> None:
    session.add_all(rows)
    session.flush()


def _teams(session: Session) -> None:
    _add(
        session,
        Team(
            id="north",
            name="North Neighbourhood Team",
            channel=NORTH_CHANNEL,
            timezone="Europe/London",
        ),
        Team(
            id="south",
            name="South Neighbourhood Team",
            channel=SOUTH_CHANNEL,
            timezone="Europe/London",
        ),
    )
    # A circle is a team of its own in the database (bot/circles): its members are its teams'
    # representatives, Shay among them until they left.
    _add(
        session,
        Team(id="links", name="Links circle", channel="C0LINKS", timezone="Europe/London"),
    )
    people = {
        "north": (ANA, BEN, CARA, DEV, SHARED),
        "south": (SHARED, SAM),
        "links": (SHARED, SAM),
    }
    for team_id, members in people.items():
        for user_id in members:
            name = "Shay" if user_id == SHARED else None
            _add(
                session,
                Member(team_id=team_id, user_id=user_id, name=name, active=user_id != SHARED),
            )
    _add(
        session, Coach(team_id="north", user_id=COACH), Coach(team_id="south", user_id=SOUTH_COACH)
    )


def _checkins(session: Session) -> dict[tuple[str, int], CheckinRound]:
    rounds: dict[tuple[str, int], CheckinRound] = {}
    people = {"north": (ANA, BEN, CARA, DEV, SHARED), "south": (SHARED, SAM)}
    for week, meeting_at in enumerate(MEETINGS):
        for team_id, members in people.items():
            round_ = CheckinRound(
                team_id=team_id,
                meeting_date=meeting_at.date(),
                meeting_at=meeting_at,
                opens_at=meeting_at - timedelta(days=1),
                status=RoundStatus.CLOSED,
            )
            _add(session, round_)
            rounds[(team_id, week)] = round_
            for user_id in members:
                _add(
                    session,
                    CheckinPrompt(
                        round_id=round_.id,
                        user_id=user_id,
                        status=PromptStatus.ANSWERED,
                        channel=f"D{user_id}",
                        message_ts="1.0",
                        created_at=meeting_at - timedelta(days=1),
                        sent_at=meeting_at - timedelta(days=1),
                    ),
                    _answer(round_, user_id, team_id, week, meeting_at),
                )
    return rounds


def _answer(
    round_: CheckinRound, user_id: str, team_id: str, week: int, meeting_at: datetime
) -> CheckinResponse:
    shay = user_id == SHARED
    story = ""
    if week == 1 and team_id == "north":
        story = "SHAY-STORY-the ambulance came at last" if shay else f"{user_id} story of week 24"
    return CheckinResponse(
        round_id=round_.id,
        user_id=user_id,
        mood=MOODS[user_id] + week % 2,
        note=f"SHAY-NOTE-{team_id}" if shay else f"{user_id} note",
        progress="SHAY-PROGRESS" if shay else "",
        answers={"What do you need?": "SHAY-ANSWER"} if shay else {},
        metric_values={"visits": 7.0 if shay else 5.0},
        shared=not shay or week == 1,
        story=story,
        created_at=meeting_at - timedelta(hours=3),
    )


def _tensions(session: Session, rounds: dict[tuple[str, int], CheckinRound]) -> None:
    first = MEETINGS[0] - timedelta(days=1)
    triage = {
        "triaged_at": MEETINGS[0],
        "triaged_by": CARA,
        "triaged_round_id": rounds[("north", 0)].id,
        "status": TensionStatus.TRIAGED,
    }
    _add(
        session,
        Tension(team_id="north", raised_by=SHARED, text="SHAY-TENSION-open", created_at=first),
        Tension(team_id="links", raised_by=SHARED, text="SHAY-TENSION-circle", created_at=first),
        Tension(
            team_id="north",
            raised_by=SHARED,
            text="RECORD-rota swaps need a form",
            outcome=OutcomeKind.NEXT_ACTION,
            owner=BEN,
            due_date=date(2026, 6, 20),
            created_at=first,
            **triage,
        ),
        Tension(
            team_id="north",
            raised_by=SHARED,
            text="SHAY-TENSION-own-action",
            outcome=OutcomeKind.NEXT_ACTION,
            owner=SHARED,
            created_at=first,
            **triage,
        ),
        Tension(
            team_id="north",
            raised_by=ANA,
            text="Ana's tension for <@U0SHARED> to follow up",
            outcome=OutcomeKind.PROJECT,
            owner=SHARED,
            created_at=first,
            **triage,
        ),
        Tension(
            team_id="south",
            raised_by=SHARED,
            text="SHAY-TENSION-private",
            private=True,
            created_at=first,
        ),
        Tension(
            team_id="south",
            raised_by=SHARED,
            text="SHAY-TENSION-withdrawn",
            status=TensionStatus.WITHDRAWN,
            resolved_at=first + timedelta(hours=1),
            created_at=first,
        ),
        Tension(team_id="north", raised_by=DEV, text="Dev's own tension", created_at=first),
    )


def _feedback(session: Session) -> None:
    at = MEETINGS[0] + timedelta(days=1)
    _add(
        session,
        Feedback(
            team_id="north",
            giver=SHARED,
            receiver=ANA,
            kind=FeedbackKind.APPRECIATION,
            values=["Trust"],
            text="SHAY-FEEDBACK-to-ana",
            shared=True,
            dm_channel=f"D{ANA}",
            created_at=at,
        ),
        Feedback(
            team_id="north",
            giver=ANA,
            receiver=SHARED,
            kind=FeedbackKind.SUGGESTION,
            text="Ana to Shay: try the checklist",
            dm_channel=f"D{SHARED}",
            created_at=at,
        ),
        Feedback(
            team_id="south",
            giver=None,
            anonymous=True,
            receiver=SHARED,
            kind=FeedbackKind.APPRECIATION,
            values=["Compassion"],
            text="Sam's anonymous thanks to Shay",
            created_at=at,
        ),
        Feedback(
            team_id="south",
            giver=SAM,
            receiver=SAM,
            kind=FeedbackKind.APPRECIATION,
            text="Sam notes a good week",
            created_at=at,
        ),
    )
    asked = FeedbackRequest(
        team_id="north", requester=SHARED, about="SHAY-REQUEST-about", created_at=at
    )
    cara_asks = FeedbackRequest(team_id="north", requester=CARA, about="Cara asks", created_at=at)
    _add(session, asked, cara_asks)
    answer = Feedback(
        team_id="north",
        giver=BEN,
        receiver=SHARED,
        kind=FeedbackKind.SUGGESTION,
        text="Ben answers Shay's request",
        request_id=asked.id,
        created_at=at,
    )
    to_cara = Feedback(
        team_id="north",
        giver=SHARED,
        receiver=CARA,
        kind=FeedbackKind.APPRECIATION,
        text="SHAY-FEEDBACK-answer-to-cara",
        request_id=cara_asks.id,
        created_at=at,
    )
    _add(session, answer, to_cara)
    _add(
        session,
        FeedbackRequestRecipient(
            request_id=asked.id, user_id=BEN, answered_at=at, feedback_id=answer.id
        ),
        FeedbackRequestRecipient(request_id=asked.id, user_id=CARA),
        FeedbackRequestRecipient(
            request_id=cara_asks.id, user_id=SHARED, answered_at=at, feedback_id=to_cara.id
        ),
    )


def _decisions(session: Session) -> None:
    at = MEETINGS[0] + timedelta(days=2)
    adopted = Proposal(
        team_id="north",
        proposer=SHARED,
        text="RECORD-rota published two weeks ahead",
        why="RECORD-why the rota",
        method=ProposalMethod.ADVICE,
        status=ProposalStatus.ADOPTED,
        version=2,
        decide_by=date(2026, 6, 10),
        created_at=at,
    )
    still_open = Proposal(
        team_id="north",
        proposer=SHARED,
        text="SHAY-PROPOSAL-open",
        why="SHAY-WHY-open",
        method=ProposalMethod.INTEGRATED,
        version=2,
        decide_by=date(2026, 7, 20),
        created_at=at,
    )
    bens = Proposal(
        team_id="north",
        proposer=BEN,
        text="Ben proposes handover huddles",
        why="Ben's why",
        method=ProposalMethod.INTEGRATED,
        decide_by=date(2026, 7, 20),
        created_at=at,
    )
    devs = Proposal(
        team_id="north",
        proposer=DEV,
        text="Dev proposes a new van",
        why="Dev's why",
        method=ProposalMethod.ADVICE,
        status=ProposalStatus.ADOPTED,
        decide_by=date(2026, 6, 12),
        created_at=at,
    )
    _add(session, adopted, still_open, bens, devs)
    _add(
        session,
        ProposalAmendment(
            proposal_id=adopted.id,
            version=2,
            text=adopted.text,
            why=adopted.why,
            note="RECORD-amended for nights",
            decide_by=date(2026, 6, 10),
            created_at=at,
        ),
        ProposalAmendment(
            proposal_id=still_open.id,
            version=2,
            text="SHAY-PROPOSAL-open",
            why="SHAY-WHY-open",
            note="SHAY-AMEND-open",
            decide_by=date(2026, 7, 20),
            created_at=at,
        ),
        Advice(
            proposal_id=adopted.id,
            user_id=ANA,
            status=AskStatus.SENT,
            answer=AdviceAnswer.ADVICE,
            text="Ana's advice: ask nights too",
            answered_at=at,
            answered_version=1,
        ),
        Advice(
            proposal_id=devs.id,
            user_id=SHARED,
            status=AskStatus.SENT,
            dm_channel=f"D{SHARED}",
            answer=AdviceAnswer.ADVICE,
            text="SHAY-ADVICE-now",
            earlier=[{"version": 1, "text": "SHAY-ADVICE-earlier", "at": at.isoformat()}],
            answered_at=at,
            answered_version=1,
        ),
        Objection(
            proposal_id=still_open.id,
            user_id=ANA,
            status=AskStatus.SENT,
            answer=RoundAnswer.NO_OBJECTION,
            answered_at=at,
            answered_version=1,
        ),
        Objection(
            proposal_id=bens.id,
            user_id=SHARED,
            status=AskStatus.SENT,
            dm_channel=f"D{SHARED}",
            answer=RoundAnswer.OBJECTION,
            reason="SHAY-OBJECTION-reason",
            objection="SHAY-OBJECTION-reason",
            objected_at=at,
            objected_version=1,
            answered_at=at,
            answered_version=1,
        ),
        Decision(
            team_id="north",
            proposal_id=adopted.id,
            method=ProposalMethod.ADVICE,
            text="RECORD-rota published two weeks ahead",
            shaped_by="RECORD-shaped by Ana's advice",
            decided_by=SHARED,
            decided_at=at + timedelta(days=1),
        ),
        Decision(
            team_id="north",
            proposal_id=devs.id,
            method=ProposalMethod.ADVICE,
            text="Dev proposes a new van",
            shaped_by="Dev's shaping",
            decided_by=DEV,
            decided_at=at + timedelta(days=1),
            unanswered=[SHARED, BEN],
        ),
    )


def team_summaries(
    session: Session, config: AppConfig, renderer: Renderer
) -> dict[tuple[str, str], str]:
    """Every team's summary of each past week, as its text would be posted."""
    return {
        (team_id, week): views.summary_body(
            renderer,
            digests.build_team_summary(session, config=config, team_id=team_id, week=week, now=NOW),
        )
        for team_id in ("north", "south")
        for week in WEEKS
    }


def _kept_deliveries(session: Session) -> None:
    """North's summaries and coach digests as sent, kept word for word."""
    renderer = Renderer()
    bodies = team_summaries(session, config_without_shay(), renderer)
    for (team_id, week), body in bodies.items():
        channel = NORTH_CHANNEL if team_id == "north" else SOUTH_CHANNEL
        _add(
            session,
            SentDigest(
                kind=DigestKind.TEAM_SUMMARY,
                recipient=channel,
                team_id=team_id,
                iso_week=week,
                status=DeliveryStatus.SENT,
                created_at=NOW,
                sent_at=NOW,
                body=body,
            ),
        )
    _add(
        session,
        SentDigest(
            kind=DigestKind.COACH_DIGEST,
            recipient=COACH,
            team_id="north",
            iso_week=WEEKS[1],
            status=DeliveryStatus.SENT,
            created_at=NOW,
            sent_at=NOW,
            body="North: 5 of 5 checked in",
        ),
    )
