"""The plan builder's one rule, select_plan, on plain data."""

from __future__ import annotations

import pytest

from directory.rules.plan_selection import (
    NO_ROOM,
    NOTHING,
    OTHER_TIMES,
    TOO_FAR,
    PlanCandidate,
    PlanRequest,
    TimeSlot,
    eligible,
    quality,
    reason_for,
    schedule_fit,
    select_plan,
)

NAMES = {
    "closeness": "Closeness",
    "involvement": "Involvement",
    "cared_for": "Cared for and accepted",
    "beyond": "Connectedness beyond people",
}
TUESDAY_MORNING = TimeSlot(frozenset({"TU"}), frozenset({"morning"}), "Tuesdays 10:00")
MONTHLY_TUESDAY = TimeSlot(frozenset({"TU"}), frozenset({"morning"}), "monthly", weekly=False)
WEDNESDAY_EVENING = TimeSlot(frozenset({"WE"}), frozenset({"evening"}), "Wednesdays 18:00")


def option(name: str, domains: str, km: float = 1.0, **fields) -> PlanCandidate:
    """A candidate called ``name`` covering space-separated ``domains``."""
    values = {"slots": (TUESDAY_MORNING,), "usefulness": 3.0, "delivered_by": "staff"}
    values.update(fields)
    return PlanCandidate(
        id=name.lower().replace(" ", "-"),
        name=name,
        domains=frozenset(domains.split()),
        distance_km=km,
        **values,
    )


def names_of(plan) -> list[str]:
    return [pick.candidate.name for pick in plan.picks]


# -- domain coverage ---------------------------------------------------------------------


def test_one_option_covering_both_domains_beats_two_better_rated_single_ones():
    both = option("Both", "involvement cared_for", km=3.0, usefulness=2.0)
    plan = select_plan(
        [
            option("Walking group", "involvement", usefulness=5.0),
            option("Peer support", "cared_for", usefulness=5.0),
            both,
        ],
        PlanRequest(domains=("involvement", "cared_for"), size=1),
        NAMES,
    )
    assert names_of(plan) == ["Both"]
    assert plan.covered == {"involvement", "cared_for"}
    assert plan.gaps == []


def test_the_plan_covers_every_domain_before_adding_a_second_option_for_one():
    plan = select_plan(
        [
            option("Choir", "involvement", km=0.5, usefulness=5.0),
            option("Walking group", "involvement", km=0.6, usefulness=5.0),
            option("Befriending", "cared_for", km=4.0, usefulness=2.0),
            option("Allotment", "beyond", km=4.5, usefulness=2.0),
        ],
        PlanRequest(domains=("involvement", "cared_for", "beyond"), size=3),
        NAMES,
    )
    assert sorted(names_of(plan)) == ["Allotment", "Befriending", "Choir"]
    assert [pick.covers for pick in plan.picks if pick.candidate.name == "Choir"] == [
        ("involvement",)
    ]


def test_three_options_by_default_and_alternatives_for_each_domain():
    candidates = [option(f"Group {n}", "involvement cared_for", km=n) for n in range(1, 8)]
    plan = select_plan(candidates, PlanRequest(domains=("involvement", "cared_for")), NAMES)
    assert len(plan.picks) == 3
    for domain in ("involvement", "cared_for"):
        alternatives = plan.alternatives[domain]
        assert 1 <= len(alternatives) <= 3
        assert not {a.candidate.id for a in alternatives} & set(plan.ids)
        assert all(a.replaces in plan.ids for a in alternatives)


def test_options_covering_none_of_the_domains_are_never_picked():
    plan = select_plan(
        [option("Choir", "closeness"), option("Walk", "involvement", km=4.0)],
        PlanRequest(domains=("involvement",)),
        NAMES,
    )
    assert names_of(plan) == ["Walk"]


def test_pinned_option_comes_first_and_excluded_one_never_appears():
    near = option("Near", "involvement", km=0.2)
    far = option("Far", "involvement", km=4.0)
    other = option("Other", "involvement", km=1.0)
    plan = select_plan(
        [near, far, other],
        PlanRequest(
            domains=("involvement",), size=2, pinned=("far",), excluded=frozenset({"near"})
        ),
        NAMES,
    )
    assert names_of(plan) == ["Far", "Other"]
    assert plan.picks[0].pinned


