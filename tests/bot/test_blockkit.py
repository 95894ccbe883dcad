"""bot.slack.blockkit: each Block Kit limit Slack enforces is caught, and valid payloads pass."""

from __future__ import annotations

from typing import Any

import pytest

from bot.slack.blockkit import assert_within_limits, message_problems, view_problems


def plain(text: str) -> dict[str, Any]:
    return {"type": "plain_text", "text": text}


def mrkdwn(text: str) -> dict[str, Any]:
    return {"type": "mrkdwn", "text": text}


def section(text: str = "hello", **extra: Any) -> dict[str, Any]:
    return {"type": "section", "text": mrkdwn(text), **extra}


def button(text: str = "Go", action_id: str = "go", **extra: Any) -> dict[str, Any]:
    return {"type": "button", "text": plain(text), "action_id": action_id, **extra}


def option(text: str, value: str) -> dict[str, Any]:
    return {"text": plain(text), "value": value}


def message(*blocks: dict[str, Any], text: str | None = "fallback") -> dict[str, Any]:
    payload: dict[str, Any] = {"blocks": list(blocks)}
    if text is not None:
        payload["text"] = text
    return payload


def text_input(**extra: Any) -> dict[str, Any]:
    return {
        "type": "input",
        "block_id": "answer",
        "label": plain("Answer"),
        "element": {"type": "plain_text_input", "action_id": "answer_input", **extra},
    }


def modal(*blocks: dict[str, Any], **extra: Any) -> dict[str, Any]:
    view: dict[str, Any] = {
        "type": "modal",
        "callback_id": "cb",
        "title": plain("Raise a tension"),
        "submit": plain("Send"),
        "close": plain("Cancel"),
        "blocks": list(blocks),
    }
    view.update(extra)
    return view


def only(problems: list[str], fragment: str) -> None:
    """Exactly one problem, and it says ``fragment``."""
    assert len(problems) == 1, problems
    assert fragment in problems[0], problems


A_RICH_MESSAGE = message(
    {"type": "header", "text": plain("Agenda")},
    section("*Tensions*", accessory=button(value="x")),
    {"type": "section", "fields": [mrkdwn("a"), mrkdwn("b")]},
    {"type": "divider"},
    {"type": "context", "elements": [mrkdwn("small print")]},
    {
        "type": "actions",
        "block_id": "choices",
        "elements": [
            button("Yes", "yes", style="primary"),
            button("No", "no", style="danger"),
            {
                "type": "static_select",
                "action_id": "pick",
                "placeholder": plain("Pick"),
                "options": [option("One", "1"), option("Two", "2")],
                "initial_option": option("Two", "2"),
            },
            {"type": "overflow", "action_id": "more", "options": [option("Edit", "edit")]},
            {"type": "datepicker", "action_id": "when", "initial_date": "2026-03-29"},
        ],
    },
)


def test_a_valid_message_and_modal_have_no_problems() -> None:
    assert message_problems(A_RICH_MESSAGE) == []
    assert message_problems({"text": "just text"}) == []
    assert view_problems(modal(text_input(max_length=3000), section())) == []
    assert view_problems({"type": "home", "blocks": [section()]}) == []


def test_a_message_holds_at_most_50_blocks() -> None:
    assert message_problems(message(*[section()] * 50)) == []
    only(message_problems(message(*[section()] * 51)), "51 blocks")


def test_a_message_with_blocks_needs_a_text_fallback() -> None:
    only(message_problems(message(section(), text=None)), "text is missing")
    only(message_problems(message(section(), text="")), "text is missing")


def test_an_empty_message_and_an_overlong_text_are_refused() -> None:
    only(message_problems({}), "neither text nor blocks")
    only(message_problems({"text": "x" * 40_001}), "40001 characters")


def test_section_text_and_fields_limits() -> None:
    assert message_problems(message(section("x" * 3000))) == []
    only(message_problems(message(section("x" * 3001))), "3001 characters; the limit is 3000")
    fields = {"type": "section", "fields": [mrkdwn("f")] * 11}
    only(message_problems(message(fields)), "fields has 11 items")
    long_field = {"type": "section", "fields": [mrkdwn("f" * 2001)]}
    only(message_problems(message(long_field)), "fields[0].text is 2001 characters")
    only(message_problems(message({"type": "section"})), "needs text or fields")


def test_header_is_plain_text_of_at_most_150() -> None:
    assert message_problems(message({"type": "header", "text": plain("h" * 150)})) == []
    only(message_problems(message({"type": "header", "text": plain("h" * 151)})), "151 characters")
    only(message_problems(message({"type": "header", "text": mrkdwn("*h*")})), "plain_text here")


def test_context_holds_at_most_10_elements() -> None:
    only(
        message_problems(message({"type": "context", "elements": [mrkdwn("c")] * 11})),
        "11 items; the limit is 10",
    )


def test_actions_hold_at_most_25_elements_with_distinct_action_ids() -> None:
    many = [button(action_id=f"b{i}") for i in range(26)]
    only(message_problems(message({"type": "actions", "elements": many})), "26 items")
    twice = {"type": "actions", "elements": [button(action_id="same"), button(action_id="same")]}
    only(message_problems(message(twice)), "action_id 'same' is used twice")


