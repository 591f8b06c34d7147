"""Counting the SQL statements a request sends: a count, never a timing.

What is counted, on both databases:

- every statement the app sends through SQLAlchemy (``before_cursor_execute``): SELECT,
  INSERT, UPDATE, and SAVEPOINT / RELEASE SAVEPOINT, which are statements like any other
  and count against the budget;
- transactions apart: each BEGIN (SQLAlchemy's ``begin`` event: SQLite's explicit
  ``BEGIN`` or ``BEGIN IMMEDIATE``, psycopg's implicit ``BEGIN``), COMMIT and ROLLBACK is
  logged. A check-in is one transaction on PostgreSQL; on SQLite it reads in a plain
  transaction and writes alone in a ``BEGIN IMMEDIATE`` one, so the database's single
  write lock is held for the INSERT only (``transactions.reads_first``): see ``check_shape``.

The budget of the issue, "at most 4 statements", applies to the first list. The connection
pool's liveness ping (``pool_pre_ping``) is the pool's, not the request's, and is not seen.
"""

from __future__ import annotations

from contextlib import contextmanager

from sqlalchemy import event, func, select

from volunteer_app.checkins.models import CheckIn

BUDGET = 4


class Log:
    """The statements and transaction events seen while counting."""

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.transactions: list[str] = []
        self.events: list[str] = []  # both, in order, for the failure message
        self.begins: list[str] = []  # SQLite's own BEGIN statements (deferred or immediate)

    def __repr__(self) -> str:
        return "\n" + "\n".join(self.events)


@contextmanager
def counting(engine):
    """Log what ``engine`` sends while the block runs."""
    log = Log()

    def on_execute(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith("BEGIN"):  # the begin event logs it
            log.begins.append(statement.strip().upper())
            return
        log.statements.append(" ".join(statement.split())[:70])
        log.events.append(log.statements[-1])

    def on_transaction(name):
        def listener(conn):
            log.transactions.append(name)
            log.events.append(name)

        return listener

    listeners = {
        "before_cursor_execute": on_execute,
        "begin": on_transaction("BEGIN"),
        "commit": on_transaction("COMMIT"),
        "rollback": on_transaction("ROLLBACK"),
    }
    for name, fn in listeners.items():
        event.listen(engine, name, fn)
    try:
        yield log
    finally:
        for name, fn in listeners.items():
            event.remove(engine, name, fn)


def records(db, activity) -> int:
    return db.session.scalar(
        select(func.count()).select_from(CheckIn).where(CheckIn.activity_id == activity.id)
    )


#: The overlap rule's guard, first in the writing transaction of every check-in: the lock on
#: the volunteer's row, then their open stays elsewhere (checkins/rules.py, overlaps). It
#: costs two statements per check-in; winning them back is in docs/benchmarks.md's list.
GUARD = ("SELECT", "SELECT")


def check_shape(engine, log: Log, writing: tuple[str, ...] = (*GUARD, "INSERT")) -> None:
    """One transaction on PostgreSQL; on SQLite, reads in a plain transaction, then only
    the ``writing`` statements in a ``BEGIN IMMEDIATE`` transaction."""
    if engine.dialect.name != "sqlite":
        assert log.transactions == ["BEGIN", "COMMIT"], str(log)
        return
    assert log.transactions == ["BEGIN", "COMMIT", "BEGIN", "COMMIT"], str(log)
    assert log.begins == ["BEGIN", "BEGIN IMMEDIATE"], str(log)
    second = log.events[log.events.index("BEGIN", 1) + 1 :]
    assert len(second) == len(writing) + 1 and second[-1] == "COMMIT", str(log)
    assert all(s.startswith(w) for s, w in zip(second, writing, strict=False)), str(log)