def test_the_answer_is_deterministic_whatever_the_order_of_candidates():
    candidates = [option(f"Group {n}", "involvement", km=2.0) for n in range(6)]
    request = PlanRequest(domains=("involvement",))
    first = select_plan(candidates, request, NAMES).ids
    assert select_plan(list(reversed(candidates)), request, NAMES).ids == first


# -- radius --------------------------------------------------------------------------------


def test_options_beyond_the_radius_are_left_out():
    plan = select_plan(
        [option("Inside", "involvement", km=4.9), option("Outside", "involvement", km=5.1)],
        PlanRequest(domains=("involvement",), radius_km=5),
        NAMES,
    )
    assert names_of(plan) == ["Inside"]


def test_a_nearer_option_wins_when_all_else_is_equal():
    plan = select_plan(
        [option("Far", "involvement", km=4.0), option("Near", "involvement", km=0.5)],
        PlanRequest(domains=("involvement",), size=1),
        NAMES,
    )
    assert names_of(plan) == ["Near"]


def test_online_options_count_only_when_online_is_welcome():
    online = option("Online group", "involvement", km=None, online=True, in_person=False)
    assert names_of(select_plan([online], PlanRequest(domains=("involvement",)), NAMES)) == []
    plan = select_plan([online], PlanRequest(domains=("involvement",), online=True), NAMES)
    assert names_of(plan) == ["Online group"]
    assert "online" in plan.picks[0].reason


def test_a_wider_radius_takes_in_more():
    far = option("Far", "involvement", km=8.0)
    assert not eligible(far, PlanRequest(domains=("involvement",), radius_km=5))
    assert eligible(far, PlanRequest(domains=("involvement",), radius_km=10))


# -- schedule fit -------------------------------------------------------------------------


def test_schedule_fit_words():
    free = frozenset({("TU", "morning")})
    tuesday = option("Tue", "involvement")
    wednesday = option("Wed", "involvement", slots=(WEDNESDAY_EVENING,))
    no_times = option(
        "Untimed", "involvement", slots=(TimeSlot(frozenset({"TU"}), frozenset(), "Tuesdays"),)
    )
    unknown = option("Unknown", "involvement", slots=())
    assert schedule_fit(tuesday, frozenset()) == "any"
    assert schedule_fit(tuesday, free) == "yes"
    assert schedule_fit(wednesday, free) == "no"
    assert schedule_fit(no_times, free) == "unknown"
    assert schedule_fit(unknown, free) == "unknown"


def test_options_only_when_the_person_is_busy_are_left_out():
    request = PlanRequest(domains=("involvement",), free=frozenset({("WE", "evening")}))
    plan = select_plan(
        [option("Tuesday group", "involvement"), option("Wednesday group", "involvement", km=4.0,
                                                         slots=(WEDNESDAY_EVENING,))],
        request,
        NAMES,
    )  # fmt: skip
    assert names_of(plan) == ["Wednesday group"]
    assert "Wednesdays 18:00" in plan.picks[0].reason


def test_a_known_fit_beats_unknown_times():
    request = PlanRequest(domains=("involvement",), free=frozenset({("TU", "morning")}), size=1)
    plan = select_plan(
        [option("Unknown times", "involvement", km=1.0, slots=()),
         option("Tuesday morning", "involvement", km=1.0)],
        request,
        NAMES,
    )  # fmt: skip
    assert names_of(plan) == ["Tuesday morning"]


def test_nothing_at_their_times_is_said_plainly_with_the_nearest_at_another_time():
    plan = select_plan(
        [option("Wednesday group", "involvement", km=2.0, slots=(WEDNESDAY_EVENING,))],
        PlanRequest(domains=("involvement",), free=frozenset({("TU", "morning")})),
        NAMES,
    )
    assert plan.picks == []
    (gap,) = plan.gaps
    assert gap.message == (
        "Nothing within 5 km covers Involvement at the times they are free. "
        "The nearest at another time is Wednesday group (Wednesdays 18:00)."
    )
    assert gap.nearest.name == "Wednesday group"
    assert gap.reason == OTHER_TIMES and gap.unmet


# -- network-type defaults (PRODUCT.md) --------------------------------------------------


