"""``make test-wheel``: the built package runs on its own, away from the checkout.

Builds the sdist and, from it, the wheel (so MANIFEST.in and the package data are both
checked), installs the wheel into a fresh virtualenv in a temporary directory, and from
there, with the checkout nowhere on the path, sets the app up as an operator would
(``flask db upgrade``, vocabularies, demo data, search index, a postcode table) and asks
for a search page, its stylesheet (fingerprinted, precompressed), a listing page and the
rating form as an approved practitioner. Any answer but 200, or a module loaded from the
checkout, fails the run.

Run with the project's own Python: ``.venv/bin/python .ci/test_wheel.py [--keep]``.
"""

from __future__ import annotations

import argparse
import os
import secrets
import shutil
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

CHECKOUT = Path(__file__).resolve().parent.parent

# Runs inside the wheel's virtualenv, from the temporary directory.
SMOKE = textwrap.dedent(
    """
    import sys
    from pathlib import Path

    import directory
    import search

    checkout = Path(sys.argv[1])
    for module in (directory, search):
        where = Path(module.__file__).resolve()
        assert checkout not in where.parents, f"{module.__name__} came from the checkout: {where}"
        assert "site-packages" in where.parts, f"{module.__name__} isn't installed: {where}"

    from sqlalchemy import select

    from directory import create_app
    from directory.accounts.services import hash_password
    from directory.extensions import db
    from directory.models import User, utcnow

    app = create_app()
    with app.app_context():
        now = utcnow()
        user = User(
            email="wheel.check@nhs.net",
            name="Wheel Check",
            profession="link_worker",
            sector="primary_care",
            password_hash=hash_password("a long and unguessable wheel phrase"),
            role="practitioner",
            status="approved",
            email_verified_at=now,
            approved_at=now,
        )
        db.session.add(user)
        db.session.commit()
        user_id = user.get_id()

    # The production cookie settings stand: cookies are Secure, so ask over https.
    client = app.test_client()
    base = "https://localhost"

    def fetch(path):
        response = client.get(path, base_url=base)
        print(f"{response.status_code} {path}")
        assert response.status_code == 200, response.get_data(as_text=True)[:2000]
        return response

    api = fetch("/api/search?q=group").get_json()
    assert api["results"], "the demo data gave no search results"
    listing_id = api["results"][0]["id"]
    page = fetch("/search?q=group&postcode=PL4+8AA").get_data(as_text=True)
    assert "group" in page.lower()
    # Static files from the installed package: fingerprinted, a year's caching, Brotli.
    import re

    stylesheet = r"/static/vendor/nhsuk/nhsuk-frontend[.]min[.][0-9a-f]{12}[.]css"
    found = re.search(f'href="({stylesheet})"', page)
    assert found, "the page names no fingerprinted NHS.UK stylesheet"
    css = client.get(found.group(1), base_url=base, headers={"Accept-Encoding": "br"})
    print(f"{css.status_code} {found.group(1)} ({css.headers.get('Content-Encoding')})")
    assert css.status_code == 200 and css.headers.get("Content-Encoding") == "br", css.headers
    assert "immutable" in css.headers["Cache-Control"], css.headers
    css.close()
    fetch(f"/listings/{listing_id}")
    with client.session_transaction(base_url=base) as session:
        session["_user_id"] = user_id
        session["_fresh"] = True
    form = fetch(f"/listings/{listing_id}/rate").get_data(as_text=True)
    assert 'name="usefulness"' in form, "the rating form has no usefulness question"
    print("wheel smoke test passed")
    """
)


def run(command: list[str | Path], quiet: bool = False, **kwargs) -> None:
    """Run a command, echoing it, and stop on failure; ``quiet`` shows its output only then."""
    print("+", " ".join(str(part) for part in command), flush=True)
    if not quiet:
        subprocess.run([str(part) for part in command], check=True, **kwargs)
        return
    done = subprocess.run([str(part) for part in command], capture_output=True, text=True, **kwargs)
    if done.returncode:
        print(done.stdout[-20000:], done.stderr[-20000:], sep="\n", file=sys.stderr)
        done.check_returncode()


def main() -> int:
    """Build, install, set up and fetch the three pages; a non-zero exit on any failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", action="store_true", help="leave the temporary directory")
    args = parser.parse_args()

    if not (CHECKOUT / "directory" / "static" / "vendor").is_dir():
        print("directory/static/vendor is missing: run `make assets` first", file=sys.stderr)
        return 1
    work = Path(tempfile.mkdtemp(prefix="civic-wheel-"))
    try:
        dist, venv, here = work / "dist", work / "venv", work / "run"
        here.mkdir()
        # The sdist first, then the wheel from the unpacked sdist: nothing reaches the
        # wheel that the sdist left out, and no stale build/ folder in the checkout can.
        run([sys.executable, "-m", "build", "--outdir", dist, CHECKOUT], quiet=True)
        (wheel,) = dist.glob("*.whl")
        run([sys.executable, "-m", "venv", venv])
        run([venv / "bin" / "pip", "install", "--quiet", wheel])

        # Outside the checkout, with nothing of it on the path. The instance folder is
        # Flask's default for an installed package: <venv>/var/directory-instance.
        env = {k: v for k, v in os.environ.items() if not k.startswith(("PYTHON", "FLASK"))}
        env.pop("DATABASE_URL", None)
        env = {k: v for k, v in env.items() if not k.startswith("DIRECTORY_")}
        # What an operator must set: a server refuses the default secret key, and trusts
        # only its base URL's host.
        env["DIRECTORY_SECRET_KEY"] = secrets.token_hex(32)
        env["DIRECTORY_BASE_URL"] = "https://localhost"
        flask = [venv / "bin" / "flask", "--app", "directory"]
        for step in (
            ["geo", "build", "--areas", "pl"],  # the demo's area: a full build takes minutes
            ["db", "upgrade"],
            ["directory", "load-vocabularies"],
            ["directory", "demo", "--if-empty"],
            ["search", "rebuild"],
        ):
            run([*flask, *step], cwd=here, env=env)
        run([venv / "bin" / "python", "-c", SMOKE, CHECKOUT], cwd=here, env=env)
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
