"""Keep the benchmark's database files in memory while they are timed.

This machine kind pages out file pages nobody has read for about a minute, however much
memory is free (the kernel's DAMON reclaim: ``/sys/kernel/mm/damon``, action
``pageout``). Left alone, 90 idle seconds after a run took 40 MB of the 100,000-listing
database and 21 MB of its FTS5 baseline out of memory, with 22 GB free (``fincore``),
and the next run's pages read them from disk again: the bare page's p95 for domain +
postcode went from 8 ms to 112 ms between two runs minutes apart. A server's working set
stays in memory; the benchmark measures the code, not this machine's disk.

So each file is mapped and locked (``mlock``) for the duration: the same page cache
every reader uses, kept resident. Writes, ``fsync`` and the files' place on disk are
unchanged. Where locking isn't allowed (no ``CAP_IPC_LOCK`` and a small
``RLIMIT_MEMLOCK``) the files are read once instead, and the run goes on.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import mmap
import os
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

_libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6", use_errno=True)
_libc.mmap.restype = ctypes.c_void_p
_libc.mmap.argtypes = [
    ctypes.c_void_p, ctypes.c_size_t, ctypes.c_int, ctypes.c_int, ctypes.c_int, ctypes.c_long,
]  # fmt: skip
_libc.mlock.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_libc.munmap.argtypes = [ctypes.c_void_p, ctypes.c_size_t]
_MAP_FAILED = ctypes.c_void_p(-1).value


def _lock(path: Path) -> tuple[int, int] | None:
    """Map ``path`` and lock it in memory; (address, length), or None if not allowed."""
    length = path.stat().st_size
    fd = os.open(path, os.O_RDONLY)
    try:
        address = _libc.mmap(None, length, mmap.PROT_READ, mmap.MAP_SHARED, fd, 0)
    finally:
        os.close(fd)  # the mapping keeps the file
    if address in (None, _MAP_FAILED):
        return None
    if _libc.mlock(address, length) != 0:
        _libc.munmap(address, length)
        return None
    return address, length


@contextmanager
def kept_in_memory(
    paths: Iterable[Path], log: Callable[[str], None] = print
) -> Iterator[list[Path]]:
    """Keep ``paths`` (those that exist) resident in memory inside the block; yields them."""
    locked: list[tuple[int, int]] = []
    kept: list[Path] = []
    for path in (Path(p) for p in paths):
        if not path.is_file() or not path.stat().st_size:
            continue
        region = _lock(path)
        if region is None:
            path.read_bytes()  # at least start warm
            log(f"  could not lock {path} in memory; read it once instead")
            continue
        locked.append(region)
        kept.append(path)
    try:
        yield kept
    finally:
        for address, length in locked:
            _libc.munmap(address, length)  # unlocks too
