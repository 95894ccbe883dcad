"""Triage and what follows, end to end: the agenda's Triage button, the modal, the outcome on the
agenda, the owner's and raiser's DMs, yes / no, Done, and the next meeting's progress updates.

Time is frozen (ticking) at North's meeting on Tuesday 1 December 2026, 10:00 London.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from freezegun import freeze_time

import bot.standin  # noqa: F401  (imported before time is frozen, as freezegun needs)
from bot.core import ids
from bot.services import Services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack, Message
from storage.models import OutcomeKind, TensionStatus
from tests.conftest import ANA, BEN, CARA, COACH, DEV, OUTSIDER, SAM
from tests.journeys.steps import newest_ephemeral
from tests.journeys.tactical_steps import (
    MEETING_AT,
    new_dm,
    open_triage,
    seed_tensions,
    stored,
    submit_triage,
    tactical,
    the_agenda,
    thread,
    triage,
    triage_buttons,
)

TUESDAY = MEETING_AT.date()
FRIDAY = TUESDAY + timedelta(days=3)


@pytest.fixture
def clock(services: Services) -> Iterator[object]:
    # After ``services``: the database driver is imported before time is frozen.
    with freeze_time(MEETING_AT + timedelta(minutes=5), tick=True) as frozen:
        yield frozen


@pytest.fixture
def agenda(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: object
) -> tuple[Message, list[int]]:
    """North's agenda posted with two tensions: Ana's, then Ben's."""
    tension_ids = seed_tensions(services, ["Friday handovers run late"])
    tension_ids += seed_tensions(
        services, ["Nobody owns the <!channel> & <@U123> <https://x|y> rota"], raised_by=BEN
    )
    tactical(slack, fake_slack, CARA)
    return the_agenda(fake_slack), tension_ids


def test_a_member_triages_a_tension_into_a_next_action(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    agenda: tuple[Message, list[int]],
) -> None:
    message, (handovers, _) = agenda

    view = open_triage(slack, fake_slack, DEV, message, handovers)

    assert view["callback_id"] == ids.TRIAGE_MODAL
    assert "Friday handovers run late" in json.dumps(view)
    options = [o["value"] for o in view["blocks"][1]["element"]["options"]]
    # Every outcome but "circle": North is in no circle, and a circle is offered by its name.
    assert options == [kind.value for kind in OutcomeKind if kind is not OutcomeKind.CIRCLE]
    owner_dms, raiser_dms = len(fake_slack.dms(CARA)), len(fake_slack.dms(ANA))

    answer = submit_triage(
        slack,
        view,
        DEV,
        outcome="next_action",
        owner=CARA,
        due=FRIDAY,
        note="Cara drafts a handover checklist",
    )

    assert answer.status == 200 and not answer.body.strip()
    tension = stored(services, handovers)
    assert (tension.status, tension.outcome, tension.owner, tension.due_date) == (
        TensionStatus.TRIAGED,
        OutcomeKind.NEXT_ACTION,
        CARA,
        FRIDAY,
    )
    assert (tension.triaged_by, tension.triage_note) == (DEV, "Cara drafts a handover checklist")
    assert tension.triaged_at is not None and tension.governance is False
    # The agenda shows the outcome in place, and the tension has no Triage button any more.
    fake_slack.wait_for(lambda: handovers not in triage_buttons(the_agenda(fake_slack)))
    updated = the_agenda(fake_slack)
    assert updated.ts == message.ts
    assert "*Next action* for <@U0CARA>, due Fri 4 Dec" in updated.all_text
    assert "triaged by <@U0DEV>" in updated.all_text
    # The owner's DM carries a Done button; the raiser is asked whether they got what they needed.
    owner_dm = new_dm(fake_slack, CARA, owner_dms)
    assert "You own a new *next action*" in owner_dm.all_text and "Friday 4 December" in (
        owner_dm.all_text
    )
    assert owner_dm.blocks[0]["accessory"]["action_id"] == ids.ACTION_DONE
    question = new_dm(fake_slack, ANA, raiser_dms)
    assert "Did you get what you need?" in question.all_text
    assert [e["action_id"] for e in question.blocks[-1]["elements"]] == [
        ids.NEEDS_MET_YES,
        ids.NEEDS_MET_NO,
    ]
    # The owner's App Home lists the new next action with its Done button.
    home = fake_slack.wait_for(lambda: fake_slack.home(CARA))
    assert "Friday handovers run late" in json.dumps(home)
    assert any(
        (b.get("accessory") or {}).get("action_id") == ids.ACTION_DONE for b in home["blocks"]
    )


