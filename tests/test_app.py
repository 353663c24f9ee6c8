"""Application factory, configuration, migrations and vocabularies."""

from __future__ import annotations

import json
import uuid

from sqlalchemy import inspect, select

from directory import compile_templates, create_app
from directory.extensions import db
from directory.models import ID_NAMESPACE, Term, Vocabulary
from directory.vocabularies import VOCABULARY_DIR, load_vocabularies, read_vocabularies, term_id


def test_embedded_default_uses_the_instance_folder(monkeypatch):
    monkeypatch.delenv("DATABASE_URL", raising=False)
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite:///")
    assert app.config["SQLALCHEMY_DATABASE_URI"].endswith("instance/directory.sqlite")
    assert app.config["SEARCH_INDEX_DIR"].endswith("instance/search-index")
    assert app.config["GEO_TABLE_PATH"].endswith("instance/postcodes.sqlite")


def test_database_url_switches_to_postgresql_with_psycopg3(monkeypatch):
    monkeypatch.setenv("DATABASE_URL", "postgres://someone@db.example:5432/civic")
    app = create_app({"TESTING": True})
    assert app.config["SQLALCHEMY_DATABASE_URI"] == (
        "postgresql+psycopg://someone@db.example:5432/civic"
    )


def test_prefixed_environment_overrides_defaults(monkeypatch):
    monkeypatch.setenv("DIRECTORY_PER_PAGE", "7")
    monkeypatch.setenv("DIRECTORY_SEARCH_INDEX_DIR", "/srv/index")
    app = create_app({"TESTING": True})
    assert app.config["PER_PAGE"] == 7
    assert app.config["SEARCH_INDEX_DIR"] == "/srv/index"


def test_sqlite_connections_get_the_configured_page_cache(tmp_path):
    app = create_app(
        {
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'cache.sqlite'}",
            "SQLITE_CACHE_MIB": 8,
            "SQLITE_MMAP_MIB": 16,
        }
    )
    with app.app_context(), db.engine.connect() as connection:
        pragmas = {
            name: connection.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("cache_size", "mmap_size", "foreign_keys", "busy_timeout", "journal_mode")
        }
        db.engine.dispose()
    assert pragmas == {
        "cache_size": -8 * 1024,
        "mmap_size": 16 * 1024 * 1024,
        "foreign_keys": 1,
        "busy_timeout": 5000,
        "journal_mode": "wal",
    }


def test_sqlite_readers_read_while_a_long_write_is_under_way(tmp_path):
    """A search can read while a large write has spilled to the database file, uncommitted.

    As when the search tables of a large directory are rebuilt.
    """
    app = create_app(
        {"TESTING": True, "SQLALCHEMY_DATABASE_URI": f"sqlite:///{tmp_path / 'wal.sqlite'}"}
    )
    with app.app_context():
        with db.engine.begin() as connection:
            connection.exec_driver_sql("CREATE TABLE word (word TEXT)")
            connection.exec_driver_sql("INSERT INTO word VALUES ('walking')")
        with db.engine.connect() as writer, db.engine.connect() as reader:
            writer.exec_driver_sql("PRAGMA cache_size=10")  # spill to the file early
            writer.commit()
            with writer.begin():
                writer.exec_driver_sql(
                    "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n"
                    " WHERE i < 20000) INSERT INTO word SELECT printf('word %d', i) FROM n"
                )
                reader.exec_driver_sql("PRAGMA busy_timeout=100")
                seen = reader.exec_driver_sql("SELECT count(*) FROM word").scalar()
                reader.rollback()
        db.engine.dispose()
    assert seen == 1


def test_every_page_template_compiles_before_the_workers_fork(tmp_path):
    app = create_app({"SECRET_KEY": "test", "TESTING": True}, instance_path=str(tmp_path))
    assert len(app.jinja_env.cache) == 0
    compiled = compile_templates(app)
    assert compiled >= 80  # every page, partial and email template
    assert len(app.jinja_env.cache) == compiled
    assert app.jinja_env.get_template("search.html") is app.jinja_env.get_template("search.html")


def test_migrations_reach_head_with_every_model_table(app):
    with app.app_context():
        tables = set(inspect(db.engine).get_table_names())
    expected = {"organisation", "listing", "location", "schedule", "vocabulary", "term"}
    assert expected | {"listing_term", "alembic_version"} <= tables


def test_models_and_migrations_agree(app):
    """Autogenerate finds nothing to do: every model change has a migration."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    from search.sql_index import include_in_migrations

    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"include_name": include_in_migrations}
        )
        diff = compare_metadata(context, db.metadata)
    assert diff == []


def test_every_vocabulary_file_is_complete():
    expected = {
        "civic_domain", "kind", "intervention_type", "chime_process", "recovery_outcome",
        "audience", "accessibility",
    }  # fmt: skip
    vocabularies = read_vocabularies()
    assert expected <= set(vocabularies)
    assert vocabularies["civic_domain"].codes == (
        "closeness", "identity", "valued", "involvement", "cared_for", "beyond",
    )  # fmt: skip
    for path in VOCABULARY_DIR.glob("*.json"):
        raw = json.loads(path.read_text())
        assert raw["version"] >= 1, path.name
        for term in raw["terms"]:
            assert term["description"].strip(), f"{path.name}:{term['code']} has no description"


def test_vocabularies_load_with_stable_ids_and_reload_changes_nothing(db):
    result = load_vocabularies(db.session)
    assert result.created == 0 and result.updated == 0  # loaded at start-up already
    involvement = db.session.get(Term, term_id("civic_domain", "involvement"))
    assert involvement.name == "Involvement"
    assert involvement.description == "Regular group activity and one-to-one companionship."
    # Stable across installs: derived from the names, not generated.
    assert term_id("civic_domain", "involvement") == str(
        uuid.uuid5(ID_NAMESPACE, "term/civic_domain/involvement")
    )
    assert db.session.scalar(select(Vocabulary).where(Vocabulary.code == "kind")).multiple is False


def test_changed_description_in_a_file_updates_the_table(db, monkeypatch):
    term = db.session.get(Term, term_id("cost", "free"))
    term.description = "old words"
    db.session.flush()
    result = load_vocabularies(db.session)
    assert result.updated == 1
    assert term.description == "No charge to take part."


def test_about_page_shows_every_domain_description(client):
    page = client.get("/about").get_data(as_text=True)
    for term in read_vocabularies()["civic_domain"].terms:
        assert term.description in page
