"""Importing HSDS CSV datapackages: ``datapackage.json`` and a CSV file per table.

A package comes as a folder or a zip (the bulk format US 211s and HSDS tools publish).
The tables are joined into Open Referral UK service records, the shape
:func:`importers.openreferral.import_openreferral` takes, and imported through it: the
same listing input schema, the same moderation rules and the same row-by-row report,
with each problem naming the CSV file and row it came from. Anything the ORUK importer
learns (clean text, places, suggested domains) applies to datapackages too.

Everything in a package is hostile until checked, and checked before anything is written:

- a zip may hold at most :attr:`Limits.members` files and :attr:`Limits.total_bytes`
  uncompressed (a zip bomb stops at the limit, whatever its headers claim);
- file names that climb out of the package (``../``, absolute paths, links pointing
  outside a folder) refuse the package;
- a CSV field longer than :data:`FIELD_LIMIT` (128 KiB) or a file over
  :attr:`Limits.rows` rows refuses it, naming the file and row;
- text is read as UTF-8 (a byte-order mark is fine) or the encoding the package
  declares; a file that is not UTF-8 and declares nothing is read as Windows-1252, with
  a note, as that is what spreadsheet programs save;
- a missing ``services.csv``, or a file ``datapackage.json`` lists but the package
  lacks, refuses it.

The services file is read twice (once to check it, once to import from it) and the
other tables are kept as small per-service indexes, so memory follows the package's
size limit, not the number of services written.
"""

from __future__ import annotations

import codecs
import csv
import io
import json
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import IO, Any

from sqlalchemy.orm import Session

from directory.models import User
from directory.rules.listing_input import SCHEDULE_OUTPUT
from importers.openreferral import Document, FeedError, import_openreferral
from importers.runner import (
    ImportSummary,
    Locator,
    Progress,
    RowProblem,
    complete_run,
    find_or_create_source,
    run_with_progress,
)

# The csv module's own default, stated: a field longer than this refuses the package.
FIELD_LIMIT = 128 * 1024


@dataclass(frozen=True)
class Limits:
    """How much of a package is read before it is refused."""

    total_bytes: int = 200 * 1024 * 1024  # uncompressed, all files together
    members: int = 500  # files in a zip
    rows: int = 500_000  # rows in one CSV file
    descriptor_bytes: int = 1024 * 1024  # datapackage.json


class DatapackageError(FeedError):
    """A package that can't be imported at all; nothing of it is written."""


# The HSDS tables read, by resource name (HSDS 2 and 3 names, and ORUK 1.0 singulars).
TABLES = {
    "organizations": "organizations",
    "organization": "organizations",
    "services": "services",
    "service": "services",
    "locations": "locations",
    "location": "locations",
    "physical_addresses": "addresses",
    "physical_address": "addresses",
    "addresses": "addresses",
    "address": "addresses",
    "service_at_locations": "service_at_locations",
    "service_at_location": "service_at_locations",
    "regular_schedules": "regular_schedules",
    "regular_schedule": "regular_schedules",
    "schedules": "schedules",
    "schedule": "schedules",
    "phones": "phones",
    "phone": "phones",
    "contacts": "contacts",
    "contact": "contacts",
    "taxonomy_terms": "taxonomy_terms",
    "taxonomy_term": "taxonomy_terms",
    "service_taxonomies": "service_taxonomies",
    "service_taxonomy": "service_taxonomies",
    "attributes": "attributes",
    "attribute": "attributes",
    "languages": "languages",
    "language": "languages",
    "cost_options": "cost_options",
    "cost_option": "cost_options",
}

WEEKDAYS = ("MO", "TU", "WE", "TH", "FR", "SA", "SU")
_DAY_WORDS = {
    **{
        name: code
        for name, code in zip(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
            WEEKDAYS,
            strict=True,
        )
    },
    **{code.lower(): code for code in WEEKDAYS},
    **{
        name[:3]: code
        for name, code in zip(
            ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"),
            WEEKDAYS,
            strict=True,
        )
    },
    # HSDS 2 gives the weekday as a number: 1 is Monday (ISO 8601), 7 Sunday.
    **{str(n): code for n, code in enumerate(WEEKDAYS, start=1)},
}

