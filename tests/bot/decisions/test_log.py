"""The decision log: what each entry holds, `retrobot decisions` in its three formats, the
export and import of decisions (round trip), and finding decisions by words."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from bot.cli import main
from bot.data.export import export_team, team_scopes
from bot.data.importer import import_export
from bot.decisions import answers, checks, log, service, usecases
from bot.decisions.model import AmendmentDraft, DecisionDraft
from bot.services import Services
from bot.slack.users import Account, AccountKind
from storage.db import make_engine, migrate, session_factory
from storage.models import (
    Advice,
    Decision,
    Proposal,
    ProposalMethod,
    ProposalStatus,
    RoundAnswer,
)
from tests.conftest import ANA, BEN, CARA, COACH, DEV, SAM, SHARED, TEST_APP_YAML

NOW = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


@contextmanager
def exported_and_imported(services: Services, directory: Path, fmt: str) -> Iterator[Services]:
    """North's data exported as ``fmt`` and imported into a fresh SQLite database: its services."""
    path = directory / f"north.{fmt}"
    with services.session() as session, path.open("wb") as out:
        export_team(session, team_id="north", out=out, export_format=fmt, now=NOW)
    target = make_engine(f"sqlite:///{directory / f'target-{fmt}.db'}")
    migrate(target)
    with session_factory(target)() as session:
        import_export(session, path=path)
    try:
        yield Services(config=services.config, settings=services.settings, engine=target)
    finally:
        target.dispose()


def people(*user_ids: str) -> dict[str, Account]:
    return {u: Account(u, AccountKind.PERSON, None) for u in user_ids}


def make_advice_decision(services: Services, *, text: str = "Rota two weeks ahead") -> int:
    """Ana asks Ben, Sam and the coach; Ben advises, the coach has none; Ana decides."""
    config = services.config
    draft = checks.check_proposal(
        config=config,
        user_id=ANA,
        team_id="north",
        text=text,
        why="People can't plan their week",
        method="advice",
        people=[BEN, SAM, COACH],
        teams=[],
        decide_by="2026-06-08",
        values=["Trust"],
        review_date="2026-12-01",
        accounts=people(BEN, SAM, COACH),
        now=NOW,
    )
    with services.session() as session:
        proposal = service.create_proposal(
            session, config=config, user_id=ANA, draft=draft, now=NOW
        )
        assert proposal is not None
        pid = proposal.id or 0
        answers.give_advice(
            session, user_id=BEN, proposal_id=pid, text="Ask the part-timers", now=NOW
        )
        answers.give_advice(session, user_id=COACH, proposal_id=pid, text=None, now=NOW)
        service.decide_proposal(
            session,
            user_id=ANA,
            proposal_id=pid,
            version=1,
            draft=DecisionDraft(
                text=text, shaped_by="Ben's advice: the part-timers choose first", review_date=None
            ),
            now=NOW + timedelta(days=2),
        )
    return pid


def make_integrated_decision(services: Services) -> int:
    """Dev objects, Ana amends, Dev confirms it is integrated, Cara has a concern: adopted."""
    config = services.config
    draft = checks.check_proposal(
        config=config,
        user_id=ANA,
        team_id="north",
        text="Handovers at 14:30",
        why="",
        method="integrated",
        people=[],
        teams=[],
        decide_by="2026-06-08",
        values=[],
        review_date=None,
        accounts={},
        now=NOW,
    )
    with services.session() as session:
        proposal = service.create_proposal(
            session, config=config, user_id=ANA, draft=draft, now=NOW
        )
        assert proposal is not None
        pid = proposal.id or 0

        def answer(user: str, what: RoundAnswer, version: int, reason: str = "") -> None:
            answers.answer_round(
                session,
                config=config,
                user_id=user,
                proposal_id=pid,
                version=version,
                answer=what,
                reason=reason,
                now=NOW,
            )

        answer(DEV, RoundAnswer.OBJECTION, 1, "School run at 14:30")
        service.amend_proposal(
            session,
            user_id=ANA,
            proposal_id=pid,
            version=1,
            draft=AmendmentDraft(
                text="Handovers at 14:45",
                why="",
                note="After the school run",
                decide_by=date(2026, 6, 9),
            ),
            now=NOW,
        )
        answer(DEV, RoundAnswer.NO_OBJECTION, 2)
        answer(CARA, RoundAnswer.CONCERN, 2, "It may run long")
        answer(BEN, RoundAnswer.NO_OBJECTION, 2)
        answer(SHARED, RoundAnswer.NO_OBJECTION, 2)
    return pid


def test_an_advice_decision_in_the_log(services: Services) -> None:
    make_advice_decision(services)

    text = "".join(usecases.decision_log(services, team_id="north", since=None, fmt="text"))

    assert f"Advice process, decided by {ANA}" in text
    assert "Decision: Rota two weeks ahead" in text
    assert "Why: People can't plan their week" in text
    assert "Values: Trust" in text and "How the advice shaped it: Ben's advice" in text
    assert f"Advice from {BEN}: Ask the part-timers" in text
    assert f"Did not answer by the decision: {SAM}" in text
    assert f"Answered: {BEN}, {COACH}" in text