def test_button_text_value_and_style() -> None:
    def problems(**extra: Any) -> list[str]:
        return message_problems(message({"type": "actions", "elements": [button(**extra)]}))

    only(problems(text="b" * 76), "76 characters; the limit is 75")
    only(problems(value="v" * 2001), "value is 2001 characters")
    only(problems(style="green"), "style must be 'primary' or 'danger'")
    only(
        message_problems(
            message({"type": "actions", "elements": [{**button(), "text": mrkdwn("*Go*")}]})
        ),
        "plain_text here",
    )


def test_select_options_limits() -> None:
    def select(options: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
        element = {"type": "static_select", "action_id": "s", "options": options, **extra}
        return message({"type": "actions", "elements": [element]})

    hundred = [option(f"o{i}", str(i)) for i in range(100)]
    assert message_problems(select(hundred)) == []
    only(message_problems(select([*hundred, option("x", "x")])), "101 items; the limit is 100")
    only(message_problems(select([option("t" * 76, "1")])), "76 characters; the limit is 75")
    only(message_problems(select([option("t", "v" * 151)])), "151 characters; the limit is 150")
    only(
        message_problems(select([option("t", "1")], placeholder=plain("p" * 151))),
        "placeholder.text is 151 characters",
    )
    only(
        message_problems(select([option("t", "1")], initial_option=option("t", "2"))),
        "'2' is not exactly one of the options",
    )


def test_block_and_action_ids_are_at_most_255_and_block_ids_unique() -> None:
    only(message_problems(message(section(block_id="b" * 256))), "256 characters")
    long_action = {"type": "actions", "elements": [button(action_id="a" * 256)]}
    only(message_problems(message(long_action)), "action_id is 256 characters")
    twice = message(section(block_id="same"), section(block_id="same"))
    only(message_problems(twice), "block_id is used by an earlier block")


def test_text_objects_need_a_known_type_and_text() -> None:
    only(message_problems(message(section(""))), "must be a non-empty string")
    wrong_type = {"type": "section", "text": {"type": "markdown", "text": "x"}}
    only(message_problems(message(wrong_type)), "must be plain_text or mrkdwn")
    only(message_problems(message({"type": "sectoin", "text": mrkdwn("x")})), "unknown block type")


def test_input_label_placeholder_and_max_length() -> None:
    assert view_problems(modal(text_input(max_length=3000))) == []
    only(view_problems(modal(text_input(max_length=3001))), "max_length is 3001")
    only(
        view_problems(modal(text_input(placeholder=plain("p" * 151)))),
        "placeholder.text is 151 characters",
    )
    long_label = {**text_input(), "label": plain("l" * 2001)}
    only(view_problems(modal(long_label)), "label.text is 2001 characters")
    only(view_problems(modal({**text_input(), "label": mrkdwn("*l*")})), "plain_text here")
    only(
        view_problems(modal(text_input(max_length=10, initial_value="x" * 11))),
        "initial_value is 11 characters",
    )


def test_a_view_holds_at_most_100_blocks() -> None:
    assert view_problems(modal(*[section()] * 100)) == []
    only(view_problems(modal(*[section()] * 101)), "101 blocks")


def test_modal_title_submit_and_close_are_plain_text_of_at_most_24() -> None:
    only(view_problems(modal(title=plain("t" * 25))), "title.text is 25 characters")
    only(view_problems(modal(submit=plain("s" * 25))), "submit.text is 25 characters")
    only(view_problems(modal(close=plain("c" * 25))), "close.text is 25 characters")
    only(view_problems(modal(title=mrkdwn("*t*"))), "title must be plain_text")
    only(view_problems(modal(title=None)), "title is missing")


def test_a_modal_with_an_input_needs_a_submit_button() -> None:
    only(view_problems(modal(text_input(), submit=None)), "submit is missing")
    assert view_problems(modal(section(), submit=None)) == []


def test_private_metadata_callback_id_and_size() -> None:
    only(view_problems(modal(private_metadata="m" * 3001)), "private_metadata is 3001")
    only(view_problems(modal(callback_id="c" * 256)), "callback_id is 256")
    big = modal(*[section("x" * 2900)] * 90)
    assert any("bytes of JSON" in p for p in view_problems(big))
    only(view_problems({"type": "dialog", "blocks": []}), "view type must be")


def test_an_element_in_the_wrong_block_is_refused() -> None:
    wrong = {"type": "actions", "elements": [{"type": "plain_text_input", "action_id": "t"}]}
    only(message_problems(message(wrong)), "a plain_text_input cannot go here")


def test_assert_within_limits_lists_every_problem() -> None:
    assert_within_limits("message", {"text": "fine"})
    with pytest.raises(AssertionError) as raised:
        assert_within_limits("view", modal(*[section("x" * 3001)] * 2, title=plain("t" * 30)))
    assert str(raised.value).count("\n- ") == 3
    with pytest.raises(ValueError):
        assert_within_limits("dialog", {})
