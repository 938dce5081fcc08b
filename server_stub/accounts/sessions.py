"""Sessions: a login's token (26-character Mattermost id, 128 random bits; only its SHA-256 is stored), and the
caller of a request read with its user and their permissions in one statement."""
from __future__ import annotations

import dataclasses
import functools
import hashlib
import json

from .. import permissions as perms
from ..web.responses import new_request_id as new_id
from .database import Store
from .model import MAX_TOKEN_LENGTH, Caller, SessionRecord, User


_USER_FIELDS = tuple(field.name for field in dataclasses.fields(User))
# The user with one row per role whose name occurs in their role string (a superset: split exactly in Python).
_CALLER_COLUMNS = ", ".join(f"u.{name}" for name in _USER_FIELDS) + (
    ", r.name AS role_name, r.permissions AS role_permissions, r.delete_at AS role_delete_at")
_SESSION_COLUMNS = ("s.id AS s_id, s.user_id AS s_user_id, s.create_at AS s_create_at, s.expires_at AS s_expires_at,"
                    " s.last_activity_at AS s_last_activity_at, s.csrf_token AS s_csrf_token, s.props AS s_props")


def _caller(rows: list, session: SessionRecord | None = None) -> Caller | None:
    if not rows or rows[0]["id"] is None:
        return None
    user = User(**{name: rows[0][name] for name in _USER_FIELDS})
    names = set(perms.split_roles(user.roles))
    granted = [_permissions(row["role_permissions"] or "") for row in rows
               if row["role_name"] in names and row["role_delete_at"] == 0]
    return Caller(user, granted[0] if len(granted) == 1 else frozenset().union(*granted), session)


@functools.lru_cache(maxsize=256)
def _permissions(text: str) -> frozenset[str]:
    """A role's permissions column as a set: the same few texts every request (a role's hundred-odd names)."""
    return frozenset(text.split())


def _session(row) -> SessionRecord:
    try:
        props = json.loads(row["props"] or "{}")
    except ValueError:
        props = {}
    return SessionRecord(row["id"], row["user_id"], row["create_at"], row["expires_at"], row["last_activity_at"],
                         row["csrf_token"], props if isinstance(props, dict) else {})


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class Sessions(Store):
    def create_session(self, user_id: str, lifetime_ms: int, props: dict | None = None
                       ) -> tuple[str, SessionRecord]:
        """A new session for the user; answers (token, session). The token is shown once and never stored."""
        token = new_id()
        stamp = self._now()
        record = SessionRecord(new_id(), user_id, stamp, stamp + max(0, int(lifetime_ms)), stamp, new_id(),
                               dict(props or {}))
        with self._transaction() as db:
            db.execute("INSERT INTO sessions (id, token_hash, user_id, create_at, expires_at, last_activity_at, "
                       "csrf_token, props) VALUES (?,?,?,?,?,?,?,?)",
                       (record.id, hash_token(token), user_id, record.create_at, record.expires_at,
                        record.last_activity_at, record.csrf_token, json.dumps(record.props)))
        return token, record

    def caller_by_session_token(self, token: str) -> Caller | None:
        """The live session for a presented token (truncated to 50 characters, like Mattermost) with its active
        user and their permissions, in one statement; None when unknown or expired, or when its user is gone or
        deactivated (such a session is deleted)."""
        if not token:
            return None
        rows = self._conn().execute(
            f"SELECT {_SESSION_COLUMNS}, {_CALLER_COLUMNS} FROM sessions s LEFT JOIN users u ON u.id = s.user_id"
            f" LEFT JOIN roles r ON {self.db.find}(u.roles, r.name) > 0 WHERE s.token_hash = ?",
            (hash_token(token[:MAX_TOKEN_LENGTH]),)).fetchall()
        if not rows:
            return None
        record = _session({key[2:]: rows[0][key] for key in rows[0].keys() if key.startswith("s_")})
        caller = _caller(rows, record)
        if record.expires_at <= self._now() or caller is None or not caller.user.is_active:
            self.revoke_session(record.id)
            return None
        return caller

    def caller_by_user_id(self, user_id: str) -> Caller | None:
        """An active user with their permissions, in one statement (the user an OAuth access token acts as)."""
        rows = self._conn().execute(
            f"SELECT {_CALLER_COLUMNS} FROM users u LEFT JOIN roles r ON {self.db.find}(u.roles, r.name) > 0"
            " WHERE u.id = ?", (user_id,)).fetchall()
        caller = _caller(rows)
        return caller if caller is not None and caller.user.is_active else None

    def get_session(self, session_id: str) -> SessionRecord | None:
        row = self._conn().execute("SELECT * FROM sessions WHERE id = ?", (session_id,)).fetchone()
        return _session(row) if row else None

    def sessions_for_user(self, user_id: str) -> list[SessionRecord]:
        rows = self._conn().execute("SELECT * FROM sessions WHERE user_id = ? ORDER BY last_activity_at DESC",
                                    (user_id,)).fetchall()
        return [_session(row) for row in rows]

    def touch_session(self, session_id: str) -> None:
        with self._transaction() as db:
            db.execute("UPDATE sessions SET last_activity_at = ? WHERE id = ?", (self._now(), session_id))

    def revoke_session(self, session_id: str) -> bool:
        with self._transaction() as db:
            return db.execute("DELETE FROM sessions WHERE id = ?", (session_id,)).rowcount > 0

    def revoke_user_sessions(self, user_id: str) -> int:
        with self._transaction() as db:
            return db.execute("DELETE FROM sessions WHERE user_id = ?", (user_id,)).rowcount

    def delete_expired_sessions(self) -> int:
        with self._transaction() as db:
            return db.execute("DELETE FROM sessions WHERE expires_at <= ?", (self._now(),)).rowcount
