"""Journey 4 in a real browser: a commissioner finds the gaps near NG7 and downloads them.

At a phone's and a desktop's width, over the demo data (which holds evening provision in
NG7 but nothing free in the evening targeting Cared for and accepted within 5 km): from
the header to the coverage page, the grid, the gap sentence to paste, the hexagon map,
then every outward code of NG side by side, downloaded as CSV. Nothing wider than the
screen, no serious axe problems, no request off the site.

Screenshots go to ``$SCREENSHOT_DIR`` when set (to look at), else the test's tmp dir.
"""

from __future__ import annotations

import csv
import io
import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.test_accessibility import BLOCKING, axe_violations, describe
from tests.browser.test_domain_review_queue import VIEWPORTS, no_sideways_scroll

pytestmark = pytest.mark.browser

GAP = re.compile(
    r"Within 5 km of NG7, nothing free in the evening targets Cared for and accepted; "
    r"the nearest is .+, \d+(\.\d)? km away\."
)


def no_blocking_axe_problems(page) -> None:
    violations = axe_violations(page)
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, describe(blocking)


def open_insights(page, viewport: str) -> None:
    """From the home page through the header link, as anyone would."""
    page.goto("/")
    link = page.get_by_role("link", name="Commissioner insights")
    if viewport == "phone" and not link.first.is_visible():
        page.get_by_role("button", name=re.compile("More|Menu")).click()
    link.first.click()
    expect(page.get_by_role("heading", name="Commissioner insights", level=1)).to_be_visible()
    page.get_by_role("link", name="Coverage and gaps").click()


@pytest.mark.parametrize("viewport", VIEWPORTS)
def test_a_commissioner_finds_the_gap_near_ng7_and_downloads_the_areas(
    new_page, live_app, viewport, tmp_path
):
    shots = Path(os.environ.get("SCREENSHOT_DIR") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    page = new_page(viewport=VIEWPORTS[viewport], accept_downloads=True)
    open_insights(page, viewport)

    page.get_by_label("Postcode, outward code or local authority").fill("NG7")
    page.get_by_label("Within (km)").fill("5")
    page.get_by_label("Free", exact=True).check()
    page.get_by_label("Evening (from 5pm)").check()
    page.get_by_role("button", name="Show coverage").click()

    heading = page.get_by_role("heading", name=re.compile("Coverage and gaps"), level=1)
    expect(heading).to_contain_text("within 5 km of NG7")
    sentence = page.locator("#gap-sentence")
    expect(sentence).to_contain_text(GAP)
    grid = page.locator(".civic-coverage-grid")
    cared_for = grid.get_by_role("row", name=re.compile("^Cared for and accepted"))
    expect(cared_for).to_contain_text("Gap")
    expect(cared_for.get_by_role("link").last).to_have_text("0")
    # Something else is there: evening provision exists in NG7, just not this.
    involvement = grid.get_by_role("row", name=re.compile("^Involvement"))
    assert int(involvement.get_by_role("link").last.inner_text()) > 0

    # The map of the gap domain: hexagons drawn on the page's own Leaflet.
    page.get_by_label("Domain on the map").select_option(label="Cared for and accepted")
    page.get_by_role("button", name="Show coverage").click()
    expect(page.get_by_role("heading", name="Map: Cared for and accepted")).to_be_visible()
    expect(page.locator("#gap-sentence")).to_contain_text(GAP)  # the filters were kept
    expect(page.locator(".civic-coverage-map .leaflet-container")).to_be_visible()
    assert page.locator(".civic-coverage-map path.leaflet-interactive").count() > 50
    no_sideways_scroll(page)
    no_blocking_axe_problems(page)
    page.screenshot(path=shots / f"coverage-{viewport}.png", full_page=True)
    grid.screenshot(path=shots / f"coverage-grid-{viewport}.png")
    page.locator(".civic-coverage-map").screenshot(path=shots / f"coverage-map-{viewport}.png")

    # A cell of the grid is the search it counted.
    involvement.get_by_role("link").last.click()
    expect(page.get_by_role("heading", name="Search the directory")).to_be_visible()
    assert "domain=involvement" in page.url and "cost=free" in page.url
    page.go_back()

    page.get_by_role("link", name="Compare every outward code in NG with the same filters").click()
    expect(page.get_by_role("heading", name="Compare areas", level=1)).to_be_visible()
    table = page.locator(".civic-compare-table")
    expect(table.get_by_role("link", name="NG7", exact=True)).to_be_visible()
    expect(table.get_by_role("link", name="NG10", exact=True)).to_be_visible()
    no_sideways_scroll(page)
    no_blocking_axe_problems(page)
    page.screenshot(path=shots / f"compare-{viewport}.png", full_page=True)

    with page.expect_download() as download:
        page.get_by_role("link", name="Download as CSV").click()
    assert download.value.suggested_filename.endswith(".csv")
    rows = list(csv.reader(io.StringIO(Path(download.value.path()).read_text("utf-8-sig"))))
    assert rows[0][:4] == ["Area", "Radius (km)", "Listings", "Closeness"]
    ng7 = next(row for row in rows if row[0] == "NG7")
    assert "Cared for and accepted" in ng7[-1]  # the domains with nothing
