"""Erasing one person who has left: `retrobot forget --member U… [--yes]`.

In one transaction, for every row of the registry (:mod:`bot.data.member`) that names them:
their places in teams, working patterns, ballots still open and current roles are deleted; their
words are blanked (check-in notes and stories, tensions they raised and did not hand over,
feedback they gave, requests, advice, objections, proposals not adopted, reflections) and their
id is replaced by a former member id; in what the team keeps as its record (an adopted decision,
a tension handed to an owner, feedback they received, a coach digest, a role's history) only
their id is replaced. Rows stay where they count in a past week's figures, so every
summary and digest already sent stays true. Then:

- the shared stories of theirs that team summaries kept as sent are taken out of those texts;
- every other text or JSON column that still holds their id (a mention of them in someone
  else's words) has it replaced: no row anywhere keeps their Slack id;
- the erasure is recorded (who ran it, when, a hash of the id, rows changed per table).

On SQLite what was erased is overwritten on disk (``secure_delete``) and the write-ahead log is
emptied afterwards; PostgreSQL reclaims old row versions at its next VACUUM (docs/data.md).
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Connection,
    String,
    Table,
    case,
    cast,
    delete,
    null,
    or_,
    select,
    update,
)
from sqlmodel import Session, SQLModel, col

from bot.core.config import AppConfig
from bot.core.errors import NotAllowedError, NotFoundError
from bot.core.people import member_hash, new_former_member_id
from bot.data.member import REGISTRY, Change, Forget, Forgetting, PersonTable, holds_text
from bot.digests.model import Story
from prompts import FORMER_MEMBER, Renderer
from storage.models import (
    CheckinResponse,
    CheckinRound,
    DigestKind,
    Member,
    MemberErasure,
    SentDigest,
)

BATCH_SIZE = 500
# Bookkeeping that holds no person's data: never searched for their id.
NOT_SEARCHED = frozenset({"processed_event", "scheduler_lock", "member_erasure"})


@dataclass
class ForgetPlan:
    """What forgetting one person changes: rows by table and change, and where else their id is."""

    user_id: str
    changes: dict[tuple[str, Change], list[Any]] = field(default_factory=dict)
    mentions: Counter[str] = field(default_factory=Counter)
    stories: int = 0

    @property
    def empty(self) -> bool:
        """True when nothing names the person."""
        return not self.changes and not self.mentions and not self.stories

    def counts(self) -> dict[str, dict[str, int]]:
        """Rows by table and action (``mention``: their id in other rows; ``story``: summaries
        kept as sent that held a story of theirs)."""
        counted: dict[str, Counter[str]] = defaultdict(Counter)
        for (table, change), keys in self.changes.items():
            counted[table][change.action.value] += len(keys)
        for table, count in self.mentions.items():
            counted[table]["mention"] += count
        if self.stories:
            counted["sent_digest"]["story"] += self.stories
        return {table: dict(actions) for table, actions in counted.items()}

    @property
    def rows(self) -> int:
        """Rows changed, over every table."""
        return sum(len(keys) for keys in self.changes.values()) + sum(self.mentions.values())

    def lines(self, renderer: Renderer) -> list[str]:
        """What it will do, a line per table and action, for the person at the terminal."""
        lines = []
        for table, actions in self.counts().items():
            for action, count in actions.items():
                if action == "story":
                    lines.append(renderer.plain("member.plan_stories", count=count))
                else:
                    lines.append(
                        renderer.plain("member.plan_line", table=table, action=action, count=count)
                    )
        return [
            renderer.plain("member.plan_intro", user_id=self.user_id),
            *(f"  - {line}" for line in lines),
            renderer.plain("member.plan_outro"),
        ]


@dataclass(frozen=True)
class ForgetReport:
    """What forget did: the plan it carried out, and the record's hash."""

    plan: ForgetPlan
    member_hash: str


# --- who may be forgotten ---------------------------------------------------------------------


