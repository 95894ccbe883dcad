"""The decision log: every adopted decision with what, why, method, who decided, who was asked
and who answered, the advice, the objections and how each was integrated, the values it serves,
its dates (DESIGN.md, Deciding). Read in SQL a batch at a time, so years of decisions print in
constant memory; found by words for `/decisions`.
"""

from __future__ import annotations

import csv
import io
import json
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any

from sqlalchemy import and_, func, or_
from sqlmodel import Session, col, select

from bot.core.people import is_former_member
from bot.core.text import normalise_input
from bot.decisions.model import SEARCH_RESULTS, SEARCH_WORDS_LIMIT
from bot.decisions.role_change import describe
from prompts import FORMER_MEMBER
from storage.models import (
    Advice,
    AdviceAnswer,
    Decision,
    Objection,
    Proposal,
    ProposalAmendment,
    RoundAnswer,
)

BATCH = 200


@dataclass
class LogEntry:
    """One decision as the log tells it; people are written as ``Name (U…)`` when known."""

    decided_at: datetime
    method: str
    decided_by: str | None
    text: str
    proposal: str
    why: str
    proposer: str
    proposed_at: datetime
    decide_by: date
    review_date: date | None
    values: list[str]
    shaped_by: str
    asked: list[str] = field(default_factory=list)
    answered: list[str] = field(default_factory=list)
    unanswered: list[str] = field(default_factory=list)
    advice: list[dict[str, Any]] = field(default_factory=list)
    objections: list[dict[str, Any]] = field(default_factory=list)
    concerns: list[dict[str, Any]] = field(default_factory=list)
    amendments: list[dict[str, Any]] = field(default_factory=list)
    # What it did to one of the team's roles, in words (bot.decisions.role_change.describe).
    role_change: str = ""

    def to_json(self) -> dict[str, Any]:
        """The entry as JSON values (dates in ISO 8601)."""
        shaped = asdict(self)
        for key, value in shaped.items():
            if isinstance(value, date | datetime):
                shaped[key] = value.isoformat()
        return shaped


Namer = Callable[[str | None], str]


def _entry(
    decision: Decision,
    proposal: Proposal,
    advice: Sequence[Advice],
    round_: Sequence[Objection],
    amendments: Sequence[ProposalAmendment],
    name: Namer,
) -> LogEntry:
    notes = {a.version: a.note for a in amendments}
    entry = LogEntry(
        decided_at=decision.decided_at,
        method=decision.method.value,
        decided_by=name(decision.decided_by) if decision.decided_by else None,
        text=decision.text,
        proposal=proposal.text,
        why=proposal.why,
        proposer=name(proposal.proposer),
        proposed_at=proposal.created_at,
        decide_by=proposal.decide_by,
        review_date=decision.review_date,
        values=list(proposal.values),
        shaped_by=decision.shaped_by,
        unanswered=[name(u) for u in decision.unanswered],
        amendments=[
            {"version": a.version, "note": a.note, "at": a.created_at.isoformat()}
            for a in amendments
        ],
        role_change=describe(proposal.role_change, name),
    )
    _add_advice(entry, advice, name)
    _add_round(entry, round_, notes, name)
    entry.asked = list(dict.fromkeys(entry.asked))
    entry.answered = list(dict.fromkeys(entry.answered))
    return entry


def _add_advice(entry: LogEntry, advice: Sequence[Advice], name: Namer) -> None:
    """Who was asked for advice, who answered, and the advice given to each version."""
    for row in advice:
        entry.asked.append(name(row.user_id))
        if row.answer is not None:
            entry.answered.append(name(row.user_id))
        for earlier in row.earlier or []:
            entry.advice.append(
                {
                    "user_id": name(row.user_id),
                    "version": earlier.get("version") or 1,
                    "text": earlier.get("text") or "",
                }
            )
        if row.answer == AdviceAnswer.ADVICE:
            entry.advice.append(
                {
                    "user_id": name(row.user_id),
                    "version": row.answered_version or 1,
                    "text": row.text,
                }
            )


def _add_round(
    entry: LogEntry, round_: Sequence[Objection], notes: dict[int, str], name: Namer
) -> None:
    """Who was asked to consent, who answered, the objections and how each was integrated,
    and the concerns."""
    for row in round_:
        entry.asked.append(name(row.user_id))
        if row.answered_version is not None:
            entry.answered.append(name(row.user_id))
        if row.objected_at is not None:
            how = notes.get(row.resolved_version or 0, "") if row.resolution else ""
            entry.objections.append(
                {
                    "user_id": name(row.user_id),
                    "version": row.objected_version or 1,
                    "text": row.objection,
                    "resolution": row.resolution.value if row.resolution else None,
                    "integration": how,
                }
            )
        if row.answer == RoundAnswer.CONCERN:
            entry.concerns.append({"user_id": name(row.user_id), "text": row.reason})


