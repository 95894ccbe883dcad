"""A role changes by an adopted decision, through the real app: the proposal modal's "Does
this proposal change a role?" shows only the fields of the change chosen; mistakes are kind
field errors; the change shows on the proposal's message; adopting it (Decide, or an objection
round with no objection) makes it once, tells the thread, and `retrobot roles` shows the
decision; a change that can no longer be made is said so kindly, and the decision stands."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlmodel import select

from bot.cli import main
from bot.core import ids
from bot.core.config import parse_config
from bot.decisions import usecases as decisions
from bot.roles import usecases as roles
from bot.roles.model import ChangeKind, RoleChangeRequest
from bot.services import Services
from bot.standin.sender import SlackSender
from bot.standin.web_api import FakeSlack
from storage.models import DecisionKind, ProposalStatus, RoleChange
from tests.bot.roles.organisation import ROLES_APP_YAML
from tests.conftest import ANA, BEN, CARA, COACH, DEV, SAM, SHARED
from tests.handlers.decision_steps import (
    Clock,
    card,
    click,
    click_for_modal,
    click_for_notice,
    decision,
    dm_asking,
    field_errors,
    open_proposal_modal,
    proposal_values,
    stored,
    stored_proposals,
    submit,
    thread,
)


@pytest.fixture(autouse=True)
def settle(slack: SlackSender, fake_slack: FakeSlack) -> Iterator[None]:
    """Let the listeners still at work after their ack finish before the database goes."""
    yield
    fake_slack.wait_quiet(0.2)


def block_ids(view: dict[str, Any]) -> list[str]:
    return [b.get("block_id", "") for b in view["blocks"]]


def role_fields(view: dict[str, Any]) -> list[str]:
    return [b for b in block_ids(view) if b.startswith(ids.ROLE_CHANGE_PREFIX)]


def block(view: dict[str, Any], block_id: str) -> dict[str, Any]:
    return next(b for b in view["blocks"] if b.get("block_id") == block_id)


def choose_change(
    slack: SlackSender, fake: FakeSlack, view: dict[str, Any], user: str, kind: str
) -> dict[str, Any]:
    """Choose what the proposal does to a role; the modal as it is updated in place."""
    click(slack, view, ids.PROPOSAL_ROLE_KIND_ACTION, user, value=kind)
    return fake.wait_for(
        lambda: (now := fake.view(view["id"])) and now["hash"] != view["hash"] and now
    )


def holders_of(services: Services, role_key: str) -> tuple[str, ...]:
    found = next(r for r in roles.team_roles(services, team_id="north") if r.key == role_key)
    return found.holders


def changes_by(services: Services, decision_id: int | None) -> list[RoleChange]:
    with services.session() as session:
        return list(session.exec(select(RoleChange).where(RoleChange.decision_id == decision_id)))


def propose_role_change(
    slack: SlackSender,
    fake: FakeSlack,
    services: Services,
    kind: str,
    fields: dict[str, Any],
    *,
    method: str = "advice",
) -> Any:
    """Ana proposes, with a role change; the proposal once its message is out."""
    view = choose_change(slack, fake, open_proposal_modal(slack, fake, ANA), ANA, kind)
    values = proposal_values("Cara organises the rota from July", method=method, people=[BEN])
    assert field_errors(submit(slack, view, ANA, values | fields)) == {}
    proposal = fake.wait_for(lambda: stored_proposals(services) and stored_proposals(services)[-1])
    fake.wait_for(lambda: stored(services, proposal.id).message_ts is not None)
    fake.wait_for(lambda: any("is posted in" in m.all_text for m in fake.dms(ANA)))
    return stored(services, proposal.id)


def decide(slack: SlackSender, fake: FakeSlack, services: Services, proposal: Any) -> None:
    modal = click_for_modal(slack, fake, card(fake, proposal), ids.PROPOSAL_DECIDE, ANA)
    assert "Recording the decision also gives *Rota organiser* to <@" in json.dumps(modal)
    values = {ids.DECIDE_TEXT_ACTION: "Cara organises the rota from July"}
    assert field_errors(submit(slack, modal, ANA, values)) == {}
    assert field_errors(submit(slack, modal, ANA, values)) == {}  # a double submission
    fake.wait_for(lambda: decision(services, proposal.id))


def test_the_modal_shows_only_the_fields_of_the_change_chosen(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    view = open_proposal_modal(slack, fake_slack, ANA, "Cara organises the rota from July")
    kind = block(view, ids.PROPOSAL_ROLE_KIND_BLOCK)
    assert kind["dispatch_action"] is True and kind["optional"] is True
    assert kind["element"]["initial_option"]["text"]["text"] == "No role change"
    assert role_fields(view) == []

    assign = choose_change(slack, fake_slack, view, ANA, "assign")
    assert role_fields(assign) == [ids.ROLE_CHANGE_ROLE_BLOCK, ids.ROLE_CHANGE_HOLDERS_BLOCK]
    offered = block(assign, ids.ROLE_CHANGE_ROLE_BLOCK)["element"]["options"]
    assert [o["text"]["text"] for o in offered] == [
        "Rota organiser",
        "Facilitator",
        "Tissue viability lead",
        "Training circle rep",
    ]
    assert offered[0]["value"] == "north:rota"
    # The rest of the modal is as it was, the role's fields right under the choice.
    others = [b for b in block_ids(assign) if not b.startswith(ids.ROLE_CHANGE_PREFIX)]
    assert others == block_ids(view)
    at = block_ids(assign).index(ids.PROPOSAL_ROLE_KIND_BLOCK)
    assert block_ids(assign)[at + 1] == ids.ROLE_CHANGE_ROLE_BLOCK

    create = choose_change(slack, fake_slack, assign, ANA, "create")
    assert role_fields(create) == [
        ids.ROLE_CHANGE_NAME_BLOCK,
        ids.ROLE_CHANGE_PURPOSE_BLOCK,
        ids.ROLE_CHANGE_DUTIES_BLOCK,
        ids.ROLE_CHANGE_EXPERTISE_BLOCK,
        ids.ROLE_CHANGE_HOLDERS_BLOCK,
        ids.ROLE_CHANGE_ROTATION_BLOCK,
    ]
    rotations = block(create, ids.ROLE_CHANGE_ROTATION_BLOCK)["element"]["options"]
    assert [o["value"] for o in rotations][:3] == ["none", "every meeting", "every week"]
    change = choose_change(slack, fake_slack, create, ANA, "change")
    assert ids.ROLE_CHANGE_NAME_BLOCK not in role_fields(change)
    assert "keep it as it is" in str(block(change, ids.ROLE_CHANGE_PURPOSE_BLOCK)["hint"])
    remove = choose_change(slack, fake_slack, change, ANA, "remove")
    assert role_fields(remove) == [ids.ROLE_CHANGE_ROLE_BLOCK]
    assert role_fields(choose_change(slack, fake_slack, remove, ANA, "none")) == []
    assert len(fake_slack.views_opened(ANA)) == 1  # updated in place, never a second modal


@pytest.mark.parametrize(
    ("kind", "fields", "errors"),
    [
        (
            "assign",
            {ids.ROLE_CHANGE_ROLE_ACTION: "north:rota", ids.ROLE_CHANGE_HOLDERS_ACTION: [COACH]},
            {ids.ROLE_CHANGE_HOLDERS_BLOCK: "coaches the team: coaches hold no role"},
        ),
        (
            "assign",
            {ids.ROLE_CHANGE_ROLE_ACTION: "north:rota", ids.ROLE_CHANGE_HOLDERS_ACTION: [SAM]},
            {ids.ROLE_CHANGE_HOLDERS_BLOCK: "is not in North Neighbourhood Team"},
        ),
        (
            "assign",
            {ids.ROLE_CHANGE_ROLE_ACTION: "north:rota"},
            {ids.ROLE_CHANGE_HOLDERS_BLOCK: "Choose who is to hold the role."},
        ),
        (
            "create",
            {ids.ROLE_CHANGE_HOLDERS_ACTION: [CARA]},
            {ids.ROLE_CHANGE_NAME_BLOCK: "A new role needs a name."},
        ),
        (
            "create",
            {ids.ROLE_CHANGE_NAME_ACTION: " Rota organiser", ids.ROLE_CHANGE_HOLDERS_ACTION: [ANA]},
            {ids.ROLE_CHANGE_NAME_BLOCK: "already has a role called Rota organiser"},
        ),
        (
            "create",
            {ids.ROLE_CHANGE_NAME_ACTION: "Falls lead"},
            {ids.ROLE_CHANGE_HOLDERS_BLOCK: "needs holders, or a rotation"},
        ),
        (
            "change",
            {ids.ROLE_CHANGE_ROLE_ACTION: "north:tissue"},
            {ids.ROLE_CHANGE_PURPOSE_BLOCK: "Say what changes"},
        ),
        ("remove", {}, {ids.ROLE_CHANGE_ROLE_BLOCK: "Choose the role it changes."}),
    ],
)
def test_a_role_change_that_cannot_be_made_is_a_kind_field_error(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    clock: Clock,
    kind: str,
    fields: dict[str, Any],
    errors: dict[str, str],
) -> None:
    view = choose_change(slack, fake_slack, open_proposal_modal(slack, fake_slack, ANA), ANA, kind)
    shown = field_errors(submit(slack, view, ANA, proposal_values(people=[BEN]) | fields))
    assert set(shown) == set(errors)
    for block_id, words in errors.items():
        assert words in shown[block_id]
    assert stored_proposals(services) == []


def test_the_role_errors_come_with_the_proposals_and_an_unknown_role_is_named(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    opened = open_proposal_modal(slack, fake_slack, ANA)
    view = choose_change(slack, fake_slack, opened, ANA, "remove")
    # The role goes (by another decision) while the modal is open.
    with services.session() as session:
        roles.apply_role_change(
            session,
            team_id="north",
            change=RoleChangeRequest(kind=ChangeKind.REMOVE, role="tissue"),
            decision_id=999,
            now=clock.now,
        )
    values = proposal_values("", people=[BEN]) | {ids.ROLE_CHANGE_ROLE_ACTION: "north:tissue"}
    shown = field_errors(submit(slack, view, ANA, values))
    assert "has no such role now" in shown[ids.ROLE_CHANGE_ROLE_BLOCK]
    assert ids.PROPOSAL_TEXT_BLOCK in shown  # the proposal's own error, at the same time
    assert stored_proposals(services) == []


def test_deciding_gives_the_role_once_and_the_thread_and_roles_say_so(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    clock: Clock,
    tmp_path: Path,
    database_url: str,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    assign = {ids.ROLE_CHANGE_ROLE_ACTION: "north:rota", ids.ROLE_CHANGE_HOLDERS_ACTION: [CARA]}
    proposal = propose_role_change(slack, fake_slack, services, "assign", assign)
    assert proposal.role_change == {
        "kind": "assign",
        "role": "rota",
        "role_name": "Rota organiser",
        "holders": [CARA],
    }
    assert (
        f"*Changes a role:* gives *Rota organiser* to <@{CARA}>"
        in card(fake_slack, proposal).all_text
    )
    assert holders_of(services, "rota") == (BEN,)  # nothing changes before the decision
    as_it_was = card(fake_slack, proposal)

    decide(slack, fake_slack, services, proposal)
    note = fake_slack.wait_for(
        lambda: [m for m in thread(fake_slack, proposal) if "is now held by" in m.all_text]
    )
    assert f"*Rota organiser* is now held by <@{CARA}>." in note[0].all_text
    made = decision(services, proposal.id)
    assert made is not None and made.kind == DecisionKind.ROLE_ASSIGN and made.role_id == "rota"
    assert holders_of(services, "rota") == (CARA,)
    assert [c.kind.value for c in changes_by(services, made.id)] == ["assign"]

    # A second click, the scheduler's jobs and the same decision applied again change nothing.
    assert "decided already" in click_for_notice(
        slack, fake_slack, as_it_was, ids.PROPOSAL_DECIDE, ANA
    )
    decisions.run_decision_jobs(services, now=clock.now)
    with services.session() as session:
        again = roles.apply_role_change(
            session,
            team_id="north",
            change=RoleChangeRequest(kind=ChangeKind.ASSIGN, role="rota", holders=(DEV,)),
            decision_id=made.id or 0,
            now=clock.now,
        )
    assert again.applied is False and holders_of(services, "rota") == (CARA,)
    fake_slack.wait_quiet(0.2)
    assert len(changes_by(services, made.id)) == 1
    assert len([m for m in thread(fake_slack, proposal) if "is now held by" in m.all_text]) == 1

    path = tmp_path / "app.yaml"
    path.write_text(ROLES_APP_YAML, encoding="utf-8")
    monkeypatch.setenv("RETROBOT_CONFIG", str(path))
    monkeypatch.setenv("DATABASE_URL", database_url)
    capsys.readouterr()
    assert main(["roles", "--team", "north"]) == 0
    out = capsys.readouterr().out
    assert f"Rota organiser [rota]\n  holders: {CARA}\n" in out
    assert (
        f"  by decision {made.id} of 2026-06-01 (assign): Cara organises the rota from July\n"
        in out
    )
    assert main(["roles", "--team", "north", "--format", "json"]) == 0
    rota = json.loads(capsys.readouterr().out)["roles"][0]
    assert rota["holders"] == [CARA]
    assert rota["decision"] == {
        "id": made.id,
        "change": "assign",
        "at": "2026-06-01T09:00:00+00:00",
        "text": "Cara organises the rota from July",
    }


def test_an_objection_round_with_no_objection_creates_the_role_once(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    create = {
        ids.ROLE_CHANGE_NAME_ACTION: "Falls lead",
        ids.ROLE_CHANGE_PURPOSE_ACTION: "Fewer falls at home <!channel>",
        ids.ROLE_CHANGE_DUTIES_ACTION: "Checking each new client's home\n\nTeaching the team",
        ids.ROLE_CHANGE_EXPERTISE_ACTION: "falls, mobility",
        ids.ROLE_CHANGE_HOLDERS_ACTION: [DEV],
        ids.ROLE_CHANGE_ROTATION_ACTION: "every 4 weeks",
    }
    proposal = propose_role_change(
        slack, fake_slack, services, "create", create, method="integrated"
    )
    shown = card(fake_slack, proposal).all_text
    assert "creates *Falls lead*, held by <@" in shown
    assert "Fewer falls at home &lt;!channel&gt;" in shown and "<!channel>" not in shown
    for member in (BEN, CARA, DEV, SHARED):
        asked = dm_asking(fake_slack, member, ids.ROUND_NO_OBJECTION)
        click(slack, asked, ids.ROUND_NO_OBJECTION, member)

    made = fake_slack.wait_for(lambda: decision(services, proposal.id))
    assert made.kind == DecisionKind.ROLE_CREATE and made.role_id == "falls-lead"
    note = fake_slack.wait_for(
        lambda: [m for m in thread(fake_slack, proposal) if "new role" in m.all_text]
    )
    assert f"*Falls lead* is a new role of the team, held by <@{DEV}>" in note[0].all_text
    falls = next(r for r in roles.team_roles(services, team_id="north") if r.key == "falls-lead")
    assert falls.purpose == "Fewer falls at home <!channel>" and falls.rotation == "every 4 weeks"
    assert falls.accountabilities == ("Checking each new client's home", "Teaching the team")
    assert falls.expertise == ("falls", "mobility") and falls.holders == (DEV,)
    decisions.run_decision_jobs(services, now=clock.now)  # the job settles nothing twice
    fake_slack.wait_quiet(0.2)
    assert len(changes_by(services, made.id)) == 1
    assert len([m for m in thread(fake_slack, proposal) if "new role" in m.all_text]) == 1


def test_a_change_no_longer_possible_is_said_kindly_and_the_decision_stands(
    slack: SlackSender, fake_slack: FakeSlack, services: Services, clock: Clock
) -> None:
    assign = {ids.ROLE_CHANGE_ROLE_ACTION: "north:rota", ids.ROLE_CHANGE_HOLDERS_ACTION: [DEV]}
    proposal = propose_role_change(slack, fake_slack, services, "assign", assign)
    # Dev leaves the team before the decision.
    leaving = ROLES_APP_YAML.replace(f"{CARA}, {DEV}, {SHARED}", f"{CARA}, {SHARED}").replace(
        f"holders: [{DEV}]", f"holders: [{SHARED}]"
    )
    services.config = parse_config(leaving, source="roles-app.yaml")

    decide(slack, fake_slack, services, proposal)
    note = fake_slack.wait_for(
        lambda: [m for m in thread(fake_slack, proposal) if "was not made" in m.all_text]
    )
    assert f"<@{DEV}> is no longer in the team" in note[0].all_text
    assert "Traceback" not in note[0].all_text
    assert stored(services, proposal.id).status == ProposalStatus.ADOPTED
    assert holders_of(services, "rota") == (BEN,)
    made = decision(services, proposal.id)
    assert made is not None and changes_by(services, made.id) == []
    kept = stored(services, proposal.id).role_change or {}
    assert kept["not_made"] == {"why": "left", "people": [DEV]}
    log = "".join(decisions.decision_log(services, team_id="north", since=None, fmt="text"))
    assert "Role change: gives Rota organiser to" in log and "not made at adoption (left" in log
