"""The hand-out printed to PDF by Chromium: pages, badges, date and the Print button.

Shortlists of 1, 3 and 5 of the demo's wordiest listings (the longest summaries and
descriptions, the most sessions and contact details: the hardest to fit) are printed
with Chromium's A4 PDF and read back with pypdf. Up to three options fit one page; five
print on the number of pages the hand-out itself announces. Backgrounds are left out of
the print, as most browsers do by default, so the number badges must show in ink alone.
"""

from __future__ import annotations

import datetime as dt
import io
import os
import re
import uuid

import pytest
from playwright.sync_api import Page, expect
from pypdf import PdfReader
from sqlalchemy import select

from directory.extensions import db
from directory.models import Listing, Shortlist, ShortlistItem, User, utcnow
from directory.plans.services import ensure_feedback_code
from directory.rules.handout import pages_for
from tests.conftest import _test_password_hash
from tests.plans.tile_stub import StubTiles

pytestmark = pytest.mark.browser


def _wordiness(listing: Listing) -> int:
    """Roughly how much the hand-out prints for a listing."""
    organisation = listing.organisation
    return (
        len(listing.summary or "")
        + min(len(listing.description or ""), 160)
        + 60 * len(listing.schedules)
        + 60 * len(listing.locations)
        + sum(len(v or "") for v in (listing.phone, listing.email, listing.url))
        + sum(len(v or "") for v in (organisation.phone, organisation.email, organisation.website))
        + len(listing.cost_description or "")
    )


@pytest.fixture(scope="module")
def wordiest(live_app) -> list[str]:
    """The ids of the five public demo listings with the most to print, meeting somewhere."""
    with live_app.app.app_context():
        listings = db.session.scalars(select(Listing).where(Listing.is_public)).all()
        located = [
            listing
            for listing in listings
            if any(loc.latitude is not None for loc in listing.locations) and listing.schedules
        ]
        located.sort(key=_wordiness, reverse=True)
        ids = [listing.id for listing in located[:5]]
        db.session.remove()
    assert len(ids) == 5
    return ids


def shared_handout(live_app, listing_ids: list[str]) -> str:
    """A shortlist of ``listing_ids`` with a share link; returns the link's path."""
    suffix = uuid.uuid4().hex[:8]
    with live_app.app.app_context():
        owner = User(
            email=f"gp-{suffix}@nhs.net", name=f"Dr Print {suffix}", profession="gp",
            sector="primary_care", password_hash=_test_password_hash(), role="practitioner",
            status="approved", email_verified_at=utcnow(),
        )  # fmt: skip
        shortlist = Shortlist(owner=owner, label=f"Print test {suffix}")
        shortlist.items = [
            ShortlistItem(listing_id=listing_id, position=position)
            for position, listing_id in enumerate(listing_ids)
        ]
        shortlist.share_token = f"print-{suffix}"
        shortlist.share_expires_at = utcnow() + dt.timedelta(days=1)
        db.session.add(shortlist)
        db.session.flush()
        ensure_feedback_code(db.session, owner, shortlist)
        db.session.commit()
        token = shortlist.share_token
        db.session.remove()
    return f"/shared/{token}"


def print_pdf(page: Page) -> PdfReader:
    """The page as Chromium prints it on A4, without backgrounds."""
    page.emulate_media(media="print")
    return PdfReader(io.BytesIO(page.pdf(format="A4", print_background=False)))


def flat(text: str) -> str:
    return re.sub(r"\s+", " ", text)


