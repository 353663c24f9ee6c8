"""Fixtures for real-browser tests: a live server over demo data, and headless Chromium.

The live app has a database of its own (a SQLite file, or a PostgreSQL schema when
``TEST_DATABASE_URL`` is set) holding committed demo data, so nothing leaks into the unit
tests' database. It is served by Werkzeug on a free loopback port in a daemon thread.

Pages never touch the network: every request not aimed at the live server is aborted and
recorded, and a test fails if any was attempted or if the page logged a console error
(which includes Content Security Policy violations).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from flask import Flask

from directory.demo import load_demo
from directory.extensions import db as _db
from directory.models import User, utcnow
from directory.vocabularies import load_vocabularies
from search import rebuild_index
from tests.conftest import _test_password_hash, make_test_app, throwaway_database

CHROMIUM = Path(os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium"))
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ERROR_STATUS_MESSAGE = "Failed to load resource: the server responded with a status of"


@dataclass
class LiveServer:
    """The running app and where to reach it."""

    url: str
    app: Flask


def buffered(app: Flask) -> Callable:
    """WSGI middleware that reads each response body whole and closes it at once.

    Werkzeug's development server skips ``close()`` on the response when the client
    resets the connection (Chromium cancels map tile requests when a test navigates
    away), leaving static files open; under ``filterwarnings = error`` the resulting
    ResourceWarning would fail whichever test happens to be running.
    """

    def wsgi(environ, start_response):
        body = app(environ, start_response)
        try:
            return [b"".join(body)]
        finally:
            if hasattr(body, "close"):
                body.close()

    return wsgi


@pytest.fixture(scope="session")
def live_database(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict]:
    """Engine settings for a database used only by the live server, dropped at the end."""
    with throwaway_database(tmp_path_factory, "browser") as settings:
        yield settings


@pytest.fixture(scope="session")
def live_app(
    live_database: dict, postcode_table: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LiveServer]:
    """The app over committed demo data, served on a free loopback port."""
    from flask_migrate import upgrade
    from werkzeug.serving import make_server

    app = make_test_app(live_database, postcode_table, tmp_path_factory.mktemp("live"))
    stylesheet = Path(app.static_folder) / "vendor" / "nhsuk" / "nhsuk-frontend.min.css"
    if not stylesheet.is_file():
        pytest.fail(
            f"{stylesheet} is missing: run `make assets` (or `flask directory build-assets` "
            "after `npm ci`) before the browser tests."
        )
    server = None
    try:
        with app.app_context():
            upgrade()
            load_vocabularies(_db.session)
            load_demo(_db.session)
            _db.session.commit()
            if app.extensions.get("search") is not None:
                # As `make run` does: search the index from the first request, rather
                # than fall back to the database while a background rebuild races tests.
                rebuild_index(app)
            _db.session.remove()

        server = make_server("127.0.0.1", 0, buffered(app), threaded=True)
        thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
        thread.start()
        yield LiveServer(url=f"http://127.0.0.1:{server.server_port}", app=app)
    finally:
        if server is not None:
            server.shutdown()
            server.server_close()
        with app.app_context():
            for engine in _db.engines.values():
                engine.dispose()


@pytest.fixture(scope="session")
def browser() -> Iterator:
    """Headless Debian Chromium, driven by Playwright (its own download is not used)."""
    if not CHROMIUM.is_file():
        pytest.skip(f"Chromium not found at {CHROMIUM}; install it (apt-get install chromium).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        try:
            yield browser
        finally:
            browser.close()


@dataclass
class PageGuard:
    """What a page did that it must not: requests off the live server, console errors."""

    external_requests: list[str] = field(default_factory=list)
    console_errors: list[str] = field(default_factory=list)

    def problems(self) -> list[str]:
        return [f"external request attempted: {url}" for url in self.external_requests] + [
            f"console error: {text}" for text in self.console_errors
        ]


@pytest.fixture
def new_page(browser, live_app: LiveServer) -> Iterator[Callable[..., object]]:
    """Open pages in fresh browser contexts (keyword arguments go to ``new_context``).

    Requests that don't go to the live server are aborted and recorded; after the test,
    any such request or any console error fails it.
    """
    base = live_app.url + "/"
    contexts = []
    guard = PageGuard()

    def route(route) -> None:
        url = route.request.url
        if url.startswith(base) or url == live_app.url:
            route.continue_()
        else:
            guard.external_requests.append(url)
            route.abort()

    documents: set[str] = set()

    def on_response(response) -> None:
        if response.request.resource_type == "document":
            documents.add(response.url)

    def on_console(message) -> None:
        if message.type != "error":
            return
        url = (message.location or {}).get("url", "?")
        if url in documents and message.text.startswith(ERROR_STATUS_MESSAGE):
            # Chromium logs every page served with a 4xx/5xx status (a 404 page, a search
            # form answered with 400); tests check those statuses themselves.
            return
        guard.console_errors.append(f"{message.text} ({url})")

    def open_page(**options):
        context = browser.new_context(base_url=live_app.url, **options)
        contexts.append(context)
        context.route("**/*", route)
        page = context.new_page()
        # Whether the page runs scripts: Playwright's evaluate() waits forever on a page
        # that doesn't, so the tests' helpers (axe, scroll position) read this first.
        page.civic_javascript = options.get("java_script_enabled", True)
        page.on("response", on_response)
        page.on("console", on_console)
        page.on("pageerror", lambda error: guard.console_errors.append(f"page error: {error}"))
        return page

    yield open_page
    for context in contexts:
        context.close()
    problems = guard.problems()
    assert not problems, "The page misbehaved:\n" + "\n".join(problems)


@pytest.fixture
def page(new_page):
    """A page in a fresh browser context with JavaScript on."""
    return new_page()


def add_practitioner(live_app, email: str, name: str, profession: str = "gp") -> str:
    """An approved practitioner's account (primary care) in the live database; its email."""
    with live_app.app.app_context():
        _db.session.add(
            User(email=email, name=name, profession=profession, sector="primary_care",
                 password_hash=_test_password_hash(), role="practitioner", status="approved",
                 email_verified_at=utcnow())
        )  # fmt: skip
        _db.session.commit()
    return email
