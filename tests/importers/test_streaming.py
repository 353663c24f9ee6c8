"""ORUK JSON files are read as a stream: the same services, memory flat (issue 18)."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from importers import openreferral
from importers.openreferral import (
    FeedError,
    StreamedServices,
    read_document,
    read_json_file,
    read_location,
)

ORG = {"id": "o1", "name": "Org", "services": [{"id": "s1", "name": "A"}]}
AT_LOCATION = {"id": "x", "location": {"id": "l"}, "service": {"id": "s2", "name": "B"}}
TAXONOMY = {"id": "t", "name": "Tax", "taxonomy_terms": [{"id": "t1", "name": "Walks"}]}
TERM = {"id": "t2", "taxonomy": "x", "term": "Singing"}
SERVICE = {"id": "s3", "name": "C", "organization": {"id": "o2", "name": "Org 2"}, "n": 1.5}

SHAPES = {
    "page of contents": {"total_items": 2, "contents": [ORG, AT_LOCATION, SERVICE]},
    "page of content": {"content": [SERVICE, TERM, "not a record"], "totalPages": 1},
    "list": [ORG, AT_LOCATION, TAXONOMY, TERM, SERVICE, 7, None],
    "export": {
        "services": [SERVICE],
        "organizations": [ORG, {"id": "o3", "name": "Org 3"}],
        "taxonomies": [TAXONOMY],
        "taxonomy_terms": [TERM],
    },
    "export with empty parts": {"organizations": [ORG], "services": None, "taxonomies": []},
    # Read whole: a single record, a repeated key, an export part that is not a list.
    "single service": SERVICE,
    "single organisation": ORG,
    "export with a dict part": {"services": [SERVICE], "taxonomies": {"id": "t"}},
}


def _sorted(document) -> tuple[list, list, list]:
    return list(document.services), document.organisations, document.terms


@pytest.mark.parametrize("shape", list(SHAPES))
def test_every_shape_streams_as_it_reads_whole(tmp_path, shape):
    data = SHAPES[shape]
    path = tmp_path / "feed.json"
    path.write_text(json.dumps(data))
    document = read_json_file(path)
    assert _sorted(document) == _sorted(read_document(json.loads(json.dumps(data))))
    assert len(document.services) == len(list(document.services))
    streamed = isinstance(document.services, StreamedServices)
    assert streamed == (
        shape not in ("single service", "single organisation", "export with a dict part")
    )
    # Read twice, the same again (an import may look at the services more than once).
    assert list(document.services) == list(document.services)


def test_a_repeated_key_is_read_as_a_whole_parse_reads_it(tmp_path):
    path = tmp_path / "feed.json"
    first, last = json.dumps([{**SERVICE, "id": "a"}]), json.dumps([{**SERVICE, "id": "b"}])
    path.write_text(f'{{"contents": {first}, "contents": {last}}}')
    assert [s["id"] for s in read_json_file(path).services] == ["b"]


def test_a_byte_order_mark_is_skipped(tmp_path):
    path = tmp_path / "feed.json"
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps([SERVICE]).encode())
    assert list(read_location(str(path)).services) == [SERVICE]
    path.write_bytes(b"\xef\xbb\xbf" + json.dumps(SERVICE).encode())
    assert list(read_location(str(path)).services) == [SERVICE]


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "feed.json is not valid JSON"),
        (b'[{"id": "a"}', "feed.json is not valid JSON"),
        (b'[{"id": "a"}] [1]', "feed.json is not valid JSON"),
        (b'[{"name": "caf\xe9"}]', "feed.json is not valid JSON"),
        # Deep nesting at the very end of a long file, before anything is imported.
        (
            json.dumps([SERVICE] * 2000)[:-1].encode() + b", " + b"[" * 100_000 + b"]" * 100_001,
            "feed.json is nested more than 64 levels deep",
        ),
    ],
    ids=["empty", "cut short", "two documents", "not utf-8", "deep at the end"],
)
def test_a_file_that_cannot_be_streamed_is_a_message(tmp_path, content, message):
    path = tmp_path / "feed.json"
    path.write_bytes(content)
    with pytest.raises(FeedError, match=message):
        read_json_file(path)


def test_too_many_services_are_refused_before_any_is_imported(tmp_path, monkeypatch):
    monkeypatch.setattr(openreferral, "MAX_SERVICES", 10)
    path = tmp_path / "feed.json"
    path.write_text(json.dumps({"contents": [ORG] * 11}))
    with pytest.raises(FeedError, match="more than 10 services"):
        read_json_file(path)


def _peak_bytes(path: Path) -> int:
    """The most memory Python held while reading and going through a file's services."""
    tracemalloc.start()
    try:
        for _ in read_json_file(path).services:
            pass
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_stays_flat_as_the_file_grows(tmp_path):
    """Four times the services, about the same memory (a whole parse takes four times)."""
    peaks = []
    for n in (1_000, 4_000):
        path = tmp_path / f"feed-{n}.json"
        services = [{**SERVICE, "id": f"s{i}", "description": "A walk. " * 40} for i in range(n)]
        path.write_text(json.dumps({"content": services}))
        peaks.append(_peak_bytes(path))
    assert peaks[1] < peaks[0] * 1.5, peaks
