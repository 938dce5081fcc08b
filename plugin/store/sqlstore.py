"""The store contract on SQL, once for both databases: every method is here, on the statements of `Sql`
(plugin/store/sql.py). A subclass (plugin/store/sqlite.py, plugin/store/postgres.py) brings what differs:

- connections and transactions: `_one` and `_all` (a read, one statement), `_write` (work in one transaction,
  rolled back when it raises);
- locking: `_lock_app`, `_share_grant`, `_lock_grants`, `_in_lock_order`, called at the points where
  PostgreSQL's protocol takes its row locks (SQLite's BEGIN IMMEDIATE already excludes every other writer);
- the sweeps `delete_expired` and `delete_audit_events`, whose transactions differ (SQLite deletes in chunks).
"""
from __future__ import annotations

import abc
import json
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from .contract import Issue, Store
from .records import (AccessTokenRecord, AppRecord, AuditRecord, AuthenticationRecord, CodeRecord, ConsentRecord,
                      DeviceCodeRecord, GrantRecord, PushedRequestRecord, RefreshTokenRecord, SigningKeyRecord)
from .sql import Cascade, Sql, app_record, app_values, device_code_record

T = TypeVar("T")

# Rate-limit windows are a minute long; an hour-old one is no longer read.
RATE_LIMIT_KEEP_MS = 3_600_000


