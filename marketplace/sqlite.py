"""SQLite settings that make the embedded database safe for concurrent requests.

pysqlite starts transactions lazily and never as IMMEDIATE; we take over BEGIN so that
services which read and then write can hold the write lock from the first statement.

Every transaction begun while serving a request that may write (POST, PUT, PATCH, DELETE)
is IMMEDIATE: in WAL mode a deferred transaction that read before another connection
committed cannot upgrade to a writer (SQLITE_BUSY_SNAPSHOT, which the busy timeout does not
wait for), so two taps on one button would otherwise end in "database is locked". Writers
queue for the lock instead; readers (GET) never wait.
"""

from __future__ import annotations

from flask import has_request_context, request
from sqlalchemy import event
from sqlalchemy.engine import Engine

from marketplace.extensions import db

SQLITE_BEGIN = "sqlite_begin"
WROTE = "sqlite_wrote"  # connection.info flag: this transaction has written (holds the lock)
IMMEDIATE = "sqlite_immediate"  # connection.info flag: this transaction began holding the lock
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


def _begin_mode(connection) -> str:
    mode = connection.get_execution_options().get(SQLITE_BEGIN, "")
    if not mode and has_request_context() and request.method in WRITE_METHODS:
        mode = "IMMEDIATE"
    return mode


def configure_sqlite(engine: Engine) -> None:
    if engine.dialect.name != "sqlite":
        return

    @event.listens_for(engine, "connect")
    def on_connect(dbapi_connection, _record) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def on_begin(connection) -> None:
        mode = _begin_mode(connection)
        connection.exec_driver_sql(f"BEGIN {mode}".strip())
        connection.info.pop(WROTE, None)
        connection.info[IMMEDIATE] = mode in ("IMMEDIATE", "EXCLUSIVE")

    @event.listens_for(engine, "before_cursor_execute")
    def on_execute(connection, _cursor, statement, _parameters, _context, _many) -> None:
        if statement.lstrip()[:6].upper() in ("INSERT", "UPDATE", "DELETE"):
            connection.info[WROTE] = True

    @event.listens_for(engine, "commit")
    @event.listens_for(engine, "rollback")
    def on_end(connection) -> None:
        connection.info.pop(WROTE, None)
        connection.info.pop(IMMEDIATE, None)


def begin_write_transaction() -> None:
    """Make the session's next statements run in a transaction holding the write lock.

    On SQLite a deferred transaction that reads and then writes fails with SQLITE_BUSY when
    another writer got in first; BEGIN IMMEDIATE waits for the lock instead. On PostgreSQL
    row locks and constraints do the work, so nothing changes there.
    """
    session = db.session()  # the real Session behind the scoped proxy
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        if session.new or session.dirty or session.deleted:
            session.flush()
            return  # already wrote in this transaction, so it holds the write lock
        info = session.connection().info
        if info.get(WROTE) or info.get(IMMEDIATE):
            return  # wrote earlier in this transaction, or began holding the lock
        session.rollback()
    session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})


def begin_read_transaction() -> None:
    """Make the session's next transaction a plain reader, even while serving a POST: a
    request that only polls for another one's result must not hold the write lock that the
    other one is waiting for."""
    session = db.session()
    if session.get_bind().dialect.name != "sqlite":
        return
    if session.in_transaction():
        session.rollback()
    session.connection(execution_options={SQLITE_BEGIN: "DEFERRED"})
