"""The renderer escapes what people typed and keeps what it built on purpose."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from jinja2 import UndefinedError

from prompts import Renderer


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer()


def test_text_people_typed_is_escaped_in_mrkdwn(renderer: Renderer) -> None:
    tension = SimpleNamespace(
        text="<!channel> & <https://evil.example|click> <@U999>", private=False
    )
    out = renderer.say("tension.confirmation", tension=tension, team_name="A&B <team>")
    assert "<!channel>" not in out
    assert "&lt;!channel&gt; &amp; &lt;https://evil.example|click&gt; &lt;@U999&gt;" in out
    assert "*A&amp;B &lt;team&gt;*" in out


def test_mentions_built_from_ids_stay_live(renderer: Renderer) -> None:
    tension = SimpleNamespace(text="x", raised_by="U0ANA", private=True)
    out = renderer.say("tension.coach_note", tension=tension, team_name="North")
    assert out.startswith(":lock: <@U0ANA> raised a private tension")


def test_a_forged_user_id_is_not_a_mention(renderer: Renderer) -> None:
    tension = SimpleNamespace(text="x", raised_by="<!here>", private=True)
    out = renderer.say("tension.coach_note", tension=tension, team_name="North")
    assert "<!here>" not in out and "&lt;!here&gt;" in out


def test_plain_rendering_does_not_escape(renderer: Renderer) -> None:
    assert renderer.plain("tension.confirmation_fallback", team_name="A&B") == (
        "Your tension is recorded for A&B."
    )


def test_missing_variables_fail_loudly(renderer: Renderer) -> None:
    with pytest.raises(UndefinedError):
        renderer.say("tension.confirmation", team_name="North")