ENCODINGS = {
    "utf-8": "utf-8-sig",
    "utf8": "utf-8-sig",
    "utf-8-sig": "utf-8-sig",
    "windows-1252": "cp1252",
    "cp1252": "cp1252",
    "iso-8859-1": "latin-1",
    "latin-1": "latin-1",
    "latin1": "latin-1",
}


# --------------------------------------------------------------------------- files


def _unsafe(name: str) -> bool:
    """True for a member name that would climb out of the package or isn't relative."""
    if "\\" in name or "\x00" in name or name.startswith("/") or (len(name) > 1 and name[1] == ":"):
        return True
    return any(part == ".." for part in PurePosixPath(name).parts)


class _Counted(io.RawIOBase):
    """A binary stream that refuses to give more than ``limit`` bytes."""

    def __init__(self, raw: IO[bytes], limit: int, name: str, what: str) -> None:
        self.raw = raw
        self.left = limit
        self.name_ = name
        self.what = what

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:  # type: ignore[override]
        try:
            data = self.raw.read(min(len(buffer), max(self.left + 1, 1)))
        except (zipfile.BadZipFile, zlib.error, EOFError, NotImplementedError) as error:
            raise DatapackageError(
                f"{self.name_} is damaged ({error}); nothing was imported."
            ) from None
        self.left -= len(data)
        if self.left < 0:
            raise DatapackageError(
                f"{self.name_} is larger than {self.what}; nothing was imported."
            )
        buffer[: len(data)] = data
        return len(data)

    def close(self) -> None:
        self.raw.close()
        super().close()


