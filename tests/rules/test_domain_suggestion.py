"""Tests for directory.rules.domain_suggestion and its evaluation script."""

from __future__ import annotations

import json

import pytest

from bench import suggestion_eval
from directory.rules.domain_suggestion import (
    DOMAIN_NAMES,
    KINDS,
    ListingText,
    Suggestion,
    _parse_rules,
    load_rules,
    suggest,
)


def codes(listing: ListingText) -> list[str]:
    return suggest(listing).domain_codes


# --- what it suggests -------------------------------------------------------------------


def test_a_walking_group_is_involvement_and_beyond_with_reasons():
    result = suggest(
        ListingText("Walking for Health", "Free friendly walks led by volunteer walk leaders.")
    )
    assert not result.not_social
    by_code = {d.code: d for d in result.domains}
    assert {"involvement", "beyond"} <= set(by_code)
    assert by_code["involvement"].reason.startswith("mentions “walking for health”")
    assert by_code["involvement"].reason.endswith("→ Involvement")
    assert by_code["beyond"].name == "Connectedness beyond people"
    assert result.kind.code == "group"


@pytest.mark.parametrize(
    ("name", "description", "expected"),
    [
        ("Befriending", "A trained volunteer befriender visits you every week.", "valued"),
        (
            "Hearing Voices",
            "A peer support group run by people with lived experience.",
            "cared_for",
        ),
        ("Rainbow Social", "A monthly social for LGBTQ+ adults to meet new people.", "identity"),
        ("Quaker Meeting", "Worship based on silence, then tea together.", "beyond"),
        ("City Farm", "Volunteer with the animals: feeding the goats and hens.", "beyond"),
        (
            "Sketch Club",
            "We have been meeting for over 15 years; same friendly faces each week.",
            "closeness",
        ),
        (
            "Buddy scheme",
            "A volunteer will go with you to a new group the first time.",
            "involvement",
        ),
    ],
)
def test_each_domain_is_suggested_by_the_interventions_the_research_names(
    name, description, expected
):
    assert expected in codes(ListingText(name, description))


@pytest.mark.parametrize(
    ("name", "description"),
    [
        ("Debt Advice", "Free confidential debt advice; we negotiate with your creditors."),
        ("School Admissions", "How to apply for a primary or secondary school place."),
        (
            "Council Contact Centre",
            "Call us about council tax, bins and parking permits. Lines are open 9am to 5pm.",
        ),
        ("Blue Badge", "Apply for or renew a Blue Badge for disabled parking."),
        ("Talking Therapies", "NHS psychological therapies: self-refer for CBT and counselling."),
    ],
)
def test_services_that_are_not_about_connection_are_not_social_with_no_domains(name, description):
    result = suggest(ListingText(name, description))
    assert result.not_social
    assert result.domains == [] and result.kind is None
    assert result.reason.endswith("→ not social")
    assert 0 < result.not_social_confidence <= 1


def test_a_text_with_nothing_to_go_on_is_not_social_and_says_so():
    result = suggest(ListingText.of(None, None, None))
    assert result.not_social
    assert result.reason.startswith("nothing in the text suggests")


def test_social_words_in_an_admin_service_do_not_make_it_social():
    # "social" in "social worker" and "social care" is not a social group.
    result = suggest(
        ListingText(
            "Adult Social Care Assessments",
            "A social worker will talk with you about a needs assessment.",
        )
    )
    assert result.not_social


def test_kind_follows_the_listing_place_group_or_activity():
    assert (
        suggest(
            ListingText(
                "Greenhouse Café", "A community café run by volunteers; pop in for a drink."
            )
        ).kind.code
        == "place"
    )
    assert (
        suggest(
            ListingText(
                "Community Choir", "No auditions, just come and sing with us every Thursday."
            )
        ).kind.code
        == "group"
    )
    assert (
        suggest(
            ListingText(
                "Recovery course",
                "A four-week course with peer trainers: learn about anxiety together.",
            )
        ).kind.code
        == "activity"
    )