class SqlStore(Store):
    _sql: Sql

    # --- what a subclass provides ---------------------------------------------------------------------------
    @abc.abstractmethod
    def _one(self, sql: str, params: Sequence[Any]) -> Any: ...

    @abc.abstractmethod
    def _all(self, sql: str, params: Sequence[Any]) -> list[Any]: ...

    @abc.abstractmethod
    def _write(self, work: Callable[[Any], T]) -> T: ...

    @abc.abstractmethod
    def _lock_app(self, conn: Any, app_id: str) -> bool:
        """Before an app's cascade: False when there is no such app."""

    @abc.abstractmethod
    def _share_grant(self, conn: Any, grant_id: str) -> bool:
        """Before tokens are added under an existing grant: False when the grant is gone."""

    @abc.abstractmethod
    def _lock_grants(self, conn: Any, cascade: Cascade, params: tuple[Any, ...]) -> tuple[Any, ...] | None:
        """The parameters of the cascade's `issued` and `grants` statements; None when no grant is in scope."""

    @abc.abstractmethod
    def _in_lock_order(self, hits: list[tuple[str, int]]) -> list[int]:
        """The indexes of `hits` in the order their counters are written."""

    # --- shared steps ---------------------------------------------------------------------------------------
    def _insert_issued(self, conn: Any, grant: GrantRecord | None, access: AccessTokenRecord,
                       refresh: RefreshTokenRecord | None) -> None:
        for statement, values in self._sql.issued(grant, access, refresh):
            conn.execute(statement, values)

    def _cascade(self, conn: Any, cascade: Cascade, params: tuple[Any, ...]) -> int:
        """One revocation (sql.Cascade, in TOKEN_TABLES order); the number of tokens removed."""
        for statement in cascade.owned:
            conn.execute(statement, params)
        of_grants = self._lock_grants(conn, cascade, params)
        removed = 0
        if of_grants is not None:
            removed = sum(conn.execute(statement, of_grants).rowcount for statement in cascade.issued)
            if cascade.grants:
                conn.execute(cascade.grants, of_grants)
        if cascade.consents:
            conn.execute(cascade.consents, params)
        return removed

    def _delete_rate_limits(self, conn: Any, now: int) -> int:
        return conn.execute(self._sql.delete_rate_limits, (now - RATE_LIMIT_KEEP_MS,)).rowcount

    # --- apps -----------------------------------------------------------------------------------------------
    def save_app(self, app: AppRecord) -> None:
        values = (app.id, *app_values(app))
        self._write(lambda conn: conn.execute(self._sql.insert_app, values))

    def get_app(self, app_id: str) -> AppRecord | None:
        row = self._one(self._sql.select_app, (app_id,))
        return app_record(row) if row else None

    def list_apps(self, offset: int, limit: int, creator_id: str | None = None) -> list[AppRecord]:
        if limit <= 0:
            return []
        offset = max(offset, 0)
        if creator_id is None:
            rows = self._all(self._sql.list_apps, (limit, offset))
        else:
            rows = self._all(self._sql.list_apps_by_creator, (creator_id, limit, offset))
        return [app_record(row) for row in rows]

    def edit_app(self, app_id: str, change: Callable[[AppRecord], AppRecord]) -> AppRecord | None:
        def work(conn) -> AppRecord | None:
            row = conn.execute(self._sql.select_app, (app_id,)).fetchone() if self._lock_app(conn, app_id) else None
            if row is None:
                return None
            record = change(app_record(row))
            conn.execute(self._sql.update_app, (*app_values(record), app_id))
            return record

        return self._write(work)

    def delete_app(self, app_id: str) -> bool:
        def work(conn) -> bool:
            if not self._lock_app(conn, app_id):
                return False
            self._cascade(conn, self._sql.delete_app_rows, (app_id,))
            return conn.execute(self._sql.delete_app, (app_id,)).rowcount > 0

        return self._write(work)

    # --- consents -------------------------------------------------------------------------------------------
    def save_consent(self, consent: ConsentRecord) -> None:
        values = (consent.user_id, consent.client_id, consent.scope, consent.create_at)
        self._write(lambda conn: conn.execute(self._sql.upsert_consent, values))

    def get_consent(self, user_id: str, client_id: str) -> ConsentRecord | None:
        row = self._one(self._sql.select_consent, (user_id, client_id))
        return ConsentRecord(*row) if row else None

    def list_authorized_apps(self, user_id: str, offset: int, limit: int) -> list[tuple[AppRecord, str]]:
        if limit <= 0:
            return []
        rows = self._all(self._sql.list_authorized, (user_id, limit, max(offset, 0)))
        return [(app_record(row[:-1]), row[-1]) for row in rows]

    # --- codes ----------------------------------------------------------------------------------------------
    def save_code(self, code: CodeRecord) -> None:
        values = (
            code.code_hash, code.client_id, code.user_id, code.redirect_uri, code.state, code.scope,
            code.create_at, code.expires_in, code.code_challenge, code.code_challenge_method, code.resource,
            code.used_at, code.grant_id, code.dpop_jkt, code.create_at + code.expires_in * 1000,
        )
        self._write(lambda conn: conn.execute(self._sql.insert_code, values))

    def get_code(self, code_hash: str) -> CodeRecord | None:
        row = self._one(self._sql.select_code, (code_hash,))
        return CodeRecord(*row) if row else None

    def redeem_code(self, code_hash: str, client_id: str, now: int, grant_id: str,
                    issue: Callable[[CodeRecord], Issue]) -> Issue | None:
        return self._redeem(self._sql.consume_code, (now, grant_id, code_hash, client_id, now),
                            lambda row: issue(CodeRecord(*row)))

    def _redeem(self, spend: str, values: tuple[Any, ...], issue: Callable[[Any], Issue]) -> Issue | None:
        """Spend something once and insert what the winner issues, in one transaction."""
        def work(conn) -> tuple[Issue | None, Exception | None]:
            # One conditional UPDATE: of any number of racing callers, only one sees the row come back (on
            # PostgreSQL they queue on the row lock and re-check the condition against the committed row).
            rows = conn.execute(spend, values).fetchall()
            if not rows:
                return None, None
            try:
                issued = issue(rows[0])
            except Exception as refusal:  # committed all the same: a refused exchange spends it
                return None, refusal
            self._insert_issued(conn, issued.grant, issued.access, issued.refresh)
            return issued, None

        issued, refusal = self._write(work)
        if refusal is not None:
            raise refusal
        return issued

    # --- device codes (RFC 8628) -------------------------------------------------------------------------------
    def save_device_code(self, record: DeviceCodeRecord) -> bool:
        r = record
        values = (r.device_code_hash, r.user_code_hash, r.client_id, r.user_id, r.scope, r.resource, r.status,
                  r.create_at, r.expires_at, r.poll_interval, r.last_polled_at, bool(r.slow_down), r.decided_at,
                  r.grant_id)
        return self._write(lambda conn: conn.execute(self._sql.insert_device_code, values).rowcount > 0)

    def get_device_code(self, device_code_hash: str) -> DeviceCodeRecord | None:
        row = self._one(self._sql.select_device_code, (device_code_hash,))
        return device_code_record(row) if row else None

    def find_pending_device_code(self, user_code_hash: str, now: int) -> DeviceCodeRecord | None:
        row = self._one(self._sql.select_pending_device_code, (user_code_hash, now))
        return device_code_record(row) if row else None

    def decide_device_code(self, user_code_hash: str, now: int, status: str, user_id: str,
                           scope: str) -> DeviceCodeRecord | None:
        values = (status, user_id, scope, now, user_code_hash, now)
        return self._updated_device_code(self._sql.decide_device_code, values)

    def poll_device_code(self, device_code_hash: str, client_id: str, now: int,
                         slow_down_seconds: int) -> DeviceCodeRecord | None:
        values = (now, now, now, slow_down_seconds, device_code_hash, client_id)
        return self._updated_device_code(self._sql.poll_device_code, values)

    def _updated_device_code(self, sql: str, values: tuple[Any, ...]) -> DeviceCodeRecord | None:
        rows = self._write(lambda conn: conn.execute(sql, values).fetchall())
        return device_code_record(rows[0]) if rows else None

    def redeem_device_code(self, device_code_hash: str, client_id: str, now: int, grant_id: str,
                           issue: Callable[[DeviceCodeRecord], Issue]) -> Issue | None:
        return self._redeem(self._sql.redeem_device_code, (grant_id, device_code_hash, client_id, now),
                            lambda row: issue(device_code_record(row)))

    # --- grants ---------------------------------------------------------------------------------------------
    def get_grant(self, grant_id: str) -> GrantRecord | None:
        row = self._one(self._sql.select_grant, (grant_id,))
        return GrantRecord(*row) if row else None

    def revoke_grant(self, grant_id: str) -> int:
        return self._write(lambda conn: self._cascade(conn, self._sql.revoke_grant, (grant_id,)))

    def revoke_user_app(self, user_id: str, client_id: str) -> int:
        """Returns the number of tokens (access and refresh) removed."""
        return self._write(lambda conn: self._cascade(conn, self._sql.revoke_user_app, (user_id, client_id)))

    def revoke_user(self, user_id: str) -> int:
        """Returns the number of tokens (access and refresh) removed."""
        return self._write(lambda conn: self._cascade(conn, self._sql.revoke_user, (user_id,)))

    # --- tokens ---------------------------------------------------------------------------------------------
    def issue_tokens(self, grant: GrantRecord | None, access: AccessTokenRecord,
                     refresh: RefreshTokenRecord | None) -> None:
        self._write(lambda conn: self._insert_issued(conn, grant, access, refresh))

    def get_access_token(self, token_hash: str) -> AccessTokenRecord | None:
        row = self._one(self._sql.select_access, (token_hash,))
        return AccessTokenRecord(*row) if row else None

    def get_refresh_token(self, token_hash: str) -> RefreshTokenRecord | None:
        row = self._one(self._sql.select_refresh, (token_hash,))
        return RefreshTokenRecord(*row) if row else None

    def rotate_refresh_token(self, old_hash: str, now: int, access: AccessTokenRecord,
                             refresh: RefreshTokenRecord | None, successor_sealed: str = "") -> bool:
        successor = refresh.token_hash if refresh is not None else ""

        def work(conn) -> bool:
            if not self._share_grant(conn, access.grant_id):
                return False
            # The conditional UPDATE is the single-use check; nothing else is written when it matches no row.
            rows = conn.execute(self._sql.rotate_refresh, (now, successor, successor_sealed, old_hash)).fetchall()
            if not rows:
                return False
            if rows[0][0]:
                conn.execute(self._sql.delete_access, (rows[0][0],))
            self._insert_issued(conn, None, access, refresh)
            return True

        return self._write(work)

    def revoke_access_token(self, token_hash: str) -> bool:
        return self._write(lambda conn: conn.execute(self._sql.delete_access, (token_hash,)).rowcount > 0)

    def forget_successors(self, rotated_before: int) -> int:
        return self._write(lambda conn: conn.execute(self._sql.forget_successors, (rotated_before,)).rowcount)

    # --- DPoP -----------------------------------------------------------------------------------------------
    def use_dpop_proof(self, proof_hash: str, expires_at: int) -> bool:
        values = (proof_hash, expires_at)
        return self._write(lambda conn: conn.execute(self._sql.use_dpop_proof, values).rowcount > 0)

    def dpop_nonce(self, now: int, issued_after: int, expires_at: int, new_nonce: Callable[[], str]) -> str:
        row = self._one(self._sql.newest_dpop_nonce, (issued_after,))
        if row:
            return row[0]
        nonce = new_nonce()
        self._write(lambda conn: conn.execute(self._sql.insert_dpop_nonce, (nonce, now, expires_at)))
        return nonce

    def dpop_nonce_valid(self, nonce: str, now: int) -> bool:
        return self._one(self._sql.select_dpop_nonce, (nonce, now)) is not None

    def delete_expired_dpop(self, now: int) -> int:
        def work(conn) -> int:
            return conn.execute(self._sql.delete_dpop_proofs, (now,)).rowcount \
                + conn.execute(self._sql.delete_dpop_nonces, (now,)).rowcount
        return self._write(work)

    # --- rate limits ----------------------------------------------------------------------------------------
    def hit_rate_limits(self, hits: list[tuple[str, int]], window_start: int) -> list[int]:
        if not hits:
            return []

        def work(conn) -> list[int]:
            counts = [0] * len(hits)
            for index in self._in_lock_order(hits):
                bucket, cost = hits[index]
                counts[index] = conn.execute(self._sql.hit_rate_limit, (bucket, window_start, cost)).fetchone()[0]
            return counts

        return self._write(work)

    # --- OpenID Connect -------------------------------------------------------------------------------------
    def list_signing_keys(self, now: int) -> list[SigningKeyRecord]:
        return [SigningKeyRecord(*row) for row in self._all(self._sql.list_signing_keys, (now,))]

    def add_signing_key(self, key: SigningKeyRecord) -> bool:
        values = (key.kid, key.alg, key.public_jwk, key.private_sealed, key.kek_id, key.create_at, 0, 0)
        return self._write(lambda conn: conn.execute(self._sql.insert_signing_key, values).rowcount > 0)

    def rotate_signing_key(self, current_kid: str, now: int, remove_at: int, new: SigningKeyRecord) -> bool:
        def work(conn) -> bool:
            if conn.execute(self._sql.retire_signing_key, (now, remove_at, current_kid)).rowcount == 0:
                return False
            values = (new.kid, new.alg, new.public_jwk, new.private_sealed, new.kek_id, new.create_at, 0, 0)
            return conn.execute(self._sql.insert_signing_key, values).rowcount > 0

        return self._write(work)

    def delete_removed_signing_keys(self, now: int) -> int:
        return self._write(lambda conn: conn.execute(self._sql.delete_removed_signing_keys, (now,)).rowcount)

    def save_authentication(self, authentication: AuthenticationRecord) -> None:
        a = authentication
        values = (a.code_hash, a.client_id, a.user_id, a.nonce, a.auth_time, a.sid, a.expires_at)
        self._write(lambda conn: conn.execute(self._sql.insert_authentication, values))

    def get_authentication(self, code_hash: str) -> AuthenticationRecord | None:
        row = self._one(self._sql.select_authentication, (code_hash,))
        return AuthenticationRecord(*row) if row else None

    # --- pushed authorization requests (RFC 9126) ---------------------------------------------------------------
    def save_pushed_request(self, pushed: PushedRequestRecord) -> None:
        p = pushed
        values = (p.request_hash, p.client_id, json.dumps(p.params, sort_keys=True), p.create_at, p.expires_at,
                  p.user_id, p.consumed_at)
        self._write(lambda conn: conn.execute(self._sql.insert_pushed, values))

    def get_pushed_request(self, request_hash: str, client_id: str, now: int) -> PushedRequestRecord | None:
        return _pushed(self._one(self._sql.select_pushed, (request_hash, client_id, now)))

    def start_pushed_request(self, request_hash: str, client_id: str, user_id: str, now: int,
                             expires_at: int) -> PushedRequestRecord | None:
        values = (expires_at, user_id, request_hash, client_id, now, user_id)
        return _pushed(self._write(lambda conn: conn.execute(self._sql.start_pushed, values).fetchone()))

    def consume_pushed_request(self, request_hash: str, client_id: str, user_id: str,
                               now: int) -> PushedRequestRecord | None:
        # One conditional UPDATE: of racing callers only one sees the row come back.
        values = (now, request_hash, client_id, now, user_id)
        return _pushed(self._write(lambda conn: conn.execute(self._sql.consume_pushed, values).fetchone()))

    # --- audit ----------------------------------------------------------------------------------------------
    def save_audit_events(self, events: list[AuditRecord]) -> None:
        if events:
            rows = [(e.id, e.create_at, e.type, e.user_id, e.client_id, e.grant_id, e.remote_addr, e.detail)
                    for e in events]
            self._write(lambda conn: conn.cursor().executemany(self._sql.insert_audit, rows))

    def list_audit_events(self, offset: int, limit: int) -> list[AuditRecord]:
        if limit <= 0:
            return []
        return [AuditRecord(*row) for row in self._all(self._sql.list_audit, (limit, max(offset, 0)))]


def _pushed(row: Sequence[Any] | None) -> PushedRequestRecord | None:
    if not row:
        return None
    return PushedRequestRecord(row[0], row[1], json.loads(row[2]), row[3], row[4], row[5], row[6])