class Package:
    """The files of a datapackage, a folder or a zip, read within :class:`Limits`."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.sizes: dict[str, int] = {}  # package path -> size in bytes

    def open(self, name: str) -> IO[bytes]:
        raise NotImplementedError

    def close(self) -> None:
        pass

    def read(self, name: str, limit: int) -> bytes:
        with self.open(name) as stream:
            data = stream.read(limit + 1)
        if len(data) > limit:
            raise DatapackageError(f"{name} is larger than {limit // 1024} KiB.")
        return data

    def check_size(self, label: str) -> None:
        total = sum(self.sizes.values())
        if total > self.limits.total_bytes:
            raise DatapackageError(
                f"{label} unpacks to {total // (1024 * 1024)} MiB, more than the "
                f"{self.limits.total_bytes // (1024 * 1024)} MiB a package may hold; "
                "nothing was imported."
            )


class ZipPackage(Package):
    """A zipped package, read member by member without unpacking it to disk."""

    def __init__(self, source: str | Path | IO[bytes], label: str, limits: Limits) -> None:
        super().__init__(limits)
        try:
            self.zip = zipfile.ZipFile(source)
        except (zipfile.BadZipFile, zipfile.LargeZipFile, EOFError, ValueError):
            raise DatapackageError(f"{label} is not a zip file that can be read.") from None
        except OSError as error:
            raise DatapackageError(f"Couldn't read {label}: {error.strerror or error}.") from None
        members = self.zip.infolist()
        if len(members) > limits.members:
            self.zip.close()
            raise DatapackageError(
                f"{label} holds {len(members)} files, more than the {limits.members} a "
                "package may hold; nothing was imported."
            )
        for info in members:
            if _unsafe(info.filename):
                self.zip.close()
                raise DatapackageError(
                    f"{label} has a file named {info.filename[:200]!r}, which points outside "
                    "the package; nothing was imported."
                )
            if info.is_dir():
                continue
            if info.flag_bits & 0x1:
                self.zip.close()
                raise DatapackageError(f"{label} is password-protected; nothing was imported.")
            self.sizes[info.filename] = info.file_size
        self.check_size(label)

    def open(self, name: str) -> IO[bytes]:
        size = self.sizes[name]
        try:
            raw = self.zip.open(name)
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, ValueError) as error:
            raise DatapackageError(f"{name} can't be unpacked: {error}.") from None
        # The header's size is a claim: the stream stops there whatever it really holds.
        return io.BufferedReader(_Counted(raw, size, name, "its zip header says"))

    def close(self) -> None:
        self.zip.close()


class FolderPackage(Package):
    """A package unpacked in a folder; nothing outside the folder is read."""

    def __init__(self, root: Path, label: str, limits: Limits) -> None:
        super().__init__(limits)
        self.root = root.resolve()
        count = 0
        for path in sorted(self.root.rglob("*")):
            count += 1
            if count > limits.members:
                raise DatapackageError(
                    f"{label} holds more than {limits.members} files; nothing was imported."
                )
            if not path.is_file():
                continue
            real = path.resolve()
            if not real.is_relative_to(self.root):
                continue  # a link out of the folder is never read
            self.sizes[path.relative_to(self.root).as_posix()] = real.stat().st_size
        self.check_size(label)

    def open(self, name: str) -> IO[bytes]:
        path = (self.root / name).resolve()
        if not path.is_relative_to(self.root):
            raise DatapackageError(f"{name} points outside the package.")
        return io.BufferedReader(_Counted(path.open("rb"), self.sizes[name], name, "it was"))


def open_package(
    location: str | Path | None, content: bytes | None, label: str, limits: Limits
) -> Package:
    """The package at a folder, a ``datapackage.json`` or a zip file, or in ``content``."""
    if content is not None:
        return ZipPackage(io.BytesIO(content), label, limits)
    path = Path(location or "")
    if path.is_dir():
        return FolderPackage(path, label, limits)
    if path.name == "datapackage.json" and path.is_file():
        return FolderPackage(path.parent, label, limits)
    if not path.exists():
        raise DatapackageError(f"{label} doesn't exist.")
    return ZipPackage(path, label, limits)


# --------------------------------------------------------------------------- tables


@dataclass
class Resource:
    """One table of the package: where its files are and how they are encoded."""

    table: str
    paths: list[str]
    encoding: str | None = None
    delimiter: str = ","


def _root(package: Package, label: str) -> tuple[str, bool]:
    """The folder inside the package holding datapackage.json (or services.csv).

    Also returns whether there is a datapackage.json at all.
    """
    for wanted, described in (("datapackage.json", True), ("services.csv", False)):
        found = sorted(
            (name for name in package.sizes if PurePosixPath(name).name == wanted),
            key=lambda n: (n.count("/"), n),
        )
        if found:
            parent = str(PurePosixPath(found[0]).parent)
            return ("" if parent == "." else parent + "/"), described
    raise DatapackageError(
        f"{label} has no datapackage.json or services.csv, so it isn't an HSDS datapackage."
    )


def _descriptor_resources(package: Package, root: str, label: str) -> list[Resource]:
    raw = package.read(root + "datapackage.json", package.limits.descriptor_bytes)
    try:
        descriptor = json.loads(raw.decode("utf-8-sig"))
    except (ValueError, RecursionError):
        raise DatapackageError("datapackage.json is not valid JSON.") from None
    resources = descriptor.get("resources") if isinstance(descriptor, dict) else None
    if not isinstance(resources, list):
        raise DatapackageError("datapackage.json has no list of resources.")
    found: list[Resource] = []
    for position, resource in enumerate(resources, start=1):
        if not isinstance(resource, dict):
            continue
        paths = resource.get("path")
        paths = [paths] if isinstance(paths, str) else paths
        if not isinstance(paths, list) or not all(isinstance(p, str) for p in paths) or not paths:
            continue
        name = resource.get("name") if isinstance(resource.get("name"), str) else ""
        table = TABLES.get(name.lower()) or TABLES.get(PurePosixPath(paths[0]).stem.lower())
        if table is None:
            continue  # a table we don't read (holiday schedules, funding, ...)
        _check_resource_paths(package, root, paths, position, name)
        encoding = resource.get("encoding")
        found.append(
            Resource(
                table,
                [root + p for p in paths],
                encoding if isinstance(encoding, str) else None,
                _delimiter(resource),
            )
        )
    return found


def _check_resource_paths(
    package: Package, root: str, paths: list[str], position: int, name: str
) -> None:
    """Refuse a resource's paths that are web addresses, leave the package or are absent."""
    for path in paths:
        if path.lower().startswith(("http://", "https://", "ftp://")):
            raise DatapackageError(
                f"datapackage.json resource {position} ({name or path}) is a web address; "
                "only files inside the package are read."
            )
        if _unsafe(path):
            raise DatapackageError(
                f"datapackage.json resource {position} names {path[:200]!r}, which points "
                "outside the package; nothing was imported."
            )
        if root + path not in package.sizes:
            raise DatapackageError(
                f"datapackage.json lists {path[:200]} but the package has no such file; "
                "nothing was imported."
            )


