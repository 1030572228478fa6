"""Benchmarks for the knowledge base: `python -m bench` (make bench) and `python -m bench.loadtest`."""
