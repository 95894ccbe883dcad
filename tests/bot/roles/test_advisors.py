"""suggest_advisors: the holders of roles whose purpose or expertise a proposal touches."""

from __future__ import annotations

from bot.roles.model import RoleInfo
from bot.roles.service import suggest_advisors, touched_roles

ROLES = [
    RoleInfo(
        1,
        "north",
        "rota",
        "Rota organiser",
        "A fair rota everyone can live with",
        expertise=("rota", "annual leave"),
        holders=("U0BEN",),
    ),
    RoleInfo(
        2,
        "north",
        "tissue",
        "Tissue viability lead",
        "Skin stays whole",
        expertise=("wound care", "pressure ulcers"),
        holders=("U0CARA", "U0DEV"),
    ),
    RoleInfo(3, "north", "facilitator", "Facilitator", holders=("U0ANA",)),
]


def test_expertise_phrases_and_purpose_words_suggest_their_holders() -> None:
    text = "Change how we log pressure ulcers and wound care at weekends"
    assert suggest_advisors(ROLES, text) == ["U0CARA", "U0DEV"]
    assert suggest_advisors(ROLES, "Publish rotas three weeks ahead") == ["U0BEN"]
    assert suggest_advisors(ROLES, "Annual leave requests by the 1st") == ["U0BEN"]


def test_a_phrase_counts_only_whole_and_common_words_never() -> None:
    assert suggest_advisors(ROLES, "The care we give our clients this week") == []
    assert suggest_advisors(ROLES, "Leave the van keys in the office") == []  # not "annual leave"
    assert suggest_advisors(ROLES, "") == []


def test_each_holder_once_in_role_order_and_the_proposer_left_out() -> None:
    text = "Rota for the tissue viability clinic"
    assert [r.key for r in touched_roles(ROLES, text)] == ["rota", "tissue"]
    assert suggest_advisors(ROLES, text) == ["U0BEN", "U0CARA", "U0DEV"]
    assert suggest_advisors(ROLES, text, exclude={"U0BEN"}) == ["U0CARA", "U0DEV"]
