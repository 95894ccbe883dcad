"""Triage's builders: the modal, the DMs, the App Home parts, within limits and escaped."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

from bot.core import ids
from bot.core.config import AppConfig
from bot.home.views import build_home, build_tensions_section
from bot.slack.blockkit import message_problems, view_problems
from bot.tensions.service import CoachedTensions, TeamTensions
from bot.tensions.views import build_tension_modal, build_withdraw_modal
from bot.triage.views import (
    HomeAction,
    HomeMeeting,
    build_done_confirmation,
    build_needs_met_answer,
    build_owner_dm,
    build_progress_section,
    build_raiser_question,
    build_reopened_note,
    build_triage_modal,
)
from prompts import Renderer
from storage.models import OutcomeKind, Tension, TensionStatus

RENDERER = Renderer()
TYPED = "<!channel> ask <@U123> about <https://x|y> & more"
ESCAPED = "&lt;!channel&gt; ask &lt;@U123&gt; about &lt;https://x|y&gt; &amp; more"
LONG = TYPED + " " + "é&<" * 700  # 2,100+ characters typed, far more once escaped


def make(**fields: object) -> Tension:
    base: dict[str, object] = {
        "id": 5,
        "team_id": "north",
        "raised_by": "U0ANA",
        "text": LONG,
        "area": "Rota & <stuff>",
        "created_at": datetime(2026, 11, 26, tzinfo=UTC),
        "source_permalink": "https://example.slack.com/archives/C0NORTH/p1",
    }
    return Tension(**(base | fields))  # type: ignore[arg-type]


def triaged(**fields: object) -> Tension:
    base: dict[str, object] = {
        "status": TensionStatus.TRIAGED,
        "outcome": OutcomeKind.NEXT_ACTION,
        "owner": "U0CARA",
        "due_date": date(2026, 12, 4),
        "triage_note": TYPED + " " + "n" * 950,
        "triaged_by": "U0DEV",
    }
    return make(**(base | fields))


def test_the_triage_modal_offers_every_outcome_within_limits(config: AppConfig) -> None:
    view = build_triage_modal(RENDERER, tension=make(), team=config.team("north"), round_id=7)

    assert view_problems(view) == []
    assert json.loads(view["private_metadata"]) == {"tension_id": 5, "round_id": 7}
    dumped = json.dumps(view)
    assert "&lt;!channel&gt; ask &lt;@U123&gt;" in dumped and "<!channel>" not in dumped
    assert "<https://example.slack.com/archives/C0NORTH/p1|this message>" in dumped
    outcome = next(b for b in view["blocks"] if b.get("block_id") == ids.TRIAGE_OUTCOME_BLOCK)
    labels = [o["text"]["text"] for o in outcome["element"]["options"]]
    assert labels == [
        "Next action",
        "Project",
        "Information or help",
        "Space to share",
        "Proposal for an ongoing expectation",
        "Resolved without action",
        "Dropped",
    ]
    owner = next(b for b in view["blocks"] if b.get("block_id") == ids.TRIAGE_OWNER_BLOCK)
    assert owner["element"]["type"] == "users_select" and owner["optional"] is True


def test_the_dms_fit_and_escape_what_people_typed() -> None:
    tension = triaged()
    payloads = [
        build_owner_dm(RENDERER, tension=tension, team_name="North"),
        build_raiser_question(RENDERER, tension=tension, team_name="North"),
        build_needs_met_answer(RENDERER, tension=make(needs_met=True)),
        build_needs_met_answer(RENDERER, tension=make(needs_met=False)),
        build_done_confirmation(RENDERER, tension=tension),
        build_reopened_note(RENDERER, tension=tension),
    ]
    for payload in payloads:
        assert message_problems(payload) == []
        dumped = json.dumps(payload)
        assert "<!channel>" not in dumped and "<https://x" not in dumped
        assert "&lt;!channel&gt;" in dumped
    owner = json.dumps(payloads[0])
    assert "*Due:* Friday 4 December" in owner and "<@U0DEV>" in owner
    assert payloads[0]["blocks"][0]["accessory"]["value"] == "5"
    question = payloads[1]["blocks"][-1]["elements"]
    assert [b["action_id"] for b in question] == [ids.NEEDS_MET_YES, ids.NEEDS_MET_NO]
    assert "closed" in json.dumps(payloads[2]) and "back on the agenda" in json.dumps(payloads[3])


def test_the_progress_part_of_the_home(config: AppConfig) -> None:
    work = [
        HomeAction(triaged(id=n, due_date=date(2026, 11, 30)), "North", overdue=n == 1)
        for n in range(1, 12)
    ]
    madrid = ZoneInfo("Europe/Madrid")
    meetings = [HomeMeeting("North", datetime(2026, 12, 1, 10, 0, tzinfo=UTC), madrid)]

    blocks = build_progress_section(RENDERER, items=work, meetings=meetings)

    view = build_home(RENDERER, sections=[blocks], in_team=True)
    assert view_problems(view) == []
    dumped = json.dumps(view, ensure_ascii=False)
    assert "Tuesday 1 December, 11:00* your time (Europe/Madrid)" in dumped
    assert "*Your next actions and projects* (11)" in dumped
    assert dumped.count(ids.ACTION_DONE) == 8 and "…and 3 more." in dumped
    assert dumped.count("*overdue*") == 1


def test_own_tensions_can_be_edited_triaged_ones_are_read_only(config: AppConfig) -> None:
    open_ones = [make(id=n) for n in range(1, 8)]
    overview = [
        TeamTensions(
            team=config.team("north"),
            mine=open_ones,
            others=[make(id=20, raised_by="U0BEN")],
            triaged=[triaged(id=30)],
        )
    ]
    coached = [CoachedTensions(team=config.team("south"), private=[make(id=40, private=True)])]

    blocks = build_tensions_section(RENDERER, overview=overview, coached=coached)

    view = build_home(RENDERER, sections=[blocks], in_team=True)
    assert view_problems(view) == []
    dumped = json.dumps(view, ensure_ascii=False)
    assert dumped.count(ids.HOME_EDIT_TENSION) == 5 and "…and 2 more open." in dumped
    assert '"value": "30"' not in dumped  # the triaged one has no buttons
    assert "*Next action* for <@U0CARA>" in dumped
    assert "Private tensions · South Neighbourhood Team" in dumped
    assert "<!channel>" not in dumped


def test_edit_and_withdraw_modals_are_prefilled(config: AppConfig) -> None:
    tension = make(text="Handovers & <late>", private=True)

    edit = build_tension_modal(RENDERER, teams=config.teams, editing=tension)
    withdraw = build_withdraw_modal(RENDERER, tension=tension, team_name="North")

    assert view_problems(edit) == [] and view_problems(withdraw) == []
    assert edit["callback_id"] == ids.TENSION_EDIT_MODAL
    assert json.loads(edit["private_metadata"])["tension_id"] == 5
    by_id = {b.get("block_id"): b for b in edit["blocks"]}
    assert by_id[ids.TENSION_TEXT_BLOCK]["element"]["initial_value"] == "Handovers & <late>"
    assert by_id[ids.TENSION_AREA_BLOCK]["element"]["initial_value"] == "Rota & <stuff>"
    assert by_id[ids.TENSION_PRIVATE_BLOCK]["element"]["initial_options"]
    assert ids.TENSION_TEAM_BLOCK not in by_id  # its team stays as it is
    assert "Handovers &amp; &lt;late&gt;" in json.dumps(withdraw)
