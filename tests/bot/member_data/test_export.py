"""`retrobot export --member`: everything held about one person, their words and no one else's,
anonymous feedback still anonymous, other people only where the person saw them."""

from __future__ import annotations

import csv
import io
import json
import zipfile
from typing import Any

import pytest
from sqlalchemy import Engine

from bot.core.errors import NotFoundError
from bot.data.member import export_parts
from bot.data.member_export import export_member, part_rows
from prompts import Renderer
from storage.db import session_factory
from tests.bot.member_data.seed import NOW, RECORD_WORDS, SHAY_WORDS
from tests.conftest import ANA, BEN, CARA, SAM, SHARED


def exported(engine: Engine, user_id: str, export_format: str = "json") -> bytes:
    out = io.BytesIO()
    with session_factory(engine)() as session:
        export_member(
            session,
            user_id=user_id,
            export_format=export_format,  # type: ignore[arg-type]
            out=out,
            now=NOW,
            renderer=Renderer(),
        )
    return out.getvalue()


def document(engine: Engine, user_id: str) -> dict[str, Any]:
    return json.loads(exported(engine, user_id))


def test_it_holds_every_text_the_person_typed_and_none_of_another_s_private_words(
    engine: Engine,
) -> None:
    raw = exported(engine, SHARED).decode("utf-8")

    for text in SHAY_WORDS + RECORD_WORDS:
        assert json.dumps(text)[1:-1] in raw, text
    # What others wrote to them is theirs to read; another member's own answers are not.
    for text in ("Ana to Shay: try the checklist", "Ana's advice: ask nights too"):
        assert text in raw
    for text in ("U0ANA note", "U0BEN story of week 24", "Dev's own tension", "Sam notes"):
        assert text not in raw


def test_anonymous_feedback_stays_anonymous(engine: Engine) -> None:
    doc = document(engine, SHARED)
    [anonymous] = [f for f in doc["parts"]["feedback_received"] if f["anonymous"]]

    assert anonymous == anonymous | {"giver": None, "text": "Sam's anonymous thanks to Shay"}
    # Sam gave it and appears nowhere else in Shay's data: nothing names them.
    assert SAM not in json.dumps(doc)
    # Nor is it in Sam's own export: retrobot never knew who gave it.
    assert "Sam's anonymous thanks to Shay" not in json.dumps(document(engine, SAM))


def test_other_people_appear_only_where_the_person_saw_them(engine: Engine) -> None:
    doc = document(engine, SHARED)
    parts = doc["parts"]

    [request] = parts["feedback_requests_made"]
    assert request | {"asked": 2, "answered": 1} == request  # not who answered: it may be anonymous
    assert CARA not in json.dumps(request)
    owned = {t["text"]: t["raised_by"] for t in parts["tensions_owned"]}
    assert owned["Ana's tension for <@U0SHARED> to follow up"] == ANA
    raised = {t["text"]: (t["owner"], t["shown"]) for t in parts["tensions_raised"]}
    assert raised["RECORD-rota swaps need a form"] == (BEN, "team")
    assert raised["SHAY-TENSION-private"] == (None, "coaches")
    assert {f["giver"] for f in parts["feedback_received"]} == {ANA, BEN, None}
    assert SAM not in json.dumps(parts)  # in the same team, but nothing of Sam's concerns Shay


def test_where_each_thing_was_shown(engine: Engine) -> None:
    parts = document(engine, SHARED)["parts"]

    shown = {(a["team"], a["meeting_date"]): a["shown"] for a in parts["checkin_answers"]}
    assert shown == {
        ("north", "2026-06-02"): "you",
        ("south", "2026-06-02"): "you",
        ("north", "2026-06-09"): "team",
        ("south", "2026-06-09"): "team",
    }
    given = {f["text"]: f["shown"] for f in parts["feedback_given"]}
    assert given == {"SHAY-FEEDBACK-to-ana": "team", "SHAY-FEEDBACK-answer-to-cara": "receiver"}


def test_a_readable_summary_on_top_says_what_each_part_is_and_the_period(
    engine: Engine,
) -> None:
    raw = exported(engine, SHARED).decode("utf-8")
    doc = json.loads(raw)
    summary = doc["summary"]

    assert list(doc)[:5] == ["format_version", "kind", "member", "exported_at", "summary"]
    assert raw.index('"summary"') < raw.index('"parts"')
    assert summary["period"] == {"from": "2026-06-01", "to": "2026-06-09"}
    assert summary["teams"] == ["links", "north", "south"]  # a circle is a team of its own
    text = "\n".join(summary["text"])
    assert text.startswith("Everything retrobot holds about U0SHARED, exported 1 July 2026")
    assert "It covers 1 June 2026 to 9 June 2026." in text
    assert "- checkin_answers (4): your check-in answers" in text
    assert "Anonymous feedback to you has no giver" in text
    for part in export_parts():
        rows = summary["parts"][part.name]["rows"]
        assert rows == len(doc["parts"][part.name]), part.name
        assert summary["parts"][part.name]["about"]


def test_the_csv_zip_holds_the_same_rows_and_the_summary(engine: Engine) -> None:
    doc = document(engine, SHARED)
    archive = zipfile.ZipFile(io.BytesIO(exported(engine, SHARED, "csv")))

    readme = archive.read("README.txt").decode("utf-8")
    assert readme.splitlines() == doc["summary"]["text"]
    manifest = json.loads(archive.read("manifest.json"))
    for part in export_parts():
        text = archive.read(f"{part.name}.csv").decode("utf-8-sig")
        header, *rows = list(csv.reader(io.StringIO(text)))
        assert header == part.column_names == manifest["parts"][part.name]["columns"]
        assert len(rows) == len(doc["parts"][part.name]), part.name
    answers = archive.read("checkin_answers.csv").decode("utf-8-sig")
    assert "SHAY-STORY-the ambulance came at last" in answers


def test_rows_are_read_a_batch_at_a_time(engine: Engine) -> None:
    [part] = [p for p in export_parts() if p.name == "checkin_answers"]
    with engine.connect() as connection:
        batched = list(part_rows(connection, part, SHARED, batch_size=1))
        whole = list(part_rows(connection, part, SHARED))
    assert batched == whole and len(whole) == 4


def test_someone_retrobot_never_knew_is_one_plain_line(engine: Engine) -> None:
    with pytest.raises(NotFoundError) as refused:
        exported(engine, "U0NOBODY")
    assert str(refused.value) == (
        "retrobot holds nothing about U0NOBODY: no team has them in its records."
    )


@pytest.mark.parametrize(("user_id", "of_shay"), [(ANA, {"SHAY-FEEDBACK-to-ana"}), (SAM, set())])
def test_everyone_gets_their_own_export(engine: Engine, user_id: str, of_shay: set[str]) -> None:
    doc = document(engine, user_id)
    assert doc["member"] == user_id
    assert {text for text in SHAY_WORDS if text in json.dumps(doc)} == of_shay
