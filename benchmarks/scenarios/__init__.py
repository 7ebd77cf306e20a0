"""Benchmark scenarios. Every module here whose name does not start with ``_`` is imported by the
harness and registers its scenarios with ``benchmarks._harness.register``.

Top-level imports of a scenario module: the standard library and ``benchmarks._harness`` only.
Each side imports its SDK inside its own function (and lists it in ``Side.imports``), because
the module is imported in every child process.
"""
