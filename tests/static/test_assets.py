"""``flask directory build-assets``: the purged NHS.UK stylesheet, inlined icons, precompression."""

from __future__ import annotations

import base64
import gzip
import re
import shutil
from pathlib import Path

import brotli
import pytest
from flask.testing import FlaskClient

from directory.assets import (
    dynamic_class_patterns,
    nhsuk_stylesheet,
    precompress,
    purge_css,
    safelisted_classes,
)
from tests.conftest import sign_in

NODE_MODULES = Path(__file__).resolve().parents[2] / "node_modules"
FULL_STYLESHEET = NODE_MODULES / "nhsuk-frontend" / "dist" / "nhsuk" / "nhsuk-frontend.min.css"
needs_purgecss = pytest.mark.skipif(
    shutil.which("node") is None or not (NODE_MODULES / "purgecss").is_dir(),
    reason="needs Node and `npm ci` (PurgeCSS)",
)


def test_classes_built_from_expressions_become_patterns():
    template = """
      <strong class="nhsuk-tag nhsuk-tag--{{ loop.cycle('blue', 'green') }}">
      <div class="nhsuk-{{ css }}{% if small %} nhsuk-{{ css }}--small{% endif %}">
      <legend class="nhsuk-fieldset__legend--{{ size }}">
      <input class="nhsuk-input">
    """
    assert dynamic_class_patterns(template) == {
        r"^nhsuk\-tag\-\-[\w-]+$",
        r"^nhsuk\-[\w-]+\-\-small$",
        r"^nhsuk\-fieldset__legend\-\-[\w-]+$",
    }


def test_the_safelist_is_the_stylesheets_classes_those_patterns_match():
    css = (
        ".nhsuk-tag--red{}.nhsuk-tag{}.nhsuk-radios--small .x{}.nhsuk-button{}"
        "@media{.nhsuk-tag--blue{}}"
    )
    template = '<b class="nhsuk-tag--{{ c }}"><p class="nhsuk-{{ k }}--small">'
    assert safelisted_classes(css, template) == [
        "nhsuk-radios--small",
        "nhsuk-tag--blue",
        "nhsuk-tag--red",
    ]


def test_the_stylesheet_drops_remote_fonts_and_carries_its_icons(tmp_path: Path):
    images = tmp_path / "assets" / "images"
    images.mkdir(parents=True)
    icon = b'<svg xmlns="http://www.w3.org/2000/svg"><path d="M0 0"/></svg>'
    (images / "nhsuk-icon-cross.svg").write_bytes(icon)
    (tmp_path / "nhsuk-frontend.min.css").write_text(
        "@font-face{font-family:Frutiger;src:url(https://assets.nhs.uk/fonts/x.woff2)}"
        ".a{background:url(/assets/images/nhsuk-icon-cross.svg)}"
        ".b{background:url(/assets/images/missing.svg)}"
    )
    css = nhsuk_stylesheet(tmp_path)
    assert "assets.nhs.uk" not in css
    encoded = base64.b64encode(icon).decode()
    assert f'.a{{background:url("data:image/svg+xml;base64,{encoded}")}}' in css
    assert ".b{background:url(images/missing.svg)}" in css


def test_precompressed_copies_are_written_only_when_they_save(tmp_path: Path):
    script = tmp_path / "app.js"
    script.write_text("function hello() { return 'hello'; }\n" * 200)
    written = precompress(script)
    assert [path.name for path in written] == ["app.js.br", "app.js.gz"]
    assert brotli.decompress(written[0].read_bytes()) == script.read_bytes()
    assert gzip.decompress(written[1].read_bytes()) == script.read_bytes()
    tiny = tmp_path / "tiny.css"
    tiny.write_text("a{}")
    assert precompress(tiny) == []