def test_html_entities_and_taxonomy_terms_are_read_like_the_plain_text():
    plain = ListingText(
        "Tea & Chat", "Meet new people over tea & cake every week.", ("Loneliness",)
    )
    feed = ListingText(
        "Tea &amp;amp; Chat",
        "<p>Meet new people over tea &amp;amp; cake&nbsp;every week.</p><script>x()</script>",
        ("Loneliness",),
    )
    assert suggest(plain).as_dict() == suggest(feed).as_dict() or (
        suggest(plain).domain_codes == suggest(feed).domain_codes
    )
    assert "involvement" in suggest(feed).domain_codes


def test_word_boundaries_and_word_senses():
    # "start" is not "art", "close-knit" is not knitting, "run by" is not running.
    result = suggest(
        ListingText(
            "Volunteer team", "Start as a volunteer in our close-knit team, run by local people."
        )
    )
    assert "identity" not in result.domain_codes


@pytest.mark.parametrize(
    ("name", "description", "absent"),
    [
        # A wildlife *Trust* and familiar *songs* are not trust and familiarity.
        (
            "Nature Volunteers",
            "Join the Wildlife Trust volunteers every Thursday for conservation and lunch.",
            "closeness",
        ),
        ("Memory Singers", "We sing familiar songs together every Monday.", "closeness"),
        # Four weeks is not the long, structured dose that builds Closeness.
        (
            "Managing Stress",
            "A free four-week course with peer tutors: learn together about stress.",
            "closeness",
        ),
    ],
)
def test_word_senses_that_are_not_the_domain(name, description, absent):
    result = suggest(ListingText(name, description))
    assert not result.not_social
    assert absent not in result.domain_codes


@pytest.mark.parametrize(
    ("name", "description", "expected"),
    [
        # Durations written in words, and idiom.
        (
            "Woodcarving Guild",
            "Members have been carving together for over twenty years.",
            "closeness",
        ),
        # Reciprocity said indirectly: making things for the community.
        (
            "Men's Shed",
            "Somewhere for men to make things: benches for the harbour, bird boxes for schools.",
            "valued",
        ),
        # A welcome said in other words.
        (
            "Lunch Club",
            "A relaxed hot lunch every Wednesday. Lots of us came along on our own the first time.",
            "cared_for",
        ),
        # A group for people with experience of mental health problems.
        (
            "Sound Minds Choir",
            "A choir for people with experience of mental health problems and their friends.",
            "cared_for",
        ),
        # An interest group named by its activity.
        ("Kayak Club", "Paddle the canal with us on Sunday mornings; kit provided.", "identity"),
    ],
)
def test_indirect_wording_still_finds_the_domain(name, description, expected):
    result = suggest(ListingText(name, description))
    assert not result.not_social
    assert expected in result.domain_codes


@pytest.mark.parametrize(
    ("name", "description", "social"),
    [
        # "Therapy" in a social and therapeutic gardening project is not a clinic, and a
        # bare "Free parking." is a venue line.
        (
            "Horticultural Therapy Project",
            "A social and therapeutic gardening group for people recovering from mental ill "
            "health. Free parking.",
            True,
        ),
        ("Disabled Persons Railcard", "Save a third on rail fares with an adult companion.", False),
        (
            "Allotment Waiting List",
            "To join the waiting list for a plot, fill in the application form.",
            False,
        ),
    ],
)
def test_not_social_word_senses(name, description, social):
    assert suggest(ListingText(name, description)).not_social is not social


