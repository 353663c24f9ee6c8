"""Gunicorn settings for running the directory behind a TLS-terminating proxy.

    gunicorn -c deploy/gunicorn.conf.py wsgi:app

- ``Server``: gunicorn sends ``Server: gunicorn`` itself, without its version (the app
  can't remove it; a header set by the app would be sent as a second one). To send none
  at all, have the proxy drop it (nginx: ``proxy_hide_header Server;`` and
  ``server_tokens off;``).
- HTTPS: the proxy terminates TLS and says so in ``X-Forwarded-Proto``. Gunicorn believes
  that header only from the addresses in ``forwarded_allow_ips`` (the proxy), and then
  the app sees the request as secure: it sends ``Strict-Transport-Security`` and secure
  cookies. Put the proxy's address here if it isn't on this machine.
- Host: the app answers only to the hosts in ``DIRECTORY_TRUSTED_HOSTS`` (by default the
  host of ``DIRECTORY_BASE_URL``), so have the proxy pass the client's ``Host`` on
  (nginx: ``proxy_set_header Host $host;``).

Every setting can be overridden on the command line (``--workers 8``) or with
``GUNICORN_CMD_ARGS``.
"""

import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", "4"))
# The proxy on this machine; a comma-separated list of addresses if it is elsewhere.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}