def _delimiter(resource: dict) -> str:
    """The resource's CSV delimiter (its dialect's, if one character), else a comma."""
    dialect = resource.get("dialect") if isinstance(resource.get("dialect"), dict) else {}
    delimiter = dialect.get("delimiter", ",")
    if not (isinstance(delimiter, str) and len(delimiter) == 1):
        delimiter = ","
    return delimiter


def _conventional_resources(package: Package, root: str) -> list[Resource]:
    found = []
    for name in sorted(package.sizes):
        if name.startswith(root) and "/" not in name[len(root) :] and name.endswith(".csv"):
            table = TABLES.get(PurePosixPath(name).stem.lower())
            if table:
                found.append(Resource(table, [name]))
    return found


class Tables:
    """Reads the package's CSV tables as (file name, row number, row) with every check."""

    def __init__(self, package: Package, label: str) -> None:
        self.package = package
        self.notes: list[str] = []
        root, described = _root(package, label)
        if described:
            resources = _descriptor_resources(package, root, label)
        else:
            resources = _conventional_resources(package, root)
            self.notes.append(
                "The package has no datapackage.json; its files were read by their HSDS names."
            )
        self.resources: dict[str, Resource] = {}
        for resource in resources:
            # physical_addresses (HSDS 2) and addresses (HSDS 3) are one table here.
            if resource.table in self.resources:
                self.resources[resource.table].paths += resource.paths
            else:
                self.resources[resource.table] = resource
        if "services" not in self.resources:
            raise DatapackageError(
                "The package has no services table (services.csv), so there is nothing to import."
            )
        self._encodings: dict[str, str] = {}

    def has(self, table: str) -> bool:
        return table in self.resources

    def _encoding(self, path: str, declared: str | None) -> str:
        """The codec for ``path``: the declared one, else UTF-8 or Windows-1252.

        UTF-8 if the bytes are UTF-8, else Windows-1252 (what spreadsheet programs save),
        with a note.
        """
        if path in self._encodings:
            return self._encodings[path]
        name = PurePosixPath(path).name
        if declared:
            codec = ENCODINGS.get(declared.strip().lower())
            if codec is None:
                raise DatapackageError(
                    f"{name} says its encoding is {declared[:40]!r}; we read UTF-8 or "
                    "Windows-1252. Save it as UTF-8 and try again."
                )
        else:
            codec = "utf-8-sig"
            decoder = codecs.getincrementaldecoder("utf-8")()
            with self.package.open(path) as stream:
                try:
                    while chunk := stream.read(64 * 1024):
                        decoder.decode(chunk)
                    decoder.decode(b"", final=True)
                except UnicodeDecodeError:
                    codec = "cp1252"
                    self.notes.append(
                        f"{name} is not UTF-8, so it was read as Windows-1252 (cp1252); "
                        "check that accented letters and symbols came through."
                    )
        self._encodings[path] = codec
        return codec

    def rows(self, table: str) -> Iterator[tuple[str, int, dict[str, str]]]:
        """Each row of ``table`` as (file name, row number, {column: text}).

        The row number counts the header as 1; columns are lower-cased and text stripped.
        """
        resource = self.resources.get(table)
        if resource is None:
            return
        for path in resource.paths:
            yield from self._file_rows(path, resource)

    def _file_rows(self, path: str, resource: Resource) -> Iterator[tuple[str, int, dict]]:
        name = PurePosixPath(path).name
        codec = self._encoding(path, resource.encoding)
        number = 0
        limit = self.package.limits.rows
        with self.package.open(path) as raw:
            text = io.TextIOWrapper(raw, encoding=codec, newline="")
            reader = csv.reader(text, delimiter=resource.delimiter, strict=True)
            header: list[str] | None = None
            try:
                for values in reader:
                    number += 1
                    _check_field_lengths(values, name, number)
                    if header is None:
                        header = [h.strip().lstrip("\ufeff").lower() for h in values]
                        continue
                    if number > limit + 1:
                        raise DatapackageError(
                            f"{name} has more than {limit:,} rows; nothing was imported."
                        )
                    if not any(v.strip() for v in values):
                        continue
                    yield (
                        name,
                        number,
                        {key: value.strip() for key, value in zip(header, values, strict=False)},
                    )
            except csv.Error as error:
                problem = str(error)
                if "field larger than field limit" in problem:
                    problem = f"a field is longer than {FIELD_LIMIT // 1024} KiB"
                raise DatapackageError(
                    f"{name} row {number + 1}: {problem}; nothing was imported."
                ) from None
            except UnicodeDecodeError:
                said = resource.encoding or "UTF-8"
                raise DatapackageError(
                    f"{name} is not {said[:40]} text, as datapackage.json says it is; "
                    "nothing was imported."
                ) from None
            if header is None:
                raise DatapackageError(f"{name} is empty; it needs a header row.")


