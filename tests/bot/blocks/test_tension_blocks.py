"""The tension builders stay within Block Kit's limits however much people write."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from bot.core import ids
from bot.core.config import AppConfig
from bot.home.views import build_home, build_tensions_section
from bot.slack.blockkit import message_problems, view_problems
from bot.tensions.service import TeamTensions
from bot.tensions.views import build_tension_confirmation, build_tension_modal
from prompts import Renderer
from storage.models import Tension

RENDERER = Renderer()


def make(text: str, **fields: object) -> Tension:
    return Tension(
        team_id="north",
        raised_by="U0ANA",
        text=text,
        created_at=datetime(2026, 11, 26, tzinfo=UTC),
        **fields,
    )


def test_modal_for_one_team_has_no_team_choice(config: AppConfig) -> None:
    view = build_tension_modal(RENDERER, teams=[config.team("north")], text="x" * 5000)
    assert view_problems(view) == []
    block_ids = [b.get("block_id") for b in view["blocks"]]
    assert ids.TENSION_TEAM_BLOCK not in block_ids
    text_element = next(b for b in view["blocks"] if b.get("block_id") == ids.TENSION_TEXT_BLOCK)
    assert len(text_element["element"]["initial_value"]) == 2000
    assert json.loads(view["private_metadata"]) == {"permalink": None, "team_id": "north"}


def test_modal_with_a_permalink_links_back(config: AppConfig) -> None:
    link = "https://example.slack.com/archives/C0NORTH/p1"
    view = build_tension_modal(RENDERER, teams=config.teams, permalink=link)
    assert view_problems(view) == []
    assert f"<{link}|this message>" in json.dumps(view)


def test_confirmation_of_a_3000_character_tension_fits(config: AppConfig) -> None:
    message = build_tension_confirmation(
        RENDERER, tension=make("<!channel> " + "é&" * 1500), team_name="North"
    )
    assert message_problems(message) == []
    assert "<!channel>" not in json.dumps(message)


def test_home_with_many_long_tensions_fits(config: AppConfig) -> None:
    tensions = [make(f"{i} " + "long words & more " * 100, id=i) for i in range(60)]
    overview = [TeamTensions(team=t, mine=tensions, others=tensions) for t in config.teams]
    section = build_tensions_section(RENDERER, overview=overview)
    view = build_home(RENDERER, sections=[section], in_team=True)
    assert view_problems(view) == []
    assert "…and 45 more." in json.dumps(view, ensure_ascii=False)


def test_home_for_someone_in_no_team_says_so() -> None:
    view = build_home(RENDERER, sections=[], in_team=False)
    assert view_problems(view) == []
    assert "not in a retrobot team yet" in json.dumps(view)
