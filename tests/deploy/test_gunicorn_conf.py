"""The gunicorn configuration in deploy/: its settings, and logs with no postcodes in them.

Postcodes travel in query strings, and secret links carry their token in the path: the
access log records neither, whatever format it is given, nor does the error log.
"""

from __future__ import annotations

import datetime as dt
import http.client
import logging
import os
import runpy
import socket
import subprocess
import sys
import time
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config

from directory.access_log import PrivateLogger, RequestUriFilter, loggable_path, loggable_url

ROOT = Path(__file__).resolve().parents[2]
CONFIG = ROOT / "deploy" / "gunicorn.conf.py"
POSTCODE_QUERY = "postcode=PL4+8AA&q=peer+support"
# Every request atom gunicorn offers that could carry a query string or a path.
LEAKY_FORMAT = (
    "%(r)s | %(U)s | %(q)s | %(f)s | %({raw_uri}e)s | %({query_string}e)s | "
    "%({path_info}e)s | %({referer}i)s | %({http_referer}e)s"
)


@pytest.fixture(scope="module")
def settings() -> dict:
    return runpy.run_path(str(CONFIG))


def test_processes_timeouts_and_preloading(settings):
    assert settings["workers"] >= 2
    assert settings["worker_class"] == "gthread" and settings["threads"] >= 2
    assert settings["preload_app"] is True
    assert settings["timeout"] == 30 and settings["graceful_timeout"] == 30
    assert settings["max_requests"] > 0 and settings["max_requests_jitter"] > 0
    assert settings["logger_class"] == "directory.access_log.PrivateLogger"
    assert settings["forwarded_allow_ips"] == "127.0.0.1,::1"


def test_the_access_log_format_names_no_query_string_or_referer(settings):
    access_format = settings["access_log_format"]
    for atom in ("%(r)s", "%(q)s", "%(f)s", "{raw_uri}", "{query_string}", "{referer}"):
        assert atom not in access_format
    assert "%(U)s" in access_format


@pytest.mark.parametrize(
    ("path", "expected"),
    [
        ("/search?postcode=PL4+8AA", "/search"),
        ("/listings/12#map", "/listings/12"),
        ("/accounts/reset/abc.def-123", "/accounts/reset/[secret]"),
        ("/accounts/verify/tok", "/accounts/verify/[secret]"),
        ("/feedback/K7Q-2MX/thanks", "/feedback/[secret]/thanks"),
        ("/feedback?code=K7Q-2MX", "/feedback"),
        ("/shared/xyz", "/shared/[secret]"),
        ("/listings/check/xyz?ok=1", "/listings/check/[secret]"),
        ("/accounts/reset", "/accounts/reset"),
    ],
)
def test_paths_lose_query_strings_and_secrets(path, expected):
    assert loggable_path(path) == expected


def test_urls_lose_query_strings_and_secrets():
    assert loggable_url("https://civic.example.org/search?postcode=PL4+8AA") == (
        "https://civic.example.org/search"
    )
    assert loggable_url("https://civic.example.org/shared/tok") == (
        "https://civic.example.org/shared/[secret]"
    )
    assert loggable_url("-") == "-"


def access_line(tmp_path: Path, access_format: str) -> str:
    """What PrivateLogger writes for a search near a postcode, linked from another."""
    log_file = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(log_file))
    cfg.set("access_log_format", access_format)
    logger = PrivateLogger(cfg)
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": f"/search?{POSTCODE_QUERY}",
        "PATH_INFO": "/search",
        "QUERY_STRING": POSTCODE_QUERY,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_REFERER": f"https://civic.example.org/search?{POSTCODE_QUERY}",
        "HTTP_USER_AGENT": "Mozilla/5.0",
    }
    request = SimpleNamespace(
        headers=[("REFERER", environ["HTTP_REFERER"]), ("USER-AGENT", "Mozilla/5.0")]
    )
    response = SimpleNamespace(status="200 OK", headers=[], sent=1234)
    logger.access(response, request, environ, dt.timedelta(milliseconds=42))
    for handler in logger.access_log.handlers:
        handler.close()
    return log_file.read_text()


def test_no_format_puts_a_postcode_in_the_access_log(tmp_path, settings):
    for access_format in (settings["access_log_format"], Config().access_log_format, LEAKY_FORMAT):
        line = access_line(tmp_path, access_format)
        assert "/search" in line
        assert "PL4" not in line and "peer" not in line and "postcode" not in line, line


def test_the_error_log_loses_query_strings():
    record = logging.LogRecord(
        "gunicorn.error", logging.ERROR, __file__, 1, "Error handling request %s %s",
        ("GET", f"/search?{POSTCODE_QUERY}"), None,
    )  # fmt: skip
    RequestUriFilter().filter(record)
    assert record.getMessage() == "Error handling request GET /search"


@pytest.mark.slow
def test_gunicorn_with_the_config_logs_requests_without_query_strings(tmp_path):
    """The real server, as documented, with its access log in a file."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    access_log = tmp_path / "access.log"
    env = {
        **{k: v for k, v in os.environ.items() if not k.startswith(("DIRECTORY_", "GUNICORN"))},
        "DIRECTORY_SECRET_KEY": "k" * 40,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'gunicorn.sqlite'}",
        "DIRECTORY_BASE_URL": "https://civic.example.org",
        "GUNICORN_ACCESS_LOG": str(access_log),
        "GUNICORN_WORKERS": "1",
        "GUNICORN_THREADS": "2",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", str(CONFIG), "--bind", f"127.0.0.1:{port}",
         "wsgi:app"],
        cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    headers = {
        "Host": "civic.example.org",
        "Referer": f"https://civic.example.org/search?{POSTCODE_QUERY}",
    }
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                connection.request("GET", f"/about?{POSTCODE_QUERY}", headers=headers)
                response = connection.getresponse()
                response.read()
                break
            except OSError:
                connection.close()
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        connection.request("GET", "/feedback/K7Q2MX/thanks?x=PL4", headers=headers)
        connection.getresponse().read()
        connection.close()
    finally:
        server.terminate()
        server.wait(timeout=60)
        server.stderr.close()
    assert response.status == 200
    log = access_log.read_text()
    assert '"GET /about HTTP/1.1" 200' in log
    assert "/feedback/[secret]/thanks" in log
    assert "PL4" not in log and "postcode" not in log and "K7Q2MX" not in log, log