# --------------------------------------------------------------------------- joining


def _check_field_lengths(values: list[str], name: str, number: int) -> None:
    """Refuse a row with a field longer than :data:`FIELD_LIMIT`."""
    for value in values:
        if len(value) > FIELD_LIMIT:
            raise DatapackageError(
                f"{name} row {number}: a field is longer than "
                f"{FIELD_LIMIT // 1024} KiB; nothing was imported."
            )


def _put(index: dict[str, list], key: str | None, value: Any) -> None:
    if key:
        index.setdefault(key, []).append(value)


def _blank_none(row: dict[str, str], *keys: str) -> str | None:
    for key in keys:
        if row.get(key):
            return row[key]
    return None


def _weekday(text: str | None) -> str | None:
    if not text:
        return None
    return _DAY_WORDS.get(text.strip().lower().rstrip("."))


@dataclass
class Joined:
    """The package's other tables, indexed by the service (or thing) they belong to."""

    organisations: dict[str, dict] = field(default_factory=dict)
    locations: dict[str, dict] = field(default_factory=dict)
    addresses: dict[str, dict] = field(default_factory=dict)
    service_locations: dict[str, list] = field(default_factory=dict)
    schedules: dict[str, list] = field(default_factory=dict)
    phones: dict[str, list] = field(default_factory=dict)
    contact_phones: dict[str, list] = field(default_factory=dict)
    contacts: dict[str, list] = field(default_factory=dict)
    terms: dict[str, dict] = field(default_factory=dict)
    service_terms: dict[str, list] = field(default_factory=dict)
    languages: dict[str, list] = field(default_factory=dict)
    costs: dict[str, list] = field(default_factory=dict)