def test_an_integrated_decision_logs_its_objection_and_how_it_was_integrated(
    services: Services,
) -> None:
    make_integrated_decision(services)

    [entry] = json.loads(
        "".join(usecases.decision_log(services, team_id="north", since=None, fmt="json"))
    )["decisions"]

    assert entry["method"] == "integrated" and entry["decided_by"] is None
    assert entry["text"] == "Handovers at 14:45"
    assert entry["objections"] == [
        {
            "user_id": DEV,
            "version": 1,
            "text": "School run at 14:30",
            "resolution": "integrated",
            "integration": "After the school run",
        }
    ]
    assert entry["concerns"] == [{"user_id": CARA, "text": "It may run long"}]
    assert entry["unanswered"] == []
    assert entry["amendments"][0]["version"] == 2


def test_retrobot_decisions_prints_text_json_and_csv(
    services: Services,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    make_advice_decision(services, text="=SUM(A1) rota")
    make_integrated_decision(services)
    (tmp_path / "app.yaml").write_text(TEST_APP_YAML, encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", services.settings.database_url)
    monkeypatch.setenv("RETROBOT_CONFIG", str(tmp_path / "app.yaml"))

    assert main(["decisions", "--team", "north"]) == 0
    text = capsys.readouterr().out
    assert main(["decisions", "--team", "north", "--format", "json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert main(["decisions", "--team", "north", "--format", "csv", "--since", "2026-06-02"]) == 0
    rows = list(csv.DictReader(io.StringIO(capsys.readouterr().out)))
    assert main(["decisions", "--team", "south"]) == 0
    south = capsys.readouterr().out

    assert text.count("Decision: ") == 2
    assert [d["method"] for d in document["decisions"]] == ["integrated", "advice"]
    assert [row["method"] for row in rows] == ["advice"]  # decided on 3 June
    assert rows[0]["text"] == "'=SUM(A1) rota"  # never run as a formula
    assert "South Neighbourhood Team has no decisions" in south
    assert main(["decisions", "--team", "west"]) == 1
    with pytest.raises(SystemExit) as refused:
        main(["decisions", "--team", "north", "--since", "June"])
    assert refused.value.code == 2
    assert "'June' is not a date" in capsys.readouterr().err


def test_decisions_are_exported_with_the_team_and_imported_back(
    services: Services, tmp_path: Path
) -> None:
    make_advice_decision(services)
    make_integrated_decision(services)
    scopes = {scope.name: scope for scope in team_scopes()}
    assert scopes["decision"].by_team_id and scopes["proposal"].by_team_id
    for child in ("advice", "objection", "proposal_amendment"):
        assert scopes[child].column.name == "proposal_id"  # type: ignore[union-attr]
    before = "".join(usecases.decision_log(services, team_id="north", since=None, fmt="json"))

    for fmt in ("json", "csv"):
        with exported_and_imported(services, tmp_path, fmt) as copy:
            after = "".join(usecases.decision_log(copy, team_id="north", since=None, fmt="json"))
        assert after == before


def test_finding_decisions_by_words(services: Services) -> None:
    make_advice_decision(services, text="Rota two weeks ahead")
    make_advice_decision(services, text="Mileage claims by the 5th, 100% of them")
    make_integrated_decision(services)

    with services.session() as session:

        def texts(words: str, teams: list[str] = ["north"]) -> list[str]:  # noqa: B006
            return [f.decision.text for f in log.search(session, team_ids=teams, words=words)]

        assert texts("") == [  # newest first (the integrated one was adopted first)
            "Mileage claims by the 5th, 100% of them",
            "Rota two weeks ahead",
            "Handovers at 14:45",
        ]
        assert texts("ROTA weeks") == ["Rota two weeks ahead"]
        assert len(texts("part-timers")) == 2  # how the advice shaped the two advice decisions
        assert texts("100%") == ["Mileage claims by the 5th, 100% of them"]
        assert texts("%") == ["Mileage claims by the 5th, 100% of them"]  # no wildcard
        assert texts("rota", ["south"]) == []
        found = log.search(session, team_ids=["north"], words="handovers")
        assert (found[0].asked, found[0].answered) == (4, 4)


def test_proposal_methods_are_stored_as_words(services: Services) -> None:
    pid = make_advice_decision(services)
    with services.session() as session:
        assert service.proposal_by_id(session, pid).method == ProposalMethod.ADVICE


def test_the_counts_the_summary_and_the_digest_take(services: Services) -> None:
    from bot.decisions.counts import DecisionCounts, decision_counts

    make_advice_decision(services)  # decided 3 June
    make_integrated_decision(services)  # adopted 1 June
    open_one = checks.check_proposal(
        config=services.config,
        user_id=BEN,
        team_id="north",
        text="Secret words",
        why="",
        method="advice",
        people=[CARA],
        teams=[],
        decide_by="2026-06-05",
        values=[],
        review_date=None,
        accounts=people(CARA),
        now=NOW,
    )
    with services.session() as session:
        service.create_proposal(
            session, config=services.config, user_id=BEN, draft=open_one, now=NOW
        )

        def counts(start: str, end: str, today: str) -> DecisionCounts:
            return decision_counts(
                session,
                team_id="north",
                start=datetime.fromisoformat(start).replace(tzinfo=UTC),
                end=datetime.fromisoformat(end).replace(tzinfo=UTC),
                today=date.fromisoformat(today),
            )

        assert counts("2026-06-01", "2026-06-08", "2026-06-05") == DecisionCounts(2, 1, 0)
        assert counts("2026-06-02", "2026-06-08", "2026-06-06") == DecisionCounts(1, 1, 1)
        assert counts("2026-05-25", "2026-06-01", "2026-06-06") == DecisionCounts(0, 0, 0)
        assert (
            decision_counts(
                session,
                team_id="south",
                start=NOW,
                end=NOW + timedelta(days=9),
                today=date(2026, 7, 1),
            )
            == DecisionCounts()
        )


def add_logged_decisions(services: Services, first: int, last: int) -> None:
    """Decisions ``first``..``last`` of North, one a day from 2025 on, every 7th about the hoist."""
    start = datetime(2025, 1, 1, 9, tzinfo=UTC)
    with services.session() as session:
        for n in range(first, last + 1):
            at = start + timedelta(days=n)
            topic = "hoist" if n % 7 == 0 else "rota"
            proposal = Proposal(
                team_id="north",
                proposer=ANA,
                text=f"Proposal {n} on the {topic}",
                why="",
                method=ProposalMethod.ADVICE,
                status=ProposalStatus.ADOPTED,
                decide_by=at.date(),
                created_at=at,
                updated_at=at,
            )
            session.add(proposal)
            session.flush()
            session.add(Advice(proposal_id=proposal.id or 0, user_id=BEN))
            session.add(
                Decision(
                    team_id="north",
                    proposal_id=proposal.id or 0,
                    method=ProposalMethod.ADVICE,
                    text=f"Decision {n}: the {topic} plan",
                    shaped_by="",
                    decided_by=ANA,
                    decided_at=at,
                )
            )
        session.commit()


@contextmanager
def statements(services: Services) -> Iterator[list[str]]:
    """The SQL statements run inside the block."""
    seen: list[str] = []

    def record(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(services.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(services.engine, "before_cursor_execute", record)


def test_finding_decisions_takes_the_same_statements_however_long_the_log(
    services: Services,
) -> None:
    counted: dict[int, list[int]] = {}
    shown: dict[int, list[str]] = {}
    for first, last in ((1, 14), (15, 420)):
        add_logged_decisions(services, first, last)
        counted[last] = []
        for words in ("", "HOIST", "nothing like it"):
            with statements(services) as seen:
                answer = usecases.search_decisions(services, user_id=BEN, words=words)
            counted[last].append(len(seen))
            shown.setdefault(last, []).append(json.dumps(answer))
        with services.session() as session:
            newest = log.search(session, team_ids=["north"], words="hoist")
        assert [f.decision.text for f in newest[:2]] == [
            f"Decision {last - last % 7}: the hoist plan",
            f"Decision {last - last % 7 - 7}: the hoist plan",
        ]
        assert len(newest) == min(10, last // 7)

    assert counted[14] == counted[420]  # no statement per decision, however long the log
    assert "Decision 420: the hoist plan" in shown[420][0]  # the newest first
    assert "Decision 14: the hoist plan" in shown[14][1]
    assert "No decision matches _nothing like it_" in shown[420][2]
    assert "the rota plan" not in shown[420][2] and "the hoist plan" not in shown[420][2]


def test_a_teams_newest_decisions_are_read_in_order_not_sorted(services: Services) -> None:
    if services.engine.dialect.name != "sqlite":
        pytest.skip("SQLite's query plan; PostgreSQL's planner chooses by the table's size")
    add_logged_decisions(services, 1, 30)
    seen: list[tuple[str, Any]] = []

    def record(conn: Any, cursor: Any, statement: str, parameters: Any, *args: Any) -> None:
        seen.append((statement, parameters))

    event.listen(services.engine, "before_cursor_execute", record)
    try:
        with services.session() as session:
            log.search(session, team_ids=["north"], words="hoist")
    finally:
        event.remove(services.engine, "before_cursor_execute", record)
    statement, parameters = seen[0]
    with services.engine.connect() as connection:
        plan = " ".join(
            str(row[-1])
            for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
        )
    assert "ix_decision_team_id_decided_at" in plan
    assert "TEMP B-TREE" not in plan  # the team's whole log is never sorted for ten
