"""``flask accounts ...``: account administration."""

from __future__ import annotations

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from directory.extensions import db

accounts_cli = AppGroup("accounts", help="Account administration.")


@accounts_cli.command("create-admin")
@click.option("--email", prompt=True, help="Work email address.")
@click.option("--name", prompt=True, help="Full name.")
@click.password_option(help="Password (prompted, typed twice).")
def create_admin(email: str, name: str, password: str) -> None:
    """Create the first administrator, verified and approved."""
    from directory import audit
    from directory.accounts.services import hash_password, normalise_email, password_problem
    from directory.models import User, utcnow

    email = normalise_email(email)
    if db.session.scalar(select(func.count()).where(func.lower(User.email) == email)):
        raise click.ClickException("An account with that email address already exists.")
    problem = password_problem(password, email, name)
    if problem:
        raise click.ClickException(problem)
    now = utcnow()
    user = User(
        email=email,
        name=name.strip(),
        profession="other",
        sector="third_sector",
        password_hash=hash_password(password),
        role="admin",
        status="approved",
        email_verified_at=now,
        approved_at=now,
    )
    db.session.add(user)
    db.session.flush()
    audit.record(db.session, None, "user.create_admin", "user", user.id)
    db.session.commit()
    click.echo(f"Administrator {email} created.")
