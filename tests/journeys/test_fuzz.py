"""Bad input, fuzzed: generated modal submissions and slash-command texts, sent through the real
app over signed HTTP, never make a 500 or a traceback, and nothing people typed reaches Slack as
a live mention or link.

Each tension-modal submission is built from the modal the app opened, then its state is
mangled: fields missing, values of the wrong JSON type, huge texts, emoji, right-to-left script,
control characters, Slack markup. The app must answer with field errors on the modal's own
blocks, or store a tension whose text is exactly what was typed (cleaned by
:func:`bot.core.text.normalise_input`) and confirm it. Hypothesis keeps each run to a few dozen
examples, so the whole file takes seconds.
"""

from __future__ import annotations

import copy
import json
import logging
import urllib.parse
from collections.abc import Iterator
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlmodel import col, select

from bot.core import ids
from bot.core.text import normalise_input
from bot.services import Services
from bot.standin.sender import Response, SlackSender
from bot.standin.web_api import FakeSlack
from storage.models import Tension
from tests.conftest import ANA, BOT_TOKEN, NORTH_CHANNEL, SHARED, SIGNING_SECRET, SOUTH_CHANNEL

FUZZ = settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)

# Markup that must never reach Slack live from what a person typed.
LIVE_MARKUP = (
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U0FUZZ",
    "<#C0FUZZ",
    "<!subteam^S0FUZZ",
    "<http://fuzz.example",
    "<https://fuzz.example",
    "<mailto:fuzz@fuzz.example",
)
SLACK_MARKUP = st.sampled_from(
    [
        "<!channel>",
        "<!here>",
        "<!everyone>",
        "<!here|@here>",
        "<@U0FUZZ1>",
        "<@U0FUZZ2|ana>",
        "<#C0FUZZ|general>",
        "<!subteam^S0FUZZ|@nurses>",
        "<http://fuzz.example|click me>",
        "<https://fuzz.example>",
        "<mailto:fuzz@fuzz.example|mail>",
        "&lt;!channel&gt;",
        "&amp;",
        "&",
        "<",
        ">",
        "*bold* _it_ ~del~ `code` ```block```",
        "> quoted",
        ":smile:",
    ]
)
HARD_TEXT = st.sampled_from(
    [
        "مرحبا بالعالم",
        "שלום עולם",
        "\u202eevil\u202c \u200f\u200e",
        "😀👩‍🚒🏳️‍🌈🇬🇧👍🏽",
        "e\u0301\u0301\u0301",
        "\x00\x01\x07\x1b[31m\x7f\x85",
        "\r\n\r\u2028\u2029",
        "\ud83d",
        "NHS 943 476 5919",
    ]
)
HUGE_TEXT = st.integers(min_value=1990, max_value=2010).map(lambda n: "ẞ" * n)
TYPED = st.lists(
    st.one_of(st.text(max_size=30), SLACK_MARKUP, HARD_TEXT, HUGE_TEXT), max_size=5
).map("".join)
WRONG_TYPE = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=False),
    st.booleans(),
    st.lists(st.text(max_size=4), max_size=2),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2),
)


@st.composite
def entries(draw: st.DrawFn, key: str, good: st.SearchStrategy[Any]) -> Any:
    """One element's state: well formed, or missing, or of the wrong shape."""
    shape = draw(st.sampled_from(["good"] * 5 + ["wrong value", "missing", "not an object"]))
    if shape == "good":
        return {key: draw(good)}
    if shape == "wrong value":
        return {key: draw(WRONG_TYPE)}
    if shape == "missing":
        return {}
    return draw(WRONG_TYPE)


TEAM_OPTION = st.one_of(
    st.sampled_from(["north", "south", "west", ""]).map(
        lambda v: {"text": {"type": "plain_text", "text": v}, "value": v}
    ),
    st.just({"text": {"type": "plain_text", "text": "no value"}}),
)
PRIVATE_OPTIONS = st.lists(
    st.one_of(st.just({"value": ids.TENSION_PRIVATE_VALUE}), st.just({"value": "other"})),
    max_size=2,
)


@st.composite
def tension_states(draw: st.DrawFn) -> dict[str, Any]:
    """How each input of the tension modal comes back, block by block (None: block missing)."""
    return {
        ids.TENSION_TEXT_BLOCK: draw(st.none() | entries("value", TYPED)),
        ids.TENSION_AREA_BLOCK: draw(st.none() | entries("value", TYPED)),
        ids.TENSION_TEAM_BLOCK: draw(st.none() | entries("selected_option", TEAM_OPTION)),
        ids.TENSION_PRIVATE_BLOCK: draw(st.none() | entries("selected_options", PRIVATE_OPTIONS)),
    }


