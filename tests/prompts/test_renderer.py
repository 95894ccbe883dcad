"""The renderer escapes what people typed and keeps what it built on purpose."""

from __future__ import annotations

import threading
from pathlib import Path
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


TEMPLATES = sorted((Path(__file__).resolve().parents[2] / "prompts" / "templates").glob("*.j2"))


@pytest.mark.parametrize("template", TEMPLATES, ids=lambda path: path.name)
def test_both_flavours_compile_a_template_to_the_same_code(
    renderer: Renderer, template: Path
) -> None:
    """mrkdwn and plain share compiled code (prompts._CompiledOnce), which is only right while
    nothing that differs between them is folded into the code as it compiles."""
    source = template.read_text(encoding="utf-8")
    mrkdwn, plain = (
        renderer._envs[flavour].compile(source, template.name, str(template), raw=True)
        for flavour in ("mrkdwn", "plain")
    )
    assert mrkdwn == plain


def test_a_template_compiled_for_one_flavour_renders_the_other_as_its_own() -> None:
    plain_first, mrkdwn_first = Renderer(), Renderer()
    words = {"team_name": "A&B <team>"}
    assert plain_first.plain("tension.confirmation_fallback", **words) == (
        "Your tension is recorded for A&B <team>."
    )
    assert mrkdwn_first.say("tension.confirmation_fallback", **words) == (
        "Your tension is recorded for A&amp;B &lt;team&gt;."
    )
    assert plain_first.say("tension.confirmation_fallback", **words) == mrkdwn_first.say(
        "tension.confirmation_fallback", **words
    )
    assert mrkdwn_first.plain("tension.confirmation_fallback", **words) == plain_first.plain(
        "tension.confirmation_fallback", **words
    )


def test_a_template_loads_while_another_file_is_still_compiling() -> None:
    """A cold Home tab compiles a dozen files; a modal opened meanwhile must not wait for them
    (its trigger_id lasts 3 s)."""
    renderer = Renderer()
    with renderer._lock:
        compiling = renderer._loading.setdefault("decisions", threading.Lock())
    done: list[str] = []
    with compiling:  # as if another thread were compiling decisions.j2 right now
        worker = threading.Thread(
            target=lambda: done.append(
                renderer.say("tension.confirmation_fallback", team_name="North")
            )
        )
        worker.start()
        worker.join(10)
    assert done == ["Your tension is recorded for North."]


def _compiles_nothing(*args: object, **kwargs: object) -> None:
    raise AssertionError("a template was compiled where its cached code should have been used")


def test_a_later_process_loads_the_compiled_templates_instead_of_compiling_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    words = {"team_name": "A&B <team>"}
    first = Renderer(code_cache=tmp_path)
    said = first.say("tension.confirmation_fallback", **words)
    assert list(tmp_path.glob("retrobot-*.cache")), "the compiled code was not kept on disk"

    monkeypatch.setattr("jinja2.Environment.compile", _compiles_nothing)
    later = Renderer(code_cache=tmp_path)  # as a worker started afterwards would
    assert later.say("tension.confirmation_fallback", **words) == said
    assert later.plain("tension.confirmation_fallback", **words) == (
        "Your tension is recorded for A&B <team>."
    )


def test_a_damaged_cached_template_is_compiled_again(tmp_path: Path) -> None:
    Renderer(code_cache=tmp_path).say("tension.confirmation_fallback", team_name="North")
    for cached in tmp_path.glob("retrobot-*.cache"):
        cached.write_bytes(cached.read_bytes()[:40])  # cut short, as a full disk would leave it
    later = Renderer(code_cache=tmp_path)
    assert later.say("tension.confirmation_fallback", team_name="North") == (
        "Your tension is recorded for North."
    )


def test_without_a_writable_cache_the_templates_still_render(tmp_path: Path) -> None:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("", encoding="utf-8")
    renderer = Renderer(code_cache=not_a_folder)
    assert renderer.say("tension.confirmation_fallback", team_name="North") == (
        "Your tension is recorded for North."
    )


def test_the_reports_html_and_the_text_flavours_never_share_a_cached_file() -> None:
    """The report's environment escapes HTML as it compiles: the same file compiles to other
    code there, so it is kept under another key."""
    from prompts import _CompiledOnce

    text, html = _CompiledOnce("text", None), _CompiledOnce("html", None)
    assert text.get_cache_key("home.j2", "/x/home.j2") != html.get_cache_key(
        "home.j2", "/x/home.j2"
    )
