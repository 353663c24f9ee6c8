"""Unmet need and trends in a real browser: charts drawn, no CSP errors, axe clean.

The charts are inline SVG with their styles in a stylesheet (the page's
Content-Security-Policy refuses inline styles; the page guard fails on any console
error), and each has a data table beside it.
"""

from __future__ import annotations

import datetime as dt
import os
import uuid
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from directory.extensions import db
from directory.models import UnmetNeed, User, utcnow
from tests.browser.test_accessibility import check
from tests.browser.test_plans_journey import sign_in
from tests.conftest import _test_password_hash

pytestmark = pytest.mark.browser
SCREENSHOTS = (
    Path(os.environ["INSIGHTS_SCREENSHOTS"]) if os.environ.get("INSIGHTS_SCREENSHOTS") else None
)


@pytest.fixture
def commissioner(live_app) -> str:
    """A commissioner's approved account in the live database, and some unmet need."""
    email = f"commissioner-{uuid.uuid4().hex[:8]}@nhs.net"
    with live_app.app.app_context():
        db.session.add(
            User(email=email, name="Cam Commissioner", profession="commissioner",
                 sector="local_authority", password_hash=_test_password_hash(),
                 role="commissioner", status="approved", email_verified_at=utcnow())
        )  # fmt: skip
        today = utcnow().date()
        for days_ago, domain, times in ((1, "cared_for", 6), (2, "closeness", 3)):
            day = today - dt.timedelta(days=days_ago)
            if db.session.query(UnmetNeed).filter_by(recorded_on=day, domain=domain).count():
                continue
            need = {"source": "search", "outward_code": "NG7", "filters": "cost=free;part=evening"}
            db.session.add(UnmetNeed(recorded_on=day, domain=domain, times=times, **need))
        db.session.commit()
    return email


def test_insights_pages_draw_accessible_charts(new_page, commissioner):
    page: Page = new_page()
    sign_in(page, commissioner)
    check(page, "/insights/need?area=NG7", 200)
    chart = page.locator("svg.civic-chart")
    expect(chart).to_have_attribute("role", "img")
    assert chart.get_attribute("aria-label").startswith("Unmet need by CIVIC domain, NG7, ")
    page.screenshot(path=str(SCREENSHOTS / "need.png"), full_page=True) if SCREENSHOTS else None
    # The stylesheet coloured the bars (pygal's own inline style was taken out).
    fill = page.locator("svg.civic-chart .color-0").first.evaluate("e => getComputedStyle(e).fill")
    assert fill == "rgb(0, 94, 184)"
    expect(
        page.get_by_role("table", name="Times practitioners found nothing, by domain")
    ).to_contain_text("fewer than 5")
    check(page, "/insights/trends?area=NG7", 200)
    assert page.locator("svg.civic-chart").count() == 3
    page.screenshot(path=str(SCREENSHOTS / "trends.png"), full_page=True) if SCREENSHOTS else None
    check(page, "/insights/trends?from=2026-12-01&to=2026-01-01", 400)
    expect(page.locator("#from")).to_have_value("2026-12-01")
    # The follow-up figure (issue 21): its chart, and its table with still going first.
    check(page, "/insights/uptake?area=NG7", 200)
    expect(page.locator("svg.civic-chart")).to_have_attribute("role", "img")
    table = page.get_by_role("table", name="Follow-up answers by domain")
    expect(table.get_by_role("columnheader").nth(1)).to_have_text("Still going")
    page.screenshot(path=str(SCREENSHOTS / "uptake.png"), full_page=True) if SCREENSHOTS else None
