"""The deciding benchmark still runs, in its tiny --smoke mode (figures: docs/benchmarks.md).

Not a timed test: it proves the stand-in, a sending process killed with kill -9 and resumed as
the app resumes, and `/decisions` served over signed HTTP still fit together; the benchmark
exits 1 when anyone was asked twice or not at all, or a `/decisions` went unanswered.
"""

from __future__ import annotations

from tests.bench.test_bench_smoke import run_benchmark


def test_the_deciding_benchmark_asks_each_person_once_after_a_kill_and_answers_decisions() -> None:
    out = run_benchmark("decisions_bench.py")
    assert "advice asked of 40 people in 5 teams; 1 timed runs and 1 killed and resumed" in out
    assert "0 sent twice, 0 missing over all runs (target none: met)" in out
    assert (
        "- p99 (ack and the answer read): " in out and "Answered " in out and ", failed 0;" in out
    )
    assert "Database: SQLite" in out