def test_formal_sparse_prefers_low_threshold_near_home_first_visit_support_peer_led():
    gentle = option(
        "Gentle",
        "involvement",
        km=1.5,
        how_to_join="drop_in",
        first_visit_support=True,
        delivered_by="peers",
        usefulness=3.0,
    )
    formal = option("Formal", "involvement", km=1.0, how_to_join="professional_referral",
                    delivered_by="staff", usefulness=4.0)  # fmt: skip
    request = PlanRequest(domains=("involvement",), size=1)
    assert names_of(select_plan([gentle, formal], request, NAMES)) == ["Formal"]
    sparse = PlanRequest(domains=("involvement",), size=1, network_type="formal_sparse")
    plan = select_plan([gentle, formal], sparse, NAMES)
    assert names_of(plan) == ["Gentle"]
    assert "someone can go with them the first time" in plan.picks[0].reason
    assert "peer-led" in plan.picks[0].reason
    assert plan.notes and plan.notes[0].startswith("Formal and sparse network")


def test_formal_sparse_weighs_near_home_more():
    near = option("Near", "involvement", km=0.5, usefulness=2.0)
    further = option("Further", "involvement", km=4.0, usefulness=5.0)
    assert quality(
        near, PlanRequest(domains=("involvement",), network_type="formal_sparse")
    ) > quality(further, PlanRequest(domains=("involvement",), network_type="formal_sparse"))


def test_family_stable_prefers_places_and_activities_beyond_home():
    group = option("Support group", "involvement", km=1.0, kind="group", usefulness=3.5)
    cafe = option("Community cafe", "involvement", km=1.0, kind="place", usefulness=3.0)
    request = PlanRequest(domains=("involvement",), size=1)
    assert names_of(select_plan([group, cafe], request, NAMES)) == ["Support group"]
    stable = PlanRequest(domains=("involvement",), size=1, network_type="family_stable")
    plan = select_plan([group, cafe], stable, NAMES)
    assert names_of(plan) == ["Community cafe"]
    assert "a place to go" in plan.picks[0].reason


def test_diverse_active_gets_fewer_regular_ongoing_commitments():
    candidates = [
        option("Course", "involvement cared_for", km=0.5, course=True, usefulness=4.0,
               slots=(MONTHLY_TUESDAY,)),
        option("Weekly club", "involvement cared_for", km=1.0, usefulness=3.5),
        option("Another", "involvement", km=1.0),
    ]  # fmt: skip
    request = PlanRequest(domains=("involvement", "cared_for"), size=3)
    assert len(select_plan(candidates, request, NAMES).picks) == 3
    active = PlanRequest(
        domains=("involvement", "cared_for"), size=3, network_type="diverse_active"
    )
    plan = select_plan(candidates, active, NAMES)
    assert names_of(plan) == ["Weekly club"]
    assert "every week" in plan.picks[0].reason and "ongoing" in plan.picks[0].reason


# -- preferences and cost -------------------------------------------------------------------


def test_cost_limit_is_a_hard_rule():
    plan = select_plan(
        [option("Paid", "involvement", km=0.1, cost="paid"), option("Free", "involvement", km=4.0)],
        PlanRequest(domains=("involvement",), cost_limit="free"),
        NAMES,
    )
    assert names_of(plan) == ["Free"]


def test_preferences_tip_the_balance():
    peers = option("Peers", "involvement", km=2.0, delivered_by="peers")
    staff = option("Staff", "involvement", km=1.5, delivered_by="staff")
    request = PlanRequest(domains=("involvement",), size=1, peer_led=True)
    assert names_of(select_plan([peers, staff], request, NAMES)) == ["Peers"]


# -- no coverage --------------------------------------------------------------------------


def test_no_coverage_within_the_radius_says_so_and_names_the_nearest_beyond():
    plan = select_plan(
        [
            option("Walking group", "involvement", km=1.0),
            option("Far farm", "beyond", km=12.5),
            option("Farther sanctuary", "beyond", km=20.0),
        ],
        PlanRequest(domains=("involvement", "beyond"), radius_km=5),
        NAMES,
    )
    assert names_of(plan) == ["Walking group"]
    (gap,) = plan.gaps
    assert gap.domain == "beyond"
    assert gap.message == (
        "Nothing within 5 km covers Connectedness beyond people. "
        "The nearest option is Far farm, 12.5 km away."
    )
    assert gap.nearest.name == "Far farm"
    assert gap.reason == TOO_FAR and gap.unmet


