"""Importers for Open Referral UK feeds, spreadsheets and calendars (issue #8)."""
