"""Benchmarks, run one command each (not timed tests): see docs/benchmarks.md."""