def test_people_outside_the_team_are_refused_and_nothing_changes(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    agenda: tuple[Message, list[int]],
) -> None:
    message, (handovers, _) = agenda
    value = triage_buttons(message)[handovers]

    for outsider in (OUTSIDER, SAM, COACH):  # in no team, in another team, the team's coach
        before = len(fake_slack.ephemerals(outsider))
        slack.click(message, ids.AGENDA_TRIAGE, user_id=outsider, value=value)
        refusal = newest_ephemeral(fake_slack, outsider, before)
        assert "Only members of North Neighbourhood Team" in refusal.all_text
        assert "Nothing was changed" in refusal.all_text
        assert fake_slack.views_opened(outsider) == []
    assert stored(services, handovers).status == TensionStatus.OPEN
    assert fake_slack.calls_to("chat.update") == []


def test_a_forged_submission_from_outside_the_team_records_nothing(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    agenda: tuple[Message, list[int]],
) -> None:
    message, (handovers, _) = agenda
    view = open_triage(slack, fake_slack, DEV, message, handovers)

    answer = submit_triage(slack, view, SAM, outcome="dropped")

    assert "Only members of North" in answer.json["errors"][ids.TRIAGE_OUTCOME_BLOCK]
    assert stored(services, handovers).status == TensionStatus.OPEN


def test_a_stale_triage_button_says_who_was_quicker(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    agenda: tuple[Message, list[int]],
) -> None:
    message, (handovers, _) = agenda
    first = open_triage(slack, fake_slack, DEV, message, handovers)
    second = open_triage(slack, fake_slack, BEN, message, handovers)  # both looking at once
    submit_triage(slack, first, DEV, outcome="information")

    late = submit_triage(slack, second, BEN, outcome="dropped")

    assert late.json["response_action"] == "errors"
    assert "triaged this a moment ago" in late.json["errors"][ids.TRIAGE_OUTCOME_BLOCK]
    assert stored(services, handovers).outcome == OutcomeKind.INFORMATION
    # A click on the old button (Ben's client had not refreshed yet) says who triaged it.
    slack.click(message, ids.AGENDA_TRIAGE, user_id=BEN, value=triage_buttons(message)[handovers])
    notice = fake_slack.wait_for(lambda: fake_slack.ephemerals(BEN))[-1]
    assert "<@U0DEV> already triaged this" in notice.all_text
    assert "*Information or help*" in notice.all_text
    assert len(fake_slack.views_opened(BEN)) == 1


def test_bad_triage_answers_are_field_errors(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    agenda: tuple[Message, list[int]],
) -> None:
    message, (handovers, _) = agenda
    view = open_triage(slack, fake_slack, DEV, message, handovers)

    no_owner = submit_triage(slack, view, DEV, outcome="project")
    outsider = submit_triage(slack, view, DEV, outcome="next_action", owner=SAM)
    past = submit_triage(
        slack, view, DEV, outcome="next_action", owner=ANA, due=TUESDAY - timedelta(days=1)
    )
    client_data = submit_triage(slack, view, DEV, outcome="space", note="Call 07700 900123 back")

    assert "needs an owner" in no_owner.json["errors"][ids.TRIAGE_OWNER_BLOCK]
    assert "must be a member" in outsider.json["errors"][ids.TRIAGE_OWNER_BLOCK]
    assert "That date has passed" in past.json["errors"][ids.TRIAGE_DUE_BLOCK]
    assert "phone number" in client_data.json["errors"][ids.TRIAGE_NOTE_BLOCK]
    assert stored(services, handovers).status == TensionStatus.OPEN
    today = submit_triage(slack, view, DEV, outcome="next_action", owner=ANA, due=TUESDAY)
    assert today.status == 200 and not today.body.strip()


def test_the_raiser_answers_yes_and_the_tension_closes(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    agenda: tuple[Message, list[int]],
) -> None:
    message, (handovers, _) = agenda
    before = len(fake_slack.dms(ANA))
    triage(slack, fake_slack, DEV, message, handovers, outcome="space")
    question = new_dm(fake_slack, ANA, before)

    slack.click(question, ids.NEEDS_MET_NO, user_id=BEN, value=str(handovers))  # not Ben's
    refusal = fake_slack.wait_for(lambda: fake_slack.ephemerals(BEN))[-1]
    assert "Only the person who raised" in refusal.all_text
    slack.click(question, ids.NEEDS_MET_YES, user_id=ANA, value=str(handovers))

    fake_slack.wait_for(lambda: stored(services, handovers).status == TensionStatus.CLOSED)
    tension = stored(services, handovers)
    assert tension.needs_met is True and tension.resolved_at is not None
    answered = fake_slack.wait_for(
        lambda: (
            "closed" in fake_slack.message(question.channel, question.ts).all_text
            and fake_slack.message(question.channel, question.ts)
        )
    )
    assert all(b["type"] != "actions" for b in answered.blocks)  # the buttons are gone
    slack.click(question, ids.NEEDS_MET_NO, user_id=ANA, value=str(handovers))  # stale click
    assert (
        "You already answered"
        in fake_slack.wait_for(lambda: fake_slack.ephemerals(ANA))[-1].all_text
    )
    assert stored(services, handovers).status == TensionStatus.CLOSED


