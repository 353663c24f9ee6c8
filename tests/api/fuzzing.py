"""Schemathesis over our OpenAPI documents, in-process against the Flask app.

It uses the app's WSGI transport (no server, no network), bounded and deterministic.
Every check schemathesis has is on, response conformance included (status codes, content
types, headers, bodies against their schemas), plus: a 405 must carry ``Allow``, schema-
violating requests must be rejected, schema-valid ones accepted.
"""

from __future__ import annotations

from typing import Any

import schemathesis
from hypothesis import HealthCheck, settings

# Examples per operation in the fuzzing phase; the examples and coverage phases add a
# bounded set of their own. Both documents together run in well under two minutes.
MAX_EXAMPLES = 30

FUZZ_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    derandomize=True,  # the same requests every run
    database=None,  # nothing remembered between runs, so nothing written to the checkout
    deadline=None,  # a slow first request (index warm-up) is not a failure
    # The app's fixtures are function-scoped on purpose: every example shares one test's
    # rolled-back transaction and its seeded listings.
    suppress_health_check=list(HealthCheck),
    print_blob=False,
)

# Schemathesis' default headers come from requests, which offers ``br`` and ``gzip``
# once brotli is installed; its WSGI transport doesn't decode what it asked for, so it
# would validate compressed bytes. The bodies are what is checked here; compression has
# its own tests (tests/static).
UNCOMPRESSED = {"Accept-Encoding": "identity"}


def load(document: dict[str, Any], *, cross_checked: tuple[str, ...] = ()) -> Any:
    """Schemathesis' view of ``document``.

    ``cross_checked`` names paths whose parameters are also checked against each other or
    against data (``minimal`` with ``full``; ``proximity`` without a postcode; a postcode
    that is well formed but not in the postcode table): there a request valid by the
    description alone may get the documented 400, which OpenAPI 3 can't express.
    """
    config = schemathesis.Config.from_dict(
        {
            "seed": 20_250_101,
            "operations": [
                {
                    "include-path": path,
                    "checks": {"positive_data_acceptance": {"expected-statuses": ["2xx", "400"]}},
                }
                for path in cross_checked
            ],
        }
    )
    return schemathesis.openapi.from_dict(document, config=config)
