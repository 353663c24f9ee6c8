"""JSON files read as a stream, so memory stays flat however long the file (issue 18).

A 10,000-service ORUK export is 15 MB of JSON and about 200 MB of Python objects when
parsed whole. Read with ijson (yajl's C parser) instead, one record is in memory at a
time: :func:`outline` makes a first pass that builds nothing (it checks the file is JSON,
how deep it nests and what its top level holds), then :func:`items` gives the records
under one place in it, one at a time, as often as needed.

Hostile files stay harmless: the first pass stops at the first value nested deeper than
the limit, before anything is built (ijson builds a 200,000-deep array until memory
runs out), and uses ijson's prefix-free events (its prefixes grow with the depth).
Numbers come back as ``json.loads`` gives them (int, or float rather than Decimal).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import ijson

_BOM = b"\xef\xbb\xbf"
_OPEN = frozenset({"start_map", "start_array"})
_CLOSE = frozenset({"end_map", "end_array"})


class JsonFileError(ValueError):
    """A file that is not JSON (``deep`` False) or nests too deeply (``deep`` True)."""

    def __init__(self, message: str, *, deep: bool = False) -> None:
        super().__init__(message)
        self.deep = deep


@dataclass
class Outline:
    """What the first pass found: the top level's kind and, for an object, its keys.

    ``top`` is "list", "dict" or "scalar"; ``keys`` maps each top-level key to the kind
    of its value ("list", "dict", "scalar" or "null"); ``repeated`` is set when a
    top-level key is given twice (a whole parse keeps the last; a stream would see both).
    """

    top: str
    keys: dict[str, str] = field(default_factory=dict)
    repeated: bool = False


@contextmanager
def _opened(path: Path) -> Iterator[IO[bytes]]:
    """The file, opened for reading bytes after any UTF-8 byte order mark."""
    with path.open("rb") as handle:
        if handle.read(len(_BOM)) != _BOM:
            handle.seek(0)
        yield handle


def _kind(event: str, value: Any) -> str:
    if event == "start_map":
        return "dict"
    if event == "start_array":
        return "list"
    return "null" if value is None else "scalar"


def outline(path: Path, max_depth: int) -> Outline:
    """One pass over the JSON file at ``path``, building nothing.

    Raises :class:`JsonFileError` when it is not JSON, or (``deep``) at the first value
    nested more than ``max_depth`` levels.
    """
    reader = _Outliner(max_depth)
    try:
        with _opened(path) as handle:
            for event, value in ijson.basic_parse(handle, use_float=True):
                reader.see(event, value)
    except ijson.JSONError as error:
        raise JsonFileError(str(error).strip() or "unreadable") from None
    if reader.found is None:
        raise JsonFileError("empty")
    return reader.found


class _Outliner:
    """The first pass's state: the depth so far, and the outline of the top level."""

    def __init__(self, max_depth: int) -> None:
        self.max_depth = max_depth
        self.found: Outline | None = None
        self.depth = 0
        self.key: str | None = None

    def see(self, event: str, value: Any) -> None:
        """Take one event; :class:`JsonFileError` once nested too deeply."""
        if self.found is None:
            self.found = Outline(top=_kind(event, value))
        elif self.depth == 1 and self.found.top == "dict":
            self._top_level(event, value)
        if event in _OPEN:
            self.depth += 1
            if self.depth > self.max_depth:
                raise JsonFileError(f"nested more than {self.max_depth} levels", deep=True)
        elif event in _CLOSE:
            self.depth -= 1

    def _top_level(self, event: str, value: Any) -> None:
        """A top-level key, or the start of its value."""
        assert self.found is not None
        if event == "map_key":
            self.key = value
        elif self.key is not None:
            self.found.repeated = self.found.repeated or self.key in self.found.keys
            self.found.keys[self.key] = _kind(event, value)
            self.key = None


def items(path: Path, prefix: str) -> Iterator[Any]:
    """The values at ``prefix`` in the file (ijson's form: ``content.item``), one at a time.

    Read :func:`outline` first: this builds each value whole.
    """
    try:
        with _opened(path) as handle:
            yield from ijson.items(handle, prefix, use_float=True)
    except ijson.JSONError as error:
        raise JsonFileError(str(error).strip() or "unreadable") from None