def test_no_reopens_it_for_the_next_meeting(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    agenda: tuple[Message, list[int]],
    clock: object,
) -> None:
    message, (handovers, _) = agenda
    before, owner_before = len(fake_slack.dms(ANA)), len(fake_slack.dms(CARA))
    view = open_triage(slack, fake_slack, DEV, message, handovers)
    submit_triage(slack, view, DEV, outcome="next_action", owner=CARA)
    question = new_dm(fake_slack, ANA, before)
    new_dm(fake_slack, CARA, owner_before)

    slack.click(question, ids.NEEDS_MET_NO, user_id=ANA, value=str(handovers))

    fake_slack.wait_for(lambda: stored(services, handovers).status == TensionStatus.OPEN)
    assert stored(services, handovers).needs_met is False
    note = new_dm(fake_slack, CARA, owner_before + 1)
    assert "back on the next agenda" in note.all_text
    # It is open again on today's agenda, and goes on next week's.
    fake_slack.wait_for(lambda: handovers in triage_buttons(the_agenda(fake_slack)))
    clock.move_to(MEETING_AT + timedelta(days=6, hours=23, minutes=30))  # type: ignore[attr-defined]
    tactical(slack, fake_slack, BEN)
    next_week = [m for m in fake_slack.messages(message.channel) if m.thread_ts is None][-1]
    assert next_week.ts != message.ts and "Tuesday 8 December" in next_week.all_text
    assert handovers in triage_buttons(fake_slack.message(next_week.channel, next_week.ts))


def test_progress_is_carried_into_the_next_agenda_until_done(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    agenda: tuple[Message, list[int]],
    clock: object,
) -> None:
    message, (handovers, rota) = agenda
    owner_dms = len(fake_slack.dms(CARA))
    triage(
        slack, fake_slack, DEV, message, handovers, outcome="next_action", owner=CARA, due=FRIDAY
    )
    owner_dm = new_dm(fake_slack, CARA, owner_dms)
    triage(slack, fake_slack, DEV, the_agenda(fake_slack), rota, outcome="project", owner=DEV)
    fake_slack.wait_for(lambda: not triage_buttons(the_agenda(fake_slack)))
    # Today's agenda reports progress from earlier meetings only: nothing yet.
    assert "no open next actions or projects" in the_agenda(fake_slack).all_text

    clock.move_to(MEETING_AT + timedelta(days=6, hours=23, minutes=30))  # type: ignore[attr-defined]
    tactical(slack, fake_slack, ANA)
    next_week = fake_slack.message(
        message.channel, [m for m in fake_slack.messages(message.channel) if not m.thread_ts][-1].ts
    )
    assert next_week is not None and next_week.ts != message.ts
    assert "2 open next actions and projects, :warning: 1 overdue" in next_week.all_text
    progress = thread(fake_slack, next_week)[0].all_text
    assert "Friday handovers run late — <@U0CARA>, due Fri 4 Dec :warning: *overdue*" in progress
    assert "&lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://x|y&gt; rota — <@U0DEV>" in progress

    slack.click(owner_dm, ids.ACTION_DONE, user_id=CARA, value=str(handovers))

    fake_slack.wait_for(lambda: stored(services, handovers).done_at is not None)
    done_dm = fake_slack.wait_for(
        lambda: (
            "thank you" in fake_slack.message(owner_dm.channel, owner_dm.ts).all_text
            and fake_slack.message(owner_dm.channel, owner_dm.ts)
        )
    )
    assert "accessory" not in done_dm.blocks[0]
    fake_slack.wait_for(
        lambda: (
            "1 open next action or project"
            in fake_slack.message(next_week.channel, next_week.ts).all_text
        )
    )
    progress = fake_slack.wait_for(
        lambda: (
            text
            if "Friday handovers" not in (text := thread(fake_slack, next_week)[0].all_text)
            else None
        )
    )
    assert "rota" in progress
    before = len(fake_slack.ephemerals(CARA))
    slack.click(owner_dm, ids.ACTION_DONE, user_id=CARA, value=str(handovers))  # stale
    notice = fake_slack.wait_for(lambda: fake_slack.ephemerals(CARA)[before:])[0]
    assert "already marked done on Tue 8 Dec" in notice.all_text


