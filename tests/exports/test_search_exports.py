"""CSV and XLSX of a search: same parameters as /search, every result, safe cells."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from directory.exports.tabular import COLUMNS, as_csv, safe_cell


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ('=HYPERLINK("http://evil")', '\'=HYPERLINK("http://evil")'),
        ("+44 1632 960001", "'+44 1632 960001"),
        ("-2+3", "'-2+3"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\tx", "'\tx"),
        ("Tea & chat = good", "Tea & chat = good"),
        ("", ""),
        (3.5, 3.5),
        (None, None),
    ],
)
def test_safe_cell_stops_formulas(value, expected):
    assert safe_cell(value) == expected


def read_csv(response) -> list[dict]:
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.DictReader(io.StringIO(text.removeprefix("\ufeff"))))


def test_csv_has_every_result_in_search_order(client, feed):
    response = client.get("/search/export.csv?postcode=PL4+8AA&radius_km=50&sort=nearest")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith('attachment; filename="civic-search-')
    rows = read_csv(response)
    assert [row["Name"] for row in rows] == ["Hearing Voices Peer Group", "Wellbeing Walk"]
    peer = rows[0]
    assert peer["Organisation"] == "Plymouth Peer Network"
    assert peer["CIVIC domains"] == "Involvement; Cared for and accepted"
    assert peer["Distance (km)"] == "0.6"
    assert peer["Postcode"] == "PL4 8AA"
    assert peer["Phone"] == "01632 960001"
    assert peer["Who it is for"] == "Carers"
    assert "Tuesday" in peer["When"]
    assert peer["Directory page"].endswith(f"/listings/{feed.peer_group.id}")
    assert list(rows[0]) == [column.heading for column in COLUMNS]


def test_export_ignores_paging_and_takes_the_filters(client, feed):
    rows = read_csv(client.get("/search/export.csv?per_page=1&page=3"))
    assert len(rows) == 3
    rows = read_csv(client.get("/search/export.csv?domain=cared_for&cost=paid"))
    assert [row["Name"] for row in rows] == ["Community Cafe"]
    assert rows[0]["Cost details"] == "£2 for tea and cake"
    assert rows[0]["Distance (km)"] == ""


def test_ratings_are_not_exported(client, feed):
    headings = read_csv(client.get("/search/export.csv"))[0].keys()
    assert not any("rat" in heading.lower() or "useful" in heading.lower() for heading in headings)


def test_xlsx_matches_the_csv(client, feed):
    response = client.get("/search/export.xlsx?domain=involvement")
    assert response.status_code == 200
    assert response.mimetype.endswith("spreadsheetml.sheet")
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    values = [list(row) for row in sheet.iter_rows(values_only=True)]
    assert values[0] == [column.heading for column in COLUMNS]
    assert [row[0] for row in values[1:]] == ["Hearing Voices Peer Group"]
    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.bold


def test_a_formula_in_a_listing_stays_text(client, db, feed):
    feed.cafe.summary = "=1+1"
    db.session.commit()
    rows = read_csv(client.get("/search/export.csv?q=cafe"))
    assert rows[0]["Summary"] == "'=1+1"
    sheet = load_workbook(io.BytesIO(client.get("/search/export.xlsx?q=cafe").get_data())).active
    assert sheet.cell(2, 4).value == "'=1+1" and sheet.cell(2, 4).data_type == "s"


@pytest.mark.parametrize("url", ["/search/export.csv", "/search/export.xlsx"])
@pytest.mark.parametrize(
    "query", ["radius_km=500", "domain=nonsense", "sort=nearest", "postcode=ZZ99+9ZZZ", "page=x"]
)
def test_bad_search_parameters_are_400(client, feed, url, query):
    response = client.get(f"{url}?{query}")
    assert response.status_code == 400


def test_empty_result_is_a_headings_only_file(client, feed):
    text = as_csv([["Name"]]).decode("utf-8")
    assert text == "\ufeffName\r\n"
    assert read_csv(client.get("/search/export.csv?q=zzzzqqq")) == []
