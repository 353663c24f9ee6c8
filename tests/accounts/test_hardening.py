"""Holes from the outside security review (issue 20).

Links from a forged Host header, the default secret key, sign-out, open redirects,
registration timing and caching.
"""

from __future__ import annotations

import re
import threading
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from sqlalchemy import select
from werkzeug.serving import make_server

from directory import create_app
from directory.accounts import services as account_services
from directory.models import OutboxEmail, Shortlist, ShortlistItem
from tests.conftest import TEST_PASSWORD

STRONG = "violet kettle harbour mosaic"
EVIL = "http://evil.example"


def outbox_to(db, recipient: str) -> list[str]:
    return db.session.scalars(
        select(OutboxEmail.body).where(OutboxEmail.recipient == recipient).order_by(OutboxEmail.id)
    ).all()


def links_in(text: str) -> list[str]:
    return re.findall(r"https?://\S+", text)


def assert_links_use_base_url(app: Flask, text: str) -> None:
    links = links_in(text)
    assert links, text
    for link in links:
        assert link.startswith(app.config["BASE_URL"] + "/"), link
        assert "evil.example" not in link


# -- 1. links in emails come from BASE_URL, not the request's Host -------------------------


def test_reset_and_verification_links_ignore_a_forged_host(app, client, db, make_user):
    make_user(email="reset-host@example.org")
    forged = app.test_client()
    forged.post("/accounts/reset", data={"email": "reset-host@example.org"}, base_url=EVIL)
    (reset,) = outbox_to(db, "reset-host@example.org")
    assert "/accounts/reset/" in reset
    assert_links_use_base_url(app, reset)

    registration = {
        "name": "Host Header",
        "email": "new-host@example.org",
        "profession": "gp",
        "sector": "primary_care",
        "password": STRONG,
        "confirm": STRONG,
    }
    forged.post("/accounts/register", data=registration, base_url=EVIL)
    (verify,) = outbox_to(db, "new-host@example.org")
    assert "/accounts/verify/" in verify
    assert_links_use_base_url(app, verify)
    # Registering an address that has an account emails its owner a link too.
    forged.post(
        "/accounts/register",
        data={**registration, "email": "reset-host@example.org"},
        base_url=EVIL,
    )
    assert_links_use_base_url(app, outbox_to(db, "reset-host@example.org")[-1])


def test_share_email_and_pages_link_to_base_url(app, db, make_user, make_listing, mail):
    owner = make_user()
    shortlist = Shortlist(owner=owner, label="Host test")
    shortlist.items = [ShortlistItem(listing_id=make_listing().id, position=0)]
    db.session.add(shortlist)
    db.session.commit()
    gp = app.test_client()
    with gp.session_transaction(base_url=EVIL) as session:  # the cookie is for that host
        session["_user_id"] = owner.get_id()
    response = gp.post(
        f"/shortlists/{shortlist.id}/email", data={"address": "jo@example.com"}, base_url=EVIL
    )
    assert response.status_code == 303
    (message,) = mail
    body = message.get_payload(decode=True).decode()
    assert "/shared/" in body and "/feedback/" in body
    assert_links_use_base_url(app, body)
    page = gp.get(f"/shortlists/{shortlist.id}", base_url=EVIL).get_data(as_text=True)
    assert "evil.example" not in page
    assert f"{app.config['BASE_URL']}/shared/{shortlist.share_token}" in page
    handout = gp.get(f"/shortlists/{shortlist.id}/handout", base_url=EVIL).get_data(as_text=True)
    assert f"{app.config['BASE_URL']}/feedback/{shortlist.feedback_code}" in handout
    assert "evil.example" not in handout


def test_base_url_with_a_path_prefix_is_kept(app, db, make_user, monkeypatch):
    monkeypatch.setitem(app.config, "BASE_URL", "https://civic.example.org/directory/")
    make_user(email="prefix@example.org")
    app.test_client().post("/accounts/reset", data={"email": "prefix@example.org"})
    (body,) = outbox_to(db, "prefix@example.org")
    assert "https://civic.example.org/directory/accounts/reset/" in body


def test_trusted_hosts_refuse_other_host_headers(app, client, monkeypatch):
    monkeypatch.setitem(app.config, "TRUSTED_HOSTS", ["civic.example.org"])
    assert client.get("/", base_url=EVIL).status_code == 400
    assert client.get("/", base_url="https://civic.example.org").status_code == 200


