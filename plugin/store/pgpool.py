"""PostgreSQL connections that live through the database going away: a psycopg_pool pool behind a small circuit.

    pool = PgPool("postgresql://user@db:5432/oauth", unavailable=StoreUnavailable)
    row = pool.read(lambda conn: conn.execute("SELECT ...", params).fetchone())
    n = pool.write(lambda conn: conn.execute("UPDATE ...", params).rowcount)
    pool.close()

Generic (it knows no table): the plugin's store (plugin/store/postgres.py) and the host's accounts
(server_stub/accounts/) both use it, so they answer the same way while PostgreSQL is unreachable.

- **Fail fast.** Every wait is bounded: connecting (`connect_timeout`, 2 s), each statement (`statement_timeout`,
  5 s, set by the server), a transaction left idle (`idle_in_transaction_session_timeout`), a connection from the
  pool (`acquire_timeout`), and a server that stopped answering (TCP keepalives and `tcp_user_timeout`). Once the
  database is known to be down, calls raise `unavailable` at once, without trying: no caller waits for a
  connection attempt (the host calls its accounts on its event loop).
- **Recover by itself.** While the database is down a background thread probes it (a plain connect) every
  `probe_interval`; the first probe that connects puts a fresh pool in place: the old pool's connections are
  dead, and psycopg_pool's own reconnection backs off exponentially, which could keep it empty for minutes after
  the database is back. Nothing has to be restarted.
- **Never lose or repeat a write.** Reads run in autocommit (one round trip). Writes run in
  `BEGIN ISOLATION LEVEL READ COMMITTED ... COMMIT`. A transaction that failed before its COMMIT was sent was
  rolled back by the server (a dead connection never commits), so it is run again once on a fresh connection; a
  COMMIT whose answer never came is reported as `unavailable` and not run again (its outcome is unknown, and
  nothing was acknowledged). Serialization failures and deadlocks, which the server rolls back, are run again
  up to four times.

READ COMMITTED is deliberate: a conditional `UPDATE ... WHERE used_at IS NULL RETURNING` that waits for a
concurrent writer of the same row re-checks its condition against the committed row, so of any number of racing
callers exactly one gets the row back, with no serialization failures to retry. Multi-statement transactions
that must not interleave with others take row locks first (see plugin/store/postgres.py).
"""
from __future__ import annotations

import contextlib
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import TypeVar

import psycopg
from psycopg import conninfo as pg_conninfo
from psycopg import errors as pg_errors
from psycopg.pq import TransactionStatus
from psycopg_pool import ConnectionPool, PoolClosed, PoolTimeout

log = logging.getLogger("pgpool")

T = TypeVar("T")

CONFLICT_RETRIES = 4


class Unavailable(Exception):
    """The database cannot be reached now (the default `unavailable` class)."""


class Closed(Exception):
    """The pool was closed (the default `closed` class)."""


def session_options(statement_timeout_ms: int, idle_in_transaction_ms: int) -> str:
    """Server settings sent in the startup packet (no extra round trip)."""
    return (f"-c statement_timeout={int(statement_timeout_ms)}"
            f" -c idle_in_transaction_session_timeout={int(idle_in_transaction_ms)}")


def merged_conninfo(dsn: str, **settings) -> str:
    """`dsn` (a URI or key=value string) with `settings` added; `options` are appended to the DSN's own."""
    params = pg_conninfo.conninfo_to_dict(dsn)
    extra = settings.pop("options", "")
    if extra:
        params["options"] = f"{params.get('options', '')} {extra}".strip()
    for key, value in settings.items():
        params.setdefault(key, value)  # what the DSN says wins
    return pg_conninfo.make_conninfo(**params)


def redact(dsn: str) -> str:
    """The DSN without its password, for logs."""
    try:
        params = pg_conninfo.conninfo_to_dict(dsn)
    except psycopg.Error:
        return "<unparsable DSN>"
    params.pop("password", None)
    return " ".join(f"{k}={v}" for k, v in params.items() if k in ("host", "hostaddr", "port", "dbname", "user"))