class Reader:
    """Reads a package: checks it whole, then gives its services as ORUK records."""

    def __init__(self, package: Package, label: str) -> None:
        self.tables = Tables(package, label)
        self.warnings: list[RowProblem] = []
        self.where: dict[str, str] = {}  # service id -> "services.csv row N"
        # Rows without an id, by their position among the services imported: the ORUK
        # importer calls them "record N".
        self.unnamed: dict[str, str] = {}
        self.duplicates: list[RowProblem] = []
        self.count = 0
        self.joined = Joined()
        self._check_services()
        self._index()

    def _ignored(self, name: str, number: int, reason: str) -> None:
        self.warnings.append(RowProblem(f"{name} row {number}", "", reason))

    def _check_services(self) -> None:
        """First pass over services: every row readable, ids unique."""
        for name, number, row in self.tables.rows("services"):
            service_id = row.get("id", "")[:200]
            if service_id and service_id in self.where:
                self.duplicates.append(
                    RowProblem(
                        f"{name} row {number}",
                        "id",
                        f"{service_id} is used again ({self.where[service_id]} has it); "
                        "this row was not imported.",
                    )
                )
                continue
            self.count += 1
            if service_id:
                self.where[service_id] = f"{name} row {number}"
            else:
                self.unnamed[f"record {self.count}"] = f"{name} row {number}"

    def _service_of(self, row: dict[str, str], sal: dict[str, str]) -> str | None:
        service_id = row.get("service_id") or sal.get(row.get("service_at_location_id", ""))
        return service_id or None

    def _index(self) -> None:
        """Index the other tables by service; rows for services not in the package are noted."""
        self._index_places()
        sal_service = self._index_service_locations()
        self._index_schedules(sal_service)
        self._index_contacts()
        self._index_terms()
        self._index_languages_and_costs()

    def _index_places(self) -> None:
        """Organisations, locations and their addresses (a physical one first)."""
        j = self.joined
        for _, _, row in self.tables.rows("organizations"):
            if row.get("id"):
                j.organisations[row["id"]] = {
                    "id": row["id"],
                    "name": row.get("name", ""),
                    "description": row.get("description", ""),
                    "email": row.get("email") or None,
                    "website": _blank_none(row, "website", "url"),
                }
        for _, _, row in self.tables.rows("locations"):
            if row.get("id"):
                j.locations[row["id"]] = {
                    "id": row["id"],
                    "name": row.get("name") or None,
                    "location_type": (row.get("location_type") or "physical").lower(),
                    "latitude": _float(row.get("latitude")),
                    "longitude": _float(row.get("longitude")),
                }
        for _, _, row in self.tables.rows("addresses"):
            kind = (row.get("address_type") or "physical").lower()
            location_id = row.get("location_id")
            if not location_id or (kind != "physical" and location_id in j.addresses):
                continue
            if kind == "physical" or location_id not in j.addresses:
                j.addresses[location_id] = {
                    "address_type": "physical",
                    "address_1": row.get("address_1", ""),
                    "address_2": row.get("address_2") or None,
                    "city": row.get("city", ""),
                    "postal_code": row.get("postal_code", ""),
                }

    def _index_service_locations(self) -> dict[str, str]:
        """Each service's locations; returns the service of each service_at_location id."""
        j = self.joined
        known = self.where
        sal_service: dict[str, str] = {}
        for name, number, row in self.tables.rows("service_at_locations"):
            service_id, location_id = row.get("service_id"), row.get("location_id")
            if service_id not in known:
                self._ignored(
                    name,
                    number,
                    f"service {service_id or '(none)'} is not in the services file; ignored.",
                )
                continue
            if location_id not in j.locations:
                self._ignored(
                    name,
                    number,
                    f"location {location_id or '(none)'} is not in the locations file; ignored.",
                )
                continue
            if row.get("id"):
                sal_service[row["id"]] = service_id
            _put(j.service_locations, service_id, (row.get("id") or location_id, location_id))
        return sal_service

    def _index_schedules(self, sal_service: dict[str, str]) -> None:
        """Each service's schedules, given directly or through a service_at_location."""
        j = self.joined
        known = self.where
        for table in ("regular_schedules", "schedules"):
            for name, number, row in self.tables.rows(table):
                service_id = self._service_of(row, sal_service)
                if service_id is None:
                    continue  # a location's opening hours, not a service's times
                if service_id not in known:
                    self._ignored(
                        name, number, f"service {service_id} is not in the services file; ignored."
                    )
                    continue
                schedule = _schedule(row, table)
                if schedule is None:
                    self._ignored(
                        name,
                        number,
                        f"weekday {row.get('weekday', '')[:20]!r} "
                        "is not a day of the week; ignored.",
                    )
                    continue
                _put(j.schedules, service_id, schedule)

    def _index_contacts(self) -> None:
        """Each service's phones and contacts (a contact's phones by contact)."""
        j = self.joined
        known = self.where
        for _, _, row in self.tables.rows("phones"):
            number_text = row.get("number")
            if not number_text:
                continue
            if row.get("service_id") in known:
                _put(j.phones, row["service_id"], number_text)
            elif row.get("contact_id"):
                _put(j.contact_phones, row["contact_id"], number_text)
        for _, _, row in self.tables.rows("contacts"):
            # Only the contact's link and phones are kept: a named person's e-mail address
            # is theirs, not the service's.
            if row.get("service_id") in known and row.get("id"):
                _put(j.contacts, row["service_id"], row["id"])

    def _index_terms(self) -> None:
        """Taxonomy terms, and each service's terms (from service_taxonomies and attributes)."""
        j = self.joined
        known = self.where
        for _, _, row in self.tables.rows("taxonomy_terms"):
            if row.get("id"):
                j.terms[row["id"]] = {
                    key: value
                    for key, value in {
                        "id": row["id"],
                        "term": _blank_none(row, "term", "name"),
                        "name": _blank_none(row, "name", "term"),
                        "code": row.get("code") or None,
                        "taxonomy": _blank_none(row, "taxonomy", "vocabulary", "taxonomy_id"),
                    }.items()
                    if value
                }
        for _, _, row in self.tables.rows("service_taxonomies"):
            term = _blank_none(row, "taxonomy_term_id", "taxonomy_id")
            if row.get("service_id") in known and term:
                _put(j.service_terms, row["service_id"], term)
        for _, _, row in self.tables.rows("attributes"):
            link = row.get("link_id") or row.get("service_id")
            link_type = (row.get("link_type") or row.get("link_entity") or "service").lower()
            if link in known and link_type == "service" and row.get("taxonomy_term_id"):
                _put(j.service_terms, link, row["taxonomy_term_id"])

    def _index_languages_and_costs(self) -> None:
        """Each service's languages and cost options."""
        j = self.joined
        known = self.where
        for _, _, row in self.tables.rows("languages"):
            language = _blank_none(row, "name", "language")
            if row.get("service_id") in known and language:
                _put(j.languages, row["service_id"], language)
        for _, _, row in self.tables.rows("cost_options"):
            if row.get("service_id") in known:
                _put(
                    j.costs,
                    row["service_id"],
                    {
                        "amount": _float(row.get("amount")),
                        "amount_description": row.get("amount_description") or None,
                    },
                )

    # -- records

    def services(self) -> Iterator[dict[str, Any]]:
        """The services file again, each row joined into an ORUK service record."""
        seen: set[str] = set()
        for _, _, row in self.tables.rows("services"):
            service_id = row.get("id", "")[:200]
            if service_id and service_id in seen:
                continue  # in self.duplicates, reported as rejected
            seen.add(service_id)
            yield self.record(row)

    def record(self, row: dict[str, str]) -> dict[str, Any]:
        """One services.csv row as an ORUK service record."""
        j = self.joined
        service_id = row.get("id", "")
        organisation = j.organisations.get(row.get("organization_id", ""))
        record: dict[str, Any] = {
            "id": service_id,
            "name": row.get("name", ""),
            "description": row.get("description", ""),
            "url": row.get("url") or None,
            "email": row.get("email") or None,
            "status": row.get("status") or "active",
            "minimum_age": row.get("minimum_age") or None,
            "maximum_age": row.get("maximum_age") or None,
            "assured_date": row.get("assured_date") or None,
            "last_modified": row.get("last_modified") or None,
        }
        if organisation is not None:
            record["organization"] = organisation
        locations = []
        for sal_id, location_id in j.service_locations.get(service_id, []):
            location = dict(j.locations[location_id])
            address = j.addresses.get(location_id)
            location["addresses"] = [address] if address else []
            locations.append({"id": sal_id, "location": location})
        record["service_at_locations"] = locations
        record["schedules"] = j.schedules.get(service_id, [])
        record["phones"] = [{"number": n} for n in j.phones.get(service_id, [])]
        record["contacts"] = [
            {"phones": [{"number": n} for n in j.contact_phones.get(c, [])]}
            for c in j.contacts.get(service_id, [])
        ]
        record["attributes"] = [
            {"taxonomy_term": j.terms.get(term_id) or {"id": term_id}}
            for term_id in j.service_terms.get(service_id, [])
        ]
        record["languages"] = [{"name": n} for n in j.languages.get(service_id, [])]
        costs = list(j.costs.get(service_id, []))
        if not costs and row.get("fees"):
            costs = [{"amount_description": row["fees"]}]
        record["cost_options"] = costs
        return record


