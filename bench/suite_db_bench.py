"""The suite's databases: a copy of the migrated schema against a migration from nothing.

    python bench/suite_db_bench.py          # SQLite; PostgreSQL too with TEST_DATABASE_URL:
    TEST_DATABASE_URL=postgresql+psycopg://postgres@127.0.0.1:5432/test \
        python bench/suite_db_bench.py

Each round makes one test's database both ways, in turn (tests/conftest.py's ``fresh_database``
with the per-process ``SchemaTemplates``, and without them followed by ``migrate``), times it
from start to the schema dropped, and reports the median and min–max of 5 rounds each.
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from storage.db import make_engine, migrate  # noqa: E402
from tests.conftest import SchemaTemplates, fresh_database  # noqa: E402

ROUNDS = 5


def one(kind: str, templates: SchemaTemplates | None) -> float:
    """Seconds to make one test's database (and drop it): copied, or migrated from nothing."""
    began = time.perf_counter()
    with fresh_database(kind, Path(tempfile.mkdtemp()), templates=templates) as url:
        if templates is None:
            engine = make_engine(url)
            migrate(engine)
            engine.dispose()
    return time.perf_counter() - began


def main() -> int:
    kinds = ["sqlite"] + (["postgresql"] if os.environ.get("TEST_DATABASE_URL") else [])
    templates = SchemaTemplates(Path(tempfile.mkdtemp()))
    for kind in kinds:
        one(kind, templates)  # the template itself is made once per process, outside the clock
    times: dict[tuple[str, str], list[float]] = {}
    for _ in range(ROUNDS):
        for kind in kinds:
            times.setdefault((kind, "copied"), []).append(one(kind, templates))
            times.setdefault((kind, "migrated"), []).append(one(kind, None))
    print(f"Load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    for (kind, how), values in times.items():
        print(
            f"{kind} {how}: median {statistics.median(values):.3f} s "
            f"({min(values):.3f}–{max(values):.3f}), {ROUNDS} rounds"
        )
    return 0


if __name__ == "__main__":
    sys.exit(main())
