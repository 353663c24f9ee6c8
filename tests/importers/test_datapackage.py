"""Importing HSDS CSV datapackages.

The realfeeds fixture, HSDS 3 tables, the row-by-row report, and hostile packages (zip
bombs, unsafe names, long fields, missing files, encodings), each refused with a message
and nothing written.
"""

from __future__ import annotations

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from sqlalchemy import func, select

from directory.models import ImportSource, Listing
from importers.datapackage import DatapackageError, Limits, run_datapackage

FIXTURE = Path(__file__).resolve().parents[1] / "data" / "realfeeds" / "hsds_datapackage"
ORG = "9c62ac31-c890-5e22-acf3-373ed918cbe2"


def table(header: list[str], *rows: list[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue().encode()


def descriptor(*names: str, **encodings: str) -> bytes:
    resources = []
    for name in names:
        resource = {"name": name.removesuffix(".csv"), "path": name}
        if name in encodings:
            resource["encoding"] = encodings[name]
        resources.append(resource)
    return json.dumps({"name": "test", "resources": resources}).encode()


def small_package(services: bytes | None = None, **extra: bytes) -> dict[str, bytes]:
    """A two-service HSDS 2 package in Plymouth, as {file name: bytes}."""
    files = {
        "organizations.csv": table(["id", "name", "url"], [ORG, "Plymouth Mind", ""]),
        "services.csv": services
        if services is not None
        else table(
            ["id", "organization_id", "name", "description", "status", "email"],
            ["svc-a", ORG, "Hearing Voices Group", "<p>A peer support group.</p>", "active", ""],
            ["svc-b", ORG, "Walking Group", "Gentle walks &amp; a chat.", "active", ""],
        ),
        "locations.csv": table(["id", "name"], ["loc-1", "Hub"]),
        "physical_addresses.csv": table(
            ["id", "location_id", "address_1", "city", "postal_code"],
            ["ad-1", "loc-1", "1 Hoe Road", "Plymouth", "PL4 8AA"],
        ),
        "service_at_locations.csv": table(
            ["id", "service_id", "location_id"], ["sal-a", "svc-a", "loc-1"]
        ),
        "regular_schedules.csv": table(
            ["id", "service_id", "location_id", "weekday", "opens_at", "closes_at"],
            ["rs-1", "svc-a", "loc-1", "2", "18:00", "19:30"],
            ["rs-2", "svc-b", "", "Saturday", "10:00", "11:00"],
        ),
        "phones.csv": table(["id", "service_id", "number"], ["ph-1", "svc-a", "01752 000000"]),
        **extra,
    }
    files.setdefault("datapackage.json", descriptor(*[n for n in files if n.endswith(".csv")]))
    return files


def zipped(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


def listings(db) -> int:
    return db.session.scalar(select(func.count()).select_from(Listing))


def run(db, locator, content: bytes, **options):
    return run_datapackage(
        db.session,
        None,
        content=content,
        filename="pkg.zip",
        actor=None,
        locator=locator,
        **options,
    )


def test_the_realfeeds_package_imports_every_service_with_places_and_times(db, locator):
    summary = run_datapackage(db.session, FIXTURE, actor=None, locator=locator)
    assert (summary.created, summary.rejected) == (30, 0)
    walk = db.session.scalar(select(Listing).where(Listing.source_id == FIXTURE_WALK))
    assert walk.organisation.name == "Plymouth Mind"
    assert walk.phone == "01632 960300"
    assert [loc.postcode for loc in walk.locations] == ["PL4 7AZ"]
    assert walk.locations[0].latitude is not None
    assert [(s.freq, s.byday) for s in walk.schedules] == [("WEEKLY", "MO")]
    assert walk.published is False  # an untrusted source waits for a moderator
    source = db.session.scalar(
        select(ImportSource).where(ImportSource.name == "hsds:hsds_datapackage")
    )
    assert source.kind == "openreferral" and source.last_summary["created"] == 30
    # Importing the same package again changes nothing.
    again = run_datapackage(db.session, FIXTURE, actor=None, locator=locator)
    assert (again.created, again.unchanged) == (0, 30)


FIXTURE_WALK = "fffc8616-14a1-53d9-88c9-34f5332e9ea9"


def test_a_zipped_package_in_a_folder_and_its_datapackage_json_both_import(db, locator, tmp_path):
    files = {f"export/{p.name}": p.read_bytes() for p in FIXTURE.iterdir()}
    path = tmp_path / "export.zip"
    path.write_bytes(zipped(files))
    summary = run_datapackage(db.session, path, actor=None, locator=locator, dry_run=True)
    assert summary.created == 30 and listings(db) == 0
    summary = run_datapackage(
        db.session, FIXTURE / "datapackage.json", actor=None, locator=locator, dry_run=True
    )
    assert summary.created == 30


def test_hsds2_weekday_numbers_schedules_links_and_phones(db, locator):
    summary = run(db, locator, zipped(small_package()))
    assert (summary.created, summary.rejected) == (2, 0), summary.errors
    voices = db.session.scalar(select(Listing).where(Listing.source_id == "svc-a"))
    assert "A peer support group." in voices.description
    assert voices.phone == "01752 000000"
    assert [(s.byday, s.opens_at.isoformat()) for s in voices.schedules] == [("TU", "18:00:00")]
    assert voices.schedules[0].location is voices.locations[0]
    walk = db.session.scalar(select(Listing).where(Listing.source_id == "svc-b"))
    assert [s.byday for s in walk.schedules] == ["SA"] and walk.locations == []


def test_hsds3_tables_schedules_addresses_attributes_and_languages(db, locator):
    files = {
        "organizations.csv": table(["id", "name", "website"], [ORG, "Plymouth Mind", ""]),
        "services.csv": table(
            ["id", "organization_id", "name", "description", "minimum_age"],
            ["s3", ORG, "Peer Café", "Tea and peer support.", "18"],
        ),
        "locations.csv": table(["id", "name", "location_type"], ["l3", "Café", "physical"]),
        "addresses.csv": table(
            ["id", "location_id", "address_type", "address_1", "city", "postal_code"],
            ["a-post", "l3", "postal", "PO Box 1", "Plymouth", "PL4 8AA"],
            ["a-phys", "l3", "physical", "2 Hoe Road", "Plymouth", "PL4 8AA"],
        ),
        "service_at_locations.csv": table(["id", "service_id", "location_id"], ["x3", "s3", "l3"]),
        "schedules.csv": table(
            [
                "id",
                "service_id",
                "service_at_location_id",
                "freq",
                "interval",
                "byday",
                "opens_at",
                "closes_at",
            ],
            ["sc", "s3", "x3", "WEEKLY", "2", "TH", "14:00", "16:00"],
        ),
        "taxonomy_terms.csv": table(
            ["id", "code", "name", "taxonomy"],
            ["t1", "cared_for", "Cared for and accepted", "civic_domain"],
            ["t2", "", "Befriending", "local"],
        ),
        "attributes.csv": table(
            ["id", "link_id", "link_type", "taxonomy_term_id"],
            ["at1", "s3", "service", "t1"],
            ["at2", "s3", "service", "t2"],
        ),
        "languages.csv": table(["id", "service_id", "name"], ["lg", "s3", "Polish"]),
    }
    files["datapackage.json"] = descriptor(*files)
    summary = run(db, locator, zipped(files))
    assert (summary.created, summary.rejected) == (1, 0), summary.errors
    cafe = db.session.scalar(select(Listing).where(Listing.source_id == "s3"))
    assert cafe.locations[0].address_1 == "2 Hoe Road"
    assert [(s.interval, s.byday) for s in cafe.schedules] == [(2, "TH")]
    assert "cared_for" in cafe.domain_codes
    assert "Befriending" in cafe.tags
    assert cafe.languages == ["Polish"] and cafe.min_age == 18


def test_each_problem_names_the_csv_file_and_row(db, locator):
    services = table(
        ["id", "organization_id", "name", "description"],
        ["ok-1", ORG, "Good group", "Fine."],
        ["no-name", ORG, "", "Nameless."],
        ["ok-1", ORG, "Same id again", "Duplicate."],
        ["", ORG, "No id", "Unidentified."],
        ["no-org", "nobody", "Orphan", "No organisation."],
    )
    extra = {
        "regular_schedules.csv": table(
            ["id", "service_id", "weekday", "opens_at", "closes_at"],
            ["r1", "ghost", "Monday", "10:00", "11:00"],
            ["r2", "ok-1", "Funday", "10:00", "11:00"],
        )
    }
    summary = run(db, locator, zipped(small_package(services, **extra)))
    assert summary.created == 1 and summary.rejected == 4
    problems = {str(p.row): p.reason for p in summary.errors}
    assert problems["services.csv row 3 (service no-name)"] == "the service has no name"
    assert "is used again (services.csv row 2 has it)" in problems["services.csv row 4"]
    assert problems["services.csv row 5"] == "the service has no id"
    assert problems["services.csv row 6 (service no-org)"] == "the service has no organisation"
    notes = [str(p) for p in summary.warnings]
    assert (
        "regular_schedules.csv row 2: service ghost is not in the services file; ignored." in notes
    )
    assert any(n.startswith("regular_schedules.csv row 3: weekday 'Funday'") for n in notes)


def test_encodings_bom_declared_and_cp1252_fallback(db, locator):
    header = ["id", "organization_id", "name", "description"]
    bom = b"\xef\xbb\xbf" + table(header, ["bom", ORG, "Café Club", "Tea."])
    summary = run(db, locator, zipped(small_package(bom)))
    assert summary.created == 1
    assert db.session.scalar(select(Listing.name).where(Listing.source_id == "bom")) == "Café Club"

    cp = table(header, ["cp", ORG, "Crêpe Club", "£2 a week."]).decode().encode("cp1252")
    summary = run(db, locator, zipped(small_package(cp)), source_name="cp")
    assert any(
        "services.csv is not UTF-8, so it was read as Windows-1252" in n for n in summary.notes
    )
    assert db.session.scalar(select(Listing.name).where(Listing.source_id == "cp")) == "Crêpe Club"

    files = small_package(cp)
    files["datapackage.json"] = descriptor(
        *[n for n in files if n.endswith(".csv")], **{"services.csv": "windows-1252"}
    )
    summary = run(db, locator, zipped(files), source_name="declared")
    assert summary.created == 1 and not any("not UTF-8" in n for n in summary.notes)

    files["datapackage.json"] = descriptor(
        *[n for n in files if n.endswith(".csv")], **{"services.csv": "ebcdic"}
    )
    with pytest.raises(DatapackageError, match="encoding is 'ebcdic'"):
        run(db, locator, zipped(files), source_name="odd")

    files["datapackage.json"] = descriptor(
        *[n for n in files if n.endswith(".csv")], **{"services.csv": "utf-8"}
    )
    with pytest.raises(
        DatapackageError, match="services.csv is not utf-8 text, as datapackage.json says"
    ):
        run(db, locator, zipped(files), source_name="wrong")


def refused(db, locator, content: bytes, match: str, **options) -> None:
    before = listings(db)
    with pytest.raises(DatapackageError, match=match):
        run(db, locator, content, **options)
    assert listings(db) == before  # nothing half-written


def test_a_zip_bomb_stops_at_the_size_limit_and_the_member_count(db, locator):
    bomb = small_package(**{"notes.csv": b"0" * (3 * 1024 * 1024)})
    refused(
        db,
        locator,
        zipped(bomb),
        "unpacks to 3 MiB, more than the 2 MiB",
        limits=Limits(total_bytes=2 * 1024 * 1024),
    )
    many = small_package(**{f"extra{n}.txt": b"x" for n in range(20)})
    refused(
        db, locator, zipped(many), "holds 28 files, more than the 10", limits=Limits(members=10)
    )


def test_a_member_bigger_than_its_header_claims_is_cut_off(db, locator):
    content = bytearray(zipped(small_package()))
    # Shrink the size services.csv declares in the central directory to 10 bytes.
    info = zipfile.ZipFile(io.BytesIO(bytes(content))).getinfo("services.csv")
    start = 0
    while True:
        start = content.find(b"PK\x01\x02", start)
        name_length = int.from_bytes(content[start + 28 : start + 30], "little")
        if content[start + 46 : start + 46 + name_length] == b"services.csv":
            break
        start += 4
    content[start + 24 : start + 28] = (10).to_bytes(4, "little")
    assert info.file_size > 10
    refused(db, locator, bytes(content), "services.csv")


@pytest.mark.parametrize("name", ["../services.csv", "/etc/services.csv", "a/../../x.csv"])
def test_a_name_climbing_out_of_the_package_refuses_it(db, locator, name):
    refused(db, locator, zipped(small_package(**{name: b"id\n"})), "points outside the package")


def test_a_descriptor_path_or_link_out_of_a_folder_is_never_read(db, locator, tmp_path):
    secret = tmp_path / "secret.csv"
    secret.write_text("id,name\nx,Secret\n")
    folder = tmp_path / "pkg"
    folder.mkdir()
    for name, content in small_package().items():
        (folder / name).write_bytes(content)
    (folder / "datapackage.json").write_bytes(
        json.dumps({"resources": [{"name": "services", "path": "../secret.csv"}]}).encode()
    )
    with pytest.raises(DatapackageError, match="points outside the package"):
        run_datapackage(db.session, folder, actor=None, locator=locator)
    # A link named like a table but pointing outside the folder is not part of the package.
    (folder / "datapackage.json").unlink()
    (folder / "services.csv").unlink()
    (folder / "services.csv").symlink_to(secret)
    with pytest.raises(DatapackageError, match="no datapackage.json or services.csv"):
        run_datapackage(db.session, folder, actor=None, locator=locator)
    assert listings(db) == 0


def test_a_field_over_128_kib_is_refused_with_its_row(db, locator):
    services = table(
        ["id", "organization_id", "name", "description"],
        ["ok", ORG, "Fine", "Short."],
        ["big", ORG, "Huge", "x" * (128 * 1024 + 1)],
    )
    refused(
        db,
        locator,
        zipped(small_package(services)),
        r"services.csv row 3: a field is longer than 128 KiB",
    )


def test_missing_files_and_broken_packages_are_refused_with_a_message(db, locator):
    files = small_package()
    del files["services.csv"]
    refused(db, locator, zipped(files), "lists services.csv but the package has no such file")
    files["datapackage.json"] = descriptor("organizations.csv")
    refused(db, locator, zipped(files), "has no services table")
    refused(db, locator, zipped({"readme.txt": b"hello"}), "isn't an HSDS datapackage")
    refused(db, locator, b"not a zip at all", "is not a zip file")
    files = small_package()
    files["datapackage.json"] = b"{" * 10_000
    refused(db, locator, zipped(files), "datapackage.json is not valid JSON")
    files["datapackage.json"] = json.dumps(
        {"resources": [{"name": "services", "path": "https://example.org/services.csv"}]}
    ).encode()
    refused(db, locator, zipped(files), "is a web address")
    files = small_package(services=b"")
    refused(db, locator, zipped(files), "services.csv is empty")
    files = small_package(services=b'id,name\nx,"never closed\n')
    refused(db, locator, zipped(files), "services.csv row 2")


def test_a_package_without_a_descriptor_is_read_by_table_names(db, locator):
    files = small_package()
    del files["datapackage.json"]
    summary = run(db, locator, zipped({f"top/{k}": v for k, v in files.items()}))
    assert summary.created == 2
    assert "no datapackage.json" in summary.notes[0]


def test_a_refused_package_is_recorded_on_a_known_source(db, locator):
    run(db, locator, zipped(small_package()), source_name="council")
    with pytest.raises(DatapackageError):
        run(db, locator, b"junk", source_name="council")
    source = db.session.scalar(select(ImportSource).where(ImportSource.name == "council"))
    assert "is not a zip file" in source.last_error


def test_the_cli_imports_a_package_and_explains_a_refusal(runner, tmp_path):
    result = runner.invoke(args=["import", "datapackage", str(FIXTURE), "--dry-run"])
    assert result.exit_code == 0, result.output
    assert "Dry run, nothing written: 30 created" in result.output
    bad = tmp_path / "bad.zip"
    bad.write_bytes(b"junk")
    result = runner.invoke(args=["import", "datapackage", str(bad)])
    assert result.exit_code == 1
    assert "bad.zip is not a zip file that can be read." in result.output
