"""Race tests: actors in threads, started together, one of them held just before it writes.

Each actor runs in a thread of its own, with its own app context (so its own database
session and connections) and its own test clients; it may read what the test's objects
have loaded, but never load through the test's session; SQLite is a file database here, so the
threads contend for its write lock for real, and on PostgreSQL for its row locks.

An actor prepares (signs in, fetches a form's CSRF token), then calls ``go()``: a barrier
releases all actors at once. To make the dangerous interleaving happen every time rather
than now and then, one actor may be **held**: it goes first, and just before its first
write (SQLite's ``BEGIN IMMEDIATE``, or an INSERT, UPDATE or DELETE) it waits; the others
go once it waits, and it is let go when every other actor has finished or is itself
waiting for a lock (or when ``release_when()`` says so). A
read-modify-write without a condition or a lock then writes over what the others did while
it was held, in every run; with its guard it does not. Nothing here sleeps to synchronise:
the hold is an event, and "waiting for a lock" is read from the database (PostgreSQL's
``pg_blocking_pids``) or from the statement in flight (SQLite's ``BEGIN IMMEDIATE``, which
waits while another request holds the write lock).
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import event, text

from volunteer_app.database import utcnow

#: The statements that begin an actor's writing.
WRITES = re.compile(r"^\s*(BEGIN IMMEDIATE|INSERT|UPDATE|DELETE)\b", re.IGNORECASE)
#: Longest wait for the others before the held actor is let go anyway (then the test fails).
PATIENCE_SECONDS = 20


@dataclass
class _Actor:
    name: str
    run: Callable[[Callable[[], None]], Any]
    result: Any = None
    error: BaseException | None = None
    done: threading.Event = field(default_factory=threading.Event)
    started: bool = False
    statement: str | None = None  # in flight
    backend_pid: int | None = None
    #: SQLite: its transaction began with BEGIN IMMEDIATE, so it holds the write lock.
    writing: bool = False


class Race:
    """Run actors together; see the module docstring. ``run`` returns their results."""

    def __init__(self, app, db) -> None:
        self.app = app
        self.db = db
        self.actors: dict[str, _Actor] = {}
        self.held_at: str | None = None
        #: When the held actor reached its first write (what it computed before is older).
        self.arrived_at: datetime | None = None
        self.stalled = False

    def actor(self, name: str, run: Callable[[Callable[[], None]], Any]) -> None:
        """Add an actor: ``run(go)`` prepares, calls ``go()``, acts and returns a result."""
        self.actors[name] = _Actor(name, run)

    def finished(self, prefix: str) -> int:
        """How many actors whose name starts with ``prefix`` have finished."""
        return sum(
            1 for name, a in self.actors.items() if name.startswith(prefix) and a.done.is_set()
        )

    def run(
        self,
        *,
        hold: str | None = None,
        release_when: Callable[[], bool] | None = None,
    ) -> dict[str, Any]:
        """Start every actor, hold ``hold`` before its first write; results by name."""
        # The test's own transaction must hold nothing meanwhile; what it loaded stays
        # loaded, since an actor's thread must never load through the test's session.
        session = self.db.session()
        session.expire_on_commit = False
        try:
            session.commit()
        finally:
            session.expire_on_commit = True
        barrier = threading.Barrier(len(self.actors))
        release = threading.Event()
        arrived = threading.Event()
        engine = self.db.engine
        by_thread: dict[int, _Actor] = {}

        def before(conn, cursor, statement, parameters, context, executemany):
            actor = by_thread.get(threading.get_ident())
            if actor is None or not actor.started:
                return
            if actor.name == hold and not arrived.is_set() and WRITES.match(statement):
                self.held_at = " ".join(statement.split())[:60]
                self.arrived_at = utcnow()
                arrived.set()
                release.wait(PATIENCE_SECONDS * 2)
            if engine.dialect.name == "postgresql":
                actor.backend_pid = conn.connection.dbapi_connection.info.backend_pid
            actor.statement = statement

        def after(conn, cursor, statement, parameters, context, executemany):
            actor = by_thread.get(threading.get_ident())
            if actor is not None:
                if (actor.statement or "").lstrip().upper().startswith("BEGIN IMMEDIATE"):
                    actor.writing = True
                actor.statement = None

        def failed(context):
            actor = by_thread.get(threading.get_ident())
            if actor is not None:
                actor.statement = None

        def ended(conn):
            actor = by_thread.get(threading.get_ident())
            if actor is not None:
                actor.writing = False

        def body(actor: _Actor) -> None:
            by_thread[threading.get_ident()] = actor

            def go() -> None:
                barrier.wait(PATIENCE_SECONDS)
                actor.started = True
                if hold is not None and actor.name != hold:
                    # The held actor reads first: the others act while it is held.
                    held = self.actors[hold]
                    while not (arrived.wait(0.01) or held.done.is_set()):
                        pass

            try:
                with self.app.app_context():
                    actor.result = actor.run(go)
                    self.db.session.commit()
            except BaseException as error:  # reported by run()
                actor.error = error
                barrier.abort()
            finally:
                actor.done.set()

        listeners = {
            "before_cursor_execute": before,
            "after_cursor_execute": after,
            "handle_error": failed,
            "commit": ended,
            "rollback": ended,
        }
        for name, fn in listeners.items():
            event.listen(engine, name, fn)
        threads = [
            threading.Thread(target=body, args=(a,), name=a.name, daemon=True)
            for a in self.actors.values()
        ]
        try:
            for thread in threads:
                thread.start()
            if hold is not None:
                self._release_when_ready(hold, arrived, release_when)
                release.set()
            for thread in threads:
                thread.join(PATIENCE_SECONDS * 3)
        finally:
            release.set()
            for name, fn in listeners.items():
                event.remove(engine, name, fn)
        errors = [a.error for a in self.actors.values() if a.error is not None]
        errors.sort(key=lambda error: isinstance(error, threading.BrokenBarrierError))
        if errors:
            raise errors[0]  # the cause, not the barrier it broke for the others
        for actor in self.actors.values():
            assert actor.done.is_set(), f"{actor.name} did not finish"
        assert hold is None or self.held_at, f"{hold} never wrote"
        assert not self.stalled, "the others neither finished nor waited for a lock"
        self.db.session.commit()  # the test's next read sees what the actors wrote
        return {name: actor.result for name, actor in self.actors.items()}

    def _release_when_ready(self, hold: str, arrived, release_when) -> None:
        """Wait for the held actor to arrive, then for the others to finish or wait."""
        held = self.actors[hold]
        deadline = time.monotonic() + PATIENCE_SECONDS
        while not (arrived.is_set() or held.done.is_set()):
            if time.monotonic() > deadline:
                self.stalled = True
                return
            arrived.wait(0.01)
        others = [a for a in self.actors.values() if a is not held]
        while time.monotonic() < deadline:
            if release_when is not None and release_when():
                return
            if all(a.done.is_set() for a in others):
                return
            waiting = self._waiting(held, others)
            if all(a.done.is_set() or a.name in waiting for a in others):
                return
            time.sleep(0.005)  # polling the database for lock waits, not synchronising
        self.stalled = True

    def _waiting(self, held: _Actor, actors: list[_Actor]) -> set[str]:
        """Names of the actors whose statement in flight waits for the held one's lock.

        SQLite: a BEGIN IMMEDIATE in flight while the held actor holds the write lock (if
        it holds none, nobody waits for it, and the others are simply let finish).
        """
        if self.db.engine.dialect.name == "sqlite":
            if not held.writing:
                return set()
            return {
                a.name
                for a in actors
                if (a.statement or "").strip().upper().startswith("BEGIN IMMEDIATE")
            }
        pids = {a.backend_pid: a.name for a in actors if a.backend_pid and a.statement}
        if not pids:
            return set()
        with self.db.engine.connect() as conn:
            blocked = conn.scalars(
                text(
                    "SELECT pid FROM pg_stat_activity "
                    "WHERE pid = ANY(:pids) AND cardinality(pg_blocking_pids(pid)) > 0"
                ),
                {"pids": list(pids)},
            ).all()
        return {pids[pid] for pid in blocked}
