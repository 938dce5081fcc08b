"""What the SQL stores share: row conversions, and the reads and one-statement writes that are the same on
every database once the dialect's statements (`RowStatements`) are filled in."""
from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from .contract import Issue
from .records import (
    AccessTokenRecord,
    AppRecord,
    CodeRecord,
    ConsentRecord,
    GrantRecord,
    RefreshTokenRecord,
)


class RowStatements(NamedTuple):
    insert_app: str
    select_app: str
    list_apps: str
    list_apps_by_creator: str
    update_app: str
    upsert_consent: str
    select_consent: str
    list_authorized: str
    insert_code: str
    select_code: str
    consume_code: str
    select_grant: str
    select_access: str
    select_refresh: str
    delete_access: str
    forget_successors: str


def _app(row: Sequence[Any]) -> AppRecord:
    return AppRecord(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7],
        json.loads(row[8]), bool(row[9]), row[10], bool(row[11]), row[12],
    )


def _app_values(app: AppRecord) -> tuple[Any, ...]:
    """Every column but the id, in the update statement's order."""
    return (
        app.creator_id, app.create_at, app.update_at, app.name, app.description, app.icon_url, app.homepage,
        json.dumps(list(app.callback_urls)), bool(app.is_trusted), app.mattermost_app_id,
        bool(app.is_dynamically_registered), app.client_secret_hash,
    )


class RowQueries:
    """Mixed into a store that provides `_one`, `_all`, `_write` (one transaction) and `_insert_issued` (a grant and
    its tokens, in a transaction) and sets `_sql`."""

    _sql: RowStatements
    _one: Callable
    _all: Callable
    _write: Callable
    _insert_issued: Callable

    def save_app(self, app: AppRecord) -> None:
        values = (app.id, *_app_values(app))
        self._write(lambda conn: conn.execute(self._sql.insert_app, values))

    def get_app(self, app_id: str) -> AppRecord | None:
        row = self._one(self._sql.select_app, (app_id,))
        return _app(row) if row else None

    def list_apps(self, offset: int, limit: int, creator_id: str | None = None) -> list[AppRecord]:
        if limit <= 0:
            return []
        offset = max(offset, 0)
        if creator_id is None:
            rows = self._all(self._sql.list_apps, (limit, offset))
        else:
            rows = self._all(self._sql.list_apps_by_creator, (creator_id, limit, offset))
        return [_app(row) for row in rows]

    def update_app(self, app: AppRecord) -> bool:
        values = (*_app_values(app), app.id)
        return self._write(lambda conn: conn.execute(self._sql.update_app, values).rowcount > 0)

    def save_consent(self, consent: ConsentRecord) -> None:
        values = (consent.user_id, consent.client_id, consent.scope, consent.create_at)
        self._write(lambda conn: conn.execute(self._sql.upsert_consent, values))

    def get_consent(self, user_id: str, client_id: str) -> ConsentRecord | None:
        row = self._one(self._sql.select_consent, (user_id, client_id))
        return ConsentRecord(*row) if row else None

    def list_authorized_apps(self, user_id: str, offset: int, limit: int) -> list[AppRecord]:
        if limit <= 0:
            return []
        return [_app(row) for row in self._all(self._sql.list_authorized, (user_id, limit, max(offset, 0)))]

    def save_code(self, code: CodeRecord) -> None:
        values = (
            code.code_hash, code.client_id, code.user_id, code.redirect_uri, code.state, code.scope,
            code.create_at, code.expires_in, code.code_challenge, code.code_challenge_method, code.resource,
            code.used_at, code.grant_id, code.create_at + code.expires_in * 1000,
        )
        self._write(lambda conn: conn.execute(self._sql.insert_code, values))

    def get_code(self, code_hash: str) -> CodeRecord | None:
        row = self._one(self._sql.select_code, (code_hash,))
        return CodeRecord(*row) if row else None

    def redeem_code(self, code_hash: str, client_id: str, now: int, grant_id: str,
                    issue: Callable[[CodeRecord], Issue]) -> Issue | None:
        values = (now, grant_id, code_hash, client_id, now)

        def work(conn) -> tuple[Issue | None, Exception | None]:
            # One conditional UPDATE: of any number of racing callers, only one sees the row come back (on
            # PostgreSQL they queue on the row lock and re-check `used_at IS NULL` against the committed row).
            rows = conn.execute(self._sql.consume_code, values).fetchall()
            if not rows:
                return None, None
            try:
                issued = issue(CodeRecord(*rows[0]))
            except Exception as refusal:  # committed all the same: a refused exchange spends the code
                return None, refusal
            self._insert_issued(conn, issued.grant, issued.access, issued.refresh)
            return issued, None

        issued, refusal = self._write(work)
        if refusal is not None:
            raise refusal
        return issued

    def issue_tokens(self, grant: GrantRecord | None, access: AccessTokenRecord,
                     refresh: RefreshTokenRecord | None) -> None:
        self._write(lambda conn: self._insert_issued(conn, grant, access, refresh))

    def get_grant(self, grant_id: str) -> GrantRecord | None:
        row = self._one(self._sql.select_grant, (grant_id,))
        return GrantRecord(*row) if row else None

    def get_access_token(self, token_hash: str) -> AccessTokenRecord | None:
        row = self._one(self._sql.select_access, (token_hash,))
        return AccessTokenRecord(*row) if row else None

    def get_refresh_token(self, token_hash: str) -> RefreshTokenRecord | None:
        row = self._one(self._sql.select_refresh, (token_hash,))
        return RefreshTokenRecord(*row) if row else None

    def revoke_access_token(self, token_hash: str) -> bool:
        return self._write(lambda conn: conn.execute(self._sql.delete_access, (token_hash,)).rowcount > 0)

    def forget_successors(self, rotated_before: int) -> int:
        return self._write(lambda conn: conn.execute(self._sql.forget_successors, (rotated_before,)).rowcount)