# -- 2. the default secret key --------------------------------------------------------------


@pytest.fixture
def production(tmp_path, monkeypatch):
    """Settings for an app that is neither debugging nor testing.

    It has its own instance folder and database.
    """
    for name in ("DIRECTORY_SECRET_KEY", "FLASK_DEBUG", "DATABASE_URL", "DIRECTORY_BASE_URL"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delenv("DIRECTORY_TRUSTED_HOSTS", raising=False)
    return {
        "config": {
            "TESTING": False,
            "DEBUG": False,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'production.sqlite'}",
        },
        "instance_path": str(tmp_path / "instance"),
    }


def test_production_refuses_the_default_secret_key(production):
    with pytest.raises(RuntimeError, match="DIRECTORY_SECRET_KEY"):
        create_app(**production)


def test_debug_and_testing_accept_the_default_secret_key(production):
    assert create_app({**production["config"], "TESTING": True}, production["instance_path"])
    assert create_app({**production["config"], "DEBUG": True}, production["instance_path"])


def test_production_reads_a_secret_key_from_the_environment(production, monkeypatch):
    monkeypatch.setenv("DIRECTORY_SECRET_KEY", "k" * 40)
    assert create_app(**production).config["SECRET_KEY"] == "k" * 40


def test_production_reads_the_secret_key_made_in_the_instance_folder(production, tmp_path):
    (tmp_path / "instance").mkdir()
    (tmp_path / "instance" / "secret_key").write_text("made-by-make-run-" + "x" * 32 + "\n")
    app = create_app(**production)
    assert app.config["SECRET_KEY"] == "made-by-make-run-" + "x" * 32


def test_production_trusts_only_the_base_url_host_unless_told(production, monkeypatch):
    monkeypatch.setenv("DIRECTORY_SECRET_KEY", "k" * 40)
    monkeypatch.setenv("DIRECTORY_BASE_URL", "https://civic.example.org")
    app = create_app(**production)
    assert app.config["TRUSTED_HOSTS"] == ["civic.example.org"]
    monkeypatch.setenv("DIRECTORY_TRUSTED_HOSTS", '["civic.example.org", "civic.internal"]')
    assert create_app(**production).config["TRUSTED_HOSTS"] == [
        "civic.example.org",
        "civic.internal",
    ]
    monkeypatch.delenv("DIRECTORY_TRUSTED_HOSTS")
    monkeypatch.setenv("DIRECTORY_BASE_URL", "http://127.0.0.1:5000")  # make run
    local = create_app(**production)
    assert {"127.0.0.1", "localhost"} <= set(local.config["TRUSTED_HOSTS"])


def test_flask_run_refuses_but_maintenance_commands_only_warn(production, monkeypatch):
    """Commands that sign nothing warn about the default key; `flask run` refuses.

    `make` runs `flask db upgrade` and the like before `make run` has made the key; those
    sign nothing, so they warn. `flask run` serves, so it refuses.
    """
    from click.testing import CliRunner
    from flask.cli import FlaskGroup

    served = []
    monkeypatch.setattr("flask.cli.run_simple", lambda *args, **kwargs: served.append(args))
    cli = FlaskGroup(create_app=lambda: create_app(**production))
    runner = CliRunner()
    routes = runner.invoke(cli, ["routes"])
    assert routes.exit_code == 0 and "/accounts/login" in routes.output
    run = runner.invoke(cli, ["run"])
    assert run.exit_code != 0 and served == []
    assert "DIRECTORY_SECRET_KEY" in str(run.exception)


def test_make_run_creates_a_secret_key_once():
    from pathlib import Path

    makefile = (Path(__file__).resolve().parents[2] / "Makefile").read_text()
    run = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0]
    assert "instance/secret_key" in run and "secrets.token" in run


# -- 3. sign-out ends the session on the server --------------------------------------------


