"""The suite's databases: what one test's database costs, each way the suite can make it.

    python bench/suite_db_bench.py          # SQLite; PostgreSQL too with TEST_DATABASE_URL:
    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \
        python bench/suite_db_bench.py

Each round makes one test's database every way, in turn, fills it as a test would (the test
organisation's teams, members and coaches), and gives it back, timed from start to end:

- SQLite: a copy of the file migrated once per process (tests/conftest.py's ``fresh_database``
  with ``SchemaTemplates``), against a migration from nothing;
- PostgreSQL: a schema emptied after an earlier test and taken again (what the suite does),
  against a schema made from the template's DDL and dropped (what it did before), and against
  a migration from nothing.

It reports the median and min–max of 5 rounds each, and the load average.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from bot.core.config import parse_config  # noqa: E402
from bot.services import sync_teams  # noqa: E402
from storage.db import make_engine, migrate, session_factory  # noqa: E402
from tests.conftest import (  # noqa: E402
    TEST_APP_YAML,
    SchemaTemplates,
    _postgresql_schema_url,
    fresh_database,
)

ROUNDS = 5
CONFIG = parse_config(TEST_APP_YAML, source="test-app.yaml")


def _filled(url: str, *, migrated: bool) -> None:
    """The test organisation's teams and people written, as most tests' services do."""
    engine = make_engine(url)
    try:
        if migrated:
            migrate(engine)
        with session_factory(engine)() as session:
            sync_teams(session, CONFIG)
            session.commit()
    finally:
        engine.dispose()


def _timed(work: Callable[[], None]) -> float:
    began = time.perf_counter()
    work()
    return time.perf_counter() - began


def _fresh(kind: str, templates: SchemaTemplates | None) -> None:
    """One database by ``fresh_database``: copied or reused with templates, else migrated."""
    with fresh_database(kind, Path(tempfile.mkdtemp()), templates=templates) as url:
        _filled(url, migrated=templates is None)


def _made_and_dropped(templates: SchemaTemplates, base_url: str) -> None:
    """One schema made from the template's DDL, filled, and dropped."""
    schemas = templates.postgresql_schemas(base_url)
    assert schemas is not None, "pg_dump is needed for the template's DDL"
    schema = schemas._made()
    _filled(_postgresql_schema_url(base_url, schema), migrated=False)
    schemas._drop(schema)


def main() -> int:
    base_url = os.environ.get("TEST_DATABASE_URL")
    templates = SchemaTemplates(Path(tempfile.mkdtemp()))
    ways: dict[str, Callable[[], None]] = {
        "SQLite, copied": lambda: _fresh("sqlite", templates),
        "SQLite, migrated from nothing": lambda: _fresh("sqlite", None),
    }
    if base_url:
        ways |= {
            "PostgreSQL, an emptied schema reused": lambda: _fresh("postgresql", templates),
            "PostgreSQL, a schema made from the DDL and dropped": lambda: _made_and_dropped(
                templates, base_url
            ),
            "PostgreSQL, migrated from nothing": lambda: _fresh("postgresql", None),
        }
    for work in ways.values():
        work()  # the templates are made once per process, outside the clock
    times: dict[str, list[float]] = {name: [] for name in ways}
    loads = [os.getloadavg()[0]]
    try:
        for _ in range(ROUNDS):
            for name, work in ways.items():
                times[name].append(_timed(work))
            loads.append(os.getloadavg()[0])
    finally:
        templates.close()
    cores = os.cpu_count() or 1
    loaded = " — LOADED MACHINE" if max(loads) > cores else ""
    print(f"Load average {min(loads):.1f}–{max(loads):.1f} on {cores} cores{loaded}")
    for name, values in times.items():
        print(
            f"{name}: median {statistics.median(values):.3f} s "
            f"({min(values):.3f}–{max(values):.3f}), {ROUNDS} rounds"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
