"""Tests for directory.rules.text: safe HTML, plain text, summaries and web addresses."""

from __future__ import annotations

import html
import re

import nh3
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from directory.rules import text as text_rules
from directory.rules.text import (
    MAX_INPUT_CHARS,
    clean_html,
    decode_entities,
    is_plain,
    normalise_web_address,
    plain_text,
    summary,
)

REL = 'rel="noopener noreferrer nofollow"'


# --- clean_html: what real feeds send ---------------------------------------------------


def test_paragraphs_lists_and_double_escaped_entities_become_the_subset():
    raw = (
        "<p>Struggling with Drug &amp;amp; Alcohol&nbsp;use?</p>"
        '<ul style="color:red"><li>Drop-in&nbsp;&nbsp;Tuesdays</li><li>Free</li></ul>'
    )
    assert clean_html(raw) == (
        "<p>Struggling with Drug &amp; Alcohol use?</p><ul><li>Drop-in Tuesdays</li>"
        "<li>Free</li></ul>"
    )


def test_entities_escaped_three_times_come_back_to_one_character():
    assert decode_entities("Tea &amp;amp;amp; chat") == "Tea &amp; chat"
    assert plain_text("Tea &amp;amp;amp; chat &amp;#39;n&amp;#x27;") == "Tea & chat 'n'"


def test_escaped_markup_is_parsed_as_the_markup_it_was_meant_to_be():
    assert clean_html("&lt;p&gt;Walk &amp;amp; talk&lt;/p&gt;") == "<p>Walk &amp; talk</p>"


def test_text_with_no_tags_becomes_paragraphs_and_line_breaks():
    assert clean_html("Line one\nline two\r\n\r\nSecond & last") == (
        "<p>Line one<br>line two</p><p>Second &amp; last</p>"
    )


def test_bold_italic_headings_and_divs_map_onto_the_subset():
    raw = "<h2>About</h2><div>Meet <b>weekly</b></div><div><i>All welcome</i></div>"
    assert clean_html(raw) == (
        "<p><strong>About</strong></p>Meet <strong>weekly</strong><br><em>All welcome</em>"
    )
    # Words from neighbouring divs and table cells never run together in plain text.
    assert plain_text("<div>A</div><div>B</div><table><tr><td>C</td><td>D</td></tr></table>") == (
        "A\nB\nC D"
    )


def test_links_keep_only_a_usable_href_and_get_rel():
    raw = (
        '<p><a href="www.mind.org.uk/help" title="t" target="_blank">Mind</a> '
        '<a href="http://www.example.com">placeholder</a> '
        '<a href="mailto:info@group.org.uk">mail</a></p>'
    )
    assert clean_html(raw) == (
        f'<p><a href="https://www.mind.org.uk/help" {REL}>Mind</a> placeholder '
        f'<a href="mailto:info@group.org.uk" {REL}>mail</a></p>'
    )


def test_empty_paragraphs_and_runs_of_breaks_are_dropped():
    assert clean_html("<p>&nbsp;</p><p><br></p><p>a<br><br><br><br>b<br></p><p> </p>") == (
        "<p>a<br><br>b</p>"
    )
    assert clean_html(None) == ""
    assert clean_html("   \n ") == ""
    assert plain_text("<p></p>") == ""


# --- hostile input ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "raw",
    [
        "<script>alert(1)</script>Hi",
        "<p onclick=\"alert(1)\">Hi</p><img src=x onerror='alert(1)'>",
        '<a href="javascript:alert(1)">Hi</a>',
        '<a href="JaVaScRiPt&colon;alert(1)">Hi</a>',
        '<a href="data:text/html;base64,PHNjcmlwdD4=">Hi</a>',
        "<style>body{display:none}</style><iframe src=//evil></iframe>Hi",
        "&lt;script&gt;alert(1)&lt;/script&gt;Hi",
        "<svg><script>alert(1)</script></svg>Hi",
        '<a href="vbscript:msgbox(1)" style="x:expression(alert(1))">Hi</a>',
        "<!-- <script>alert(1)</script> -->Hi",
    ],
)
def test_scripts_handlers_and_dangerous_links_never_survive(raw):
    cleaned = clean_html(raw).lower()
    for bad in (
        "<script",
        "alert",
        "onclick",
        "onerror",
        "javascript",
        "vbscript",
        "data:",
        "<iframe",
        "<style",
        "<img",
        "<svg",
        "expression",
    ):
        assert bad not in cleaned
    assert "hi" in cleaned


def _bounded(fn, arg):
    """Run ``fn(arg)``: these inputs once made regex-based cleaners run for minutes.

    Nothing here is timed (timings belong in bench/, not in assertions); a cleaner that
    blew up on them would hang or exhaust the recursion limit, which fails the test.
    """
    return fn(arg)


def test_nesting_ten_thousand_deep_is_flattened():
    deep = "<div><ul><li>" * 10_000 + "deep" + "</li></ul></div>" * 10_000
    assert "deep" in _bounded(plain_text, deep)
    unclosed = "<b><i><p>" * 10_000 + "x"
    assert _bounded(plain_text, unclosed) == "x"


def test_a_128_kib_string_is_cleaned():
    big = "<p>" + ("Tea &amp;amp; talk, " * 7_000)[: 128 * 1024] + "</p>"
    assert len(big) > 128 * 1024
    cleaned = _bounded(clean_html, big)
    assert "&amp;amp;" not in cleaned and cleaned.startswith("<p>Tea &amp; talk")
    line = _bounded(summary, big)
    assert len(line) <= 300 and line.endswith("…")
    # A run with no spaces or tags at all is no harder.
    assert len(_bounded(plain_text, "x" * (128 * 1024))) == 128 * 1024


