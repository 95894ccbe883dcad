"""Deciding, one function per thing a person or a job does; each owns its transaction.

A modal's submission is two steps, so that the modal closes only once what it holds is stored:
``submit_*`` checks and stores (raising InvalidInputError for the modal's field errors), the
listener acks, then ``announce_*`` tells Slack (the channel message, its thread, the DMs). A
click acks first and calls one function here; a refusal comes back as a RetrobotError whose
message is fit to show the person.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from slack_sdk import WebClient
from sqlmodel import Session

from bot.core.errors import InvalidInputError, NotAllowedError
from bot.decisions import answers, asks, checks, delivery, links, service
from bot.decisions.home_views import (
    HOME_SHOWN,
    HomeProposal,
    build_home_section,
)
from bot.decisions.model import TEXT_LIMIT, WHY_LIMIT, Clicked, default_decide_by
from bot.decisions.proposal_modal import build_proposal_modal, with_role_change
from bot.decisions.views import (
    build_advice_answered,
    build_advice_ask,
    build_advice_modal,
    build_amend_modal,
    build_decide_modal,
    build_note,
    build_objection_modal,
    build_round_answered,
    build_round_ask,
)
from bot.services import Services
from bot.slack import client as slack
from bot.slack import users as slack_users
from bot.slack.blocks import Block
from bot.tensions import service as tensions
from storage.models import Advice, AdviceAnswer, Proposal, RoundAnswer

logger = logging.getLogger(__name__)

DM = tuple[str | None, str | None]


# --- proposing ------------------------------------------------------------------------------


def proposal_modal(
    services: Services,
    *,
    user_id: str,
    channel_id: str | None = None,
    text: str = "",
    permalink: str | None = None,
    tension_id: int | None = None,
) -> dict[str, Any]:
    """The proposal modal for this person, prefilled (a command's words, a message, a tension).

    NotInTeamError for someone in no team; NotAllowedError for a coach, and for anyone but the
    owner of the tension it is drafted from.
    """
    config = services.config
    own = checks.proposer_teams(config, user_id)
    team = checks.default_team(config, user_id, channel_id)
    tension = None
    why = ""
    if tension_id is not None:
        with services.session() as session:
            tension = tensions.tension_by_id(session, tension_id)
        if tension.owner != user_id:
            raise NotAllowedError("Only the owner of this proposal can draft it.")
        team = next((t for t in own if t.id == tension.team_id), team)
        why, text, permalink = tension.text, text or tension.triage_note, tension.source_permalink
    mine = {t.id for t in own}
    role_options, suggested = links.advisors_for_modal(
        services, user_id=user_id, teams=own, team_id=team.id, text=f"{text} {why}"
    )
    return build_proposal_modal(
        services.renderer,
        organisation=config.organisation,
        teams=own,
        other_teams=[t for t in config.teams if t.id not in mine][:100],
        team_id=team.id,
        decide_by=default_decide_by(checks.local_today(team, services.now())),
        text=text[:TEXT_LIMIT],
        why=why[:WHY_LIMIT],
        permalink=permalink,
        tension=tension,
        suggested=suggested,
        roles=role_options,
    )


def submit_proposal(
    services: Services, client: WebClient, *, user_id: str, form: dict[str, Any], view_id: str
) -> Proposal | None:
    """Check and store a proposal; None when this very submission was stored before."""
    config = services.config
    form = dict(form)
    role_change, role_errors = links.checked_role_change(
        services, team_id=form.get("team_id"), form=form.pop("role_change", None)
    )
    form["people"] = links.with_role_holders(  # the holders of the roles chosen are asked
        services, user_id=user_id, people=form.get("people", ()), chosen=form.get("roles", ())
    )
    known = {u: config.name_of(u) for u in form.get("people", ()) if config.teams_with(u)}
    accounts = slack_users.look_up(client, form.get("people", ()), known=known)
    try:
        draft = checks.check_proposal(
            config=config, user_id=user_id, accounts=accounts, now=services.now(), **form
        )
    except InvalidInputError as error:  # every field at fault at once, the role's too
        raise InvalidInputError(error.field_errors | role_errors) from None
    if role_errors:
        raise InvalidInputError(role_errors)
    draft = replace(draft, role_change=role_change)
    with services.session() as session:
        return service.create_proposal(
            session,
            config=config,
            user_id=user_id,
            draft=draft,
            now=services.now(),
            request_key=view_id,
        )


def proposal_modal_role_part(
    services: Services, *, user_id: str, view: dict[str, Any], kind: str | None
) -> dict[str, Any]:
    """The proposal modal showing the fields of the role change chosen (``kind``: create,
    change, assign, remove, or none), the proposer's teams' roles to choose from."""
    teams = checks.proposer_teams(services.config, user_id)
    options = links.role_options(services, teams=teams)
    return with_role_change(services.renderer, view, kind=kind, roles=options)


def announce_proposal(services: Services, client: WebClient, *, proposal: Proposal) -> None:
    """Post the proposal's channel message, ask everyone, and tell the proposer how it went."""
    posted = delivery.post_card(services, client, proposal, look_first=False)
    if not posted.ok:
        slack.post(client, proposal.proposer, build_note(services.renderer, "posted_not"))
    report = delivery.send_asks(services, now=services.now(), proposal_id=proposal.id)
    if report.missed:
        delivery.refresh_card(services, client, proposal)
    team = services.config.team(proposal.team_id)
    note = build_note(
        services.renderer,
        "proposer_confirmation",
        proposal=proposal,
        team_name=team.name,
        channel=team.channel,
        missed=list(report.missed),
    )
    slack.post(client, proposal.proposer, note)


# --- the proposer's buttons -----------------------------------------------------------------


def amend_modal(services: Services, *, user_id: str, clicked: Clicked) -> dict[str, Any]:
    """The Amend modal for the proposer of an open proposal."""
    with services.session() as session:
        proposal = service.amendable(session, user_id=user_id, proposal_id=clicked.proposal_id)
    return build_amend_modal(services.renderer, proposal=proposal)


def submit_amendment(
    services: Services, *, user_id: str, proposal_id: int, version: int, form: dict, view_id: str
) -> service.Amended | None:
    """Check and store an amendment; None when this submission was stored before."""
    now = services.now()
    with services.session() as session:
        if service.submitted(session, "proposal-amend", view_id):
            return None
        proposal = service.amendable(session, user_id=user_id, proposal_id=proposal_id)
        draft = checks.check_amendment(
            proposal=proposal, team=services.config.team(proposal.team_id), now=now, **form
        )
        return service.amend_proposal(
            session,
            user_id=user_id,
            proposal_id=proposal_id,
            version=version,
            draft=draft,
            now=now,
            request_key=view_id,
        )


def announce_amendment(services: Services, client: WebClient, *, amended: service.Amended) -> None:
    """The message and the DMs of those yet to answer show the new words; those who answered
    are told (advice) or asked again (the objection round)."""
    proposal = amended.proposal
    team = services.config.team(proposal.team_id)
    delivery.refresh_card(services, client, proposal)
    note = build_note(
        services.renderer, "thread_amended", proposal=proposal, amendment=amended.amendment
    )
    delivery.post_in_thread(client, proposal, note)
    delivery.update_dms(
        client,
        amended.unanswered_dms,
        {
            "advice": build_advice_ask(services.renderer, proposal=proposal, team=team),
            "round": build_round_ask(services.renderer, proposal=proposal, team=team),
        },
    )
    delivery.send_asks(services, now=services.now(), proposal_id=proposal.id)


def decide_modal(services: Services, *, user_id: str, clicked: Clicked) -> dict[str, Any]:
    """The Decide modal for the proposer of an open advice-process proposal."""
    with services.session() as session:
        proposal = service.decidable(session, user_id=user_id, proposal_id=clicked.proposal_id)
        counts = service.tally(session, proposal)
        unanswered = service.unanswered_advisors(session, proposal.id or 0)
    return build_decide_modal(
        services.renderer, proposal=proposal, tally=counts, unanswered=unanswered
    )


def submit_decision(
    services: Services, *, user_id: str, proposal_id: int, version: int, form: dict, view_id: str
) -> service.Closed | None:
    """Check and record the proposer's decision; None when this submission was stored before."""
    now = services.now()
    with services.session() as session:
        if service.submitted(session, "proposal-decide", view_id):
            return None
        proposal = service.decidable(session, user_id=user_id, proposal_id=proposal_id)
        draft = checks.check_decision(
            proposal=proposal,
            team=services.config.team(proposal.team_id),
            advised=service.has_advice(session, proposal_id),
            now=now,
            **form,
        )
        return service.decide_proposal(
            session,
            user_id=user_id,
            proposal_id=proposal_id,
            version=version,
            draft=draft,
            now=now,
            request_key=view_id,
            team=services.config.find_team(proposal.team_id),
        )


def announce_closed(services: Services, client: WebClient, *, closed: service.Closed) -> None:
    """A proposal decided, adopted or withdrawn: the message and its thread say so, the DMs
    still asking lose their buttons, and those who gave advice hear the decision."""
    proposal, decision, renderer = closed.proposal, closed.decision, services.renderer
    delivery.refresh_card(services, client, proposal)
    if decision is None:
        delivery.post_in_thread(
            client, proposal, build_note(renderer, "thread_withdrawn", proposal=proposal)
        )
    else:
        note = build_note(renderer, "thread_decided", proposal=proposal, decision=decision)
        delivery.post_in_thread(client, proposal, note)
        if closed.role_change is not None:  # what it did to a role, or why it could not
            note = build_note(renderer, "thread_role_change", outcome=closed.role_change)
            delivery.post_in_thread(client, proposal, note)
    ended = build_note(renderer, "ask_closed", proposal=proposal)
    delivery.update_dms(client, closed.waiting_dms, {"advice": ended, "round": ended})
    if decision is None:
        return
    links.post_to_member_teams(services, decision=decision)  # a circle's: to its teams
    with services.session() as session:
        advised = service.advisors_who_advised(session, proposal.id or 0)
    told = build_note(renderer, "decided_note", proposal=proposal, decision=decision)
    for person in advised:
        slack.post(client, person, told)
    if decision.decided_by is None:
        slack.post(
            client, proposal.proposer, build_note(renderer, "adopted_note", proposal=proposal)
        )


def withdraw(services: Services, client: WebClient, *, user_id: str, clicked: Clicked) -> None:
    """The proposer withdraws their open proposal."""
    with services.session() as session:
        closed = service.withdraw_proposal(
            session, user_id=user_id, proposal_id=clicked.proposal_id, now=services.now()
        )
    announce_closed(services, client, closed=closed)


# --- advice ---------------------------------------------------------------------------------


def advice_modal(
    services: Services, *, user_id: str, clicked: Clicked, dm: DM | None
) -> dict[str, Any]:
    """The Give advice modal, for someone asked who has not advised on this version."""
    with services.session() as session:
        proposal, row = answers.advisable(session, user_id=user_id, proposal_id=clicked.proposal_id)
        if row.answer is not None and row.answered_version == proposal.version:
            raise service.AlreadyAnsweredError(proposal, answers.advice_word(row.answer))
    team = services.config.team(proposal.team_id)
    return build_advice_modal(services.renderer, proposal=proposal, team_name=team.name, dm=dm)


def submit_advice(
    services: Services, *, user_id: str, proposal_id: int, text: str, view_id: str
) -> Advice | None:
    """Check and record advice; None when this submission was stored before."""
    clean = checks.check_advice(text)
    with services.session() as session:
        if service.submitted(session, "advice", view_id):
            return None
        return answers.give_advice(
            session,
            user_id=user_id,
            proposal_id=proposal_id,
            text=clean,
            now=services.now(),
            request_key=view_id,
        )


def no_advice(services: Services, client: WebClient, *, user_id: str, clicked: Clicked) -> Advice:
    """ "No advice from me": recorded once, counted on the message."""
    with services.session() as session:
        row = answers.give_advice(
            session, user_id=user_id, proposal_id=clicked.proposal_id, text=None, now=services.now()
        )
    assert row is not None
    announce_advice(services, client, row=row, dm=None)
    return row


def announce_advice(services: Services, client: WebClient, *, row: Advice, dm: DM | None) -> None:
    """The advisor's DM shows their answer; advice goes in the thread; the message counts it."""
    with services.session() as session:
        proposal = service.proposal_by_id(session, row.proposal_id)
    if dm is not None:
        delivery.update_dm(client, dm[0], dm[1], build_advice_answered(services.renderer, row=row))
    if row.answer == AdviceAnswer.ADVICE:
        delivery.post_in_thread(
            client, proposal, build_note(services.renderer, "thread_advice", row=row)
        )
    delivery.refresh_card(services, client, proposal)


def advice_answered_payload(services: Services, row: Advice) -> dict[str, Any]:
    """What an advice DM reads once answered (for a click answered in place)."""
    return build_advice_answered(services.renderer, row=row)


# --- the objection round ------------------------------------------------------------------------


def objection_modal(
    services: Services, *, user_id: str, clicked: Clicked, answer: RoundAnswer, dm: DM | None
) -> dict[str, Any]:
    """The reason modal for a Concern or an Objection, if the member may answer now."""
    with services.session() as session:
        proposal, _ = answers.answerable(
            session,
            config=services.config,
            user_id=user_id,
            proposal_id=clicked.proposal_id,
            version=clicked.version,
        )
    return build_objection_modal(services.renderer, proposal=proposal, answer=answer, dm=dm)


def answer_round(
    services: Services,
    *,
    user_id: str,
    clicked: Clicked,
    answer: RoundAnswer,
    reason: str | None = None,
    view_id: str | None = None,
) -> answers.RoundAnswered | None:
    """Record a member's answer (No objection from a button, a reason from the modal)."""
    with services.session() as session:
        if service.submitted(session, "round", view_id):
            return None
        return answers.answer_round(
            session,
            config=services.config,
            user_id=user_id,
            proposal_id=clicked.proposal_id,
            version=clicked.version,
            answer=answer,
            reason=reason,
            now=services.now(),
            request_key=view_id,
        )


def withdraw_objection(
    services: Services, *, user_id: str, clicked: Clicked
) -> answers.RoundAnswered:
    """The objector withdraws their open objection."""
    with services.session() as session:
        return answers.withdraw_objection(
            session,
            config=services.config,
            user_id=user_id,
            proposal_id=clicked.proposal_id,
            now=services.now(),
        )


def round_answered_payload(services: Services, answered: answers.RoundAnswered) -> dict[str, Any]:
    """What the member's round DM reads once answered."""
    return build_round_answered(
        services.renderer,
        proposal=answered.proposal,
        row=answered.row,
        integrated=answered.integrated,
    )


def objection_withdrawn_payload(services: Services) -> dict[str, Any]:
    """What the objector's DM reads once they withdrew their objection."""
    return build_note(services.renderer, "objection_withdrawn")


def announce_round_answer(
    services: Services,
    client: WebClient,
    *,
    answered: answers.RoundAnswered,
    dm: DM | None = None,
    withdrawn: bool = False,
) -> None:
    """Objections, concerns and integrations go in the thread (a plain "no objection" is only
    counted); the message updates; a round that closed or adopted says so."""
    proposal, row, renderer = answered.proposal, answered.row, services.renderer
    if dm is not None:
        delivery.update_dm(client, dm[0], dm[1], round_answered_payload(services, answered))
    if withdrawn:
        note = build_note(renderer, "thread_objection_withdrawn", row=row)
        delivery.post_in_thread(client, proposal, note)
    elif answered.integrated or row.answer != RoundAnswer.NO_OBJECTION:
        note = build_note(renderer, "thread_round", row=row, integrated=answered.integrated)
        delivery.post_in_thread(client, proposal, note)
    announce_settled(services, client, proposal=proposal, settled=answered.settled)


def announce_settled(
    services: Services, client: WebClient, *, proposal: Proposal, settled: answers.Settled | None
) -> None:
    """The message updates; a round that closed blocked, or adopted the proposal, says so."""
    if settled is not None and settled.adopted is not None:
        announce_closed(services, client, closed=settled.adopted)
        return
    if settled is not None and settled.closed_now and settled.blocking:
        note = build_note(services.renderer, "thread_blocked", count=settled.blocking)
        delivery.post_in_thread(client, proposal, note)
    delivery.refresh_card(services, client, proposal)


# --- the jobs ---------------------------------------------------------------------------------


@dataclass
class JobReport:
    """What one run of the deciding jobs did; ``agenda_rounds`` are posted agendas that a
    decision brought back for review now belongs on (to update in place)."""

    cards: int = 0
    asked: int = 0
    reminded: int = 0
    settled: int = 0
    reviews: int = 0
    agenda_rounds: list[int] = field(default_factory=list)


def run_decision_jobs(services: Services, *, now: datetime) -> JobReport:
    """Every few minutes: post a proposal's message the app stopped before posting, send the
    asks still due (or in doubt), the day-before reminders, close integrated rounds whose date
    is over (adopting those with no objection), and bring decisions back at their review date."""
    report = JobReport()
    client = services.client
    with services.session() as session:
        unposted = asks.cards_unposted(session, now=now)
        session.expunge_all()
    for proposal in unposted:
        report.cards += delivery.post_card(services, client, proposal, look_first=True).ok
    report.asked = len(delivery.send_asks(services, now=now).reached)
    report.reminded = delivery.send_reminders(services, now=now)
    with services.session() as session:
        due = asks.rounds_to_settle(session, now=now)
        for proposal in due:
            settled = answers.settle(session, config=services.config, proposal=proposal, now=now)
            if settled.closed_now or settled.adopted:
                report.settled += 1
                announce_settled(services, client, proposal=proposal, settled=settled)
    report.agenda_rounds, report.reviews = _bring_back_reviews(services, client, now=now)
    return report


def _bring_back_reviews(
    services: Services, client: WebClient, *, now: datetime
) -> tuple[list[int], int]:
    """Each decision whose review date has come becomes a tension on its team's next tactical
    agenda (raised in its proposer's name), once; its thread says so."""
    rounds: list[int] = []
    count = 0
    with services.session() as session:
        due = asks.reviews_due(session, config=services.config, now=now)
        session.expunge_all()
    for decision in due:
        team = services.config.find_team(decision.team_id)
        with services.session() as session:
            if team is None or not asks.claim_review(session, decision.id or 0, now=now):
                continue
            proposal = service.proposal_by_id(session, decision.proposal_id)
        text = services.renderer.plain("decisions.review_tension", decision=decision)
        draft = tensions.TensionDraft(
            team_id=team.id,
            text=text[: tensions.TEXT_LIMIT],
            area=services.renderer.plain("decisions.review_area"),
            permalink=None,
        )
        with services.session() as session:
            raised = tensions.raise_tension_onto_agenda(
                session,
                user_id=proposal.proposer,
                draft=draft,
                team=team,
                now=now,
                request_key=f"decision-review:{decision.id}",
            )
            if raised is not None:
                asks.record_review_tension(session, decision.id or 0, raised.tension.id or 0)
        if raised is not None and raised.agenda_round_id is not None:
            rounds.append(raised.agenda_round_id)
        delivery.post_in_thread(
            client, proposal, build_note(services.renderer, "thread_review", decision=decision)
        )
        count += 1
    return rounds, count


# --- the App Home and the log -------------------------------------------------------------------


def home_section(session: Session, services: Services, user_id: str, now: datetime) -> list[Block]:
    """The App Home's part: what waits for the person's advice or consent, their proposals."""
    config = services.config
    asked, asked_total = asks.asked_of(session, user_id=user_id, limit=HOME_SHOWN)
    mine, mine_total = asks.proposals_of(session, user_id=user_id, limit=HOME_SHOWN)
    if not config.teams_of(user_id) and not asked_total:
        return []
    items = []
    for proposal in mine:
        counts = service.tally(session, proposal)
        blocked = proposal.round_closed_at is not None and counts.objections > 0
        items.append(HomeProposal(proposal, counts, blocked))
    return build_home_section(
        services.renderer,
        asked=[(item.proposal, item.kind) for item in asked],
        asked_total=asked_total,
        mine=items,
        mine_total=mine_total,
        team_names={team.id: team.name for team in config.teams_with(user_id)}
        | {item.proposal.team_id: _team_name(services, item.proposal.team_id) for item in asked},
    )


def _team_name(services: Services, team_id: str) -> str:
    team = services.config.find_team(team_id)
    return team.name if team is not None else team_id


# Finding decisions lives in bot.decisions.finding; listeners and the command line call it here.
from bot.decisions.finding import decision_log as decision_log  # noqa: E402
from bot.decisions.finding import search_decisions as search_decisions  # noqa: E402