def test_marking_done_from_the_home_and_refusals(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    agenda: tuple[Message, list[int]],
) -> None:
    message, (handovers, _) = agenda
    triage(slack, fake_slack, DEV, message, handovers, outcome="project", owner=CARA, due=FRIDAY)
    home = fake_slack.wait_for(
        lambda: "Friday handovers" in json.dumps(fake_slack.home(CARA)) and fake_slack.home(CARA)
    )
    assert "Your next actions and projects" in json.dumps(home)
    assert "Tuesday 8 December, 10:00" in json.dumps(home)  # the next meeting, in Cara's zone

    slack.click(home, ids.ACTION_DONE, user_id=OUTSIDER, value=str(handovers))  # a forged click
    notice = fake_slack.wait_for(lambda: fake_slack.views_opened(OUTSIDER))[-1]
    assert "Only members of North" in json.dumps(notice)
    assert stored(services, handovers).done_at is None

    slack.click(home, ids.ACTION_DONE, user_id=CARA, value=str(handovers))

    fake_slack.wait_for(lambda: stored(services, handovers).done_at is not None)
    fake_slack.wait_for(lambda: "Friday handovers" not in json.dumps(fake_slack.home(CARA)))


def test_other_outcomes_record_governance_and_close(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    agenda: tuple[Message, list[int]],
) -> None:
    message, (handovers, rota) = agenda
    owner_dms = len(fake_slack.dms(DEV))
    triage(slack, fake_slack, CARA, message, handovers, outcome="proposal", owner=DEV)
    fake_slack.wait_for(lambda: stored(services, handovers).status == TensionStatus.TRIAGED)
    proposal = stored(services, handovers)
    assert proposal.governance is True and proposal.outcome == OutcomeKind.PROPOSAL
    triage(slack, fake_slack, CARA, the_agenda(fake_slack), rota, outcome="resolved")
    fake_slack.wait_for(lambda: stored(services, rota).status == TensionStatus.CLOSED)
    assert stored(services, rota).resolved_at is not None
    fake_slack.wait_for(lambda: "marked for governance" in the_agenda(fake_slack).all_text)
    # A proposal's owner gets one DM: "Draft the proposal" (bot/decisions), not work to do.
    draft = new_dm(fake_slack, DEV, owner_dms)
    assert "Draft the proposal" in draft.all_text and "Done" not in draft.all_text
    fake_slack.wait_quiet(0.2)
    assert len(fake_slack.dms(DEV)) == owner_dms + 1


def test_triage_modal_and_dms_escape_what_people_typed(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    agenda: tuple[Message, list[int]],
) -> None:
    message, (_, rota) = agenda
    typed = "Nobody owns the <!channel> & <@U123> <https://x|y> rota"
    escaped = "Nobody owns the &lt;!channel&gt; &amp; &lt;@U123&gt; &lt;https://x|y&gt; rota"
    assert escaped in message.all_text and "<!channel>" not in json.dumps(message.blocks)
    view = open_triage(slack, fake_slack, DEV, message, rota)
    assert escaped in json.dumps(view["blocks"][0]) and typed not in json.dumps(view)
    note = "Ask <@U0ANA> & <!here> — see <https://evil.example|this> " + "x" * 900
    owner_dms, raiser_dms = len(fake_slack.dms(ANA)), len(fake_slack.dms(BEN))

    submit_triage(slack, view, DEV, outcome="next_action", owner=ANA, note=note)

    assert stored(services, rota).triage_note == note  # stored as typed
    for dm in (new_dm(fake_slack, ANA, owner_dms), new_dm(fake_slack, BEN, raiser_dms)):
        shown = json.dumps(dm.blocks) + dm.text
        assert "<!here>" not in shown and "<!channel>" not in shown and "<https://" not in shown
        assert escaped in dm.all_text and "&lt;!here&gt;" in dm.all_text


def test_the_agenda_never_lists_a_tension_from_another_team(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: object
) -> None:
    seed_tensions(services, ["South's own worry"], raised_by=SAM, team_id="south")
    seed_tensions(services, ["North's worry"])
    tactical(slack, fake_slack, ANA)
    agenda = the_agenda(fake_slack)
    assert "North's worry" in agenda.all_text and "South" not in agenda.all_text
    assert len(triage_buttons(agenda)) == 1
