"""Statement counting for the bench's traced host (bench/run.py puts this directory on PYTHONPATH only then).

Every sqlite3 connection the host or its plugin opens gets a trace callback that appends one line per executed
statement to $BENCH_SQL_TRACE: `pid<TAB>thread<TAB>statement`. The host hands its environment to the plugin, so
both processes write to the same file (O_APPEND: lines do not interleave). Nothing else changes.
"""
import os
import sqlite3
import threading

_path = os.environ.get("BENCH_SQL_TRACE")

if _path:
    _connect = sqlite3.connect
    _fd = os.open(_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    _pid = str(os.getpid())

    def _trace(statement: str) -> None:
        line = f"{_pid}\t{threading.current_thread().name}\t{' '.join(statement.split())}\n"
        os.write(_fd, line.encode())

    def connect(*args, **kwargs):
        conn = _connect(*args, **kwargs)
        conn.set_trace_callback(_trace)
        return conn

    sqlite3.connect = connect
