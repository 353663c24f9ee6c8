"""Keeping the benchmark's files in memory while they are timed (bench.resident)."""

from __future__ import annotations

from pathlib import Path

from bench.resident import kept_in_memory


def locked_kib() -> int:
    """This process's locked memory (VmLck), in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmLck:"):
            return int(line.split()[1])
    raise AssertionError("no VmLck line")


def test_files_are_locked_in_memory_inside_the_block_only(tmp_path):
    data = tmp_path / "directory.sqlite"
    data.write_bytes(b"x" * (4 * 1024 * 1024))
    empty = tmp_path / "empty.sqlite"
    empty.write_bytes(b"")
    said: list[str] = []
    before = locked_kib()
    with kept_in_memory([data, empty, tmp_path / "missing.sqlite"], said.append) as kept:
        inside = locked_kib()
    after = locked_kib()
    if kept:  # allowed to lock (root, or a large enough RLIMIT_MEMLOCK)
        assert kept == [data]
        assert said == []
        assert inside - before >= 4 * 1024
        assert after == before
    else:  # not allowed: said so, and the run goes on
        assert said and "could not lock" in said[0]