def test_venue_contact_and_access_lines_do_not_decide_not_social():
    # Feeds append these to every service; "parking" once made a carers' coffee morning a
    # council parking service.
    listing = ListingText(
        "Coffee and Conversation for Carers",
        "<p>A fortnightly morning for anyone who looks after a family member. Take a break "
        "and meet other carers.</p><p>Venue: Beeston Library, 12 High Street.</p>"
        "<ul><li>Parking available nearby.</li><li>On bus routes 12 and 42.</li>"
        "<li>Contact Sam on 0115 496 0123 or email us.</li>"
        "<li>Accessible venue with level access and an accessible toilet.</li></ul>",
    )
    result = suggest(listing)
    assert not result.not_social
    assert {"identity", "involvement"} <= set(result.domain_codes)
    assert "parking" not in result.reason


def test_a_parking_service_is_still_not_social():
    # Only sentences that describe the venue are set aside, not a service about parking.
    result = suggest(
        ListingText(
            "Resident parking permits",
            "Apply for a resident parking permit or a visitor permit for your street.",
        )
    )
    assert result.not_social
    assert "parking" in result.reason


@pytest.mark.parametrize(
    ("name", "description", "expected"),
    [
        # A short one-liner: eating together is Involvement, a shared experience Identity.
        (
            "Blind Veterans Lunch",
            "Monthly lunch for veterans living with sight loss.",
            {
                "involvement",
                "identity",
            },
        ),
        (
            "Bereaved Parents Group",
            "A group run by bereaved parents. Talk or just listen.",
            {
                "identity",
                "cared_for",
            },
        ),
        (
            "Allotment Buddies",
            "We pair new growers with experienced plot holders.",
            {"valued", "beyond"},
        ),
        (
            "Thursday Club",
            "A weekly group where the same friendly faces have met since 2009.",
            {"closeness", "involvement"},
        ),
    ],
)
def test_short_listings_get_their_domains(name, description, expected):
    result = suggest(ListingText(name, description))
    assert not result.not_social
    assert expected <= set(result.domain_codes)


def test_a_support_group_meeting_regularly_is_not_involvement_by_its_schedule_alone():
    plain = ListingText("Bipolar Support Group", "A support group that meets every fortnight.")
    social = ListingText(
        "Bipolar Support Group", "A support group that meets every fortnight, then a meal out."
    )
    assert "involvement" not in codes(plain)
    assert "cared_for" in codes(plain)
    # A social activity named in the text still counts.
    assert "involvement" in codes(social)


def test_social_prescribing_is_not_a_prescription():
    result = suggest(
        ListingText(
            "Café Connect",
            "Our social prescribing connectors meet you at a café and come along with you "
            "to try a group.",
        )
    )
    assert not result.not_social
    assert "involvement" in result.domain_codes


# --- the shape of the answer ------------------------------------------------------------


def test_domains_are_most_confident_first_and_confidences_are_probabilities():
    result = suggest(
        ListingText(
            "Peer support group",
            "A weekly peer support group for people "
            "with lived experience of mental ill health; safe, "
            "non-judgemental and confidential.",
        )
    )
    confidences = [d.confidence for d in result.domains]
    assert confidences == sorted(confidences, reverse=True)
    assert all(0.5 <= c <= 1 for c in confidences)
    assert result.domains[0].code == "cared_for"


def test_same_input_same_answer_and_json_ready():
    listing = ListingText("Men's Shed", "Woodwork, repairs and a chat; open Tuesday mornings.")
    first, second = suggest(listing), suggest(listing)
    assert first == second
    data = json.loads(json.dumps(first.as_dict()))
    assert set(data) == {"domains", "kind", "not_social", "not_social_confidence", "reason"}
    assert all(set(d) == {"code", "confidence", "reason"} for d in data["domains"])
    assert isinstance(first, Suggestion)


def test_long_and_hostile_text_is_read():
    big = "<div>" * 10_000 + ("Walking group with tea &amp;amp; chat. " * 4_000) + "</div>"
    # Not timed (timings belong in bench/): the input is cut to a bounded length first.
    result = suggest(ListingText("x" * 100_000, big, tuple("k" * 50 for _ in range(1_000))))
    assert "involvement" in result.domain_codes


# --- the rule file ----------------------------------------------------------------------


