"""gunicorn's threads per worker follow the database (docs/benchmarks.md, docs/deploy.md)."""

from volunteer_app.gunicorn_conf import default_threads


def test_sqlite_gets_fewer_threads_than_postgresql():
    assert default_threads("sqlite:////srv/volunteer/instance/app.sqlite3") == 2
    assert default_threads("") == 2  # no DATABASE_URL: the embedded SQLite default
    assert default_threads("postgresql+psycopg://app@db/volunteer") == 4
    assert default_threads("postgresql://app@db/volunteer") == 4
