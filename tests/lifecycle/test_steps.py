"""Adding a listing in short steps, "Check your answers" and the duplicate warning."""

from __future__ import annotations

import datetime as dt
import re
from html.parser import HTMLParser

import pytest
from sqlalchemy import func, select
from werkzeug.datastructures import MultiDict

from directory.models import Listing, Location, Schedule, Term
from directory.schedules import DEFAULT_ANCHOR
from directory.vocabularies import term_id
from tests.conftest import PINNED_NOW, next_weekday
from tests.lifecycle.conftest import NEXT_TUESDAY


class _Form(HTMLParser):
    """The fields a browser would send from the page's listing form (not its buttons)."""

    def __init__(self) -> None:
        super().__init__()
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._options: list[tuple[str, bool]] = []
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list) -> None:
        a = {k: (v if v is not None else "") for k, v in attrs}
        if tag == "form" and "/listings/new" in a.get("action", ""):
            self.inside = True
        if not self.inside:
            return
        name = a.get("name")
        if tag == "input" and name and name != "action":
            kind = a.get("type", "text")
            if kind in ("checkbox", "radio") and "checked" not in a:
                return
            self.fields.append((name, a.get("value", "on")))
        elif tag == "select" and name:
            self._select, self._options = name, []
        elif tag == "option" and self._select:
            self._options.append((a.get("value", ""), "selected" in a))
        elif tag == "textarea" and name:
            self._textarea, self._text = name, []

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "select" and self._select:
            chosen = [v for v, selected in self._options if selected] or [self._options[0][0]]
            self.fields.append((self._select, chosen[0]))
            self._select = None
        elif tag == "textarea" and self._textarea:
            self.fields.append((self._textarea, "".join(self._text).lstrip("\n")))
            self._textarea = None
        elif tag == "form":
            self.inside = False


def press(client, page, url: str, action: str = "continue", **typed):
    """Post the page's listing form as a browser would, after typing ``typed``.

    Values replace what the form held for that name (a list for several checkboxes).
    """
    parser = _Form()
    parser.feed(page.get_data(as_text=True))
    fields = [(n, v) for n, v in parser.fields if n not in typed]
    for name, value in typed.items():
        fields += [(name, v) for v in (value if isinstance(value, list) else [value])]
    return client.post(url, data=MultiDict([*fields, ("action", action)]))


ABOUT = {
    "kind": "group",
    "name": "Hearing Voices Peer Group",
    "summary": "A peer group for people who hear voices.",
    "description": "A peer support group: tea and mutual support with people who understand.",
}
WHEN = {
    "schedules-0-pattern": "fortnightly",
    "schedules-0-day": "TU",
    "schedules-0-next_date": NEXT_TUESDAY.isoformat(),
    "schedules-0-opens_at": "18:30",
    "schedules-0-closes_at": "20:00",
}
WHERE = {"attendance": "in_person", "locations-0-name": "Devonport Hall",
         "locations-0-postcode": "pl4 8aa"}  # fmt: skip
JOINING = {"how_to_join": "drop_in", "cost": "free"}


def new_url(editor) -> str:
    return f"/organisations/{editor.organisation.id}/listings/new"


def walk_to(editor, step: str, **changes):
    """The page of ``step``, reached by answering each step before it as a poster would."""
    url = new_url(editor)
    page = editor.get(url)
    for code, answers in (("about", ABOUT), ("domains", {"domains": ["cared_for"]}),
                          ("when", WHEN), ("where", WHERE), ("joining", JOINING),
                          ("suits", {})):  # fmt: skip
        if code == step:
            return page
        page = press(editor, page, url, **{**answers, **changes.get(code, {})})
        assert page.status_code == 200, page.get_data(as_text=True)
    return page


def count(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Listing))


def test_each_step_asks_a_few_questions_and_keeps_the_others_hidden(editor, db):
    page = editor.get(new_url(editor)).get_data(as_text=True)
    assert "What it is" in page and "step 1 of 6" in page
    assert 'name="name" type="text"' in page
    assert "schedules-0-pattern" in page  # carried, hidden
    assert 'type="hidden" name="schedules-0-pattern"' in page
    assert "Which week of the month" not in page
    when = walk_to(editor, "when").get_data(as_text=True)
    assert when.count("<legend") == 1 + when.count("Session 2")  # one session block
    assert "Which week of the month" in when and "civic-if-monthly" in when
    assert "Date of the next session" in when and "civic-if-every-few-weeks" in when
    assert 'value="Hearing Voices Peer Group"' in when  # step 1's answer, kept


