"""Everything retrobot holds about one person: `retrobot export --member U… [--format json|csv]`.

A subject access request: the person's rows from every team, in the parts the registry lists
(:mod:`bot.data.member`, :mod:`bot.data.member_parts`), under a short readable summary: what
each part is, how many rows it has, and the period covered.

- **JSON**: ``{"format_version", "kind": "member", "member", "exported_at", "summary": {"text":
  [lines], "period", "teams", "coached", "parts": {name: {"rows", "about"}}, "shown"},
  "parts": {name: [rows]}}``, one row per line.
- **CSV**: a zip of ``README.txt`` (the summary), ``manifest.json`` (the summary as JSON, each
  part's columns) and one ``<part>.csv`` per part, written as the team export writes its cells.

Like the team export, everything is read in one snapshot of the database, a few hundred rows
at a time, and written as it is read.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date, datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import Connection, select
from sqlmodel import Session, col

from bot.core.errors import NotFoundError
from bot.core.people import member_hash
from bot.data.export import (
    BATCH_SIZE,
    CSV_ENCODING,
    FORMAT_VERSION,
    MANIFEST,
    Format,
    Kind,
    csv_cell,
    json_value,
    snapshot,
    write_whole_file,
)
from bot.data.member import export_parts
from bot.data.member_parts import SHOWN, Part
from prompts import Renderer
from storage.models import Coach, Member, MemberErasure

README = "README.txt"


@dataclass
class MemberExportReport:
    """What an export wrote: the person, the format, the file, and each part's row count."""

    user_id: str
    format: Format
    path: Path | None = None
    rows: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        """All rows written, over every part."""
        return sum(self.rows.values())


def default_member_export_name(user_id: str, export_format: Format, now: datetime) -> str:
    """``retrobot-member-U0ANA-20260601.json`` (or ``.zip`` for CSV)."""
    return f"retrobot-member-{user_id}-{now:%Y%m%d}.{'json' if export_format == 'json' else 'zip'}"


def export_member(
    session: Session,
    *,
    user_id: str,
    export_format: Format,
    out: BinaryIO,
    now: datetime,
    renderer: Renderer,
) -> MemberExportReport:
    """Write everything held about ``user_id`` to ``out``; NotFoundError when nothing is."""
    connection = snapshot(session)
    summary = _summary(connection, user_id=user_id, now=now, renderer=renderer)
    report = MemberExportReport(user_id=user_id, format=export_format)
    header = {
        "format_version": FORMAT_VERSION,
        "kind": "member",
        "member": user_id,
        "exported_at": now.isoformat(),
        "summary": summary,
    }
    if export_format == "json":
        _write_json(connection, user_id, header, out, report)
    else:
        _write_csv_zip(connection, user_id, header, out, now, report)
    session.rollback()  # read only: end the snapshot
    return report


def export_member_to_file(
    session: Session,
    *,
    user_id: str,
    export_format: Format,
    path: Path,
    now: datetime,
    renderer: Renderer,
) -> MemberExportReport:
    """Export to ``path``, all of it or nothing (as :func:`bot.data.export.write_whole_file`)."""
    report = write_whole_file(
        path,
        lambda out: export_member(
            session,
            user_id=user_id,
            export_format=export_format,
            out=out,
            now=now,
            renderer=renderer,
        ),
    )
    report.path = path
    return report


# --- the summary ------------------------------------------------------------------------------


def _summary(
    connection: Connection, *, user_id: str, now: datetime, renderer: Renderer
) -> dict[str, Any]:
    """Each part's size and the period covered, counted first: the summary goes on top."""
    counts: dict[str, int] = {}
    moments: list[datetime] = []
    for part in export_parts():
        count, first, last = connection.execute(part.extent(user_id)).one()
        counts[part.name] = int(count)
        moments += [moment for moment in (first, last) if isinstance(moment, datetime)]
    if not any(counts.values()):
        raise NotFoundError(_nothing_held(connection, user_id))
    teams = _teams(connection, Member.team_id, Member.user_id, user_id)
    coached = _teams(connection, Coach.team_id, Coach.user_id, user_id)
    period = (min(moments).date(), max(moments).date()) if moments else None
    parts = [(part.name, counts[part.name], renderer.plain(part.about)) for part in export_parts()]
    text = renderer.plain(
        "member.summary",
        user_id=user_id,
        exported_at=now,
        period=period,
        teams=teams,
        coached=coached,
        parts=parts,
    )
    return {
        "text": text.splitlines(),
        "period": {"from": period[0].isoformat(), "to": period[1].isoformat()} if period else None,
        "teams": teams,
        "coached": coached,
        "parts": {name: {"rows": count, "about": about} for name, count, about in parts},
        "shown": list(SHOWN),
    }


