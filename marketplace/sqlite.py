"""SQLite settings that make the embedded database safe for concurrent requests.

pysqlite starts transactions lazily and never as IMMEDIATE; we take over BEGIN so that
services which read and then write can hold the write lock from the first statement.
"""

from __future__ import annotations

from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction, UOWTransaction

from marketplace.extensions import db

SQLITE_BEGIN = "sqlite_begin"
WROTE = "wrote_in_transaction"  # session.info flag: this transaction already changed rows


@event.listens_for(Session, "after_flush")
def _flushed(session: Session, _flush: UOWTransaction) -> None:
    session.info[WROTE] = True


@event.listens_for(Session, "do_orm_execute")
def _executed(state: ORMExecuteState) -> None:
    if state.is_insert or state.is_update or state.is_delete:
        state.session.info[WROTE] = True


@event.listens_for(Session, "after_transaction_end")
def _ended(session: Session, transaction: SessionTransaction) -> None:
    if transaction.parent is None:
        session.info.pop(WROTE, None)


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
        mode = connection.get_execution_options().get(SQLITE_BEGIN, "")
        connection.exec_driver_sql(f"BEGIN {mode}".strip())


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
        if session.new or session.dirty or session.deleted or session.info.get(WROTE):
            session.flush()
            return  # already wrote in this transaction, so it holds the write lock
        session.rollback()  # only reads so far: start again, this time holding the lock
    session.connection(execution_options={SQLITE_BEGIN: "IMMEDIATE"})