def test_sign_out_ends_a_copied_session_cookie(app, db, make_user):
    user = make_user(email="signout@example.org")
    db.session.commit()
    browser = app.test_client()
    assert (
        browser.post(
            "/accounts/login", data={"email": user.email, "password": TEST_PASSWORD}
        ).status_code
        == 302
    )
    stolen = browser.get_cookie("session").value
    copy = app.test_client()
    copy.set_cookie("session", stolen)
    assert copy.get("/accounts/").status_code == 200
    assert browser.post("/accounts/logout").status_code == 302
    assert browser.get("/accounts/").status_code == 302
    after = copy.get("/accounts/")
    assert after.status_code == 302 and "/accounts/login" in after.headers["Location"]


# -- 4. redirects stay on this site ---------------------------------------------------------

NASTY_NEXT = [
    "//evil.example/x",
    "/\\evil.example/x",
    "\\\\evil.example/x",
    "/\t/evil.example/x",
    "/%09/evil.example/x",  # decoded by the query string into a tab
    "https://evil.example/x",
    "http:/evil.example",
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    "/ok\nLocation: https://evil.example",
    "/ok\r\nSet-Cookie: x=1",
    "/\x00/evil.example",
    " //evil.example",
    "/" + "a" * 5000,
    "evil.example",
    "",
]


def _next_query(value: str) -> str:
    from urllib.parse import quote

    # "%09" is sent as written, so the server decodes it to a tab itself.
    return value if value == "/%09/evil.example/x" else quote(value, safe="")


