"""The transaction and lock contract, in one place.

One commit per request
----------------------
Services only flush. The edge settles each request's session once: after the view's
response it commits when the status is below 400 and rolls back otherwise; an exception
rolls back too. No view calls ``commit`` or ``rollback``. Work that must outlive a refused
request (counting a wrong PIN) runs in a transaction of its own: ``side_transaction``.

SQLite's one write lock
-----------------------
SQLite has a single writer at a time; PostgreSQL locks rows, and nothing below changes
anything there. A view's *transaction mode* decides when its transaction takes the lock:

``read``
    GET, HEAD and OPTIONS: ``BEGIN`` (deferred). With WAL, readers run in parallel.
``write``
    Every other method, by default: ``BEGIN IMMEDIATE`` at the first statement, so the
    request queues on the busy timeout instead of failing to upgrade a read lock.
``reads_first``
    A writing view declared ``@reads_first``: it reads in a deferred transaction, and the
    service calls ``begin_writing()`` just before its first write. That commits the
    read-only transaction (keeping what was loaded), so the next statement begins with
    ``BEGIN IMMEDIATE`` and the lock is held only for the writes. Check-ins use it: they
    read a token, an activity and a volunteer, then write one row; holding the lock for
    all of that would queue a burst behind each request's reading and Python work.

Slow CPU work inside a writing transaction (hashing a PIN) goes in ``without_write_lock``.
A side transaction that writes on SQLite cannot start while the request's own transaction
holds the lock (it would wait for itself until the busy timeout): such views are
``@reads_first`` and count before they write; ``side_transaction`` raises otherwise.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TypeVar

from flask import Flask, current_app, g, has_request_context, request
from sqlalchemy import Connection, event

from volunteer_app.extensions import db

View = TypeVar("View", bound=Callable)

#: NORMAL with WAL: a commit reaches the operating system before the answer is sent, so a
#: killed or crashed server loses nothing it acknowledged (tests/reliability proves it);
#: only a power cut or kernel crash may lose the last few transactions. FULL would close
#: that gap at the cost of an fsync per check-in (about a tenth of the throughput here,
#: see docs/benchmarks.md). Set SQLITE_SYNCHRONOUS=FULL for that guarantee, or use
#: PostgreSQL. Read once at import: it is a deployment decision, not a per-request one.
SQLITE_SYNCHRONOUS = (
    "FULL" if os.environ.get("SQLITE_SYNCHRONOUS", "").upper() == "FULL" else "NORMAL"
)

#: How long a writer waits for SQLite's write lock before giving up. Under a burst on a small,
#: overloaded server a check-in that waits is better than one that fails; normal waits are
#: milliseconds. Gunicorn's gthread workers do not kill slow requests.
SQLITE_BUSY_TIMEOUT_MS = int(os.environ.get("SQLITE_BUSY_TIMEOUT_MS", "60000"))

#: The attribute ``reads_first`` sets on a view function (``functools.wraps`` copies it).
MODE_ATTRIBUTE = "transaction_mode"
READS_FIRST = "reads_first"

#: Set while ``side_transaction(write=True)`` begins its transaction.
_writing_aside: ContextVar[bool] = ContextVar("writing_aside", default=False)


def reads_first(view: View) -> View:
    """Declare a writing view that reads before it writes (see the module docstring)."""
    setattr(view, MODE_ATTRIBUTE, READS_FIRST)
    return view


def init_app(app: Flask) -> None:
    """Configure SQLite connections and settle every request's transaction at the edge."""
    with app.app_context():
        configure_sqlite(db.engine)
    app.before_request(_choose_mode)
    app.after_request(_settle)


def _choose_mode() -> None:
    """Note whether this request's view reads first (from its declaration)."""
    view = current_app.view_functions.get(request.endpoint) if request.endpoint else None
    g.reading_first = getattr(view, MODE_ATTRIBUTE, None) == READS_FIRST


def _settle(response):
    """Commit the request's session when it answered below 400; roll it back otherwise.

    After a commit, run what ``after_commit`` deferred (enqueueing a job whose row is now
    visible to the worker); after a rollback, drop it.
    """
    pending = g.pop("after_commit", [])
    if response.status_code < 400:
        db.session.commit()
        for callback in pending:
            callback()
    else:
        db.session.rollback()
    return response


def after_commit(callback: Callable[[], object]) -> None:
    """Run ``callback`` once this request's transaction has committed (never if it rolls back).

    A task enqueued before the commit could start before its job's row exists.
    """
    if not has_request_context():
        raise RuntimeError("after_commit() outside a request: commit, then call it yourself")
    g.setdefault("after_commit", []).append(callback)


