"""`retrobot forget`: after it, neither the person's Slack id nor any word of theirs is left in
the database or a team's export (except what became the team's record, which reads "a former
member"); past weeks' figures and summaries are unchanged; other people's exports are too."""

from __future__ import annotations

import hashlib
import io
import json
from collections.abc import Iterable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, String, cast, select, update
from sqlmodel import Session, SQLModel, col

import bot.data.member_forget
from bot.core.config import AppConfig, parse_config
from bot.core.errors import NotAllowedError, NotFoundError
from bot.core.people import is_former_member
from bot.core.settings import Settings
from bot.data.export import export_team
from bot.data.member import holds_text
from bot.data.member_export import export_member
from bot.data.member_forget import forget_member, preview_forget
from bot.decisions import usecases as decisions
from bot.digests import service as digests
from bot.services import Services
from prompts import Renderer
from storage.db import session_factory
from storage.models import (
    CheckinPrompt,
    CheckinResponse,
    CheckinRound,
    DigestKind,
    Member,
    MemberErasure,
    Objection,
    ObjectionResolution,
    PromptStatus,
    Proposal,
    ProposalStatus,
    RoundStatus,
    SentDigest,
)
from tests.bot.member_data.seed import (
    NOW,
    OTHERS_WORDS,
    RECORD_WORDS,
    SHAY_WORDS,
    WEEKS,
    WITHOUT_SHAY_YAML,
    config_without_shay,
    team_summaries,
)
from tests.conftest import ANA, COACH, SAM, SHARED, TEST_APP_YAML

LATER = NOW + timedelta(days=30)
SUMMARY = col(SentDigest.kind) == DigestKind.TEAM_SUMMARY


def forget(engine: Engine, config: AppConfig | None = None, user_id: str = SHARED) -> Any:
    with session_factory(engine)() as session:
        return forget_member(
            session,
            config=config or config_without_shay(),
            user_id=user_id,
            run_by="admin@host",
            now=LATER,
            renderer=Renderer(),
        )


def member_export(engine: Engine, user_id: str) -> dict[str, Any]:
    out = io.BytesIO()
    with session_factory(engine)() as session:
        export_member(
            session, user_id=user_id, export_format="json", out=out, now=NOW, renderer=Renderer()
        )
    return json.loads(out.getvalue())


def team_exports(engine: Engine) -> bytes:
    """North's, south's and the links circle's exports."""
    found = b""
    for team in ("north", "south", "links"):
        out = io.BytesIO()
        with session_factory(engine)() as session:
            export_team(session, team_id=team, export_format="json", out=out, now=NOW)
        found += out.getvalue()
    return found


def column_values(engine: Engine) -> Iterable[tuple[str, str, str]]:
    """Every text and JSON value in the database, as text: (table, column, value)."""
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            for column in table.columns:
                if not holds_text(column):
                    continue
                for (value,) in connection.execute(select(cast(column, String))):
                    if value is not None:
                        yield table.name, column.name, value


def database_bytes(engine: Engine, *, vacuum: bool = True) -> bytes:
    """The SQLite file and its write-ahead log (after VACUUM): every byte still on disk."""
    if engine.dialect.name != "sqlite":
        return b""
    if vacuum:
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as connection:
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
            connection.exec_driver_sql("VACUUM")
            connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    path = Path(str(engine.url.database))
    wal = path.with_name(path.name + "-wal")
    return path.read_bytes() + (wal.read_bytes() if wal.exists() else b"")


def traces(engine: Engine, needles: Iterable[str]) -> dict[str, list[str]]:
    """Where each needle is still found: a column, the file on disk, a team's export."""
    found: dict[str, list[str]] = {}
    values = list(column_values(engine))
    on_disk, exports = database_bytes(engine), team_exports(engine)
    for needle in needles:
        places = [f"{t}.{c}" for t, c, value in values if needle in value]
        escaped = json.dumps(needle)[1:-1].encode("utf-8")
        if needle.encode("utf-8") in on_disk:
            places.append("the SQLite file")
        if needle.encode("utf-8") in exports or escaped in exports:
            places.append("a team's export")
        if places:
            found[needle] = places
    return found


def test_neither_their_id_nor_their_words_are_left_anywhere(engine: Engine) -> None:
    assert set(traces(engine, [SHARED, *SHAY_WORDS])) == {SHARED, *SHAY_WORDS}

    forget(engine)

    assert traces(engine, [SHARED, *SHAY_WORDS]) == {}
    # What became the team's record, and what others wrote, stay.
    kept = traces(engine, [*RECORD_WORDS, *OTHERS_WORDS[:-2]])
    assert set(kept) == {*RECORD_WORDS, *OTHERS_WORDS[:-2]}
    assert traces(engine, ["Ana's tension for a former member to follow up"]) != {}


