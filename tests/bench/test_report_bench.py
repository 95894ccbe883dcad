"""The organisation report's benchmark still runs, in its tiny --smoke mode (the figures are in
docs/benchmarks.md): it generates, runs `retrobot report --all` in a fresh process, and checks
that the page has its sections and charts and that the statement count stays flat."""

from __future__ import annotations

from tests.bench.test_bench_smoke import database_args, run_benchmark

__all__ = ["database_args"]  # the fixture: SQLite, and PostgreSQL where TEST_DATABASE_URL is set


def test_the_report_benchmark_runs_the_command_and_measures_it(database_args: list[str]) -> None:
    out = run_benchmark("report_bench.py", *database_args)
    assert "| wall time, process start to file written |" in out
    assert "| peak memory (ru_maxrss) |" in out and "| HTML file |" in out
    assert "Statements per build: 5 teams:" in out
    assert "PROBLEM" not in out