@contextmanager
def task_transaction(session=None) -> Iterator[None]:
    """The edge of a background or periodic task: commit at the end, roll back on error.

    A task runs outside any request, so it settles its own session as the request's edge
    does (one commit per task; services inside still only flush).
    """
    session = session or db.session
    try:
        yield
    except BaseException:
        session.rollback()
        raise
    session.commit()


def configure_sqlite(engine) -> None:
    """Make SQLite transactional, concurrent and durable for every connection.

    - pysqlite's legacy transaction handling would let ``RELEASE SAVEPOINT`` commit the
      whole transaction; we switch it off and emit ``BEGIN`` ourselves (SQLAlchemy's
      documented recipe), so savepoints and rollbacks work as on PostgreSQL.
    - Each transaction begins as its view's mode says (module docstring).
    - ``synchronous`` per SQLITE_SYNCHRONOUS above (NORMAL by default).
    """
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection, connection_record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA synchronous={SQLITE_SYNCHRONOUS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(connection) -> None:
        if _is_write():
            connection.exec_driver_sql("BEGIN IMMEDIATE")
            if has_request_context() and not _writing_aside.get():
                g.holds_write_lock = True
        else:
            connection.exec_driver_sql("BEGIN")

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def _on_end(connection) -> None:
        if has_request_context() and not _writing_aside.get():
            g.pop("holds_write_lock", None)


def _is_write() -> bool:
    """Whether the transaction about to begin writes (module docstring).

    Outside requests (CLI, shell, tests) transactions stay deferred: they run alone.
    """
    if _writing_aside.get():
        return True
    if not has_request_context() or request.method in ("GET", "HEAD", "OPTIONS"):
        return False
    return not g.get("reading_first", False)


def begin_writing(session=None) -> None:
    """In a ``@reads_first`` view, end the reading; the next statement begins the writing.

    On SQLite this commits the (read-only) transaction, keeping what was loaded, so the
    next statement begins with ``BEGIN IMMEDIATE``. Elsewhere, or in a view of another
    mode, it does nothing: the request stays one transaction.
    """
    if not has_request_context() or not g.pop("reading_first", False):
        return
    session = session or db.session
    if session.get_bind().dialect.name != "sqlite":
        return
    real = session()
    if real.new or real.dirty or real.deleted:
        raise RuntimeError("begin_writing() with unsaved changes: write only after it")
    if real.in_transaction():
        real.expire_on_commit = False
        try:
            real.commit()
        finally:
            real.expire_on_commit = True


@contextmanager
def side_transaction(
    engine=None, *, write: bool = False, isolation_level: str | None = None
) -> Iterator[Connection]:
    """A transaction on a connection of its own, committed at the end of the block.

    For work beside the request's own transaction that must stay whatever the request's
    outcome (a failed PIN attempt is counted even though the request is refused), or that
    a page view does beside its reading (keeping a report cache). With ``write=True`` it
    takes SQLite's write lock up front like a writing request. ``isolation_level``
    (PostgreSQL) is e.g. "REPEATABLE READ" for one snapshot.
    """
    engine = engine or db.engine
    if write and engine.dialect.name == "sqlite" and _holds_write_lock():
        raise RuntimeError(
            "side_transaction(write=True) while this request holds SQLite's write lock: "
            "declare the view @reads_first and write aside before begin_writing()"
        )
    with engine.connect() as connection:
        if isolation_level:
            connection = connection.execution_options(isolation_level=isolation_level)
        token = _writing_aside.set(write)
        try:
            transaction = connection.begin()
        finally:
            _writing_aside.reset(token)
        with transaction:
            yield connection


def _holds_write_lock() -> bool:
    return has_request_context() and bool(g.get("holds_write_lock"))


@contextmanager
def without_write_lock(session=None):
    """Do slow CPU work (hashing a PIN) without holding SQLite's write lock.

    On SQLite this ends the transaction first; call it only where nothing is pending (it
    raises if something is). PostgreSQL locks rows, not the database: there it does nothing.
    """
    session = session or db.session
    if session.get_bind().dialect.name == "sqlite" and session().in_transaction():
        if session.new or session.dirty or session.deleted:
            raise RuntimeError("without_write_lock() with unsaved changes")
        session.commit()
    yield


def write_aside(statement) -> None:
    """Run one small write that need not wait for the request's outcome (a "last seen" time).

    In a transaction of its own, so a reading request takes no write lock for the rest of
    its work; in the request's own transaction when it holds SQLite's write lock already
    (a side transaction would wait for it), where it commits with the request.
    """
    if db.engine.dialect.name == "sqlite" and _holds_write_lock():
        db.session.execute(statement)
        return
    with side_transaction(write=True) as connection:
        connection.execute(statement)