def test_on_sqlite_what_was_erased_is_overwritten_without_waiting_for_a_vacuum(
    engine: Engine,
) -> None:
    if engine.dialect.name != "sqlite":
        pytest.skip("SQLite's file; PostgreSQL reclaims old row versions at its VACUUM")
    forget(engine)
    engine.dispose()

    on_disk = database_bytes(engine, vacuum=False)

    assert [w for w in (SHARED, *SHAY_WORDS) if w.encode("utf-8") in on_disk] == []
    assert RECORD_WORDS[0].encode("utf-8") in on_disk


def test_past_weeks_figures_and_summaries_are_unchanged(engine: Engine) -> None:
    config, renderer = config_without_shay(), Renderer()
    with Session(engine) as session:
        figures = {
            week: digests.build_team_figures(
                session, config=config, team_ids=["north", "south"], week=week, now=NOW
            )[0]
            for week in WEEKS
        }
        summaries = team_summaries(session, config, renderer)

    forget(engine)

    with Session(engine) as session:
        for week in WEEKS:
            after = digests.build_team_figures(
                session, config=config, team_ids=["north", "south"], week=week, now=NOW
            )[0]
            assert after == figures[week], week
        summaries_after = team_summaries(session, config, renderer)
    # Every summary reads as before, word for word, but for the one story Shay shared (week 24,
    # north): their words are gone, the figures are not.
    story = "• SHAY-STORY-the ambulance came at last — <@U0SHARED>"
    for key, text in summaries.items():
        if story in text:
            assert summaries_after[key] == text.replace(story + "\n", "").replace(
                "· 5 stories", "· 4 stories"
            )
        else:
            assert summaries_after[key] == text, key
    assert sum(story in text for text in summaries.values()) == 1


def test_the_summaries_kept_as_sent_lose_only_their_story(engine: Engine) -> None:
    with Session(engine) as session:
        before = {
            (d.team_id, d.iso_week): d.body
            for d in session.exec(
                select(SentDigest).where(col(SentDigest.kind) == DigestKind.TEAM_SUMMARY)
            )
            .scalars()
            .all()
        }

    forget(engine)

    with Session(engine) as session:
        after = {
            (d.team_id, d.iso_week): d.body
            for d in session.exec(
                select(SentDigest).where(col(SentDigest.kind) == DigestKind.TEAM_SUMMARY)
            )
            .scalars()
            .all()
        }
    story = "• SHAY-STORY-the ambulance came at last — <@U0SHARED>"
    erased = "• _A story by a former member, erased at their request._"
    assert after == {key: body.replace(story, erased) for key, body in before.items()}
    assert erased in after[("north", "2026-W24")]


@pytest.mark.parametrize("user_id", [SAM, COACH])
def test_the_export_of_another_member_is_unchanged(engine: Engine, user_id: str) -> None:
    before = member_export(engine, user_id)

    forget(engine)

    assert member_export(engine, user_id) == before


def test_what_others_keep_names_a_former_member(engine: Engine) -> None:
    forget(engine)

    ana = member_export(engine, ANA)["parts"]
    [from_shay] = [f for f in ana["feedback_received"] if is_former_member(f["giver"])]
    assert from_shay["text"] == ""  # Shay's words are gone; the appreciation still counts
    [to_shay] = [f for f in ana["feedback_given"] if is_former_member(f["receiver"])]
    assert to_shay["text"] == "Ana to Shay: try the checklist"  # Ana's words stay hers
    former = {from_shay["giver"], to_shay["receiver"]}
    assert len(former) == 1  # one former member id for the person, wherever they were
    rendered = Renderer().say("summary.story", s=digests.Story(former.pop(), "Thank you"))
    assert rendered == "• Thank you — a former member"


def test_the_decision_log_reads_a_former_member(engine: Engine, tmp_path: Path) -> None:
    forget(engine)
    services = Services(
        config=config_without_shay(),
        settings=Settings(database_url=str(engine.url)),
        engine=engine,
    )

    log = "".join(decisions.decision_log(services, team_id="north", since=None, fmt="text"))

    assert "decided by a former member" in log
    assert "Decision: RECORD-rota published two weeks ahead" in log
    assert "Proposed by a former member" in log
    assert "Did not answer by the decision: a former member, U0BEN" in log
    assert SHARED not in log and "former-" not in log


def test_what_was_still_going_on_stops(engine: Engine) -> None:
    forget(engine)

    with Session(engine) as session:
        proposals = {p.why: p for p in session.exec(select(Proposal)).scalars()}
        objections = list(session.exec(select(Objection)).scalars())
    withdrawn = proposals[""]  # Shay's open proposal: erased, and nothing more is asked
    assert withdrawn.status == ProposalStatus.WITHDRAWN and withdrawn.withdrawn_at == LATER
    assert proposals["Ben's why"].status == ProposalStatus.OPEN
    [objection] = [o for o in objections if is_former_member(o.user_id)]
    assert objection.resolution == ObjectionResolution.WITHDRAWN  # it no longer blocks Ben
    assert (objection.objection, objection.reason, objection.dm_channel) == ("", "", None)