@needs_purgecss
def test_purgecss_keeps_what_templates_use_and_drops_the_rest(tmp_path: Path):
    template = tmp_path / "page.html"
    template.write_text(
        '<p class="nhsuk-body-s"><b class="nhsuk-tag nhsuk-tag--{{ colour }}">'
        '<input class="nhsuk-input">'
    )
    css = (
        ".nhsuk-body-s{margin:0}.nhsuk-tag{color:red}.nhsuk-tag--green{color:green}"
        ".nhsuk-card{border:0}.nhsuk-input:focus{outline:0}"
        "@media (min-width:40em){.nhsuk-body-s{margin:1px}.nhsuk-hero{top:0}}"
    )
    purged = purge_css(css, [template], NODE_MODULES)
    for kept in (".nhsuk-body-s{", ".nhsuk-tag{", ".nhsuk-tag--green{", ".nhsuk-input:focus"):
        assert kept in purged.replace(" ", "")
    assert "nhsuk-card" not in purged and "nhsuk-hero" not in purged


def page_classes(html: str) -> set[str]:
    """The classes on a page, and its attribute names as ``[name``."""
    classes = {name for value in re.findall(r'class="([^"]*)"', html) for name in value.split()}
    return classes | {f"[{name}" for name in re.findall(r"\s([\w-]+)=", html)}


def class_selectors(css: str) -> set[str]:
    """Every selector with a class in it, in any rule, without whitespace."""
    preludes = re.findall(r"(?:^|[{}])([^{}@][^{}]*)\{", css)
    selectors = {re.sub(r"\s+", "", part) for prelude in preludes for part in prelude.split(",")}
    return {selector for selector in selectors if "." in selector}


def selector_needs(selector: str) -> set[str]:
    """The classes a selector needs, and its attribute names as ``[name``."""
    classes = set(re.findall(r"\.(-?[_a-zA-Z][\w-]*)", selector))
    return classes | set(re.findall(r"\[[\w-]+", selector))


@pytest.mark.skipif(not FULL_STYLESHEET.is_file(), reason="needs `npm ci` (nhsuk-frontend)")
def test_the_built_stylesheet_keeps_every_nhsuk_class_the_pages_use(
    demo_client: FlaskClient, make_user
):
    """Pages across the product, as anonymous visitors and signed-in people see them.

    A selector of the full NHS.UK stylesheet whose classes (and attributes) all appear on
    these pages must be in the built one; one that also needs a class no page uses may go.
    """
    full = class_selectors(FULL_STYLESHEET.read_text(encoding="utf-8"))
    static = Path(demo_client.application.static_folder)
    built = class_selectors(
        (static / "vendor" / "nhsuk" / "nhsuk-frontend.min.css").read_text("utf-8")
    )
    api = demo_client.get("/api/search?postcode=PL4+8AA").get_json()
    listing = api["results"][0]["id"]
    pages = [
        "/",
        "/about",
        "/browse",
        "/search?postcode=PL4+8AA",
        "/search?q=zzzz-nothing",
        "/search?postcode=not-a-postcode",
        f"/listings/{listing}",
        f"/listings/{listing}/report",
        "/accounts/login",
        "/accounts/register",
        "/accounts/reset",
        "/feedback",
        "/insights/",
    ]
    used: set[str] = set()
    for url in pages:
        used |= page_classes(demo_client.get(url).get_data(as_text=True))
    signed_in = {
        "practitioner": (f"/listings/{listing}/rate", "/plan", "/shortlists", "/accounts/"),
        "moderator": (
            "/moderation/",
            "/insights/coverage?postcode=PL4+8AA&radius_km=5",
            "/insights/need?area=PL4",
            "/insights/trends",
        ),
    }
    for role, urls in signed_in.items():
        sign_in(demo_client, make_user(role=role))
        for url in urls:
            response = demo_client.get(url)
            assert response.status_code == 200, url
            used |= page_classes(response.get_data(as_text=True))
    assert {"nhsuk-table__cell", "nhsuk-tag", "nhsuk-header"} <= used
    applicable = {selector for selector in full if selector_needs(selector) <= used}
    missing = sorted(applicable - built)
    assert not missing, f"the built stylesheet lost {missing}: run `make assets`"
