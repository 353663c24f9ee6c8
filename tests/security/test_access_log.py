"""Postcodes in query strings never reach the development server's access log."""

import logging

from directory.security import QueryStringFilter


def _logged(line: str) -> str:
    record = logging.LogRecord(
        "werkzeug", logging.INFO, __file__, 1, '"%s" %s %s', (line, "200", "-"), None
    )
    QueryStringFilter().filter(record)
    return record.getMessage()


def test_the_query_string_is_dropped_from_the_request_line():
    assert (
        _logged("GET /search?postcode=PL4+8AA&domain=closeness HTTP/1.1")
        == '"GET /search HTTP/1.1" 200 -'
    )


def test_a_request_line_without_a_query_is_unchanged():
    assert _logged("GET /listings/12 HTTP/1.1") == '"GET /listings/12 HTTP/1.1" 200 -'


def test_the_filter_is_on_werkzeugs_logger_once(app):
    from directory import create_app

    create_app(app.config)  # a second app in the same process adds no second filter
    filters = [f for f in logging.getLogger("werkzeug").filters if isinstance(f, QueryStringFilter)]
    assert len(filters) == 1


def test_the_development_server_logs_no_postcode(app, caplog):
    """Through Werkzeug's own request handler, as ``make run`` serves."""
    from werkzeug.serving import WSGIRequestHandler

    handler = WSGIRequestHandler.__new__(WSGIRequestHandler)
    handler.requestline = "GET /search?postcode=NG7+2RD HTTP/1.1"
    handler.client_address = ("127.0.0.1", 5000)
    with caplog.at_level(logging.INFO, logger="werkzeug"):
        handler.log_request(200, "-")
    assert "NG7" not in caplog.text
    assert "GET /search HTTP/1.1" in caplog.text
