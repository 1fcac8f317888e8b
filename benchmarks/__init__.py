"""Benchmarks: run with ./scripts/bench (tables on stdout); not timed tests."""