@pytest.mark.parametrize("items", [1, 3, 5])
def test_hand_out_prints_on_the_pages_it_says(live_app, new_page, wordiest, items):
    page = new_page()
    page.goto(shared_handout(live_app, wordiest[:items]))
    options = page.locator(".civic-handout-option")
    expect(options).to_have_count(items)
    expected = pages_for(items)
    announced = page.locator(".civic-handout-pages").inner_text()
    if items <= 3:
        assert expected == 1 and "prints on one sheet of A4" in announced
    else:
        assert f"prints on {expected} pages of A4" in announced
        expect(page.locator(".civic-handout__date")).to_contain_text(f"· {expected} pages")

    reader = print_pdf(page)
    assert len(reader.pages) == expected, (
        f"{items} options print on {len(reader.pages)} pages; the hand-out says {expected}"
    )
    for sheet in reader.pages:
        width, height = (float(v) for v in sheet.mediabox[2:])
        assert abs(width - 595.3) < 2 and abs(height - 841.9) < 2, "A4 in points"
    pages_text = [flat(sheet.extract_text()) for sheet in reader.pages]
    text = " ".join(pages_text)
    today = utcnow()
    assert f"Printed on {today.day} {today:%B %Y}" in pages_text[0]
    assert "Tell us how it went" in pages_text[-1]
    assert "Print this hand-out" not in text and "Print command" not in text
    titles = page.locator(".civic-handout-option__name").evaluate_all(
        "(els) => els.map((el) => el.lastChild.textContent.trim())"
    )
    for number, title in enumerate(titles, start=1):
        title = flat(title)
        # Each badge's number prints right before its option's name; options 4 and 5
        # start the second page.
        sheet = pages_text[(number - 1) // 3]
        assert re.search(rf"\b{number}\s*{re.escape(title[:25])}", sheet), (
            f"badge {number} and {title!r} are not together on page {(number - 1) // 3 + 1}"
        )


def _luminance(rgb: str) -> float:
    values = [int(v) / 255 for v in re.findall(r"\d+", rgb)[:3]]
    linear = [v / 12.92 if v <= 0.03928 else ((v + 0.055) / 1.055) ** 2.4 for v in values]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_badges_are_ink_only_and_readable_in_greyscale(live_app, new_page, wordiest):
    page = new_page()
    page.goto(shared_handout(live_app, wordiest[:3]))
    page.emulate_media(media="print")
    badges = page.locator(".civic-handout-number")
    expect(badges).to_have_count(3)
    for index in range(3):
        style = badges.nth(index).evaluate(
            "(el) => { const s = getComputedStyle(el); return {color: s.color,"
            " background: s.backgroundColor, image: s.backgroundImage,"
            " border: s.borderTopColor, width: parseFloat(s.borderTopWidth),"
            " style: s.borderTopStyle}; }"
        )
        # Nothing rests on a background, which browsers leave out of prints by default.
        assert style["image"] == "none"
        assert style["background"] in ("rgba(0, 0, 0, 0)", "transparent", "rgb(255, 255, 255)")
        # Figures and ring against the white paper: contrast (L1 + 0.05) / (L2 + 0.05).
        text_contrast = 1.05 / (_luminance(style["color"]) + 0.05)
        ring_contrast = 1.05 / (_luminance(style["border"]) + 0.05)
        assert text_contrast >= 7, style
        assert ring_contrast >= 3 and style["width"] >= 1.5 and style["style"] == "solid", style
        assert badges.nth(index).inner_text().strip().endswith(str(index + 1))


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_print_button_with_javascript_and_a_hint_without(live_app, new_page, wordiest, javascript):
    page = new_page(java_script_enabled=javascript)
    page.goto(shared_handout(live_app, wordiest[:1]))
    button = page.get_by_role("button", name="Print this hand-out")
    hint = page.get_by_text("use your browser's Print command")
    if not javascript:
        expect(button).to_have_count(0)
        expect(hint).to_be_visible()
        return
    expect(hint).to_be_hidden()
    page.evaluate("() => { window.printed = 0; window.print = () => { window.printed += 1; }; }")
    button.click()
    assert page.evaluate("() => window.printed") == 1


@pytest.mark.parametrize("items", [3, 5])
def test_hand_out_with_street_maps_prints_on_the_pages_it_says(
    live_app, new_page, wordiest, items, monkeypatch
):
    # Maps drawn from generated tiles (no network): the server stitches them for the page.
    stub = StubTiles()
    monkeypatch.setitem(live_app.app.extensions, "handout_tiles", stub)
    page = new_page()
    page.goto(shared_handout(live_app, wordiest[:items]))
    maps = page.locator("img.civic-handout-map__image")
    expect(maps).to_have_count(items)
    expect(page.locator(".civic-handout-map__credit").first).to_have_text(
        live_app.app.config["HANDOUT_TILES_ATTRIBUTION"]
    )
    assert stub.calls, "the tiles came from the configured source"
    if os.environ.get("HANDOUT_SCREENSHOT"):  # to look at it: a print-media screenshot
        page.emulate_media(media="print")
        page.screenshot(path=os.environ["HANDOUT_SCREENSHOT"] + f"-{items}.png", full_page=True)
    reader = print_pdf(page)
    assert len(reader.pages) == pages_for(items), (
        f"{items} options with maps print on {len(reader.pages)} pages, not {pages_for(items)}"
    )
    text = flat(" ".join(sheet.extract_text() for sheet in reader.pages))
    assert text.count(live_app.app.config["HANDOUT_TILES_ATTRIBUTION"]) == items
