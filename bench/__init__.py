"""Benchmarks for the directory's search (issue 3).

Run ``make bench`` (or ``python -m bench.search_bench --help``); results go to
``docs/benchmarks.md``. Nothing here is imported by the app or collected by pytest.
"""