def log_entries(
    session: Session, *, team_id: str, since: date | None, name: Namer
) -> Iterator[LogEntry]:
    """The team's adopted decisions, oldest first, from ``since`` (a date, UTC) on."""
    name = _naming_former_members(name)
    after: tuple[datetime, int] | None = None
    while True:
        statement = (
            select(Decision, Proposal)
            .join(Proposal, col(Proposal.id) == col(Decision.proposal_id))
            .where(Decision.team_id == team_id)
            .order_by(col(Decision.decided_at), col(Decision.id))
            .limit(BATCH)
        )
        if since is not None:
            start = datetime.combine(since, time(0), tzinfo=UTC)
            statement = statement.where(col(Decision.decided_at) >= start)
        if after is not None:
            statement = statement.where(
                or_(
                    col(Decision.decided_at) > after[0],
                    and_(col(Decision.decided_at) == after[0], col(Decision.id) > after[1]),
                )
            )
        rows = session.exec(statement).all()
        if not rows:
            return
        ids = [proposal.id for _, proposal in rows]
        advice = _by_proposal(
            session.exec(
                select(Advice).where(col(Advice.proposal_id).in_(ids)).order_by(col(Advice.id))
            )
        )
        round_ = _by_proposal(
            session.exec(
                select(Objection)
                .where(col(Objection.proposal_id).in_(ids))
                .order_by(col(Objection.id))
            )
        )
        changes = _by_proposal(
            session.exec(
                select(ProposalAmendment)
                .where(col(ProposalAmendment.proposal_id).in_(ids))
                .order_by(col(ProposalAmendment.version))
            )
        )
        for decision, proposal in rows:
            pid = proposal.id or 0
            yield _entry(decision, proposal, advice[pid], round_[pid], changes[pid], name)
        last = rows[-1][0]
        after = (last.decided_at, last.id or 0)
        session.expunge_all()


def _naming_former_members(name: Namer) -> Namer:
    """``name``, but a person `retrobot forget` erased is "a former member", never an id."""
    return lambda user_id: FORMER_MEMBER if is_former_member(user_id) else name(user_id)


def _by_proposal(rows: Iterable[Any]) -> defaultdict[int, list[Any]]:
    grouped: defaultdict[int, list[Any]] = defaultdict(list)
    for row in rows:
        grouped[row.proposal_id].append(row)
    return grouped


# --- formats --------------------------------------------------------------------------------


def as_json(team_id: str, entries: Iterable[LogEntry]) -> Iterator[str]:
    """The log as one JSON document, written an entry at a time."""
    yield f'{{"team": {json.dumps(team_id)}, "decisions": ['
    for number, entry in enumerate(entries):
        yield ("," if number else "") + "\n" + json.dumps(entry.to_json(), ensure_ascii=False)
    yield "\n]}\n"


CSV_COLUMNS = (
    "decided_at",
    "method",
    "decided_by",
    "text",
    "proposal",
    "why",
    "proposer",
    "proposed_at",
    "decide_by",
    "review_date",
    "values",
    "shaped_by",
    "asked",
    "answered",
    "unanswered",
    "advice",
    "objections",
    "concerns",
    "amendments",
    "role_change",
)


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list):
        parts = []
        for item in value:
            if isinstance(item, dict):
                parts.append(" — ".join(str(v) for v in item.values() if v not in (None, "")))
            else:
                parts.append(str(item))
        value = "; ".join(parts)
    text = str(value)
    # A cell starting like a formula would be run by a spreadsheet (CSV injection).
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def as_csv(entries: Iterable[LogEntry]) -> Iterator[str]:
    """The log as CSV, one row per decision; lists joined with "; "."""
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(CSV_COLUMNS)
    yield buffer.getvalue()
    for entry in entries:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow([_cell(getattr(entry, column)) for column in CSV_COLUMNS])
        yield buffer.getvalue()


# --- finding decisions by words -----------------------------------------------------------------


SEARCHED = (Decision.text, Proposal.text, Proposal.why, Decision.shaped_by)


def _holds(needle: str, *, sqlite: bool) -> Any:
    """A decision's words hold ``needle`` (lower case, no space), whatever the case.

    SQLite's LIKE already ignores the case of ASCII letters, and its lower() knows no others,
    so each column is compared as it is. PostgreSQL reads the four columns joined by spaces
    with one ILIKE: a search through the whole log takes half the time of four."""
    if sqlite:
        return or_(*(col(column).contains(needle, autoescape=True) for column in SEARCHED))
    joined = func.concat_ws(" ", *(col(column) for column in SEARCHED))
    return joined.icontains(needle, autoescape=True)


@dataclass(frozen=True)
class Found:
    """A decision found by words, with its proposal and how many were asked and answered."""

    decision: Decision
    proposal: Proposal
    asked: int
    answered: int


def search(
    session: Session, *, team_ids: Sequence[str], words: str, limit: int = SEARCH_RESULTS
) -> list[Found]:
    """The newest decisions of these teams whose words hold every word given (any case)."""
    statement = (
        select(Decision, Proposal)
        .join(Proposal, col(Proposal.id) == col(Decision.proposal_id))
        .where(col(Decision.team_id).in_(list(team_ids)))
    )
    sqlite = session.get_bind().dialect.name == "sqlite"
    for word in normalise_input(words)[:SEARCH_WORDS_LIMIT].split()[:8]:
        needle = word.lower()
        statement = statement.where(_holds(needle, sqlite=sqlite))
    rows = session.exec(
        statement.order_by(col(Decision.decided_at).desc(), col(Decision.id).desc()).limit(limit)
    ).all()
    ids = [proposal.id for _, proposal in rows]
    counts: defaultdict[int, list[int]] = defaultdict(lambda: [0, 0])
    if ids:
        for model, answered in (
            (Advice, col(Advice.answer)),
            (Objection, col(Objection.answered_version)),
        ):
            for pid, asked, done in session.exec(
                select(model.proposal_id, func.count(), func.count(answered))
                .where(col(model.proposal_id).in_(ids))
                .group_by(col(model.proposal_id))
            ):
                counts[pid][0] += asked
                counts[pid][1] += done
    return [Found(decision, proposal, *counts[proposal.id or 0]) for decision, proposal in rows]