def test_add_another_session_keeps_everything_typed(editor, db):
    url = new_url(editor)
    page = walk_to(editor, "when")
    two = press(editor, page, url, "add-session", **WHEN)
    body = two.get_data(as_text=True)
    assert two.status_code == 200
    assert "Session 2" in body and "There is a problem" not in body
    assert f'value="{NEXT_TUESDAY.isoformat()}"' in body and 'value="18:30"' in body
    three = press(editor, two, url, "add-session")
    assert "Session 3" in three.get_data(as_text=True)
    # The empty blocks are no sessions at all.
    page = press(editor, three, url)
    assert page.status_code == 200 and "Where it meets" in page.get_data(as_text=True)


def test_suggested_domains_are_offered_and_ticked_when_accepted(editor, db):
    url = new_url(editor)
    page = walk_to(editor, "domains")
    body = page.get_data(as_text=True)
    assert "From your description, it may help with:" in body
    assert "Cared for and accepted" in body
    ticked = press(editor, page, url, "use-suggested").get_data(as_text=True)
    assert re.search(r'id="domains-cared_for"[^>]*checked', ticked)


@pytest.mark.parametrize(
    ("step", "typed", "field", "message"),
    [
        ("when", {"schedules-0-next_date": ""}, "schedules-0-next_date",
         "Enter the date of the next session"),
        ("when", {"schedules-0-opens_at": "20:00", "schedules-0-closes_at": "18:00"},
         "schedules-0-closes_at", "Closing time must be after opening time"),
        ("when", {"schedules-0-next_date": (NEXT_TUESDAY + dt.timedelta(days=1)).isoformat()},
         "schedules-0-next_date", "is a Wednesday. Enter the date of the next Tuesday session."),
        ("where", {"locations-0-postcode": "PL4 9ZZ"}, "locations-0-postcode",
         "We couldn&#39;t find PL4 9ZZ"),
        ("where", {"locations-0-postcode": ""}, "locations-0-postcode", "Enter the postcode."),
        ("about", {"name": ""}, "name", "Enter a name."),
    ],
)  # fmt: skip
def test_bad_input_is_told_at_the_field_and_what_was_typed_is_kept(
    editor, db, step, typed, field, message
):
    page = walk_to(editor, step)
    answers = {"about": ABOUT, "when": WHEN, "where": WHERE}[step]
    response = press(editor, page, new_url(editor), **{**answers, **typed})
    body = response.get_data(as_text=True)
    assert response.status_code == 400
    assert "There is a problem" in body and f'href="#{field}"' in body
    # The message is beside the field, inside its form group.
    assert re.search(rf'id="{field}-error">.*{re.escape(message)}', body), body
    assert 'value="A peer group for people who hear voices."' in body  # earlier steps kept
    kept = [v for k, v in typed.items() if v] or [v for k, v in answers.items() if k != field]
    for value in kept:
        assert f'value="{value}"' in body or f"{value}</textarea>" in body
    assert count(db) == 0


def test_check_your_answers_then_send(editor, db):
    page = walk_to(editor, "check")
    body = page.get_data(as_text=True)
    assert "Check your answers before sending your listing" in body
    assert "Hearing Voices Peer Group" in body and "Every other Tuesday, 18:30 to 20:00" in body
    assert "Cared for and accepted" in body and "Devonport Hall, PL4 8AA" in body
    assert "Is it already listed?" not in body
    assert count(db) == 0
    # Change a step: it comes back to the answers, keeping everything.
    change = press(editor, page, new_url(editor), "change-about")
    assert "Save and check your answers" in change.get_data(as_text=True)
    again = press(editor, change, new_url(editor), name="Hearing Voices Group")
    assert "Check your answers" in again.get_data(as_text=True)
    assert "Hearing Voices Group" in again.get_data(as_text=True)
    sent = press(editor, again, new_url(editor), "submit")
    assert sent.status_code == 302
    listing = db.session.scalar(select(Listing))
    assert listing.name == "Hearing Voices Group" and listing.published is False
    [schedule] = listing.schedules
    assert (schedule.interval, schedule.byday, schedule.dtstart) == (2, "TU", NEXT_TUESDAY)
    assert listing.locations[0].postcode == "PL4 8AA"


def _off_the_default_fortnight(day: dt.date) -> dt.date:
    """The first Tuesday from ``day`` in the weeks a fortnightly guess would *not* pick."""
    tuesday = next_weekday(day, 1)
    weeks = (tuesday - DEFAULT_ANCHOR).days // 7
    return tuesday if weeks % 2 else tuesday + dt.timedelta(days=7)


def test_fortnightly_printed_dates_follow_the_date_the_poster_gave(editor, db, client):
    editor.organisation.trusted = True  # published at once, so the public page shows it
    given = _off_the_default_fortnight(PINNED_NOW.date() + dt.timedelta(days=3))
    page = walk_to(editor, "check", when={"schedules-0-next_date": given.isoformat()})
    fortnight = [given + dt.timedelta(days=14 * i) for i in range(3)]
    words = [f"Tuesday {d.day} {d:%B} {d.year}" for d in fortnight]
    assert f"Next: {'; '.join(words)}" in page.get_data(as_text=True)
    assert press(editor, page, new_url(editor), "submit").status_code == 302
    listing = db.session.scalar(select(Listing))
    public = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    printed = "; ".join(f"{d.day} {d:%B %Y} at 18:30" for d in fortnight)
    assert f"Next: {printed}</p>" in public
    between = given + dt.timedelta(days=7)
    assert f"{between.day} {between:%B %Y}" not in public


