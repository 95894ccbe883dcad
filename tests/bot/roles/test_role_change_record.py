"""A role changed by decision, in the team's record: the decision log says what the decision did
to the role (or why it was not made), and `retrobot export` / `retrobot import` carry the change
a proposal asked for, the decision's kind and the role's history, in JSON and in CSV."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlmodel import select

from bot.decisions import checks, service, usecases
from bot.decisions.model import DecisionDraft
from bot.decisions.role_change import RoleChangeForm, check_role_change
from bot.roles import usecases as roles
from bot.services import Services
from bot.slack.users import Account, AccountKind
from storage.models import Decision, DecisionKind, Proposal, RoleChange
from tests.bot.decisions.test_log import exported_and_imported
from tests.conftest import ANA, BEN, CARA, DEV, SHARED

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def adopt_role_change(
    services: Services, form: RoleChangeForm, *, text: str, leaves: str | None = None
) -> int:
    """Ana proposes (advice process, asking Ben) a change to a role, and decides it (once
    ``leaves`` has left the team, if given)."""
    config = services.config
    team = config.team("north")
    draft = checks.check_proposal(
        config=config,
        user_id=ANA,
        team_id="north",
        text=text,
        why="The rota is late every month",
        method="advice",
        people=[BEN],
        teams=[],
        decide_by="2026-06-08",
        values=[],
        review_date=None,
        accounts={BEN: Account(BEN, AccountKind.PERSON, None)},
        now=NOW,
    )
    listed = roles.team_roles(services, team_id="north")
    change = check_role_change(form, config=config, team=team, team_roles=listed)
    with services.session() as session:
        proposal = service.create_proposal(
            session,
            config=config,
            user_id=ANA,
            draft=draft.__class__(**{**draft.__dict__, "role_change": change}),
            now=NOW,
        )
        assert proposal is not None
        if leaves is not None:
            team.members[:] = [m for m in team.members if m.id != leaves]
        service.decide_proposal(
            session,
            user_id=ANA,
            proposal_id=proposal.id or 0,
            version=1,
            draft=DecisionDraft(text=text, shaped_by="", review_date=None),
            now=NOW + timedelta(days=1),
            team=team,
        )
        return proposal.id or 0


def record(services: Services) -> tuple[list, list, list]:
    with services.session() as session:
        proposals = [p.role_change for p in session.exec(select(Proposal).order_by(Proposal.id))]
        kinds = [(d.kind, d.role_id) for d in session.exec(select(Decision).order_by(Decision.id))]
        history = [
            (c.kind, c.decision_id, c.after)
            for c in session.exec(select(RoleChange).order_by(RoleChange.id))
        ]
    return proposals, kinds, history


def test_the_log_says_what_each_decision_did_to_a_role(services: Services) -> None:
    adopt_role_change(
        services,
        RoleChangeForm(kind="assign", role="north:rota", holders=(CARA,)),
        text="Cara organises the rota",
    )
    adopt_role_change(
        services,
        RoleChangeForm(kind="change", role="north:rota", rotation="every 4 weeks"),
        text="The rota organiser changes every 4 weeks",
    )
    adopt_role_change(
        services,
        RoleChangeForm(kind="remove", role="north:tissue"),
        text="No tissue viability lead any more",
    )

    entries = json.loads(
        "".join(usecases.decision_log(services, team_id="north", since=None, fmt="json"))
    )["decisions"]
    assert [e["role_change"] for e in entries] == [
        f"gives Rota organiser to {CARA}",
        "changes Rota organiser (rotation)",
        "removes Tissue viability lead",
    ]
    text = "".join(usecases.decision_log(services, team_id="north", since=None, fmt="text"))
    assert f"  Role change: gives Rota organiser to {CARA}\n" in text
    csv_log = "".join(usecases.decision_log(services, team_id="north", since=None, fmt="csv"))
    assert csv_log.splitlines()[0].endswith(",amendments,role_change")
    rota = {r.key: r for r in roles.team_roles(services, team_id="north")}
    assert rota["rota"].holders == (CARA,) and rota["rota"].rotation == "every 4 weeks"
    assert "tissue" not in rota


def test_a_role_change_is_exported_and_imported_back(services: Services, tmp_path: Path) -> None:
    adopt_role_change(
        services,
        RoleChangeForm(
            kind="create",
            name="Falls lead",
            purpose="Fewer falls at home",
            accountabilities="Home checks\nTeaching",
            expertise="falls, mobility",
            holders=(DEV,),
        ),
        text="Dev leads on falls",
    )
    # A change no longer possible at adoption is kept with its reason: Shay left meanwhile.
    adopt_role_change(
        services,
        RoleChangeForm(kind="assign", role="north:falls-lead", holders=(SHARED,)),
        text="Shay leads on falls",
        leaves=SHARED,
    )
    proposals, kinds, history = record(services)
    assert proposals[0] == {
        "kind": "create",
        "role": "falls-lead",
        "role_name": "Falls lead",
        "name": "Falls lead",
        "purpose": "Fewer falls at home",
        "accountabilities": ["Home checks", "Teaching"],
        "expertise": ["falls", "mobility"],
        "holders": [DEV],
    }
    assert kinds == [
        (DecisionKind.ROLE_CREATE, "falls-lead"),
        (DecisionKind.ROLE_ASSIGN, "falls-lead"),
    ]
    assert proposals[1]["not_made"] == {"why": "left", "people": [SHARED]}
    decided = [(kind.value, decision) for kind, decision, _ in history if decision is not None]
    assert decided == [("create", 1)]  # the assignment that was not made left no change
    before = "".join(usecases.decision_log(services, team_id="north", since=None, fmt="json"))

    for fmt in ("json", "csv"):
        with exported_and_imported(services, tmp_path, fmt) as copy:
            assert record(copy) == (proposals, kinds, history)
            after = "".join(usecases.decision_log(copy, team_id="north", since=None, fmt="json"))
        assert after == before
