"""Benchmarks: cbasync against the official Carbon Black SDKs on the same emulator.

Run them with ``nox -s bench`` (every scenario) or ``nox -s bench -- S1`` (one); see
``benchmarks/README.md``. The harness lives in ``benchmarks._harness``, the scenarios in
``benchmarks.scenarios``.
"""
