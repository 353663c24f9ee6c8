"""axe-core on the public pages: no serious or critical violations.

Uses the project's pinned axe-core from node_modules when installed, otherwise the copy
bundled with axe-playwright-python. Either way axe is injected from a local file, never
fetched.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Page

pytestmark = pytest.mark.browser

PROJECT_AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
AXE = Axe.from_file(PROJECT_AXE) if PROJECT_AXE.is_file() else Axe()
BLOCKING = {"serious", "critical"}

PAGES = {
    "home": ("/", 200),
    "browse": ("/browse", 200),
    "search-results": ("/search?postcode=PL4+8AA&domain=involvement", 200),
    "search-error": ("/search?postcode=hello&domain=involvement", 400),
    "about": ("/about", 200),
    "not-found": ("/no-such-page", 404),
}


def first_listing_href(page: Page) -> str:
    page.goto("/browse")
    return page.locator(".civic-result a.nhsuk-card__link").first.get_attribute("href")


def axe_violations(page: Page) -> list[dict]:
    """The findings of axe on the page as it is now, with or without JavaScript.

    axe is itself a script, and on a page opened with JavaScript off Playwright's
    evaluate() never returns. So a page without scripts is checked as a copy: its DOM as
    rendered without them (``<noscript>`` content shown, the page's own scripts removed)
    served at the same address, with the same styles, in a context that runs only axe.
    """
    if getattr(page, "civic_javascript", True):
        return AXE.run(page).response["violations"]
    html = page.content()
    html = re.sub(r"<script\b.*?</script>", "", html, flags=re.S | re.I)
    html = re.sub(r"<(/?)noscript\b", r"<\1div", html, flags=re.I)
    address = page.url
    context = page.context.browser.new_context(viewport=page.viewport_size)
    try:
        copy = context.new_page()
        copy.route(
            lambda url: url == address,
            lambda route: route.fulfill(
                status=200, content_type="text/html; charset=utf-8", body=html
            ),
        )
        copy.goto(address)
        return AXE.run(copy).response["violations"]
    finally:
        context.close()


def describe(violations: list[dict]) -> str:
    lines = []
    for violation in violations:
        node = violation["nodes"][0] if violation["nodes"] else {}
        lines.append(
            f"- {violation['id']} ({violation['impact']}): {violation['help']}\n"
            f"  {len(violation['nodes'])} node(s), first: {node.get('target')}\n"
            f"  {node.get('html', '')[:200]}\n"
            f"  {violation.get('helpUrl', '')}"
        )
    return "\n".join(lines)


def check(page: Page, path: str, status: int) -> None:
    response = page.goto(path)
    assert response is not None and response.status == status, (path, response and response.status)
    page.wait_for_load_state("load")
    violations = axe_violations(page)
    if violations:
        print(f"axe on {path}:\n{describe(violations)}")
    blocking = [v for v in violations if v["impact"] in BLOCKING]
    assert not blocking, f"axe found serious or critical problems on {path}:\n" + describe(blocking)


@pytest.mark.parametrize("path,status", PAGES.values(), ids=PAGES.keys())
def test_page_has_no_serious_accessibility_problems(page: Page, path: str, status: int) -> None:
    check(page, path, status)


def test_listing_page_has_no_serious_accessibility_problems(page: Page) -> None:
    check(page, first_listing_href(page), 200)


def test_organisation_page_has_no_serious_accessibility_problems(page: Page) -> None:
    page.goto(first_listing_href(page))
    href = page.locator(".nhsuk-caption-l a").get_attribute("href")
    assert href and href.startswith("/organisations/"), href
    check(page, href, 200)
