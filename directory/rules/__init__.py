"""The directory's rules, each in one home, as plain functions on plain data.

Nothing here imports Flask, a database session or a product area (an import-linter
contract in pyproject.toml keeps it so); views, services, importers and the search
engines call these functions rather than restating them. Tests for each module sit in
``tests/rules/test_<module>.py``.

- :mod:`~directory.rules.visibility`: which listings anyone may see.
- :mod:`~directory.rules.ranking`: "best match" weights and signals, text-field weights,
  and the bound the SQL index's early stop relies on.
- :mod:`~directory.rules.freshness`: the freshness intervals (from
  ``FRESHNESS_INTERVALS``), the reminder ladder, "out of date", hidden from search, and
  the freshness signal of ranking.
- :mod:`~directory.rules.plan_selection`: the CIVIC-balanced plan.
- :mod:`~directory.rules.aggregates`: rating aggregates (the Bayesian-adjusted score).
- :mod:`~directory.rules.permissions`: who may do what.
- :mod:`~directory.rules.text`: cleaning listing text from any source (HTML, entities,
  web addresses) and suggestions.
- :mod:`~directory.rules.listing_input`: what a valid listing is (one schema for the
  form, the importers and the API).
- :mod:`~directory.rules.unmet_need`: what unmet need keeps (outward code, domain,
  provision filters) and which searches and plans count.
- :mod:`~directory.rules.disclosure`: statistical disclosure control (counts under 5
  are suppressed).
- :mod:`~directory.rules.churn`: the moments of a listing's life the loss history keeps.
- :mod:`~directory.rules.periods`: the periods and quarters of commissioners' insights.
"""
