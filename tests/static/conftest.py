"""The demo directory, for the tests of what pages weigh and which styles they use."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from directory.demo import load_demo
from directory.models import utcnow


@pytest.fixture
def demo_client(app: Flask, db, client: FlaskClient) -> FlaskClient:
    """A client over the demo directory (the built NHS.UK stylesheet is required)."""
    stylesheet = Path(app.static_folder) / "vendor" / "nhsuk" / "nhsuk-frontend.min.css"
    if not stylesheet.is_file():
        pytest.fail(f"{stylesheet} is missing: run `make assets` first.")
    # Fresh relative to the pinned clock, so `make test-future` finds results too.
    load_demo(db.session, today=utcnow().date())
    db.session.commit()
    return client