def still_listed(session: Session, *, config: AppConfig, user_id: str) -> list[str]:
    """Where the person is still one of a team's people: app.yaml's members and coaches, and
    the Slack user groups whose teams last found them there."""
    places = [f"a member of {team.id}" for team in config.teams_of(user_id)]
    places += [f"a coach of {team.id}" for team in config.coached_by(user_id)]
    grouped = [team.id for team in config.teams if team.usergroup is not None]
    if grouped:
        found = session.execute(
            select(Member.team_id).where(
                col(Member.user_id) == user_id,
                col(Member.active).is_(True),
                col(Member.team_id).in_(grouped),
            )
        ).scalars()
        places += [f"in the Slack user group of {team_id}" for team_id in sorted(set(found))]
    return places


def refuse_if_listed(session: Session, *, config: AppConfig, user_id: str) -> None:
    """NotAllowedError, in one kind line, when app.yaml (or a user group) still lists them."""
    places = still_listed(session, config=config, user_id=user_id)
    if places:
        raise NotAllowedError(
            f"{user_id} is still {' and '.join(dict.fromkeys(places))}: remove them from "
            "app.yaml (or the user group) first, then run retrobot forget again."
        )


# --- the plan ---------------------------------------------------------------------------------


def plan_forget(
    connection: Connection, forgetting: Forgetting, *, count_mentions: bool = True
) -> ForgetPlan:
    """Read what forgetting the person changes; nothing is written.

    ``count_mentions`` also looks through every text column for their id elsewhere (a full
    scan); forget itself skips it and counts what it replaces instead.
    """
    plan = ForgetPlan(user_id=forgetting.user_id)
    planned: dict[str, set[Any]] = defaultdict(set)
    for entry in REGISTRY:
        [key] = entry.sql_table.primary_key.columns
        statement = entry.select_rows().where(entry.names(forgetting.user_id))
        for row in _pages(connection, statement, key):
            change = entry.change(row, forgetting)
            plan.changes.setdefault((entry.table, change), []).append(row[key.name])
            planned[entry.table].add(row[key.name])
    for table, row in _rows_holding(connection, forgetting.user_id) if count_mentions else ():
        [key] = table.primary_key.columns
        if row[key.name] not in planned[table.name]:
            plan.mentions[table.name] += 1
    plan.stories = len(_summaries_with_stories(connection, forgetting.user_id))
    if plan.empty and count_mentions:
        raise NotFoundError(_nothing_held(connection, forgetting.user_id))
    return plan


def preview_forget(session: Session, *, user_id: str, now: datetime) -> ForgetPlan:
    """What `retrobot forget` would do now (read only)."""
    session.rollback()
    try:
        return plan_forget(session.connection(), Forgetting(user_id, "", now))
    finally:
        session.rollback()


def _nothing_held(connection: Connection, user_id: str) -> str:
    erased = connection.execute(
        select(MemberErasure.run_at)
        .where(col(MemberErasure.member_hash) == member_hash(user_id))
        .order_by(col(MemberErasure.run_at).desc())
        .limit(1)
    ).scalar()
    if erased is not None:
        return f"Nothing to forget: {user_id} was already forgotten on {erased:%-d %B %Y}."
    return f"Nothing to forget: retrobot holds nothing about {user_id}."


def _pages(connection: Connection, statement: Any, key: Any) -> Iterator[Mapping[str, Any]]:
    """The statement's rows in ``key`` order, a batch at a time."""
    last: Any = None
    while True:
        paged = statement if last is None else statement.where(key > last)
        batch = connection.execute(paged.order_by(key).limit(BATCH_SIZE)).mappings().all()
        yield from batch
        if len(batch) < BATCH_SIZE:
            return
        last = batch[-1][key.name]


def _searched_tables() -> list[Table]:
    return [t for t in SQLModel.metadata.sorted_tables if t.name not in NOT_SEARCHED]


def _text_columns(table: Table) -> list[Any]:
    """The columns that may hold a Slack id: text of any length, and JSON."""
    return [column for column in table.columns if holds_text(column)]


def _is_json(column: Any) -> bool:
    kind = getattr(column.type, "impl_instance", column.type)
    return isinstance(kind, JSON)


