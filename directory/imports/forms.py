"""Forms for the import page."""

from __future__ import annotations

from flask_wtf import FlaskForm
from flask_wtf.file import FileField
from wtforms import BooleanField, HiddenField, SelectField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, Length, Optional

KINDS = [
    SelectChoice("spreadsheet", "Spreadsheet (CSV or XLSX, laid out as the template)"),
    SelectChoice("openreferral", "Open Referral UK JSON (a file, or an ORUK API address)"),
    SelectChoice("calendar", "Calendar (an .ics file, or a calendar feed address)"),
    SelectChoice("datapackage", "HSDS CSV datapackage (a .zip of datapackage.json and CSV files)"),
]


class ImportForm(FlaskForm):
    """What to import, from where, and whether to write it."""

    kind = SelectField("What are you importing?", choices=KINDS)
    upload = FileField("File")
    url = StringField(
        "Or a web address",
        validators=[
            Optional(),
            URL(require_tld=False, message="Enter a web address starting http:// or https://."),
            Length(max=500),
        ],
    )
    organisation = SelectField("Organisation", choices=[], validate_choice=False)
    source = StringField("Source name", validators=[Optional(), Length(max=100)])
    dry_run = BooleanField("Check only: count and report, write nothing")
    # The token of a file checked with a dry run and kept for "Import now" (issue 15).
    kept = HiddenField(validators=[Optional(), Length(max=100)])

    def check(self) -> bool:
        """The rules the fields can't express alone; errors go on the fields."""
        ok = True
        has_file = bool(self.upload.data and getattr(self.upload.data, "filename", ""))
        has_file = has_file or bool(self.kept.data)
        if not has_file and not self.url.data:
            self.upload.errors.append("Choose a file, or give a web address.")
            ok = False
        if has_file and self.url.data:
            self.url.errors.append("Give a file or a web address, not both.")
            ok = False
        if self.kind.data == "spreadsheet" and self.url.data:
            self.url.errors.append("Spreadsheets are imported from a file.")
            ok = False
        if self.kind.data == "datapackage" and self.url.data:
            self.url.errors.append("Datapackages are imported from a zip file.")
            ok = False
        if self.kind.data == "calendar" and not self.organisation.data:
            self.organisation.errors.append("Choose whose calendar this is.")
            ok = False
        return ok


class TrustForm(FlaskForm):
    """Mark a source trusted or not."""

    trusted = BooleanField("Trusted")
