"""Responses compressed on the way out: which ones, how, and which are left alone."""

from __future__ import annotations

import gzip

import brotli
import pytest
from werkzeug.test import Client
from werkzeug.wrappers import Response

from directory.compression import MIN_SIZE, CompressResponses, choose_encoding
from tests.conftest import sign_in

PAGE = ("<p>" + "Peer support group near you. " * 100 + "</p>").encode()


@pytest.mark.parametrize(
    ("accept", "expected"),
    [
        ("gzip, deflate, br, zstd", "br"),
        ("gzip, deflate", "gzip"),
        ("br;q=0.5, gzip", "gzip"),
        ("gzip;q=0, br;q=0", None),
        ("*", "br"),
        ("identity", None),
        ("", None),
    ],
)
def test_the_encoding_follows_accept_encoding(accept, expected):
    assert choose_encoding(accept) == expected


def wsgi_app(body=PAGE, mimetype="text/html", headers=None, closed=None, **options):
    """A WSGI app answering ``body``; records in ``closed`` when its response is closed."""

    def app(environ, start_response):
        response = Response(body, mimetype=mimetype, headers=headers, **options)
        if closed is not None:
            response.call_on_close(lambda: closed.append(True))
        return response(environ, start_response)

    return app


def get(app, accept="gzip, deflate, br", method="GET"):
    client = Client(CompressResponses(app))
    return client.open("/", method=method, headers={"Accept-Encoding": accept})


def test_a_page_is_compressed_with_brotli_or_gzip():
    for accept, decompress in (("br, gzip", brotli.decompress), ("gzip", gzip.decompress)):
        response = get(wsgi_app(), accept)
        data = response.get_data()
        assert response.headers["Content-Encoding"] in ("br", "gzip")
        assert int(response.headers["Content-Length"]) == len(data) < len(PAGE) / 10
        assert decompress(data) == PAGE
        assert response.headers["Vary"] == "Accept-Encoding"


def test_vary_is_merged_with_the_apps():
    response = get(wsgi_app(headers={"Vary": "Cookie"}))
    assert response.headers["Vary"] == "Cookie, Accept-Encoding"


def test_without_accept_encoding_the_page_is_sent_as_it_is_and_varies():
    response = get(wsgi_app(), accept="")
    assert "Content-Encoding" not in response.headers
    assert response.get_data() == PAGE
    assert response.headers["Vary"] == "Accept-Encoding"


@pytest.mark.parametrize(
    "case",
    [
        {"body": b"x" * (MIN_SIZE - 1)},  # tiny
        {"mimetype": "image/png"},  # already compressed formats
        {"headers": {"Cache-Control": "no-store"}},  # one person's page (BREACH)
        {"headers": {"Cache-Control": "public, no-transform"}},
        {"headers": {"Content-Encoding": "br"}},  # precompressed
        {"status": 206, "headers": {"Content-Range": "bytes 0-9/100"}},
        {"status": 304, "body": b""},
    ],
    ids=["tiny", "png", "no-store", "no-transform", "encoded", "partial", "not-modified"],
)
def test_what_is_left_alone(case):
    body = case.pop("body", PAGE)
    response = get(wsgi_app(body=body, **case))
    assert response.headers.get("Content-Encoding") == case.get("headers", {}).get(
        "Content-Encoding"
    )
    assert response.get_data() == body


def test_head_requests_and_streams_pass_through():
    assert "Content-Encoding" not in get(wsgi_app(), method="HEAD").headers

    def stream():
        yield PAGE
        yield PAGE

    streamed = get(wsgi_app(body=stream()))
    assert "Content-Encoding" not in streamed.headers
    assert streamed.get_data() == PAGE * 2


def test_the_response_is_closed_when_the_server_closes_it():
    closed: list[bool] = []
    app = CompressResponses(wsgi_app(closed=closed))
    body = app({"REQUEST_METHOD": "GET", "HTTP_ACCEPT_ENCODING": "br"}, lambda *args: None)
    assert b"".join(body) and not closed
    body.close()
    assert closed == [True]


def test_pages_of_the_directory_are_compressed(client):
    response = client.get("/about", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Content-Encoding"] == "br"
    assert "CIVIC" in brotli.decompress(response.get_data()).decode()
    api = client.get("/api/search?q=group", headers={"Accept-Encoding": "gzip"})
    assert api.status_code == 200
    assert api.headers["Vary"].endswith("Accept-Encoding")


def test_a_signed_in_persons_pages_are_not_compressed(client, make_user):
    sign_in(client, make_user())
    response = client.get("/about", headers={"Accept-Encoding": "gzip, br"})
    assert response.headers["Cache-Control"] == "no-store"
    assert "Content-Encoding" not in response.headers
    assert "CIVIC" in response.get_data(as_text=True)
