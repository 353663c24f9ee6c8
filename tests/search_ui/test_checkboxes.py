"""The filter panel's tick boxes (directory.search_ui.checkboxes)."""

from __future__ import annotations

from directory.search_ui.checkboxes import checkbox_items, vocabulary_options


def test_boxes_are_ticked_counted_and_escaped():
    html = checkbox_items(
        "day",
        [("mon", "Monday"), ("tue", "Tuesday <b>&</b>")],
        chosen=["tue"],
        counts={"mon": 3},
    )
    assert (
        '<input class="nhsuk-checkboxes__input" id="day-mon" name="day" type="checkbox"'
        ' value="mon"><label class="nhsuk-label nhsuk-checkboxes__label" for="day-mon">'
        'Monday <span class="civic-facet-count">(3)</span></label>' in html
    )
    # A code the search didn't count is 0; the words are escaped, never markup.
    assert 'value="tue" checked>' in html
    assert 'Tuesday &lt;b&gt;&amp;&lt;/b&gt; <span class="civic-facet-count">(0)</span>' in html
    assert html.count("nhsuk-checkboxes__item") == 2


def test_no_counts_before_a_search_and_a_hostile_code_stays_an_attribute():
    html = checkbox_items('x"><script>', [('"><script>', "Odd")])
    assert "<script>" not in html
    assert 'id="x&#34;&gt;&lt;script&gt;-&#34;&gt;&lt;script&gt;"' in html
    assert "civic-facet-count" not in html


def test_hints_describe_their_box_and_domains_carry_their_colour():
    options = vocabulary_options("civic_domain")
    code, name, description = options[0]
    html = checkbox_items("domain", options, hints=True, swatch=True)
    assert f'id="domain-{code}" name="domain" type="checkbox" value="{code}"' in html
    assert f'aria-describedby="domain-{code}-hint"' in html
    assert f'<div class="nhsuk-hint nhsuk-checkboxes__hint" id="domain-{code}-hint">' in html
    assert f'civic-domain-swatch civic-domain--{code}" aria-hidden="true"></span>{name}' in html
    assert html.count("civic-domain-swatch") == len(options)