def test_a_likely_duplicate_is_shown_before_sending_and_the_poster_may_go_on(
    editor, db, make_listing
):
    existing = make_listing(name="Hearing voices peer group", organisation=editor.organisation)
    db.session.commit()
    page = walk_to(editor, "check")
    body = page.get_data(as_text=True)
    assert "Is it already listed?" in body
    assert f'href="/listings/{existing.id}"' in body and "same organisation" in body
    assert f'href="/organisations/{editor.organisation.id}/manage">Stop' in body
    assert "It&#39;s a different one: send listing" in body
    assert press(editor, page, new_url(editor), "submit").status_code == 302
    assert count(db) == 2


def test_another_organisations_unpublished_listing_is_not_named(
    editor, db, make_listing, make_organisation
):
    other = make_organisation(name="Elsewhere")
    make_listing(name="Hearing voices peer group", organisation=other, published=False)
    db.session.commit()
    assert "Is it already listed?" not in walk_to(editor, "check").get_data(as_text=True)


def test_editing_an_imported_fortnightly_session_shows_the_dates_it_prints(editor, db, client):
    """A schedule with no date of its own (imported) keeps its weeks through an edit."""
    listing = make_fortnightly(editor, db)
    page = editor.get(f"/listings/{listing.id}/edit")
    body = page.get_data(as_text=True)
    printed = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    shown = re.search(r'name="schedules-0-next_date"[^>]*value="([\d-]+)"', body)
    assert shown, body
    first = dt.date.fromisoformat(shown.group(1))
    assert f"Next: {first.day} {first:%B %Y} at 10:00" in printed
    assert "Session 2" not in body and "Add another session" in body
    response = editor.post(
        f"/listings/{listing.id}/edit", data=MultiDict([*_fields(page), ("action", "save")])
    )
    assert response.status_code == 302
    assert listing.schedules[0].dtstart == first
    after = client.get(f"/listings/{listing.id}").get_data(as_text=True)
    assert f"Next: {first.day} {first:%B %Y} at 10:00" in after


def make_fortnightly(editor, db) -> Listing:
    editor.organisation.trusted = True
    listing = Listing(organisation=editor.organisation, kind="group", name="Imported walk",
                      summary="A walk.", description="A walking group.", cost="free",
                      how_to_join="drop_in", published=True)  # fmt: skip
    db.session.add(listing)
    listing.terms = [db.session.get(Term, term_id("civic_domain", "involvement"))]
    listing.locations = [Location(address_1="1 Fore Street", city="Plymouth", postcode="PL4 8AA",
                                  latitude=50.3755, longitude=-4.129)]  # fmt: skip
    listing.schedules = [Schedule(position=0, freq="WEEKLY", interval=2, byday="TU",
                                  opens_at=dt.time(10), closes_at=dt.time(12))]  # fmt: skip
    db.session.commit()
    return listing


def _fields(page) -> list[tuple[str, str]]:
    parser = _EditForm()
    parser.feed(page.get_data(as_text=True))
    return parser.fields


class _EditForm(_Form):
    """The edit page's form (it posts to itself, with no action)."""

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "form" and dict(attrs).get("method") == "post" and not dict(attrs).get("action"):
            self.inside = True
            return
        super().handle_starttag(tag, attrs)


@pytest.mark.parametrize(
    "junk",
    [
        {"step": "nowhere", "action": "continue"},
        {"step": "when", "action": "change-nowhere"},
        {"step": "when", "action": "add-everything"},
        {"step": "check", "action": "submit", "schedules-0-pattern": "hourly"},
        {"step": "when", **{f"schedules-{i}-pattern": "weekly" for i in range(0, 40, 3)}},
        {"step": "when", "action": "add-session", **{f"schedules-{i}-day": "TU" for i in range(9)}},
        {"step": "when", "schedules-0-pattern": "fortnightly", "schedules-0-day": "XX",
         "schedules-0-next_date": "2026-02-30"},
        {"step": "when", "schedules-0-pattern": "every_4_weeks", "schedules-0-day": "TU",
         "schedules-0-next_date": "tomorrow"},
        {"step": "where", "locations-0-postcode": "\x00" * 20, "attendance": "both"},
        {"step": "check", "action": "check", "domains": ["nonsense"]},
    ],
)  # fmt: skip
def test_no_input_breaks_a_step(editor, db, junk):
    response = editor.post(new_url(editor), data={**ABOUT, **junk})
    assert response.status_code in (200, 400)
    assert count(db) == 0