def test_a_check_in_still_open_does_not_ask_a_former_member(engine: Engine) -> None:
    with Session(engine) as session:
        round_ = CheckinRound(
            team_id="north",
            meeting_date=LATER.date(),
            meeting_at=LATER + timedelta(hours=1),
            opens_at=LATER - timedelta(days=1),
            status=RoundStatus.OPEN,
        )
        session.add(round_)
        session.flush()
        session.add(CheckinPrompt(round_id=round_.id, user_id=SHARED, created_at=LATER))
        session.commit()
        round_id = round_.id

    forget(engine)

    with Session(engine) as session:
        prompts = {
            p.round_id: p for p in session.exec(select(CheckinPrompt)).scalars() if p.user_id
        }
        answered = session.exec(select(CheckinResponse.mood)).scalars().all()
    assert prompts[round_id].status == PromptStatus.SKIPPED
    assert is_former_member(prompts[round_id].user_id)
    past = [p for p in prompts.values() if p.round_id != round_id]
    assert all(p.status == PromptStatus.ANSWERED for p in past)
    assert len(answered) == 14  # every answer still counts


def test_the_erasure_is_recorded_without_content(engine: Engine) -> None:
    report = forget(engine)

    with Session(engine) as session:
        [record] = session.exec(select(MemberErasure)).scalars().all()
    assert record.member_hash == hashlib.sha256(b"U0SHARED").hexdigest() == report.member_hash
    assert (record.run_by, record.run_at) == ("admin@host", LATER)
    assert record.changes["checkin_response"] == {"erase": 4}
    assert record.changes["member"] == {"delete": 3}
    assert record.changes == report.plan.counts()


def test_forgetting_again_says_when_it_was_done(engine: Engine) -> None:
    forget(engine)

    with pytest.raises(NotFoundError) as refused:
        forget(engine)
    assert (
        str(refused.value) == "Nothing to forget: U0SHARED was already forgotten on 31 July 2026."
    )


def test_a_person_still_in_app_yaml_is_refused(engine: Engine) -> None:
    before = member_export(engine, SHARED)
    listed = parse_config(TEST_APP_YAML, source="app.yaml")

    with pytest.raises(NotAllowedError) as refused:
        forget(engine, listed)

    assert str(refused.value) == (
        "U0SHARED is still a member of north and a member of south: remove them from app.yaml "
        "(or the user group) first, then run retrobot forget again."
    )
    assert member_export(engine, SHARED) == before


def test_a_person_still_in_a_team_s_user_group_is_refused(engine: Engine) -> None:
    grouped = WITHOUT_SHAY_YAML.replace(
        "    channel: C0SOUTH\n", "    channel: C0SOUTH\n    usergroup: S0SOUTH\n"
    )
    config = parse_config(grouped, source="app.yaml")
    with Session(engine) as session:
        session.exec(  # the last check-in round found Shay in south's Slack user group
            update(Member).where(col(Member.team_id) == "south").values(active=True)
        )
        session.commit()

    with pytest.raises(NotAllowedError) as refused:
        forget(engine, config)
    assert "U0SHARED is still in the Slack user group of south" in str(refused.value)


def test_it_is_one_transaction(engine: Engine, monkeypatch: pytest.MonkeyPatch) -> None:
    before = member_export(engine, SHARED)

    def fails(*args: Any) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(bot.data.member_forget, "_replace_everywhere", fails)
    with pytest.raises(RuntimeError):
        forget(engine)

    assert member_export(engine, SHARED) == before
    with Session(engine) as session:
        assert session.exec(select(MemberErasure)).scalars().all() == []


def test_the_preview_changes_nothing_and_says_what_forget_will_do(engine: Engine) -> None:
    with session_factory(engine)() as session:
        plan = preview_forget(session, user_id=SHARED, now=NOW)
    lines = plan.lines(Renderer())

    assert lines[0] == "retrobot forget U0SHARED will, in one transaction:"
    assert "  - delete 3 places in a team" in lines
    assert (
        "  - erase 4 check-in answers: their words deleted, the rest kept for past weeks' figures"
    ) in lines
    assert '  - keep 2 decisions, naming "a former member" instead of them' in lines
    assert "  - take their shared stories out of 1 team summary kept as sent" in lines
    assert lines[-1].startswith("Past weeks' figures")
    assert member_export(engine, SHARED)["member"] == SHARED


def test_a_coach_who_left_is_forgotten_and_the_team_keeps_their_digests(engine: Engine) -> None:
    config = parse_config(WITHOUT_SHAY_YAML.replace(f"    coaches: [{COACH}]\n", ""), source="x")

    forget(engine, config, user_id=COACH)

    with Session(engine) as session:
        [digest] = session.exec(
            select(SentDigest).where(col(SentDigest.kind) == DigestKind.COACH_DIGEST)
        ).scalars()
    assert is_former_member(digest.recipient)
    assert digest.body == "North: 5 of 5 checked in"  # what the team can still read
    assert traces(engine, [COACH]) == {}
    rendered = Renderer().say("summary.story", s=digests.Story(digest.recipient, "x"))
    assert rendered.endswith("— a former member")
