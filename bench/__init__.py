"""Benchmarks: speed and API cost, measured against the sandbox (run with `make bench`)."""
