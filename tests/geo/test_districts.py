"""Local authority districts in the postcode table: found by name, with their outward codes."""

from __future__ import annotations

import pytest

from directory.geo import GeocodingError
from directory.geo.districts import name_key, name_keys
from directory.geo.offline import OfflinePostcodeGeocoder


@pytest.fixture
def geocoder(postcode_table):
    return OfflinePostcodeGeocoder(postcode_table)


@pytest.mark.parametrize("typed", ["Nottingham", "nottingham", "  NOTTINGHAM "])
def test_a_district_is_a_place(geocoder, typed):
    found = geocoder.geocode(typed)
    assert (found.matched, found.precision, found.query) == ("Nottingham", "district", typed)
    assert found.latitude == pytest.approx(52.95, abs=0.05)
    assert found.longitude == pytest.approx(-1.16, abs=0.05)


def test_postcodes_still_come_first_and_unknown_names_are_refused(geocoder):
    assert geocoder.geocode("NG7").precision == "outward"
    with pytest.raises(GeocodingError, match="doesn't look like a UK postcode"):
        geocoder.geocode("Atlantis")


def test_a_districts_outward_codes_are_those_mostly_in_it(geocoder):
    codes = geocoder.outward_codes_of_district("Nottingham")
    assert {"NG1", "NG3", "NG5", "NG7", "NG8"} <= set(codes)
    assert "NG10" not in codes  # Long Eaton: Erewash
    assert codes == sorted(codes, key=lambda code: int(code[2:]))  # NG3 before NG11
    assert geocoder.outward_codes_of_district("Atlantis") == []


def test_name_keys():
    assert name_key("Brighton & Hove") == name_key("brighton and hove")
    assert {"bristol", "city of bristol", "bristol city of"} <= name_keys("Bristol, City of")
