"""`retrobot forget` and a proposal's role change: someone named as a role's holder in another
person's proposal reads "a former member" there, and that proposal is kept (still open, its
words whole); their own open proposal is withdrawn and its role change erased with its words."""

from __future__ import annotations

from datetime import date

from sqlalchemy import Engine
from sqlmodel import select

from bot.core.people import is_former_member
from storage.db import session_factory
from storage.models import Proposal, ProposalMethod, ProposalStatus
from tests.bot.member_data.seed import NOW
from tests.bot.member_data.test_forget import forget, traces
from tests.conftest import BEN, CARA, SHARED


def proposal(proposer: str, text: str, holders: list[str]) -> Proposal:
    return Proposal(
        team_id="north",
        proposer=proposer,
        text=text,
        why="",
        method=ProposalMethod.ADVICE,
        decide_by=date(2026, 7, 20),
        created_at=NOW,
        role_change={"kind": "assign", "role": "rota", "role_name": "Rota", "holders": holders},
    )


def test_a_holder_named_in_someone_else_s_proposal_reads_a_former_member(engine: Engine) -> None:
    with session_factory(engine)() as session:
        made = [
            proposal(BEN, "BEN-ROLE-PROPOSAL", [SHARED, CARA]),
            proposal(SHARED, "SHAY-ROLE-PROPOSAL", [SHARED]),
        ]
        session.add_all(made)
        session.commit()
        bens_id, shays_id = (p.id for p in made)

    forget(engine)

    assert traces(engine, [SHARED, "SHAY-ROLE-PROPOSAL"]) == {}
    with session_factory(engine)() as session:
        rows = {p.id: p for p in session.exec(select(Proposal))}
    bens, shays = rows[bens_id], rows[shays_id]
    assert bens.text == "BEN-ROLE-PROPOSAL"
    assert bens.status == ProposalStatus.OPEN and bens.proposer == BEN
    [former, cara] = (bens.role_change or {})["holders"]
    assert is_former_member(former) and cara == CARA
    assert is_former_member(shays.proposer) and shays.text == ""
    assert shays.status == ProposalStatus.WITHDRAWN and shays.role_change is None