def test_input_beyond_the_limit_is_cut_not_processed():
    huge = "a " * MAX_INPUT_CHARS
    assert len(_bounded(plain_text, huge)) <= MAX_INPUT_CHARS


def test_many_entities_and_regex_unfriendly_runs_are_handled():
    assert _bounded(plain_text, "&amp;" * 50_000 + "x").endswith("x")
    assert _bounded(clean_html, "<br>" * 50_000 + "x") == "x"
    assert _bounded(clean_html, "<" * 100_000) == "<p>" + "&lt;" * 100_000 + "</p>"
    assert _bounded(plain_text, " \n" * 60_000 + "end") == "end"


# --- plain_text and summary -------------------------------------------------------------


def test_plain_text_keeps_paragraphs_and_list_items():
    raw = (
        "<p>Who it is for:</p><ul><li>Adults</li><li>Carers</li></ul>"
        "<p>Free&nbsp;&amp; friendly</p>"
    )
    assert plain_text(raw) == "Who it is for:\n• Adults\n• Carers\n\nFree & friendly"


def test_summary_is_one_line_cut_at_a_word():
    raw = "<p>A friendly walking group for adults.</p><ul><li>Every Tuesday</li></ul>"
    assert summary(raw) == "A friendly walking group for adults. Every Tuesday"
    assert summary(raw, limit=20) == "A friendly walking…"
    assert summary("Supercalifragilistic" * 3, limit=10) == "Supercali…"
    assert summary("") == ""


# --- web addresses ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "url"),
    [
        ("www.plymouthmind.org.uk/page", "https://www.plymouthmind.org.uk/page"),
        ("linktr.ee/x", "https://linktr.ee/x"),
        ("  HTTPS://Foo.ORG:443/a?b=1#c ", "https://foo.org/a?b=1#c"),
        ("http://nottinghamcvs.co.uk", "http://nottinghamcvs.co.uk/"),
        ("//cdn.group.org/a", "https://cdn.group.org/a"),
        ("<https://group.org.uk/>", "https://group.org.uk/"),
        ("https://group.org.uk/?a=1&amp;amp;b=2", "https://group.org.uk/?a=1&b=2"),
        ("bücher.de", "https://xn--bcher-kva.de/"),
        ("group.org.uk:8080/x", "https://group.org.uk:8080/x"),
    ],
)
def test_usable_addresses_are_normalised(raw, url):
    assert normalise_web_address(raw).url == url


def test_an_added_scheme_is_noted_but_an_existing_one_is_not():
    assert "https://" in normalise_web_address("linktr.ee/x").note
    assert normalise_web_address("https://linktr.ee/x").note is None


@pytest.mark.parametrize(
    ("raw", "says"),
    [
        ("http://www.example.com", "placeholder"),
        ("www.example.org/page", "placeholder"),
        ("https://example.net", "placeholder"),
        ("https://sub.example.co.uk/x", "placeholder"),
        ("http://localhost/", "not a valid host"),
        ("javascript:alert(1)", "not a web page address"),
        ("mailto:info@group.org", "not a web page address"),
        ("info@group.org", "e-mail address"),
        ("see our facebook page", "spaces"),
        ("foo", "not a valid host"),
        ("http://192.168.0.1/admin", "IP address"),
        ("https://user:pw@group.org/", "password"),
        ("https://-bad-.org/", "not a valid host"),
        ("https://group.123/", "not a valid host"),
        ("https://" + "a" * 3000 + ".org", "too long"),
        ("http://[::1", "not a web address"),
    ],
)
def test_junk_and_placeholders_are_left_out_with_a_note(raw, says):
    result = normalise_web_address(raw)
    assert result.url is None
    assert says in result.note


def test_nothing_in_gives_nothing_out_without_a_note():
    assert normalise_web_address(None).url is None
    assert normalise_web_address("   ").note is None


# --- plain text skips the parser only where the parser would change nothing -------------

# Characters of every kind a typed description holds, and the layout between them.
_TYPED = st.one_of(
    st.characters(codec="utf-8", exclude_characters="<>&"),
    st.sampled_from([" ", "  ", "\t", "\n", "\n\n", " \n \n", "• ", "\r\n", "\u00a0", "'", '"']),
)
_EXAMPLES = settings(max_examples=400, derandomize=True, database=None, deadline=None)


@_EXAMPLES
@given(st.lists(_TYPED, max_size=60).map("".join))
def test_text_is_plain_only_when_nh3_would_give_it_back_unchanged(typed):
    """The fast path (no nh3) gives what nh3 gives, for every text it is taken for."""
    prepared = text_rules._prepare(typed)
    if not prepared.strip() or not is_plain(prepared):
        return
    as_html = text_rules._plain_to_html(prepared)
    assert text_rules._sanitised(prepared) == text_rules._tidy(as_html)
    safe = clean_html(typed)
    for pattern, replacement in (
        (r"<br>", "\n"),
        (r"<li>", "\n• "),
        (r"</(?:p|ul|ol)>|<(?:p|ul|ol)>", "\n\n"),
    ):
        safe = re.sub(pattern, replacement, safe)
    assert is_plain(safe)
    assert html.unescape(nh3.clean(safe, tags=set(), strip_comments=True)) == safe


@pytest.mark.parametrize(
    "text",
    ["caf\u00e9 & bar", "a <b>bold</b> move", "tab\u000bhere", "zero\u200bwidth", "line\u2028sep"],
)
def test_text_with_markup_entities_or_unusual_characters_goes_through_nh3(text):
    assert not is_plain(text)
