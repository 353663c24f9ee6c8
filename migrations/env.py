"""Alembic's environment: run the migrations against the app's database.

Flask-Migrate's generated env.py, with two changes: the search engine's tables are left
out of the migrations, and SQLite's foreign keys are off while batch migrations rebuild
tables.
"""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app
from sqlalchemy import MetaData
from sqlalchemy.engine import Engine

# this is the Alembic Config object, which provides
# access to the values within the .ini file in use.
config = context.config

# Interpret the config file for Python logging.
# This line sets up loggers basically.
fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")


def get_engine() -> Engine:
    """The app's database engine (Flask-SQLAlchemy's)."""
    return current_app.extensions["migrate"].db.engine


def get_engine_url() -> str:
    """The engine's URL with its password, ``%`` escaped for Alembic's config file."""
    try:
        return get_engine().url.render_as_string(hide_password=False).replace("%", "%%")
    except AttributeError:
        return str(get_engine().url).replace("%", "%%")


# add your model's MetaData object here
# for 'autogenerate' support
# from myapp import mymodel
# target_metadata = mymodel.Base.metadata
config.set_main_option("sqlalchemy.url", get_engine_url())
target_db = current_app.extensions["migrate"].db

# other values from the config, defined by the needs of env.py,
# can be acquired:
# my_important_option = config.get_main_option("my_important_option")
# ... etc.


def get_metadata() -> MetaData:
    """The models' metadata (the default bind's, when there are several)."""
    if hasattr(target_db, "metadatas"):
        return target_db.metadatas[None]
    return target_db.metadata


def run_migrations_offline() -> None:
    """Run migrations in 'offline' mode.

    This configures the context with just a URL
    and not an Engine, though an Engine is acceptable
    here as well.  By skipping the Engine creation
    we don't even need a DBAPI to be available.

    Calls to context.execute() here emit the given string to the
    script output.

    """
    url = config.get_main_option("sqlalchemy.url")
    context.configure(url=url, target_metadata=get_metadata(), literal_binds=True)

    with context.begin_transaction():
        context.run_migrations()


def wait_for_other_upgrades(connection) -> None:
    """Take the upgrade's PostgreSQL advisory lock for the migration's transaction.

    Every node may run ``flask db upgrade`` as it starts: the first migrates, the others
    wait for its commit, then find the database at head and do nothing.
    """
    from sqlalchemy import text

    from directory.jobs import lock_key

    schema = connection.scalar(text("SELECT current_schema()")) or ""
    connection.execute(
        text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key("db-upgrade", schema)}
    )


def run_migrations_online() -> None:
    """Run migrations in 'online' mode.

    In this scenario we need to create an Engine
    and associate a connection with the context.

    """

    # this callback is used to prevent an auto-migration from being generated
    # when there are no changes to the schema
    # reference: http://alembic.zzzcomputing.com/en/latest/cookbook.html
    def process_revision_directives(context, revision, directives) -> None:
        if getattr(config.cmd_opts, "autogenerate", False):
            script = directives[0]
            if script.upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    conf_args = current_app.extensions["migrate"].configure_args
    # The search engine owns its tables (search_*); migrations leave them alone.
    from search.sql_index import include_in_migrations

    conf_args.setdefault("include_name", include_in_migrations)
    if conf_args.get("process_revision_directives") is None:
        conf_args["process_revision_directives"] = process_revision_directives

    connectable = get_engine()

    with connectable.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch migrations rebuild SQLite tables; foreign keys must be off meanwhile
            # (the pragma is ignored inside a transaction, so set it on the raw connection).
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        context.configure(connection=connection, target_metadata=get_metadata(), **conf_args)

        try:
            with context.begin_transaction():
                if not sqlite:
                    wait_for_other_upgrades(connection)
                context.run_migrations()
        finally:
            if sqlite:
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
