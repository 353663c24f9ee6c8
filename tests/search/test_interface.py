"""The search interface: every engine is a SearchIndex and takes the same arguments."""

from __future__ import annotations

import inspect

import pytest

from search import interface
from search.interface import IndexUnavailable, SearchIndex
from search.sql_index import SqlIndex
from search.whoosh_index import WhooshIndex

METHODS = [
    name
    for name, member in vars(SearchIndex).items()
    if inspect.isfunction(member) and not name.startswith("_")
]


def test_the_protocol_lists_the_engines_methods():
    assert set(METHODS) == {
        "check", "exists", "rebuild", "index", "remove", "query", "doc_count", "indexed_ids",
    }  # fmt: skip


@pytest.mark.parametrize("engine", [SqlIndex, WhooshIndex])
@pytest.mark.parametrize("method", METHODS)
def test_every_engine_takes_the_protocols_arguments(engine, method):
    """Same parameter names, order and defaults as the protocol.

    So callers never need to know which engine they hold.
    """
    expected = inspect.signature(getattr(SearchIndex, method)).parameters
    actual = inspect.signature(getattr(engine, method)).parameters
    assert [(p.name, p.default) for p in actual.values()] == [
        (p.name, p.default) for p in expected.values()
    ]


def test_engines_are_search_indexes_and_share_one_error(tmp_path):
    assert isinstance(SqlIndex(), SearchIndex)
    assert isinstance(WhooshIndex(tmp_path / "index"), SearchIndex)
    with pytest.raises(IndexUnavailable):
        WhooshIndex(tmp_path / "missing").check()
    # One error class for every engine, defined with the interface.
    assert IndexUnavailable.__module__ == interface.__name__
