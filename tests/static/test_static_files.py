"""Static files: fingerprinted names in every page, a year's caching, precompressed copies."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from flask import Flask, render_template_string

from directory.resources import shipped_folder
from directory.static_files import (
    IMMUTABLE,
    build_manifest,
    fingerprinted_name,
    static_files,
)
from tests.conftest import make_test_app

FINGERPRINTED = re.compile(r"/static/[\w./-]+\.[0-9a-f]{12}(\.\w+)?$")


def static_urls(html: str) -> list[str]:
    return re.findall(r'(?:href|src)="(/static/[^"]+)"', html)


def test_a_fingerprint_goes_before_the_extension():
    name = fingerprinted_name("vendor/leaflet/leaflet.js", b"L")
    assert re.fullmatch(r"vendor/leaflet/leaflet\.[0-9a-f]{12}\.js", name)
    assert fingerprinted_name("vendor/leaflet/leaflet.js", b"L") == name
    assert fingerprinted_name("vendor/leaflet/leaflet.js", b"L2") != name
    assert re.fullmatch(r"LICENCE\.[0-9a-f]{12}", fingerprinted_name("LICENCE", b"x"))


def test_the_manifest_follows_the_files(tmp_path: Path):
    (tmp_path / "site.css").write_text("a{}")
    (tmp_path / "site.css.br").write_bytes(b"compressed")
    (tmp_path / ".built").write_text("")
    (tmp_path / "vendor").mkdir()
    (tmp_path / "vendor" / "x.js").write_text("1")
    first = build_manifest(tmp_path)
    assert set(first.names) == {"site.css", "vendor/x.js"}
    assert [p.name for p in static_files(tmp_path)] == ["site.css", "x.js"]
    (tmp_path / "site.css").write_text("a{color:red}")
    second = build_manifest(tmp_path)
    assert second.names["site.css"] != first.names["site.css"]
    assert second.names["vendor/x.js"] == first.names["vendor/x.js"]


def test_pages_name_static_files_by_fingerprint(client):
    page = client.get("/").get_data(as_text=True)
    urls = static_urls(page)
    assert any("nhsuk-frontend.min." in url for url in urls)
    assert urls and all(FINGERPRINTED.match(url) for url in urls), urls


def test_no_template_names_a_static_file_by_its_plain_url():
    templates = shipped_folder("templates")
    offenders = [
        str(path.relative_to(templates))
        for path in templates.rglob("*.html")
        if re.search(r"url_for\(\s*['\"]static['\"]", path.read_text(encoding="utf-8"))
    ]
    assert not offenders, f"use static_url('...') in {offenders}"


def test_fingerprinted_files_are_cached_for_a_year(client):
    url = next(u for u in static_urls(client.get("/").get_data(as_text=True)) if "directory." in u)
    response = client.get(url)
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == IMMUTABLE
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert "Set-Cookie" not in response.headers
    static = Path(client.application.static_folder)
    assert response.get_data() == (static / "directory.css").read_bytes()


def test_plain_urls_are_checked_each_time(client):
    response = client.get("/static/directory.css")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-cache"
    etag = response.headers["ETag"]
    again = client.get("/static/directory.css", headers={"If-None-Match": etag})
    assert again.status_code == 304


def test_an_unknown_fingerprint_is_not_found(client):
    assert client.get("/static/directory.000000000000.css").status_code == 404


def test_vendor_files_are_sent_precompressed(client):
    static = Path(client.application.static_folder)
    stylesheet = static / "vendor" / "nhsuk" / "nhsuk-frontend.min.css"
    if not stylesheet.with_name(stylesheet.name + ".br").is_file():
        pytest.skip("run `make assets` to build the precompressed vendor files")
    url = next(u for u in static_urls(client.get("/").get_data(as_text=True)) if "nhsuk-" in u)
    for encoding, suffix in (("br", ".br"), ("gzip", ".gz")):
        response = client.get(url, headers={"Accept-Encoding": encoding})
        assert response.headers["Content-Encoding"] == encoding
        assert response.headers["Vary"] == "Accept-Encoding"
        assert response.headers["Cache-Control"] == IMMUTABLE
        assert response.get_data() == stylesheet.with_name(stylesheet.name + suffix).read_bytes()
    plain = client.get(url, headers={"Accept-Encoding": "identity"})
    assert "Content-Encoding" not in plain.headers
    assert plain.get_data() == stylesheet.read_bytes()


def test_a_file_added_after_start_keeps_its_plain_url(app: Flask):
    with app.test_request_context():
        assert render_template_string("{{ static_url('not-there.css') }}") == (
            "/static/not-there.css"
        )


def test_debug_mode_serves_plain_urls_with_flask(
    database: dict, postcode_table: Path, tmp_path: Path
):
    app = make_test_app(database, postcode_table, tmp_path, DEBUG=True)
    with app.test_request_context():
        assert render_template_string("{{ static_url('directory.css') }}") == (
            "/static/directory.css"
        )
    response = app.test_client().get("/static/directory.css")
    assert response.status_code == 200
    assert "immutable" not in response.headers.get("Cache-Control", "")