def _float(text: str | None) -> float | None:
    try:
        return float(text) if text else None
    except ValueError:
        return None


def _schedule(row: dict[str, str], table: str) -> dict[str, Any] | None:
    """An HSDS schedule row as an ORUK schedule; None for an unreadable day.

    Either an HSDS 2 regular_schedules row (weekday, opens_at, closes_at) or an HSDS 3
    schedules row (freq, byday, ...).
    """
    link = row.get("service_at_location_id") or row.get("location_id") or None
    if table == "regular_schedules":
        day = _weekday(row.get("weekday"))
        if day is None:
            return None
        return {
            "freq": "WEEKLY",
            "interval": 1,
            "byday": day,
            "opens_at": row.get("opens_at") or None,
            "closes_at": row.get("closes_at") or None,
            "service_at_location_id": link,
        }
    return {
        **{key: row.get(key) or None for key in SCHEDULE_OUTPUT},
        "service_at_location_id": link,
    }


# --------------------------------------------------------------------------- importing


class Services:
    """The package's services as a sized, re-readable sequence for the ORUK importer."""

    def __init__(self, reader: Reader) -> None:
        self.reader = reader

    def __len__(self) -> int:
        return self.reader.count

    def __iter__(self) -> Iterator[dict[str, Any]]:
        return self.reader.services()


