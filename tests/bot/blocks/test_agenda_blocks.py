"""The agenda's builders: the Holacracy order, splitting, escaping, and Block Kit's limits."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

from bot.agenda.model import Agenda, ChecklistSummary, MetricSummary
from bot.agenda.views import (
    MAIN_ITEMS,
    MORE_ITEMS,
    build_agenda_messages,
    parse_triage_value,
    triage_value,
)
from bot.core import ids
from bot.core.config import AppConfig
from bot.core.meetings import meeting_on
from bot.slack.blockkit import message_problems
from prompts import Renderer
from storage.models import CheckinResponse, OutcomeKind, Tension, TensionStatus

RENDERER = Renderer()
TUESDAY = date(2026, 12, 1)
TYPED = "<!channel> ask <@U123> about <https://x|y> & more"
ESCAPED = "&lt;!channel&gt; ask &lt;@U123&gt; about &lt;https://x|y&gt; &amp; more"


def tension(number: int, text: str = "", **fields: object) -> Tension:
    return Tension(
        id=number,
        team_id="north",
        raised_by="U0ANA",
        text=text or f"Tension number {number}",
        created_at=datetime(2026, 11, 26, tzinfo=UTC) + timedelta(minutes=number),
        **fields,  # type: ignore[arg-type]
    )


def make_agenda(config: AppConfig, **parts: object) -> Agenda:
    team = config.team("north")
    fields: dict[str, object] = {
        "team": team,
        "meeting": meeting_on(team, TUESDAY),
        "round_id": 7,
        "today": TUESDAY,
        "answers": [],
        "checklist": [],
        "metrics": [],
        "progress": [],
        "items": [],
    }
    return Agenda(**(fields | parts))  # type: ignore[arg-type]


def every_message(messages: object) -> list[dict]:
    return [messages.main, *messages.thread.values()]  # type: ignore[attr-defined]


def test_an_empty_agenda_has_every_part_in_order_and_no_thread(config: AppConfig) -> None:
    messages = build_agenda_messages(RENDERER, agenda=make_agenda(config))
    assert message_problems(messages.main) == []
    assert messages.thread == {}
    text = json.dumps(messages.main, ensure_ascii=False)
    assert (
        messages.main["blocks"][0]["text"]["text"] == "Tactical meeting · Tuesday 1 December, 10:00"
    )
    parts = [
        "1 · Check-in round",
        "2 · Checklist and metrics",
        "3 · Progress updates",
        "4 · Agenda",
    ]
    assert [text.index(p) for p in parts] == sorted(text.index(p) for p in parts)
    assert "no tensions yet" in text
    assert messages.main["text"] == (
        "Tactical meeting agenda for North Neighbourhood Team, Tue 1 Dec 10:00: 0 tensions"
    )


def test_120_tensions_split_into_messages_within_limits(config: AppConfig) -> None:
    items = [tension(n, f"{n} {TYPED} " + "é" * 2900) for n in range(1, 121)]

    messages = build_agenda_messages(RENDERER, agenda=make_agenda(config, items=items))

    assert list(messages.thread) == ["agenda-2", "agenda-3"]
    for message in every_message(messages):
        assert message_problems(message) == []
        assert len(message["blocks"]) <= 50
        assert "<!channel>" not in json.dumps(message)
    values = [
        b["accessory"]["value"]
        for m in every_message(messages)
        for b in m["blocks"]
        if (b.get("accessory") or {}).get("action_id") == ids.AGENDA_TRIAGE
    ]
    assert values == [f"{n}:7" for n in range(1, 121)]
    assert ESCAPED in json.dumps(messages.main)
    assert "…80 more tensions in the thread." in json.dumps(messages.main, ensure_ascii=False)
    assert messages.thread["agenda-2"]["text"] == (
        f"Agenda, continued: tensions {MAIN_ITEMS + 1} to {MAIN_ITEMS + MORE_ITEMS}"
    )
    assert "*120.*" in json.dumps(messages.thread["agenda-3"])


def test_a_triaged_tension_shows_its_outcome_and_no_button(config: AppConfig) -> None:
    done = tension(
        1,
        status=TensionStatus.TRIAGED,
        outcome=OutcomeKind.PROJECT,
        owner="U0CARA",
        due_date=date(2026, 12, 11),
        triaged_by="U0DEV",
    )
    proposal = tension(
        2,
        status=TensionStatus.TRIAGED,
        outcome=OutcomeKind.PROPOSAL,
        governance=True,
        triaged_by="U0DEV",
    )

    messages = build_agenda_messages(RENDERER, agenda=make_agenda(config, items=[done, proposal]))

    items = messages.main["blocks"][-2:]
    assert all("accessory" not in block for block in items)
    shown = json.dumps(items, ensure_ascii=False)
    assert "*Project* for <@U0CARA>, due Fri 11 Dec · _triaged by <@U0DEV>_" in shown
    assert "_marked for governance_" in items[1]["text"]["text"]


def test_details_go_in_the_thread_and_long_ones_are_split(config: AppConfig) -> None:
    answers = [
        CheckinResponse(
            round_id=7,
            user_id=f"U0P{n:03d}",
            mood=(n % 5) + 1,
            note=f"{TYPED} " + "a long note " * 80,
            progress="Moved the rota" if n == 0 else "",
            story="A client thanked us & <b>" if n == 1 else "",
        )
        for n in range(60)
    ]
    progress = [
        tension(
            n,
            status=TensionStatus.TRIAGED,
            outcome=OutcomeKind.NEXT_ACTION,
            owner="U0BEN",
            due_date=TUESDAY - timedelta(days=1) if n == 1 else None,
        )
        for n in range(1, 4)
    ]
    agenda = make_agenda(
        config,
        answers=answers,
        progress=progress,
        metrics=[MetricSummary("visits", "Client visits", "visits", 120, 10, 12)],
        checklist=[ChecklistSummary("Medication <audit>", 3, 1)],
    )

    messages = build_agenda_messages(RENDERER, agenda=agenda)

    assert list(messages.thread) == ["checkin", "metrics", "progress"]
    checkin = messages.thread["checkin"]
    assert message_problems(checkin) == [] and len(checkin["blocks"]) > 2
    assert ESCAPED in json.dumps(checkin) and "<@U0P000>" in json.dumps(checkin)
    summary = json.dumps(messages.main, ensure_ascii=False)
    assert "60 shared answers, average mood 3.0/5" in summary
    assert "Client visits: *120* visits" in summary
    assert "Medication &lt;audit&gt; 3:white_check_mark: 1:x:" in summary
    assert "3 open next actions and projects, :warning: 1 overdue" in summary
    metrics = json.dumps(messages.thread["metrics"])
    assert "A client thanked us &amp; &lt;b&gt;" in metrics
    progress_text = json.dumps(messages.thread["progress"])
    assert progress_text.count("*overdue*") == 1 and "Moved the rota" in progress_text


def test_triage_values_round_trip() -> None:
    assert parse_triage_value(triage_value(tension(12), 7)) == (12, 7)
    assert parse_triage_value("12") == (12, None)
