"""Peer feedback's domain: the command, the checks, giving, asking, reminders, the Home overview."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from bot.core.config import AppConfig
from bot.core.errors import InvalidInputError, NotAllowedError, NotInTeamError
from bot.feedback import rules as feedback_rules
from bot.feedback import service as feedback
from bot.feedback.model import AskedForFeedback, FeedbackCommand, FeedbackDraft, Reply
from bot.services import Services
from bot.slack.users import Account, AccountKind
from storage.models import (
    Feedback,
    FeedbackKind,
    FeedbackRequest,
    FeedbackRequestRecipient,
    Member,
)
from tests.conftest import ANA, BEN, CARA, COACH, DEV, OUTSIDER, SAM, SHARED

# Monday 1 June 2026, 10:00 in London.
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
PEOPLE = {
    user_id: Account(user_id, AccountKind.PERSON, name)
    for user_id, name in [
        (ANA, "Ana"),
        (BEN, "Ben"),
        (CARA, "Cara"),
        (DEV, "Dev"),
        (SAM, "Sam"),
        (SHARED, "Shay"),
        (COACH, "Kim"),
        (OUTSIDER, "Olu"),
    ]
}


def check(config: AppConfig, **overrides: object) -> FeedbackDraft:
    """check_feedback with a valid appreciation from Ana to Ben, unless overridden."""
    fields: dict = {
        "config": config,
        "giver": ANA,
        "receivers": [BEN],
        "kind": "appreciation",
        "values": [],
        "text": "Thank you for Friday",
        "shared": False,
        "anonymous": False,
        "accounts": PEOPLE,
    } | overrides
    return feedback_rules.check_feedback(**fields)


def errors_of(config: AppConfig, **overrides: object) -> dict[str, str]:
    with pytest.raises(InvalidInputError) as raised:
        check(config, **overrides)
    return raised.value.field_errors


# --- the command ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("", FeedbackCommand("give")),
        ("help", FeedbackCommand("help")),
        ("<@U0BEN|ben>", FeedbackCommand("give", (BEN,))),
        (
            "<@U0BEN|ben>, <@U0CARA|cara>: thanks &amp; well done <@U0DEV|dev>",
            FeedbackCommand("give", (BEN, CARA), "thanks & well done @dev"),
        ),
        ("<@U0BEN> <@U0BEN> hi", FeedbackCommand("give", (BEN,), "hi")),
        ("thanks <@U0BEN|ben>", FeedbackCommand("give", (), "thanks @ben")),
        ("@ben great job", FeedbackCommand("give", (), "@ben great job")),
        ("request", FeedbackCommand("request")),
        (
            "Request <@U0BEN|ben> my notes",
            FeedbackCommand("request", (BEN,), "my notes"),
        ),
        ("help me <@U0BEN|ben>", FeedbackCommand("give", (), "help me @ben")),
        ("<!here> hello", FeedbackCommand("give", (), "@here hello")),
    ],
)
def test_parse_command(text: str, expected: FeedbackCommand) -> None:
    assert feedback_rules.parse_command(text) == expected


# --- checks -----------------------------------------------------------------------------------


def test_a_valid_draft_keeps_the_values_in_the_organisations_order(config: AppConfig) -> None:
    draft = check(config, values=["Trust", "Compassion", "Trust"], text="  Thanks \r\n a lot ")
    assert draft.values == ("Compassion", "Trust")
    assert draft.text == "Thanks \n a lot"
    assert draft.kind is FeedbackKind.APPRECIATION


def test_people_checks(config: AppConfig) -> None:
    assert "Choose who" in errors_of(config, receivers=[])["receivers"]
    assert "yourself" in errors_of(config, receivers=[BEN, ANA])["receivers"]
    assert "at most 10" in errors_of(config, receivers=[f"U0P{n}" for n in range(11)])["receivers"]
    app = {"UAPP": Account("UAPP", AccountKind.BOT, "Rota Bot")}
    assert "Rota Bot is an app" in errors_of(config, receivers=["UAPP"], accounts=app)["receivers"]
    gone = {"UGONE": Account("UGONE", AccountKind.DEACTIVATED, "Gil")}
    assert "deactivated" in errors_of(config, receivers=["UGONE"], accounts=gone)["receivers"]
    assert "isn't in this Slack" in errors_of(config, receivers=["UNOBODY"])["receivers"]


def test_cross_team_rule(config: AppConfig) -> None:
    assert check(config, receivers=[SAM, OUTSIDER]).receivers == (SAM, OUTSIDER)
    config.organisation.cross_team_feedback = False
    message = errors_of(config, receivers=[SAM, OUTSIDER, BEN])["receivers"]
    assert "Sam isn't in one of your teams" in message and "Olu isn't" in message
    assert "Ben" not in message
    # The team's coach, and a colleague met in a second team, are within one's teams.
    assert check(config, receivers=[COACH]).receivers == (COACH,)
    assert check(config, giver=SAM, receivers=[SHARED]).receivers == (SHARED,)


def test_text_kind_values_sharing_and_anonymity_checks(config: AppConfig) -> None:
    assert "can't be empty" in errors_of(config, text=" \n ")["text"]
    assert "under 2,000" in errors_of(config, text="x" * 2001)["text"]
    assert "NHS number" in errors_of(config, text="NHS 943 476 5919")["text"]
    assert check(config, text="Ref 943 476 5918").text == "Ref 943 476 5918"
    assert "date of birth" in errors_of(config, text="DOB 12/03/1941")["text"]
    assert "appreciation or a suggestion" in errors_of(config, kind="praise")["kind"]
    assert "Kindness isn't one of" in errors_of(config, values=["Kindness"])["values"]
    assert "Only appreciations" in errors_of(config, kind="suggestion", shared=True)["shared"]
    assert "doesn't use anonymous" in errors_of(config, anonymous=True)["anonymous"]
    config.organisation.anonymous_feedback = True
    assert check(config, anonymous=True).anonymous
    assert "they asked you" in errors_of(config, anonymous=True, request_id=1)["anonymous"]


def test_only_people_in_a_team_or_coaching_one_give_feedback(config: AppConfig) -> None:
    with pytest.raises(NotInTeamError):
        check(config, giver=OUTSIDER)
    assert check(config, giver=COACH, receivers=[BEN]).receivers == (BEN,)


def test_the_team_of_anonymous_feedback_depends_on_the_receiver_only(config: AppConfig) -> None:
    # Sam (south) giving to Shay (north and south): their shared team, south.
    assert feedback_rules.team_for(config, giver=SAM, receiver=SHARED) == "south"
    # Anonymously, the receiver's first team: nothing about the giver shows.
    assert feedback_rules.team_for(config, giver=None, receiver=SHARED) == "north"
    assert feedback_rules.team_for(config, giver=ANA, receiver=SAM) == "south"
    assert feedback_rules.team_for(config, giver=ANA, receiver=OUTSIDER) == "north"
    assert feedback_rules.team_for(config, giver=None, receiver=OUTSIDER) is None


# --- giving, thanks, replies ------------------------------------------------------------------


def test_give_stores_one_row_per_receiver_and_anonymous_stores_no_giver(
    services: Services, config: AppConfig
) -> None:
    config.organisation.anonymous_feedback = True
    with services.session() as session:
        given = feedback.give_feedback(
            session,
            config=config,
            giver=ANA,
            draft=check(config, receivers=[BEN, SAM], anonymous=True, shared=True),
            now=NOW,
            request_key="V1",
        )
        assert given is not None
        assert [(r.giver, r.receiver, r.team_id, r.anonymous) for r in given.feedback] == [
            (None, BEN, "north", True),
            (None, SAM, "south", True),
        ]
        again = feedback.give_feedback(
            session, config=config, giver=ANA, draft=check(config), now=NOW, request_key="V1"
        )
        assert again is None
        assert len(session.exec(select(Feedback)).all()) == 2


def test_the_hourly_limit_counts_named_feedback_per_giver(
    services: Services, config: AppConfig
) -> None:
    config.organisation.feedback_per_hour = 2
    with services.session() as session:
        for minute in (0, 20):
            feedback.give_feedback(
                session,
                config=config,
                giver=ANA,
                draft=check(config),
                now=NOW + timedelta(minutes=minute),
            )
        with pytest.raises(InvalidInputError) as raised:
            feedback.give_feedback(
                session,
                config=config,
                giver=ANA,
                draft=check(config),
                now=NOW + timedelta(minutes=40),
            )
        # The oldest went at 10:00 London, so there is room again after 11:00.
        assert "try again after 11:00" in raised.value.field_errors["receivers"]
        later = feedback.give_feedback(
            session,
            config=config,
            giver=ANA,
            draft=check(config),
            now=NOW + timedelta(hours=1, seconds=1),
        )
        assert later is not None


def test_thanks_is_recorded_once_and_only_by_the_receiver(
    services: Services, config: AppConfig
) -> None:
    with services.session() as session:
        given = feedback.give_feedback(
            session, config=config, giver=ANA, draft=check(config), now=NOW
        )
        assert given is not None
        row_id = given.first.id or 0
        with pytest.raises(NotAllowedError):
            feedback.thank_for_feedback(session, feedback_id=row_id, user_id=CARA, now=NOW)
        first = feedback.thank_for_feedback(session, feedback_id=row_id, user_id=BEN, now=NOW)
        second = feedback.thank_for_feedback(
            session, feedback_id=row_id, user_id=BEN, now=NOW + timedelta(minutes=5)
        )
        assert (first.new, second.new) == (True, False)
        assert second.feedback.thanked_at == NOW


def test_replies_need_a_named_giver_and_clean_text(services: Services, config: AppConfig) -> None:
    config.organisation.anonymous_feedback = True
    with services.session() as session:
        named = feedback.give_feedback(
            session, config=config, giver=ANA, draft=check(config), now=NOW
        )
        hidden = feedback.give_feedback(
            session, config=config, giver=CARA, draft=check(config, anonymous=True), now=NOW
        )
        assert named is not None and hidden is not None

        def reply(feedback_id: int, text: str, key: str | None = None) -> object:
            return feedback.reply_to_feedback(
                session, feedback_id=feedback_id, user_id=BEN, text=text, now=NOW, request_key=key
            )

        with pytest.raises(InvalidInputError, match="anonymously"):
            reply(hidden.first.id or 0, "Thanks")
        with pytest.raises(InvalidInputError, match="under 1,000"):
            reply(named.first.id or 0, "x" * 1001)
        sent = reply(named.first.id or 0, " Thank you ", "V9")
        assert isinstance(sent, Reply) and sent.text == "Thank you"
        assert reply(named.first.id or 0, "Thank you", "V9") is None


# --- asking -----------------------------------------------------------------------------------


def ask(
    services: Services, config: AppConfig, *, due: date, at: datetime = NOW, people=(BEN, CARA)
) -> AskedForFeedback:
    draft = feedback_rules.check_request(
        config=config,
        requester=ANA,
        recipients=list(people),
        about="How I ran the handover",
        due_date=due.isoformat(),
        accounts=PEOPLE,
        now=at,
    )
    with services.session() as session:
        asked = feedback.ask_for_feedback(
            session, config=config, requester=ANA, draft=draft, now=at
        )
    assert asked is not None
    return asked


def test_request_checks(config: AppConfig) -> None:
    def errors(**overrides: object) -> dict[str, str]:
        fields: dict = {
            "config": config,
            "requester": ANA,
            "recipients": [BEN],
            "about": "My notes",
            "due_date": "2026-06-05",
            "accounts": PEOPLE,
            "now": NOW,
        } | overrides
        with pytest.raises(InvalidInputError) as raised:
            feedback_rules.check_request(**fields)
        return raised.value.field_errors

    assert "That date has passed" in errors(due_date="2026-05-31")["due_date"]
    assert "within the next 90 days" in errors(due_date="2026-09-01")["due_date"]
    assert "Choose the date" in errors(due_date=None)["due_date"]
    assert "Choose the date" in errors(due_date="soon")["due_date"]
    assert "ask yourself" in errors(recipients=[ANA])["recipients"]
    assert "Olu isn't in a retrobot team" in errors(recipients=[OUTSIDER])["recipients"]
    assert "under 300" in errors(about="x" * 301)["about"]
    assert feedback_rules.default_due_date(config, ANA, NOW) == date(2026, 6, 8)


def test_answering_a_request_links_the_answer(services: Services, config: AppConfig) -> None:
    asked = ask(services, config, due=date(2026, 6, 5))
    request_id = asked.request.id
    assert request_id is not None
    with services.session() as session:
        with pytest.raises(NotAllowedError):
            feedback.request_to_answer(session, request_id=request_id, user_id=DEV)
        prompt = feedback.request_to_answer(session, request_id=request_id, user_id=BEN)
        assert not prompt.answered
        draft = check(config, giver=BEN, receivers=[ANA, CARA], request_id=request_id)
        given = feedback.give_feedback(session, config=config, giver=BEN, draft=draft, now=NOW)
        assert given is not None and given.answered is not None
        to_ana = next(r for r in given.feedback if r.receiver == ANA)
        to_cara = next(r for r in given.feedback if r.receiver == CARA)
        assert (to_ana.request_id, to_cara.request_id) == (request_id, None)
        ben = session.exec(
            select(FeedbackRequestRecipient).where(FeedbackRequestRecipient.user_id == BEN)
        ).one()
        assert ben.answered_at == NOW and ben.feedback_id == to_ana.id
        assert feedback.request_to_answer(session, request_id=request_id, user_id=BEN).answered


def test_asking_counts_towards_the_hourly_limit(services: Services, config: AppConfig) -> None:
    config.organisation.feedback_per_hour = 3
    ask(services, config, due=date(2026, 6, 5))
    with pytest.raises(InvalidInputError, match="You've asked 2 people"):
        ask(services, config, due=date(2026, 6, 5))


# --- reminders --------------------------------------------------------------------------------


def due_people(services: Services, config: AppConfig, at: datetime) -> list[str]:
    with services.session() as session:
        return [d.asked.user_id for d in feedback.reminders_due(session, config=config, now=at)]


def test_reminders_are_due_the_day_before_from_nine_local(
    services: Services, config: AppConfig
) -> None:
    ask(services, config, due=date(2026, 6, 5))
    thursday = datetime(2026, 6, 4, tzinfo=UTC)
    assert due_people(services, config, thursday + timedelta(hours=7, minutes=59)) == []
    assert due_people(services, config, thursday + timedelta(hours=8)) == [BEN, CARA]
    # Still due later that day, and on the day itself if the app was down; never after.
    assert due_people(services, config, datetime(2026, 6, 5, 22, 0, tzinfo=UTC)) == [BEN, CARA]
    with services.session() as session:
        late = feedback.reminders_due(
            session, config=config, now=datetime(2026, 6, 5, 8, 0, tzinfo=UTC)
        )
        early = feedback.reminders_due(session, config=config, now=thursday + timedelta(hours=9))
    assert [d.due_today for d in late] == [True, True]
    assert [d.due_today for d in early] == [False, False]
    assert due_people(services, config, datetime(2026, 6, 5, 23, 0, tzinfo=UTC)) == []


def test_a_reminder_goes_once_never_after_an_answer_nor_while_away(
    services: Services, config: AppConfig
) -> None:
    asked = ask(services, config, due=date(2026, 6, 5))
    at = datetime(2026, 6, 4, 9, 0, tzinfo=UTC)
    with services.session() as session:
        cara = next(a for a in asked.asked if a.user_id == CARA)
        row = session.get(FeedbackRequestRecipient, cara.id)
        assert row is not None
        row.answered_at = at
        member = session.exec(
            select(Member).where(Member.user_id == BEN, Member.team_id == "north")
        ).one()
        member.away_until = date(2026, 6, 4)
        session.commit()
    assert due_people(services, config, at) == []  # Ben is away today, Cara answered
    with services.session() as session:
        member = session.exec(select(Member).where(Member.user_id == BEN)).one()
        member.away_until = None
        session.commit()
    assert due_people(services, config, at) == [BEN]
    ben_row = next(a for a in asked.asked if a.user_id == BEN)
    with services.session() as session:
        assert feedback.claim_reminder(session, asked_id=ben_row.id or 0, now=at)
        assert not feedback.claim_reminder(session, asked_id=ben_row.id or 0, now=at)
    assert due_people(services, config, at) == []


def test_a_request_made_the_day_before_gets_no_reminder(
    services: Services, config: AppConfig
) -> None:
    ask(services, config, due=date(2026, 6, 5), at=datetime(2026, 6, 4, 12, 0, tzinfo=UTC))
    assert due_people(services, config, datetime(2026, 6, 4, 13, 0, tzinfo=UTC)) == []


def test_reminders_follow_each_persons_time_zone(services: Services, config: AppConfig) -> None:
    ask(services, config, due=date(2026, 6, 5))
    config.teams[0].members[1].timezone = "Pacific/Auckland"  # Ben, 12 hours ahead in June
    # 09:00 on Thursday in Auckland is 21:00 on Wednesday in UTC.
    assert due_people(services, config, datetime(2026, 6, 3, 21, 0, tzinfo=UTC)) == [BEN]


# --- the Home overview ------------------------------------------------------------------------


def test_home_overview_pages_and_lists_requests(services: Services, config: AppConfig) -> None:
    with services.session() as session:
        for number in range(12):
            session.add(
                Feedback(
                    team_id="north",
                    giver=CARA,
                    receiver=BEN,
                    kind=FeedbackKind.SUGGESTION,
                    text=f"Note {number}",
                    created_at=NOW - timedelta(hours=number),
                )
            )
        # Asked long ago: more than a week past its date, it no longer waits for Ben.
        old = FeedbackRequest(
            team_id="north", requester=CARA, about="Old", due_date=date(2026, 5, 20)
        )
        session.add(old)
        session.flush()
        session.add(FeedbackRequestRecipient(request_id=old.id or 0, user_id=BEN))
        session.commit()
    ask(services, config, due=date(2026, 6, 5))
    with services.session() as session:
        home = feedback.feedback_home(session, config=config, user_id=BEN, now=NOW, page=2)
        assert (home.page, home.pages, home.received_total) == (2, 3, 12)
        assert [f.text for f in home.received] == ["Note 10", "Note 11"]
        assert [r.about for r in home.waiting] == ["How I ran the handover"]
        beyond = feedback.feedback_home(session, config=config, user_id=BEN, now=NOW, page=9)
        assert beyond.page == 2
        ana = feedback.feedback_home(session, config=config, user_id=ANA, now=NOW)
        assert ana.received == [] and ana.pages == 1
        [mine] = ana.mine
        assert (mine.answered, mine.waiting) == ([], [BEN, CARA])