def read_package(
    location: str | Path | None,
    *,
    content: bytes | None = None,
    label: str | None = None,
    limits: Limits | None = None,
) -> tuple[Package, Reader]:
    """Open and check a package whole; the caller closes it.

    Raises :class:`DatapackageError` saying why it can't be imported.
    """
    label = label or Path(str(location)).name
    package = open_package(location, content, label, limits or Limits())
    try:
        return package, Reader(package, label)
    except (DatapackageError, OSError) as error:
        package.close()
        if isinstance(error, OSError):
            raise DatapackageError(f"Couldn't read {label}: {error.strerror or error}.") from None
        raise


def _relabel(problems: list[RowProblem], labels: dict[str, str]) -> list[RowProblem]:
    """Problems named after the CSV row the service came from, not only its id."""
    out = []
    for problem in problems:
        label = labels.get(str(problem.row))
        out.append(RowProblem(label, problem.column, problem.reason) if label else problem)
    return out


def import_datapackage(
    session: Session,
    reader: Reader,
    source,
    *,
    actor: User | None,
    locator: Locator,
    dry_run: bool = False,
    progress: Progress | None = None,
) -> ImportSummary:
    """Import a checked package's services through the ORUK importer from ``source``."""
    services = Services(reader)
    summary = import_openreferral(
        session,
        Document(services=services),  # type: ignore[arg-type]
        source,
        actor=actor,
        locator=locator,
        dry_run=dry_run,
        progress=progress,
    )
    labels = {f"service {sid}": f"{where} (service {sid})" for sid, where in reader.where.items()}
    labels.update(reader.unnamed)
    summary.errors = reader.duplicates + _relabel(summary.errors, labels)
    summary.rejected += len(reader.duplicates)
    summary.warnings = reader.warnings + _relabel(summary.warnings, labels)
    summary.notes = reader.tables.notes + summary.notes
    return summary


def run_datapackage(
    session: Session,
    location: str | Path | None,
    *,
    actor: User | None,
    locator: Locator,
    content: bytes | None = None,
    filename: str | None = None,
    source_name: str | None = None,
    trusted: bool | None = None,
    dry_run: bool = False,
    progress_factory: Callable[[int], Any] | None = None,
    limits: Limits | None = None,
) -> ImportSummary:
    """Check and import an HSDS datapackage: at ``location``, or in ``content``.

    ``location`` is a folder, its ``datapackage.json`` or a zip; ``content`` an uploaded
    zip. The whole package is checked before anything is written; a package that can't
    be imported raises :class:`DatapackageError` (recorded on the source when it has been
    imported before) and writes no listing.
    """
    label = filename or Path(str(location)).name
    if Path(label).name == "datapackage.json" and location is not None:
        label = Path(str(location)).resolve().parent.name
    name = source_name or f"hsds:{label}"
    try:
        package, reader = read_package(location, content=content, label=label, limits=limits)
    except DatapackageError as error:
        _record_failure(session, name, str(error), dry_run)
        raise
    try:
        source = find_or_create_source(session, name, "openreferral")
        if trusted is not None:
            source.trusted = trusted
        if dry_run:
            session.flush()
        else:
            session.commit()
        summary = run_with_progress(
            len(Services(reader)),
            progress_factory,
            lambda progress=None: import_datapackage(
                session,
                reader,
                source,
                actor=actor,
                locator=locator,
                dry_run=dry_run,
                progress=progress,
            ),
        )
    finally:
        package.close()
    return complete_run(session, source, summary, dry_run=dry_run)


def _record_failure(session: Session, name: str, problem: str, dry_run: bool) -> None:
    """Say on a known source why its latest package was refused."""
    from sqlalchemy import select

    from directory.models import ImportSource

    source = session.scalar(select(ImportSource).where(ImportSource.name == name[:100]))
    if source is not None and not dry_run:
        source.last_error = problem
        session.commit()


__all__ = [
    "FIELD_LIMIT",
    "DatapackageError",
    "Limits",
    "read_package",
    "run_datapackage",
]