def _teams(connection: Connection, team: Any, person: Any, user_id: str) -> list[str]:
    statement = select(team).where(col(person) == user_id).distinct().order_by(team)
    return list(connection.execute(statement).scalars())


def _nothing_held(connection: Connection, user_id: str) -> str:
    """Why there is nothing to export: never known, or forgotten (and when)."""
    erased = connection.execute(
        select(MemberErasure.run_at)
        .where(col(MemberErasure.member_hash) == member_hash(user_id))
        .order_by(col(MemberErasure.run_at).desc())
        .limit(1)
    ).scalar()
    if erased is not None:
        return f"retrobot holds nothing about {user_id}: they were forgotten on {erased:%-d %B %Y}."
    return f"retrobot holds nothing about {user_id}: no team has them in its records."


# --- reading a part ---------------------------------------------------------------------------


def part_rows(
    connection: Connection, part: Part, user_id: str, *, batch_size: int = BATCH_SIZE
) -> Iterator[dict[str, Any]]:
    """The person's rows of one part in key order, read ``batch_size`` at a time."""
    last: Any = None
    while True:
        statement = part.statement(user_id)
        if last is not None:
            statement = statement.where(part.key > last)
        batch = connection.execute(statement.order_by(part.key).limit(batch_size)).all()
        for row in batch:
            *values, _ = row
            yield dict(zip(part.column_names, values, strict=True))
        if len(batch) < batch_size:
            return
        last = batch[-1][-1]


def _kind(value: Any) -> Kind:
    """The kind a value is written as in a CSV cell."""
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int):
        return "int"
    if isinstance(value, float):
        return "float"
    if isinstance(value, datetime):
        return "datetime"
    if isinstance(value, date):
        return "date"
    if isinstance(value, dict | list):
        return "json"
    return "str"


# --- writing ----------------------------------------------------------------------------------


def _write_json(
    connection: Connection,
    user_id: str,
    header: dict[str, Any],
    out: BinaryIO,
    report: MemberExportReport,
) -> None:
    text = io.TextIOWrapper(out, encoding="utf-8", newline="\n", write_through=False)
    opening = json.dumps(header, ensure_ascii=False, indent=1)
    text.write(opening[:-2] + ',\n "parts": {')
    for number, part in enumerate(export_parts()):
        text.write(("," if number else "") + f"\n{json.dumps(part.name)}: [")
        count = 0
        for row in part_rows(connection, part, user_id):
            values = {name: json_value(value) for name, value in row.items()}
            text.write(("," if count else "") + "\n" + json.dumps(values, ensure_ascii=False))
            count += 1
        text.write("\n]" if count else "]")
        report.rows[part.name] = count
    text.write("\n}}\n")
    text.flush()
    text.detach()  # leave ``out`` open for the caller


def _write_csv_zip(
    connection: Connection,
    user_id: str,
    header: dict[str, Any],
    out: BinaryIO,
    now: datetime,
    report: MemberExportReport,
) -> None:
    stamp = now.timetuple()[:6]
    manifest = {**header, "parts": {}}
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        _write_entry(archive, README, "\n".join(header["summary"]["text"]) + "\n", stamp)
        for part in export_parts():
            count = 0
            entry = zipfile.ZipInfo(f"{part.name}.csv", date_time=stamp)
            entry.compress_type = zipfile.ZIP_DEFLATED
            with (
                archive.open(entry, "w", force_zip64=True) as member,
                io.TextIOWrapper(member, encoding=CSV_ENCODING, newline="") as text,
            ):
                writer = csv.writer(text)
                writer.writerow(part.column_names)
                for row in part_rows(connection, part, user_id):
                    writer.writerow([csv_cell(value, _kind(value)) for value in row.values()])
                    count += 1
            report.rows[part.name] = count
            manifest["parts"][part.name] = {"columns": part.column_names, "rows": count}
        _write_entry(archive, MANIFEST, json.dumps(manifest, ensure_ascii=False, indent=2), stamp)


def _write_entry(archive: zipfile.ZipFile, name: str, content: str, stamp: Any) -> None:
    entry = zipfile.ZipInfo(name, date_time=stamp)
    entry.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(entry, content + ("" if content.endswith("\n") else "\n"))