def test_the_rule_file_loads_and_every_domain_and_kind_can_be_suggested():
    rules = load_rules()
    assert {code for rule in rules.rules for code in rule.domains} == set(DOMAIN_NAMES)
    assert {code for rule in rules.rules for code in rule.kinds} == set(KINDS)
    assert len(rules.not_social) >= 5
    assert 0 < rules.domain_threshold < 1


def test_a_rule_naming_an_unknown_domain_is_refused():
    with pytest.raises(ValueError, match="unknown domains"):
        _parse_rules(
            {
                "gathering": ["group"],
                "not_social": [],
                "rules": [{"id": "x", "patterns": ["x"], "domains": {"friends": 0.5}}],
            }
        )


def test_a_rule_muting_an_unknown_rule_is_refused():
    with pytest.raises(ValueError, match="mutes an unknown"):
        _parse_rules(
            {
                "gathering": ["group"],
                "not_social": [],
                "rules": [
                    {
                        "id": "x",
                        "patterns": ["x"],
                        "domains": {"cared_for": 0.5},
                        "mutes": {"involvement": ["nope"]},
                    }
                ],
            }
        )


def test_a_custom_rule_set_can_be_passed_in():
    rules = _parse_rules(
        {
            "gathering": ["group"],
            "not_social": [],
            "rules": [
                {
                    "id": "chess",
                    "label": "chess",
                    "patterns": ["chess"],
                    "domains": {"identity": 0.9},
                    "kind": {"group": 0.5},
                }
            ],
        }
    )
    result = suggest(ListingText("Chess", "Chess for all"), rules)
    assert result.domain_codes == ["identity"]
    assert result.domains[0].reason == "mentions “chess” → Identity and common bond"


# --- the evaluation ---------------------------------------------------------------------


def test_the_evaluation_runs_on_the_held_out_labels_and_reports_figures():
    report = suggestion_eval.evaluate("held_out")
    assert report.records >= 100
    figures = report.as_dict()
    assert set(figures["domains"]) == set(DOMAIN_NAMES)
    for value in (
        figures["overall"]["precision"],
        figures["overall"]["recall"],
        figures["not_social"]["recall"],
        figures["kind_accuracy"],
    ):
        assert 0 <= value <= 1
    # A broken suggester (everything "not social") would show as zero recall here.
    assert figures["overall"]["recall"] > 0.3
    table = suggestion_eval.markdown_table(report)
    assert table.count("\n") == 2 + len(DOMAIN_NAMES) + 3 - 1
    assert isinstance(report.meets_targets, bool)


def test_the_labels_are_well_formed_and_the_splits_large_enough():
    records = suggestion_eval.load_labels()
    assert len(records) >= 150
    assert len({r["id"] for r in records}) == len(records)
    assert sum(r["split"] == "held_out" for r in records) >= 100
    for record in records:
        assert set(record["domains"]) <= set(DOMAIN_NAMES)
        assert record["not_social"] == (not record["domains"])
        assert record["kind"] in (*KINDS, None)
        if record["not_social"]:
            assert record["kind"] is None or record["name"] == "Art Club"


def test_the_latest_held_out_set_is_large_mixed_and_separate_from_tuning():
    records = suggestion_eval.load_labels()
    latest = [r for r in records if r["split"] == suggestion_eval.LATEST_HELD_OUT]
    assert len(latest) >= 100
    social = sum(not r["not_social"] for r in latest)
    assert 0.35 <= social / len(latest) <= 0.65
    assert suggestion_eval.LATEST_HELD_OUT not in suggestion_eval.TUNING_SPLITS
    # Written as feeds carry them: some in HTML, some one-liners.
    assert sum("<p>" in r["description"] for r in latest) >= 15
    assert sum(len(r["description"]) < 120 for r in latest) >= 5


def test_the_evaluation_script_prints_json(capsys):
    assert suggestion_eval.main(["--split", "tune", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["split"] == "tune" and printed["records"] > 0