@pytest.mark.parametrize("value", NASTY_NEXT)
def test_sign_in_never_redirects_off_site(client, make_user, value):
    user = make_user()
    response = client.post(
        f"/accounts/login?next={_next_query(value)}",
        data={"email": user.email, "password": TEST_PASSWORD},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/accounts/"


@pytest.mark.parametrize("value", ["/browse", "/search?q=tea&kind=group", "/listings/abc#rate"])
def test_sign_in_follows_a_next_page_on_this_site(client, make_user, value):
    user = make_user()
    response = client.post(
        "/accounts/login",
        query_string={"next": value},
        data={"email": user.email, "password": TEST_PASSWORD},
    )
    assert response.headers["Location"] == value


@pytest.mark.parametrize("value", NASTY_NEXT)
def test_adding_to_a_shortlist_never_goes_back_off_site(client_as, make_listing, db, value):
    listing = make_listing()
    gp = client_as("practitioner")
    # A form field arrives as typed, so "%09" is sent as the tab the query would decode.
    response = gp.post(
        f"/listings/{listing.id}/shortlist", data={"next": value.replace("%09", "\t")}
    )
    assert response.status_code == 303
    assert response.headers["Location"] == f"/listings/{listing.id}"
    by_query = gp.post(f"/listings/{listing.id}/shortlist?next={_next_query(value)}")
    assert by_query.headers["Location"] == f"/listings/{listing.id}"


@pytest.mark.parametrize(
    "referrer", ["https://evil.example/x", "http://localhost.evil.example/x", "//evil.example/"]
)
def test_going_back_to_the_referrer_stays_on_site(client_as, db, make_organisation, referrer):
    from directory.models import Membership

    organisation = make_organisation()
    joiner = client_as("practitioner")
    membership = Membership(user=joiner.user, organisation=organisation, status="requested")
    db.session.add(membership)
    db.session.commit()
    moderator = client_as("moderator")
    response = moderator.post(
        f"/moderation/memberships/{membership.id}/approve", headers={"Referer": referrer}
    )
    assert response.status_code == 302
    assert urlsplit(urljoin("http://localhost/", response.headers["Location"])).netloc == (
        "localhost"
    )
    same_site = moderator.post(
        f"/moderation/memberships/{membership.id}/reject",
        headers={"Referer": f"http://localhost/organisations/{organisation.id}/members"},
    )
    assert same_site.headers["Location"] == f"/organisations/{organisation.id}/members"


# -- 5. registration takes the same work whether or not the address has an account ----------


def test_registration_hashes_the_password_whether_or_not_the_address_is_taken(
    client, make_user, monkeypatch
):
    make_user(email="taken-timing@example.org")
    from argon2 import PasswordHasher

    calls = []

    class CountingHasher(PasswordHasher):
        def hash(self, password, *args, **kwargs):
            calls.append(password)
            return super().hash(password, *args, **kwargs)

    monkeypatch.setattr(account_services, "_hasher", CountingHasher())
    form = {
        "name": "Timing Test",
        "profession": "gp",
        "sector": "primary_care",
        "password": STRONG,
        "confirm": STRONG,
    }
    client.post("/accounts/register", data={**form, "email": "fresh-timing@example.org"})
    new_address = len(calls)
    calls.clear()
    client.post("/accounts/register", data={**form, "email": "taken-timing@example.org"})
    assert new_address == len(calls) == 1


# -- 11. caching, HSTS and the Server header ------------------------------------------------


def test_signed_in_pages_are_not_stored(client_as, client):
    gp = client_as("practitioner")
    for path in ("/accounts/", "/", "/shortlists"):
        assert gp.get(path).headers.get("Cache-Control") == "no-store", path
    assert "no-store" not in (client.get("/").headers.get("Cache-Control") or "")


def test_token_pages_are_not_stored(app, client, db, make_user, make_listing):
    user = make_user()
    listing = make_listing()
    shortlist = Shortlist(owner=user, label="Cache test")
    shortlist.items = [ShortlistItem(listing_id=listing.id, position=0)]
    db.session.add(shortlist)
    db.session.flush()
    from directory.plans import services as plans

    token = plans.share_shortlist(db.session, user, shortlist, 1, plans.utcnow())
    plans.ensure_feedback_code(db.session, None, shortlist)
    with app.test_request_context():
        reset = account_services.make_token("reset", user)
        verify = account_services.make_token("verify", user)
        from directory.lifecycle.freshness import check_token

        check = check_token(listing, "running")
    db.session.commit()
    for path in (
        f"/shared/{token}",
        f"/shared/{token}x",
        f"/accounts/reset/{reset}",
        f"/accounts/verify/{verify}",
        f"/accounts/verify/{verify}x",
        f"/listings/check/{check}",
        f"/feedback/{shortlist.feedback_code}",
        f"/feedback/{shortlist.feedback_code}/thanks",
        "/feedback/NOSUCHCODE",
    ):
        assert client.get(path).headers.get("Cache-Control") == "no-store", path


def test_strict_transport_security_only_over_https(client):
    assert "Strict-Transport-Security" not in client.get("/").headers
    secure = client.get("/", base_url="https://localhost")
    assert secure.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_server_header_names_no_version(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        import http.client

        connection = http.client.HTTPConnection("127.0.0.1", server.server_port, timeout=10)
        connection.request("GET", "/about")
        response = connection.getresponse()
        response.read()
        connection.close()
    finally:
        server.shutdown()
        server.server_close()
    servers = [v for k, v in response.getheaders() if k.lower() == "server"]
    assert len(servers) == 1 and not re.search(r"\d", servers[0]), servers


def test_gunicorn_sends_no_version_and_hsts_behind_a_tls_proxy(tmp_path):
    """The deployment as documented: gunicorn with deploy/gunicorn.conf.py behind a proxy.

    The proxy is on loopback and says the request came over HTTPS.
    """
    import http.client
    import os
    import socket
    import subprocess
    import sys
    import time
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {
        **os.environ,
        "DIRECTORY_SECRET_KEY": "k" * 40,
        "DATABASE_URL": f"sqlite:///{tmp_path / 'gunicorn.sqlite'}",
        "DIRECTORY_BASE_URL": "https://civic.example.org",
    }
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "deploy/gunicorn.conf.py",
         "--bind", f"127.0.0.1:{port}", "--workers", "1", "wsgi:app"],
        cwd=root, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
                connection.request(
                    "GET",
                    "/about",
                    headers={"Host": "civic.example.org", "X-Forwarded-Proto": "https"},
                )
                response = connection.getresponse()
                response.read()
                break
            except OSError:
                connection.close()
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "gunicorn did not start"
                time.sleep(0.2)
        connection.request("GET", "/about", headers={"Host": "evil.example"})
        forged = connection.getresponse()
        forged.read()
        connection.close()
    finally:
        server.terminate()
        server.wait(timeout=30)
        server.stderr.close()
    assert response.status == 200
    servers = [v for k, v in response.getheaders() if k.lower() == "server"]
    assert len(servers) == 1 and not re.search(r"\d", servers[0]), servers
    assert response.getheader("Strict-Transport-Security", "").startswith("max-age=")
    assert forged.status == 400  # not the configured host
