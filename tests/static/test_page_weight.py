"""What a visitor downloads for a search near a postcode, against the issue 17 budgets.

With the demo data, a first visit to ``/search?postcode=...`` (empty cache) must transfer
at most 200 kB and a repeat visit at most 80 kB (kB: 1,000 bytes, as browsers count).
Counted as a browser would receive them: the page and every file it names (stylesheets,
scripts, the icon, and any image a stylesheet names), each with its status line, headers
and body as sent (compressed when the browser accepts it). A repeat visit asks for the
page again; files sent with a year's ``Cache-Control`` are not asked for, any other is
revalidated (a 304 costs its headers). Map tiles come from the tile server, not from us,
and are not counted (the tests use a local stand-in).

``tests/browser/test_page_weight.py`` measures the same in Chromium.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

SEARCH = "/search?postcode=PL4+8AA"
FIRST_VISIT_BUDGET = 200_000
REPEAT_VISIT_BUDGET = 80_000
BROWSER_HEADERS = {
    "Accept": "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "Accept-Encoding": "gzip, deflate, br, zstd",
}
CSS_URL = re.compile(r"url\(\s*['\"]?([^'\")]+)['\"]?\s*\)")


class References(HTMLParser):
    """The files a page makes a browser fetch: stylesheets, icon, scripts, images."""

    def __init__(self) -> None:
        super().__init__()
        self.urls: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag == "link" and attributes.get("rel") in ("stylesheet", "icon"):
            self.urls.append(attributes["href"] or "")
        elif tag in ("script", "img") and attributes.get("src"):
            self.urls.append(attributes["src"] or "")


@dataclass
class Visit:
    """What one visit transferred: bytes by URL."""

    sizes: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return sum(self.sizes.values())

    def report(self) -> str:
        lines = [f"{size:>8,}  {url}" for url, size in self.sizes.items()]
        return "\n".join([*lines, f"{self.total:>8,}  in {len(self.sizes)} responses"])


def wire_size(response: TestResponse) -> int:
    """Bytes of the response as sent over HTTP/1.1: status line, headers, body."""
    head = f"HTTP/1.1 {response.status}\r\n" + "".join(
        f"{name}: {value}\r\n" for name, value in response.headers.items()
    )
    return len(head.encode("latin-1")) + 2 + len(response.get_data())


def same_origin_files(page_url: str, html: str) -> list[str]:
    """The URLs on this server that the page names, in order, once each."""
    parser = References()
    parser.feed(html)
    urls = [urljoin(page_url, url) for url in parser.urls]
    return list(dict.fromkeys(url for url in urls if not urlsplit(url).netloc))


def decoded(response: TestResponse) -> str:
    """The body as text, whatever it was compressed with."""
    data = response.get_data()
    encoding = response.headers.get("Content-Encoding")
    if encoding == "br":
        import brotli

        data = brotli.decompress(data)
    elif encoding == "gzip":
        import gzip

        data = gzip.decompress(data)
    return data.decode("utf-8")


def first_visit(client: FlaskClient, url: str) -> tuple[Visit, dict[str, TestResponse]]:
    """Fetch the page and all it names on an empty cache; return the sizes and responses."""
    visit, responses = Visit(), {}
    page = client.get(url, headers=BROWSER_HEADERS)
    assert page.status_code == 200
    visit.sizes[url] = wire_size(page)
    queue = same_origin_files("/search", decoded(page))
    while queue:
        asset = queue.pop(0)
        if asset in responses:
            continue
        response = client.get(asset, headers=BROWSER_HEADERS)
        assert response.status_code == 200, asset
        responses[asset] = response
        visit.sizes[asset] = wire_size(response)
        if response.mimetype == "text/css":
            named = (ref for ref in CSS_URL.findall(decoded(response)) if ref[:1] != "#")
            joined = (urljoin(asset, ref) for ref in named)
            queue.extend(ref for ref in joined if urlsplit(ref).scheme == "")
    return visit, responses


def repeat_visit(client: FlaskClient, url: str, cached: dict[str, TestResponse]) -> Visit:
    """Fetch the page again; revalidate the files the cache may not reuse without asking."""
    visit = Visit()
    page = client.get(url, headers=BROWSER_HEADERS)
    assert page.status_code == 200
    visit.sizes[url] = wire_size(page)
    for asset, response in cached.items():
        cache_control = response.headers.get("Cache-Control", "")
        if "immutable" in cache_control and "max-age=31536000" in cache_control:
            continue
        headers = dict(BROWSER_HEADERS)
        if etag := response.headers.get("ETag"):
            headers["If-None-Match"] = etag
        visit.sizes[asset] = wire_size(client.get(asset, headers=headers))
    return visit


def test_search_page_weight_is_within_budget(demo_client: FlaskClient):
    first, responses = first_visit(demo_client, SEARCH)
    repeat = repeat_visit(demo_client, SEARCH, responses)
    print(f"First visit to {SEARCH}:\n{first.report()}\nRepeat visit:\n{repeat.report()}")
    page = decoded(demo_client.get(SEARCH, headers=BROWSER_HEADERS))
    assert "result" in page and "civic-map" in page, "the page should show results and a map"
    assert first.total <= FIRST_VISIT_BUDGET, first.report()
    assert repeat.total <= REPEAT_VISIT_BUDGET, repeat.report()


def test_every_file_the_search_page_names_is_compressed_or_small(demo_client: FlaskClient):
    _, responses = first_visit(demo_client, SEARCH)
    for url, response in responses.items():
        if response.mimetype.startswith(("text/", "application/javascript", "image/svg")):
            size = len(response.get_data())
            assert response.headers.get("Content-Encoding") or size < 1024, (url, size)
