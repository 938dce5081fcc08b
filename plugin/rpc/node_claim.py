"""One plugin process per SQLite file.

SQLite is the embedded, single-node store; several nodes share PostgreSQL. The plugin holds an exclusive lock on
`<database>.lock` while it is active, so a second plugin process pointed at the same file is refused at
activation instead of writing behind the first one's back. That exclusivity is what lets the host keep validated
tokens in memory (`ValidateTokenResponse.cacheable`): every revocation of this database then passes through this
plugin, hence through its host's gateway. The lock is the kernel's (flock), so a killed process leaves none.
"""
from __future__ import annotations

import fcntl
import os


class DatabaseInUse(Exception):
    pass


class NodeClaim:
    def __init__(self, fd: int, path: str) -> None:
        self._fd, self.path = fd, path

    def release(self) -> None:
        if self._fd >= 0:
            os.close(self._fd)
            self._fd = -1


def claim_sqlite(database_path: str) -> NodeClaim:
    """Take the file's lock or raise DatabaseInUse naming the process that holds it."""
    path = os.path.abspath(database_path) + ".lock"
    os.makedirs(os.path.dirname(path), exist_ok=True)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        holder = os.pread(fd, 32, 0).decode(errors="replace").strip() or "?"
        os.close(fd)
        raise DatabaseInUse(f"the SQLite database {database_path} is in use by another plugin process "
                            f"(pid {holder}); SQLite serves one node, several nodes share PostgreSQL") from None
    os.ftruncate(fd, 0)
    os.pwrite(fd, str(os.getpid()).encode(), 0)
    return NodeClaim(fd, path)