def test_no_coverage_anywhere_is_said_plainly_without_a_suggestion():
    plan = select_plan([], PlanRequest(domains=("closeness",)), NAMES)
    assert plan.picks == []
    (gap,) = plan.gaps
    assert gap.nearest is None
    assert gap.message.startswith("Nothing in the directory covers Closeness")
    assert gap.reason == NOTHING and gap.unmet


def test_a_domain_crowded_out_by_the_plan_size_is_reported_with_the_option_that_would_cover_it():
    plan = select_plan(
        [option("Walk", "involvement", km=0.5), option("Cafe", "beyond", km=0.5)],
        PlanRequest(domains=("involvement", "beyond"), size=1),
        NAMES,
    )
    (gap,) = plan.gaps
    assert "no room left in a plan of 1" in gap.message
    assert gap.nearest is not None and gap.nearest.name not in names_of(plan)
    # Something fits: the need isn't unmet, the plan is just full.
    assert gap.reason == NO_ROOM and not gap.unmet


# -- reasons ------------------------------------------------------------------------------


def test_reason_reads_like_the_issue_example():
    candidate = option("Tea and chat", "involvement cared_for", km=1.2, rating_mean=4.6,
                       rating_count=12)  # fmt: skip
    request = PlanRequest(domains=("involvement", "cared_for"))
    assert reason_for(candidate, request, NAMES) == (
        "covers Involvement and Cared for and accepted; 1.2 km; Tuesdays 10:00; "
        "rated 4.6 by 12 practitioners"
    )


@pytest.mark.parametrize("count, words", [(1, "rated 4.0 by 1 practitioner"), (0, None)])
def test_reason_mentions_ratings_only_when_there_are_some(count, words):
    candidate = option("X", "involvement", rating_mean=4.0 if count else None, rating_count=count)
    reason = reason_for(candidate, PlanRequest(domains=("involvement",)), NAMES)
    assert (words in reason) if words else ("rated" not in reason)


# -- the research's signals: Closeness dose, felt welcome, mainstream options -----------


def test_closeness_prefers_ongoing_groups_running_over_two_months():
    established = option("Established", "closeness", running_days=300)
    short_course = option("Short course", "closeness", course=True, course_weeks=4)
    long_course = option("Long course", "closeness", course=True, course_weeks=10)
    new = option("New group", "closeness", running_days=20)
    plan = select_plan(
        [short_course, new, long_course, established], PlanRequest(domains=("closeness",)), NAMES
    )
    assert names_of(plan)[0] == "Established"
    request = PlanRequest(domains=("closeness",))
    assert quality(established, request) > quality(long_course, request)
    assert quality(long_course, request) > quality(new, request) > quality(short_course, request)
    # Not asked for Closeness: the dose doesn't count.
    other = PlanRequest(domains=("involvement",))
    assert quality(established, other) == pytest.approx(quality(short_course, other))


def test_felt_welcome_counts_in_a_plan_option_quality():
    welcomed = option("Welcomed", "involvement", welcome=4.8)
    unknown = option("Unknown", "involvement", welcome=None)
    cold = option("Cold", "involvement", welcome=1.5)
    request = PlanRequest(domains=("involvement",), size=1)
    assert quality(welcomed, request) > quality(unknown, request) > quality(cold, request)
    assert names_of(select_plan([cold, unknown, welcomed], request, NAMES)) == ["Welcomed"]


def test_formal_sparse_also_offers_a_mainstream_option():
    specific = [
        option(f"Peer group {n}", "involvement", mental_health_focus="specific",
               first_visit_support=True, how_to_join="drop_in", delivered_by="peers", km=0.5)
        for n in range(5)
    ]  # fmt: skip
    mainstream = option("Community choir", "involvement", mental_health_focus="welcoming", km=4.5)
    sparse = PlanRequest(domains=("involvement",), size=1, network_type="formal_sparse")
    plan = select_plan([*specific, mainstream], sparse, NAMES)
    assert names_of(plan)[0].startswith("Peer group")  # first-visit support, near home
    offered = [alt.candidate.name for alt in plan.alternatives["involvement"]]
    assert len(offered) == 3 and "Community choir" in offered
    assert "mainstream and welcoming options are offered too" in plan.notes[0]
    # Other networks get the best three as they come.
    plain = select_plan([*specific, mainstream], PlanRequest(domains=("involvement",), size=1))
    assert "Community choir" not in [a.candidate.name for a in plain.alternatives["involvement"]]
