"""Gunicorn settings for running the directory behind a TLS-terminating proxy.

    gunicorn -c deploy/gunicorn.conf.py wsgi:app

- Processes: ``GUNICORN_WORKERS`` worker processes (default: the CPUs, plus one), each
  with ``GUNICORN_THREADS`` threads (default 4: a page waits on the database, the
  postcode table and sometimes email, and another request can run meanwhile). A page is
  mostly Python's own work (queries, templates), which one process does on one CPU at a
  time, so more processes than CPUs only take turns: under 50 clients on 2 CPUs, 3
  workers served as many pages a second as 5 did, with the slowest 1% of pages taking
  0.6-0.9 s rather than 1.2 s (a client kept waiting on a crowded worker while another had
  room; ``bench.http_load``, 1 December 2026). The app is
  loaded once, before the workers fork (``preload_app``): a bad setting (the default
  secret key) stops the server at start, and the workers share the loaded code's
  memory. Each worker opens its own database connections after the fork.
- Timeouts: a worker silent for ``GUNICORN_TIMEOUT`` seconds (30) is killed and replaced;
  on SIGTERM workers stop taking requests and have ``GUNICORN_GRACEFUL_TIMEOUT`` seconds
  (30) to finish the ones they have. Connections the proxy keeps open wait ``keepalive``
  seconds for their next request. Workers are replaced after about 2,000 requests each,
  so nothing grows for ever. A new release needs a restart: SIGHUP starts new workers
  from the app already loaded, with the old code.
- Logs: the access log (``GUNICORN_ACCESS_LOG``, standard output by default) has no
  query strings and no secret links: postcodes travel in query strings, and those must
  never reach a log. ``directory.access_log.PrivateLogger`` cleans every request atom,
  so even a different ``access_log_format`` can't put one in; it cleans gunicorn's error
  log too.
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

import multiprocessing
import os
from pathlib import Path

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("GUNICORN_WORKERS", multiprocessing.cpu_count() + 1))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
preload_app = True

timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5
max_requests = 2000
max_requests_jitter = 200
# Workers' heartbeat files in memory, not on a disk that may stall (containers).
if Path("/dev/shm").is_dir():
    worker_tmp_dir = "/dev/shm"

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = os.environ.get("GUNICORN_ERROR_LOG", "-")
logger_class = "directory.access_log.PrivateLogger"
# Address, time, method, path (no query string), protocol, status, bytes, milliseconds,
# user agent. No Referer: it names the page the request came from, query string and all.
access_log_format = '%(h)s %(t)s "%(m)s %(U)s %(H)s" %(s)s %(B)s %(M)sms "%(a)s"'

# The proxy on this machine; a comma-separated list of addresses if it is elsewhere.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")
secure_scheme_headers = {"X-FORWARDED-PROTO": "https"}


def post_fork(server, worker) -> None:
    """Give each worker its own database connections, never the parent's.

    With ``preload_app`` the app is created before the fork; a connection opened then
    (none is, normally) must not be shared by two processes.
    """
    from directory.extensions import after_fork

    after_fork(server.app.wsgi())