def _rows_holding(connection: Connection, user_id: str) -> Iterator[tuple[Table, Any]]:
    """Every row, in every table, whose text or JSON holds the id anywhere."""
    for table in _searched_tables():
        columns = _text_columns(table)
        if not columns:
            continue
        [key] = table.primary_key.columns
        holding = or_(*[cast(c, String).contains(user_id, autoescape=True) for c in columns])
        for row in _pages(connection, select(table).where(holding), key):
            if any(user_id in _as_text(row[c.name]) for c in columns):
                yield table, row


def _as_text(value: Any) -> str:
    return "" if value is None else value if isinstance(value, str) else repr(value)


# --- stories in summaries kept as sent --------------------------------------------------------


def _summaries_with_stories(connection: Connection, user_id: str) -> list[Any]:
    """The team summaries kept as sent that hold a story of theirs (their mention in a body)."""
    mention = f"<@{user_id}>"
    return list(
        connection.execute(
            select(SentDigest.id, SentDigest.team_id, SentDigest.body).where(
                col(SentDigest.kind) == DigestKind.TEAM_SUMMARY,
                col(SentDigest.body).contains(mention, autoescape=True),
            )
        )
    )


def _take_out_stories(connection: Connection, user_id: str, renderer: Renderer) -> None:
    """Replace each story of theirs in the summaries kept as sent with a line saying it was
    erased: first as the summary wrote it, then any bullet that ends with their mention."""
    summaries = _summaries_with_stories(connection, user_id)
    if not summaries:
        return
    teams = sorted({team_id for _, team_id, _ in summaries})
    stories: dict[str, list[str]] = defaultdict(list)
    for team_id, story in connection.execute(
        select(CheckinRound.team_id, CheckinResponse.story)
        .join(CheckinRound, col(CheckinRound.id) == col(CheckinResponse.round_id))
        .where(col(CheckinResponse.user_id) == user_id, col(CheckinRound.team_id).in_(teams))
    ):
        if story.strip():
            stories[team_id].append(renderer.say("summary.story", s=Story(user_id, story)))
    erased = renderer.plain("member.erased_story")
    leftover = re.compile(rf"•[^•]*? — <@{re.escape(user_id)}>")
    for digest_id, team_id, body in summaries:
        for line in stories[team_id]:
            body = body.replace(line, erased)
        body = leftover.sub(erased, body)
        connection.execute(
            update(SentDigest).where(col(SentDigest.id) == digest_id).values(body=body)
        )


# --- carrying it out --------------------------------------------------------------------------


def forget_member(
    session: Session,
    *,
    config: AppConfig,
    user_id: str,
    run_by: str,
    now: datetime,
    renderer: Renderer,
) -> ForgetReport:
    """Forget the person, in one transaction, and record it; see the module's docstring.

    NotAllowedError when app.yaml still lists them; NotFoundError when nothing names them.
    """
    refuse_if_listed(session, config=config, user_id=user_id)
    forgetting = Forgetting(user_id=user_id, former_id=new_former_member_id(), now=now)
    session.rollback()
    connection = session.connection()
    sqlite = connection.dialect.name == "sqlite"
    if sqlite:
        # Overwrite what is deleted; take the write lock first, so the plan read is the one done.
        connection.exec_driver_sql("PRAGMA secure_delete=ON")
        connection.exec_driver_sql("BEGIN IMMEDIATE")
    try:
        plan = plan_forget(connection, forgetting, count_mentions=False)
        _take_out_stories(connection, user_id, renderer)
        for (table, change), keys in plan.changes.items():
            entry = next(e for e in REGISTRY if e.table == table)
            for start in range(0, len(keys), BATCH_SIZE):
                _apply(connection, entry, change, keys[start : start + BATCH_SIZE], forgetting)
        plan.mentions = _replace_everywhere(connection, forgetting)
        if plan.empty:
            raise NotFoundError(_nothing_held(connection, user_id))
        hashed = member_hash(user_id)
        connection.execute(
            MemberErasure.__table__.insert().values(  # type: ignore[attr-defined]
                member_hash=hashed, run_by=run_by, run_at=now, changes=plan.counts()
            )
        )
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        if sqlite:
            _settle_sqlite(session)
    return ForgetReport(plan=plan, member_hash=hashed)