class PgPool:
    def __init__(
        self,
        dsn: str,
        *,
        name: str = "pgpool",
        min_size: int = 1,
        max_size: int = 10,
        connect_timeout: int = 2,
        statement_timeout_ms: int = 5000,
        idle_in_transaction_ms: int = 15000,
        acquire_timeout: float = 3.0,
        probe_interval: float = 0.5,
        unavailable: type[Exception] = Unavailable,
        closed: type[Exception] = Closed,
    ) -> None:
        # Fails here (psycopg.ProgrammingError) on a malformed DSN, before any connection is tried.
        self._conninfo = merged_conninfo(
            dsn,
            connect_timeout=str(int(connect_timeout)),
            keepalives="1", keepalives_idle="5", keepalives_interval="2", keepalives_count="3",
            tcp_user_timeout=str(int(statement_timeout_ms) + 5000),
            application_name=name,
            options=session_options(statement_timeout_ms, idle_in_transaction_ms),
        )
        self.name = name
        self._where = redact(dsn)
        self._min_size, self._max_size = min_size, max_size
        self._acquire_timeout = acquire_timeout
        self._probe_interval = probe_interval
        self._unavailable, self._closed_error = unavailable, closed
        self._lock = threading.Lock()
        self._probe_lock = threading.Lock()
        self._prober: threading.Thread | None = None
        self._stop = threading.Event()
        # No pool until a first probe connects: the first call then fails at once when the server is down, instead
        # of waiting `acquire_timeout` for a pool that cannot fill.
        self._pool: ConnectionPool | None = None
        self._down_reason = "not connected yet"
        self._connected_once = False
        self._closed = False

    # --- public ------------------------------------------------------------------------------------------------
    def read(self, work: Callable[[psycopg.Connection], T]) -> T:
        """Run `work(conn)` in autocommit: for reads, and for a single statement that is atomic on its own."""
        return self._run(work, transaction=False)

    def write(self, work: Callable[[psycopg.Connection], T]) -> T:
        """Run `work(conn)` in one READ COMMITTED transaction and commit; roll back on any exception."""
        return self._run(work, transaction=True)

    def close(self) -> None:
        self._stop.set()
        with self._lock:
            self._closed = True
            pool, self._pool = self._pool, None
        if pool is not None:
            pool.close(timeout=2)

    # --- the pool and the circuit -------------------------------------------------------------------------------
    def _new_pool(self) -> ConnectionPool:
        pool = ConnectionPool(
            self._conninfo,
            kwargs={"autocommit": True},
            min_size=self._min_size,
            max_size=self._max_size,
            timeout=self._acquire_timeout,
            reconnect_timeout=max(self._acquire_timeout, 5.0),
            name=self.name,
            open=False,
        )
        pool.open(wait=False)
        return pool

    def _current_pool(self) -> ConnectionPool:
        with self._lock:
            if self._closed:
                raise self._closed_error(f"{self.name}: closed")
            if self._pool is not None:
                return self._pool
            if self._connected_once:  # known to be down: fail at once; the prober brings the pool back
                raise self._unavailable(f"{self.name}: database unavailable ({self._down_reason})")
        # Never connected yet (the first calls, e.g. migrate): connect now, one caller at a time.
        with self._probe_lock:
            with self._lock:
                if self._pool is not None:
                    return self._pool
            reason = self._probe()
            with self._lock:
                if self._closed:
                    raise self._closed_error(f"{self.name}: closed")
                if reason is not None:
                    self._down_reason = reason
                    raise self._unavailable(f"{self.name}: database unavailable ({reason})")
                if self._pool is None:
                    self._pool = self._new_pool()
                    self._connected_once = True
                return self._pool

    def _go_down(self, reason: str) -> None:
        """With self._lock held: no pool until the background prober connects again."""
        self._pool = None
        self._down_reason = reason
        if self._prober is None or not self._prober.is_alive():
            self._prober = threading.Thread(target=self._probe_until_up, name=f"{self.name}-probe", daemon=True)
            self._prober.start()

    def _probe_until_up(self) -> None:
        while not self._stop.wait(self._probe_interval):
            reason = self._probe()
            with self._lock:
                if self._closed or self._pool is not None:
                    return
                if reason is None:
                    self._pool = self._new_pool()
                    log.warning("database reachable again; new connection pool", extra={"pool": self.name})
                    return
                self._down_reason = reason

    def _probe(self) -> str | None:
        """None when a new connection can be made now, else why not."""
        try:
            psycopg.connect(self._conninfo, autocommit=True).close()
        except psycopg.Error as exc:
            return str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        return None

    def _connection_lost(self, pool: ConnectionPool, error: BaseException, replace: bool = True) -> None:
        """A connection of `pool` failed (or none came): probe. When the database answers, replace the pool (its
        other idle connections are likely dead too) if `replace`; when it does not, open the circuit and raise."""
        reason = self._probe()
        if reason is None and not replace:
            return
        with self._lock:
            current = self._pool is pool
            if current:
                if reason is None:
                    self._pool = self._new_pool()
                else:
                    self._go_down(reason)
        if current:
            if reason is None:
                log.warning("database connection lost; new connection pool", extra={"pool": self.name,
                                                                                    "error": str(error)})
            else:
                log.error("database unavailable", extra={"pool": self.name, "where": self._where, "error": reason})
            threading.Thread(target=pool.close, kwargs={"timeout": 1}, daemon=True).start()
        if reason is not None:
            raise self._unavailable(f"{self.name}: database unavailable ({reason})") from error

    # --- running work ---------------------------------------------------------------------------------------------
    def _getconn(self) -> tuple[ConnectionPool, psycopg.Connection]:
        while True:
            pool = self._current_pool()
            try:
                return pool, pool.getconn(timeout=self._acquire_timeout)
            except PoolClosed:
                continue  # replaced meanwhile by another caller: take the new one (or the closed error)
            except PoolTimeout as exc:
                # Down (the probe fails: open the circuit and raise) or only busy (every connection in use).
                self._connection_lost(pool, exc, replace=False)
                raise self._unavailable(f"{self.name}: no connection free within {self._acquire_timeout} s") \
                    from exc

    def _run(self, work: Callable[[psycopg.Connection], T], transaction: bool) -> T:
        lost_retries, conflict_retries = 1, CONFLICT_RETRIES
        while True:
            pool, conn = self._getconn()
            committing = False
            try:
                if transaction:
                    conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
                    result = work(conn)
                    committing = True
                    conn.execute("COMMIT")
                else:
                    result = work(conn)
                return result
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                if conn.broken or conn.closed:
                    if committing:
                        self._connection_lost(pool, exc)
                        raise self._unavailable(f"{self.name}: connection lost during COMMIT; outcome unknown") \
                            from exc
                    if lost_retries > 0:
                        lost_retries -= 1
                        self._connection_lost(pool, exc)  # raises when down
                        continue
                    raise self._unavailable(f"{self.name}: connection lost ({exc})") from exc
                _rollback(conn)
                if isinstance(exc, pg_errors.TransactionRollbackError) and conflict_retries > 0:
                    conflict_retries -= 1
                    time.sleep(random.uniform(0.001, 0.02))
                    continue
                # statement_timeout, lock timeouts, too many connections, the server shutting down, ...
                raise self._unavailable(f"{self.name}: {type(exc).__name__}: {exc}") from exc
            except BaseException:
                _rollback(conn)
                raise
            finally:
                pool.putconn(conn)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg.Connection]:
        """`write` for callers that run a block rather than hand over a function: one READ COMMITTED transaction,
        committed when the block ends, rolled back when it raises. A block cannot be run again, so only its BEGIN
        is retried (on a fresh pool, when the connection it got was dead); a connection lost inside the block is
        `unavailable` (the server rolled the transaction back)."""
        lost_retries = 1
        while True:
            pool, conn = self._getconn()
            try:
                conn.execute("BEGIN ISOLATION LEVEL READ COMMITTED")
                break
            except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
                pool.putconn(conn)
                if (conn.broken or conn.closed) and lost_retries > 0:
                    lost_retries -= 1
                    self._connection_lost(pool, exc)  # raises when down
                    continue
                raise self._unavailable(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        committing = False
        try:
            yield conn
            committing = True
            conn.execute("COMMIT")
        except (psycopg.OperationalError, psycopg.InterfaceError) as exc:
            if conn.broken or conn.closed:
                self._connection_lost(pool, exc)  # raises when down
                what = "during COMMIT; outcome unknown" if committing else "; rolled back"
                raise self._unavailable(f"{self.name}: connection lost {what}") from exc
            _rollback(conn)
            raise self._unavailable(f"{self.name}: {type(exc).__name__}: {exc}") from exc
        except BaseException:
            _rollback(conn)
            raise
        finally:
            pool.putconn(conn)


def _rollback(conn: psycopg.Connection) -> None:
    if conn.broken or conn.closed:
        return
    if conn.info.transaction_status in (TransactionStatus.INTRANS, TransactionStatus.INERROR):
        try:
            conn.execute("ROLLBACK")
        except psycopg.Error:
            pass  # the pool discards a connection it cannot reset