ACTION_OF = {
    ids.TENSION_TEXT_BLOCK: ids.TENSION_TEXT_ACTION,
    ids.TENSION_AREA_BLOCK: ids.TENSION_AREA_ACTION,
    ids.TENSION_TEAM_BLOCK: ids.TENSION_TEAM_ACTION,
    ids.TENSION_PRIVATE_BLOCK: ids.TENSION_PRIVATE_ACTION,
}


# --- helpers ----------------------------------------------------------------------------------


@pytest.fixture
def problems(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Captures what the app logs at WARNING and above (tracebacks included)."""
    caplog.set_level(logging.WARNING)
    yield caplog


def logged_failures(caplog: pytest.LogCaptureFixture) -> list[str]:
    """Errors and tracebacks logged since the last clear (Slack refusals are warnings)."""
    return [
        f"{r.name}: {r.getMessage()}"
        for r in caplog.records
        if r.levelno >= logging.ERROR or r.exc_info
    ]


def post_payload(slack: SlackSender, payload: dict[str, Any]) -> Response:
    body = ("payload=" + urllib.parse.quote(json.dumps(payload))).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", **slack.sign(body)}
    return slack.raw(body, headers)


def mrkdwn_texts(node: Any, *, mrkdwn: bool = False) -> Iterator[str]:
    """Every text Slack would read as mrkdwn: mrkdwn objects, and a message's own ``text``."""
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            yield node["text"]
        for key, value in node.items():
            if key == "text" and mrkdwn and isinstance(value, str):
                yield value
            elif key != "text" or not isinstance(value, str):
                yield from mrkdwn_texts(value)
    elif isinstance(node, list):
        for item in node:
            yield from mrkdwn_texts(item)


def shown_since(fake: FakeSlack, calls_before: int) -> list[str]:
    """What the app put in front of people since ``calls_before`` calls, as Slack parses it."""
    shown: list[str] = []
    for call in fake.calls[calls_before:]:
        if call.method.startswith(("chat.", "views.")):
            shown += mrkdwn_texts({k: v for k, v in call.args.items() if k != "text"})
            if isinstance(call.args.get("text"), str):
                shown.append(call.args["text"])
    return shown


def live_markup(texts: list[str]) -> list[str]:
    return [text for text in texts for markup in LIVE_MARKUP if markup in text]


def open_modal(slack: SlackSender, fake: FakeSlack, user: str) -> dict[str, Any]:
    before = len(fake.views_opened(user))
    channel = SOUTH_CHANNEL if user == SHARED else NORTH_CHANNEL
    assert slack.command(ids.TENSION_COMMAND, "", user_id=user, channel_id=channel).status == 200
    return fake.wait_for(
        lambda: fake.views_opened(user)[-1] if len(fake.views_opened(user)) > before else None
    )


def _value(entry: Any) -> Any:
    return entry.get("value") if isinstance(entry, dict) else None


def tensions_of(services: Services) -> list[Tension]:
    with services.session() as session:
        return list(session.exec(select(Tension).order_by(col(Tension.id))))


# --- the fuzzing ------------------------------------------------------------------------------


@FUZZ
@given(user=st.sampled_from([ANA, SHARED]), state=tension_states())
def test_any_tension_submission_is_a_field_error_or_a_tension_stored_exactly(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    problems: pytest.LogCaptureFixture,
    user: str,
    state: dict[str, Any],
) -> None:
    view = open_modal(slack, fake_slack, user)
    payload = slack.build_view_submission(view, user_id=user, values={})
    values: dict[str, Any] = {}
    shown_blocks = {block.get("block_id") for block in view["blocks"]}
    for block_id, entry in state.items():
        # Slack sends state only for blocks the modal has (a single-team member sees no team
        # select), but any of those may come back empty or odd.
        if entry is not None and block_id in shown_blocks:
            element = copy.deepcopy(entry)
            if isinstance(element, dict):
                element["type"] = "plain_text_input"
            values[block_id] = {ACTION_OF[block_id]: element}
    payload["view"]["state"]["values"] = values
    stored_before = len(tensions_of(services))
    dms_before = len(fake_slack.dms(user))
    calls_before = len(fake_slack.calls)
    problems.clear()

    answer = post_payload(slack, payload)
    fake_slack.wait_quiet()

    assert answer.status == 200, answer.body
    if answer.body.strip():
        assert answer.json is not None and answer.json["response_action"] == "errors"
        errors = answer.json["errors"]
        assert errors and set(errors) <= shown_blocks, errors
        assert all(isinstance(m, str) and m.strip() for m in errors.values())
        assert tensions_of(services)[stored_before:] == []
    else:
        # Acked: the listener stores the tension, then confirms it in a DM; wait for the DM
        # (a quiet moment alone can pass while the INSERT is still on its way).
        fake_slack.wait_for(lambda: len(fake_slack.dms(user)) > dms_before)
        [tension] = tensions_of(services)[stored_before:]
        typed = state[ids.TENSION_TEXT_BLOCK]["value"]  # type: ignore[index]
        assert tension.text == normalise_input(typed)
        area = _value(state[ids.TENSION_AREA_BLOCK])
        assert tension.area == normalise_input(area if isinstance(area, str) else "")
        assert tension.raised_by == user
        assert tension.team_id in {team.id for team in services.config.teams_of(user)}
    assert logged_failures(problems) == []
    assert live_markup(shown_since(fake_slack, calls_before)) == []
    assert fake_slack.internal_errors == []


def as_form_text(text: str) -> str:
    """Text as a form body can carry it: Slack sends UTF-8, so no lone surrogate survives."""
    return text.encode("utf-8", "surrogatepass").decode("utf-8", "replace")


COMMANDS = [
    ids.TENSION_COMMAND,
    ids.FEEDBACK_COMMAND,
    ids.CHECKIN_COMMAND,
    ids.TACTICAL_COMMAND,
    ids.RETRO_COMMAND,
]


@FUZZ
@given(
    command=st.sampled_from(COMMANDS),
    user=st.sampled_from([ANA, SHARED]),
    text=st.one_of(
        TYPED,
        st.sampled_from(["help", "digest", "edit", "agenda", "away"]).flatmap(
            lambda word: TYPED.map(lambda rest: f"{word} {rest}")
        ),
    ).map(as_form_text),
)
def test_any_command_text_gets_an_answer_and_nothing_typed_goes_live(
    slack: SlackSender,
    fake_slack: FakeSlack,
    services: Services,
    problems: pytest.LogCaptureFixture,
    command: str,
    user: str,
    text: str,
) -> None:
    calls_before = len(fake_slack.calls)
    problems.clear()

    answer = slack.command(command, text, user_id=user, channel_id=NORTH_CHANNEL)
    fake_slack.wait_quiet()

    assert answer.status == 200, answer.body
    shown = shown_since(fake_slack, calls_before)
    if answer.json is not None:
        shown += list(mrkdwn_texts(answer.json, mrkdwn=True))
    assert live_markup(shown) == []
    assert logged_failures(problems) == []
    assert fake_slack.internal_errors == []


# --- secrets ----------------------------------------------------------------------------------


@pytest.fixture
def everything_at_debug(caplog: pytest.LogCaptureFixture) -> Iterator[pytest.LogCaptureFixture]:
    """Every logger (Bolt's, slack_sdk's, SQLAlchemy's, ours) records DEBUG, for this test only."""
    loggers = [logging.getLogger(name) for name in list(logging.root.manager.loggerDict)]
    levels = [(logger, logger.level) for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.NOTSET)
    caplog.set_level(logging.DEBUG)
    yield caplog
    for logger, level in levels:
        logger.setLevel(level)


def test_tokens_and_the_signing_secret_never_reach_the_logs(
    slack: SlackSender, fake_slack: FakeSlack, everything_at_debug: pytest.LogCaptureFixture
) -> None:
    caplog = everything_at_debug

    view = open_modal(slack, fake_slack, ANA)
    slack.submit_view(view, user_id=ANA, values={ids.TENSION_TEXT_ACTION: "Rota gaps on Fridays"})
    fake_slack.wait_for(lambda: fake_slack.dms(ANA))
    slack.app_home_opened(ANA)
    fake_slack.wait_for(lambda: fake_slack.home(ANA))
    slack.command(ids.RETRO_COMMAND, "help", user_id=ANA, channel_id=NORTH_CHANNEL)
    fake_slack.wait_quiet()

    logged = "\n".join(
        record.getMessage() + (str(record.exc_info) if record.exc_info else "")
        for record in caplog.records
    )
    assert len(caplog.records) > 20, "DEBUG logging should have recorded the journey"
    assert "xoxb-" not in logged and BOT_TOKEN not in logged
    assert SIGNING_SECRET not in logged