def _settle_sqlite(session: Session) -> None:
    """Switch secure_delete off again and empty the write-ahead log of the old pages."""
    connection = session.connection()
    connection.exec_driver_sql("PRAGMA secure_delete=OFF")
    session.commit()
    connection = session.connection()
    connection.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    session.rollback()


def _apply(
    connection: Connection,
    entry: PersonTable,
    change: Change,
    keys: list[Any],
    forgetting: Forgetting,
) -> None:
    """Carry out one change on a batch of rows of one table."""
    table = entry.sql_table
    [key] = table.primary_key.columns
    if change.action == Forget.DELETE:
        connection.execute(delete(table).where(key.in_(keys)))
        return
    person = forgetting.user_id
    values: dict[str, Any] = {}
    for name in entry.people:
        values[name] = case((table.c[name] == person, forgetting.former_id), else_=table.c[name])
    for name, cleared in entry.cleared.items():
        for other in cleared:
            values[other] = case((table.c[name] == person, null()), else_=table.c[other])
    if change.action == Forget.ERASE:
        values |= {name: _empty(table, name) for name in entry.words}
    values |= dict(change.values)
    if values:
        connection.execute(update(table).where(key.in_(keys)).values(values))
    for name in entry.people_lists:
        column = table.c[name]
        for row_key, listed in connection.execute(select(key, column).where(key.in_(keys))):
            replaced = _replace_id(listed, person, forgetting.former_id)
            if replaced != listed:
                connection.execute(update(table).where(key == row_key).values({name: replaced}))


def _replace_id(value: Any, person: str, former_id: str) -> Any:
    """JSON with each value that is the person's id (in a list or an object) replaced."""
    if isinstance(value, list):
        return [_replace_id(item, person, former_id) for item in value]
    if isinstance(value, dict):
        return {key: _replace_id(item, person, former_id) for key, item in value.items()}
    return former_id if value == person else value


def _empty(table: Table, name: str) -> Any:
    """What an erased column holds: empty text, an empty JSON object or list, or nothing."""
    column = table.c[name]
    if _is_json(column):
        model = next((m for m in _models() if getattr(m, "__table__", None) is table), None)
        factory = model.model_fields[name].default_factory if model is not None else None
        return factory() if factory is not None else None  # type: ignore[call-arg]
    return None if column.nullable else ""


def _models() -> Iterator[type[SQLModel]]:
    pending = list(SQLModel.__subclasses__())
    while pending:
        model = pending.pop()
        yield model
        pending += model.__subclasses__()


_MENTION = "<@{id}(?:\\|[^>]*)?>"


def _replace_everywhere(connection: Connection, forgetting: Forgetting) -> Counter[str]:
    """Replace the id in every row that still holds it: as a whole value with the former member
    id, and in words (a mention in someone else's text) with "a former member"; the rows
    changed, by table."""
    person = forgetting.user_id
    mention = re.compile(_MENTION.format(id=re.escape(person)))

    def scrubbed(value: Any) -> Any:
        if isinstance(value, str):
            if value == person:
                return forgetting.former_id
            return mention.sub(FORMER_MEMBER, value).replace(person, FORMER_MEMBER)
        if isinstance(value, list):
            return [scrubbed(item) for item in value]
        if isinstance(value, dict):
            return {scrubbed(k): scrubbed(v) for k, v in value.items()}
        return value

    replaced: Counter[str] = Counter()
    for table, row in _rows_holding(connection, person):
        [key] = table.primary_key.columns
        changed = {
            column.name: scrubbed(row[column.name])
            for column in _text_columns(table)
            if person in _as_text(row[column.name])
        }
        connection.execute(update(table).where(key == row[key.name]).values(changed))
        replaced[table.name] += 1
    return replaced
