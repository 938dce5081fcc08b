"""Every statement of the store, written once for SQLite and PostgreSQL: `Sql("sqlite")` and `Sql("postgres")`
hold the same SQL with each database's placeholders (`?`, `%s`), plus the few statements only one of them needs
(SQLite's chunked deletes, PostgreSQL's row locks and one-statement insert chain). Column lists follow the field
order of the records (plugin/store/records.py), so a row converts with `Record(*row)`.

Token tables
------------
`TOKEN_TABLES` is the one ordered list of the tables that hold what a grant hands out. Every cascade is built
from it: revoking a grant, a user, a user's authorization of an app, deleting an app, deleting what expired, and
the grants an expiry sweep leaves orphaned. Its order is PostgreSQL's lock order (plugin/store/postgres.py): the
app, then the tables reached by user and app (`BY_OWNER`: handed out before a grant exists, such as codes), then
the grants, locked, then the tables reached through `grant_id` (`BY_GRANT`: issued under a grant).

A new token table (device codes, pushed authorization requests, DPoP proofs) joins every cascade with one line
here, such as `TokenTable("oauth_dpop_proofs")` or `TokenTable("oauth_device_codes", BY_OWNER, "expires_at < ?")`,
and its migration. It needs a `grant_id` column (the sweep returns it to find orphaned grants) and, for
`BY_OWNER`, `user_id` and `client_id`; the rows of `BY_GRANT` tables are the "tokens removed" a revocation counts.
tests/store/test_token_tables.py fails when a table of the schema with a `grant_id`, `user_id` or `client_id`
column is neither here nor one of the cascade's fixed tables (`GRANTS`, `CONSENTS`) nor kept on purpose (`KEPT`).
"""
from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any, NamedTuple

from .records import (DEVICE_APPROVED, DEVICE_PENDING, DEVICE_REDEEMED, AccessTokenRecord, AppRecord,
                      DeviceCodeRecord, GrantRecord, RefreshTokenRecord)

BY_OWNER = "owner"
BY_GRANT = "grant"
# Expiry: now > expires_at (Mattermost's IsExpired); for tokens 0 means no expiry.
NONZERO_EXPIRY = "expires_at > 0 AND expires_at < ?"


class TokenTable(NamedTuple):
    """One line of TOKEN_TABLES."""
    name: str
    reached: str = BY_GRANT
    # When a row has expired (`?` is the time now).
    expired: str = NONZERO_EXPIRY
    # While a row `t` matching this exists, its grant is not an orphan.
    keeps_grant: str = "t.grant_id = oauth_grants.id"


TOKEN_TABLES: tuple[TokenTable, ...] = (
    TokenTable("oauth_codes", BY_OWNER, "expires_at < ?", "t.code_hash = oauth_grants.code_hash"),
    # OpenID Connect: the authentication behind a code, read by its grant's refreshes; it never keeps a grant.
    TokenTable("oidc_authentications", BY_OWNER, "expires_at < ?", "FALSE"),
    # RFC 8628: device codes, reached by app (and by user once one decided); a redeemed one is kept until it
    # expires, so that its device hears invalid_grant.
    TokenTable("oauth_device_codes", BY_OWNER, "expires_at < ?"),
    # RFC 9126: pushed authorization requests, reached by app (and by user once a browser started one).
    TokenTable("oauth_pushed_requests", BY_OWNER, "expires_at < ?", "FALSE"),
    TokenTable("oauth_access_tokens"),
    TokenTable("oauth_refresh_tokens"),
)
GRANTS = "oauth_grants"
CONSENTS = "oauth_consents"
# Tables with user, app or grant columns that no revocation touches: the audit trail outlives what it records.
KEPT = ("oauth_audit_events",)

_APP_COLS = (
    "id, creator_id, create_at, update_at, name, description, icon_url, homepage, callback_urls, is_trusted,"
    " mattermost_app_id, is_dynamically_registered, client_secret_hash, allowed_scopes, post_logout_redirect_uris,"
    " openid_disabled, device_grant_allowed, require_pushed_authorization_requests, require_dpop"
)
_APP_COLS_A = ", ".join("a." + c.strip() for c in _APP_COLS.split(","))
_CONSENT_COLS = "user_id, client_id, scope, create_at"
_CODE_COLS = (
    "code_hash, client_id, user_id, redirect_uri, state, scope, create_at, expires_in, code_challenge,"
    " code_challenge_method, resource, used_at, grant_id, dpop_jkt"
)
_GRANT_COLS = "id, client_id, user_id, scope, audience, redirect_uri, create_at, code_hash"
_ACCESS_COLS = "token_hash, grant_id, client_id, user_id, scope, audience, create_at, expires_at, dpop_jkt"
_REFRESH_COLS = (
    "token_hash, grant_id, client_id, user_id, scope, audience, create_at, expires_at, last_used_at,"
    " access_token_hash, rotated_at, successor_hash, successor_sealed, dpop_jkt"
)
_AUDIT_COLS = "id, create_at, type, user_id, client_id, grant_id, remote_addr, detail"
_SIGNING_KEY_COLS = "kid, alg, public_jwk, private_sealed, kek_id, create_at, retired_at, remove_at"
_AUTHENTICATION_COLS = "code_hash, client_id, user_id, nonce, auth_time, sid, expires_at"
_PUSHED_COLS = "request_hash, client_id, params, create_at, expires_at, user_id, consumed_at"
_DEVICE_COLS = (
    "device_code_hash, user_code_hash, client_id, user_id, scope, resource, status, create_at, expires_at,"
    " poll_interval, last_polled_at, slow_down, decided_at, grant_id"
)


def _marks(cols: str) -> str:
    return ", ".join("?" * (cols.count(",") + 1))


def app_record(row: Sequence[Any]) -> AppRecord:
    return AppRecord(
        row[0], row[1], row[2], row[3], row[4], row[5], row[6], row[7],
        json.loads(row[8]), bool(row[9]), row[10], bool(row[11]), row[12], row[13].split(), json.loads(row[14]),
        bool(row[15]), bool(row[16]), bool(row[17]), bool(row[18]),
    )


def device_code_record(row: Sequence[Any]) -> DeviceCodeRecord:
    return DeviceCodeRecord(*row[:11], bool(row[11]), *row[12:])


def app_values(app: AppRecord) -> tuple[Any, ...]:
    """Every column but the id, in the update statement's order."""
    return (
        app.creator_id, app.create_at, app.update_at, app.name, app.description, app.icon_url, app.homepage,
        json.dumps(list(app.callback_urls)), bool(app.is_trusted), app.mattermost_app_id,
        bool(app.is_dynamically_registered), app.client_secret_hash, " ".join(app.allowed_scopes),
        json.dumps(list(app.post_logout_redirect_uris)), bool(app.openid_disabled), bool(app.device_grant_allowed),
        bool(app.require_pushed_authorization_requests), bool(app.require_dpop),
    )


def grant_values(g: GrantRecord) -> tuple[Any, ...]:
    return (g.id, g.client_id, g.user_id, g.scope, g.audience, g.redirect_uri, g.create_at, g.code_hash)


def access_values(t: AccessTokenRecord) -> tuple[Any, ...]:
    return (t.token_hash, t.grant_id, t.client_id, t.user_id, t.scope, t.audience, t.create_at, t.expires_at,
            t.dpop_jkt)


def refresh_values(t: RefreshTokenRecord) -> tuple[Any, ...]:
    return (
        t.token_hash, t.grant_id, t.client_id, t.user_id, t.scope, t.audience, t.create_at, t.expires_at,
        t.last_used_at, t.access_token_hash, t.rotated_at, t.successor_hash, t.successor_sealed, t.dpop_jkt,
    )


class Cascade(NamedTuple):
    """One revocation, in TOKEN_TABLES order. Run by SqlStore._cascade: `owned` with the scope's parameters; then
    the grants are selected (PostgreSQL: `lock_grants`, FOR UPDATE; SQLite: `issued` and `grants` select them
    with the scope's parameters themselves); `issued` and `grants` on those; `consents` with the scope's."""
    owned: tuple[str, ...]
    lock_grants: str
    issued: tuple[str, ...]
    grants: str  # "" when the grants stay (revoke_grant)
    consents: str  # "" when the consents stay


class Sql:
    """The statements of one dialect ("sqlite" or "postgres"), built from `token_tables`."""

    def __init__(self, dialect: str, token_tables: Sequence[TokenTable] = TOKEN_TABLES) -> None:
        if dialect not in ("sqlite", "postgres"):
            raise ValueError(f"unknown dialect {dialect!r}")
        kinds = [t.reached for t in token_tables]
        if kinds != sorted(kinds, key=(BY_OWNER, BY_GRANT).index):
            raise ValueError("token tables reached by owner come before those reached by grant (the lock order)")
        self.dialect = dialect
        self.postgres = dialect == "postgres"
        self.token_tables = tuple(token_tables)
        q = self._q

        self.current_version = "SELECT COALESCE(MAX(version), 0) FROM schema_version"
        self.applied_versions = "SELECT version FROM schema_version"
        self.record_version = q("INSERT INTO schema_version (version, name, applied_at) VALUES (?, ?, ?)")

        self.insert_app = q(f"INSERT INTO oauth_apps ({_APP_COLS}) VALUES ({_marks(_APP_COLS)})")
        self.select_app = q(f"SELECT {_APP_COLS} FROM oauth_apps WHERE id = ?")
        self.list_apps = q(f"SELECT {_APP_COLS} FROM oauth_apps ORDER BY create_at, id LIMIT ? OFFSET ?")
        self.list_apps_by_creator = q(
            f"SELECT {_APP_COLS} FROM oauth_apps WHERE creator_id = ? ORDER BY create_at, id LIMIT ? OFFSET ?")
        self.update_app = q(
            "UPDATE oauth_apps SET creator_id = ?, create_at = ?, update_at = ?, name = ?, description = ?,"
            " icon_url = ?, homepage = ?, callback_urls = ?, is_trusted = ?, mattermost_app_id = ?,"
            " is_dynamically_registered = ?, client_secret_hash = ?, allowed_scopes = ?, post_logout_redirect_uris = ?,"
            " openid_disabled = ?, device_grant_allowed = ?, require_pushed_authorization_requests = ?,"
            " require_dpop = ? WHERE id = ?")
        self.delete_app = q("DELETE FROM oauth_apps WHERE id = ?")

        self.upsert_consent = q(
            f"INSERT INTO oauth_consents ({_CONSENT_COLS}) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (user_id, client_id) DO UPDATE SET scope = excluded.scope, create_at = excluded.create_at")
        self.select_consent = q(f"SELECT {_CONSENT_COLS} FROM oauth_consents WHERE user_id = ? AND client_id = ?")
        self.list_authorized = q(
            f"SELECT {_APP_COLS_A}, c.scope FROM oauth_consents c JOIN oauth_apps a ON a.id = c.client_id"
            " WHERE c.user_id = ? ORDER BY a.create_at, a.id LIMIT ? OFFSET ?")

        self.insert_code = q(f"INSERT INTO oauth_codes ({_CODE_COLS}, expires_at) VALUES ({_marks(_CODE_COLS)}, ?)")
        self.select_code = q(f"SELECT {_CODE_COLS} FROM oauth_codes WHERE code_hash = ?")
        # Single use, and the link to the grant the exchange creates, in one conditional statement.
        self.consume_code = q(
            "UPDATE oauth_codes SET used_at = ?, grant_id = ?"
            " WHERE code_hash = ? AND client_id = ? AND used_at IS NULL AND expires_at >= ?"
            f" RETURNING {_CODE_COLS}")

        self.select_grant = q(f"SELECT {_GRANT_COLS} FROM oauth_grants WHERE id = ?")
        self.select_access = q(f"SELECT {_ACCESS_COLS} FROM oauth_access_tokens WHERE token_hash = ?")
        self.select_refresh = q(f"SELECT {_REFRESH_COLS} FROM oauth_refresh_tokens WHERE token_hash = ?")
        self.delete_access = q("DELETE FROM oauth_access_tokens WHERE token_hash = ?")
        # Single use of a refresh token: one conditional statement.
        self.rotate_refresh = q(
            "UPDATE oauth_refresh_tokens SET rotated_at = ?, successor_hash = ?, successor_sealed = ?"
            " WHERE token_hash = ? AND rotated_at IS NULL RETURNING access_token_hash")
        # DPoP (RFC 9449): a proof is accepted once (the primary key decides between nodes); nonces handed out.
        self.use_dpop_proof = q(
            "INSERT INTO oauth_dpop_proofs (proof_hash, expires_at) VALUES (?, ?) ON CONFLICT DO NOTHING")
        self.delete_dpop_proofs = q("DELETE FROM oauth_dpop_proofs WHERE expires_at < ?")
        self.newest_dpop_nonce = q(
            "SELECT nonce FROM oauth_dpop_nonces WHERE create_at >= ? ORDER BY create_at DESC, nonce LIMIT 1")
        self.insert_dpop_nonce = q(
            "INSERT INTO oauth_dpop_nonces (nonce, create_at, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING")
        self.select_dpop_nonce = q("SELECT 1 FROM oauth_dpop_nonces WHERE nonce = ? AND expires_at >= ?")
        self.delete_dpop_nonces = q("DELETE FROM oauth_dpop_nonces WHERE expires_at < ?")
        self.forget_successors = q(
            "UPDATE oauth_refresh_tokens SET successor_sealed = '' WHERE successor_sealed <> '' AND rotated_at < ?")

        self.hit_rate_limit = q(
            "INSERT INTO oauth_rate_limits (bucket, window_start, hits) VALUES (?, ?, ?)"
            " ON CONFLICT (bucket, window_start) DO UPDATE SET hits = oauth_rate_limits.hits + excluded.hits"
            " RETURNING hits")
        self.delete_rate_limits = q("DELETE FROM oauth_rate_limits WHERE window_start < ?")

        self.insert_audit = q(f"INSERT INTO oauth_audit_events ({_AUDIT_COLS}) VALUES ({_marks(_AUDIT_COLS)})")
        self.list_audit = q(
            f"SELECT {_AUDIT_COLS} FROM oauth_audit_events ORDER BY create_at DESC, id DESC LIMIT ? OFFSET ?")
        self.delete_audit = q("DELETE FROM oauth_audit_events WHERE create_at < ?")
        # SQLite deletes in chunks, a transaction each (plugin/store/sqlite.py).
        self.delete_audit_chunk = q(
            "DELETE FROM oauth_audit_events WHERE rowid IN"
            " (SELECT rowid FROM oauth_audit_events WHERE create_at < ? LIMIT ?)")

        # OpenID Connect's signing keys: at most one current key per algorithm (the partial unique index decides
        # between nodes), retired by one conditional update.
        self.list_signing_keys = q(
            f"SELECT {_SIGNING_KEY_COLS} FROM oidc_signing_keys WHERE remove_at = 0 OR remove_at >= ?"
            " ORDER BY create_at DESC, kid")
        self.insert_signing_key = q(
            f"INSERT INTO oidc_signing_keys ({_SIGNING_KEY_COLS}) VALUES ({_marks(_SIGNING_KEY_COLS)})"
            " ON CONFLICT DO NOTHING")
        self.retire_signing_key = q(
            "UPDATE oidc_signing_keys SET retired_at = ?, remove_at = ? WHERE kid = ? AND retired_at = 0")
        self.delete_removed_signing_keys = q(
            "DELETE FROM oidc_signing_keys WHERE retired_at > 0 AND remove_at < ?")
        self.insert_authentication = q(
            f"INSERT INTO oidc_authentications ({_AUTHENTICATION_COLS}) VALUES ({_marks(_AUTHENTICATION_COLS)})")
        self.select_authentication = q(
            f"SELECT {_AUTHENTICATION_COLS} FROM oidc_authentications WHERE code_hash = ?")

        # RFC 8628's device codes. A user code names a pending, unexpired request only; the decision, each poll and
        # the redemption are one conditional statement each (SET reads the row as it was before the statement).
        self.insert_device_code = q(
            f"INSERT INTO oauth_device_codes ({_DEVICE_COLS}) VALUES ({_marks(_DEVICE_COLS)}) ON CONFLICT DO NOTHING")
        self.select_device_code = q(f"SELECT {_DEVICE_COLS} FROM oauth_device_codes WHERE device_code_hash = ?")
        self.select_pending_device_code = q(
            f"SELECT {_DEVICE_COLS} FROM oauth_device_codes"
            f" WHERE user_code_hash = ? AND status = '{DEVICE_PENDING}' AND expires_at >= ?")
        self.decide_device_code = q(
            "UPDATE oauth_device_codes SET status = ?, user_id = ?, scope = ?, decided_at = ?"
            f" WHERE user_code_hash = ? AND status = '{DEVICE_PENDING}' AND expires_at >= ? RETURNING {_DEVICE_COLS}")
        too_soon = f"status = '{DEVICE_PENDING}' AND ? < last_polled_at + poll_interval * 1000"
        self.poll_device_code = q(
            f"UPDATE oauth_device_codes SET last_polled_at = ?, slow_down = ({too_soon}),"
            f" poll_interval = CASE WHEN {too_soon} THEN poll_interval + ? ELSE poll_interval END"
            f" WHERE device_code_hash = ? AND client_id = ? RETURNING {_DEVICE_COLS}")
        self.redeem_device_code = q(
            f"UPDATE oauth_device_codes SET status = '{DEVICE_REDEEMED}', grant_id = ?"
            f" WHERE device_code_hash = ? AND client_id = ? AND status = '{DEVICE_APPROVED}' AND expires_at >= ?"
            f" RETURNING {_DEVICE_COLS}")

        # RFC 9126: a request_uri is started by one user and consumed once, each by one conditional update.
        live = "request_hash = ? AND client_id = ? AND consumed_at IS NULL AND expires_at >= ?"
        self.insert_pushed = q(f"INSERT INTO oauth_pushed_requests ({_PUSHED_COLS}) VALUES ({_marks(_PUSHED_COLS)})")
        self.select_pushed = q(f"SELECT {_PUSHED_COLS} FROM oauth_pushed_requests WHERE {live}")
        self.start_pushed = q(
            "UPDATE oauth_pushed_requests SET expires_at = CASE WHEN user_id = '' THEN ? ELSE expires_at END,"
            f" user_id = ? WHERE {live} AND user_id IN ('', ?) RETURNING {_PUSHED_COLS}")
        self.consume_pushed = q(
            f"UPDATE oauth_pushed_requests SET consumed_at = ? WHERE {live} AND user_id IN ('', ?)"
            f" RETURNING {_PUSHED_COLS}")

        # Revocations and expiry, from the token tables.
        self.revoke_grant = self._cascade(None)
        self.revoke_user_app = self._cascade("user_id = ? AND client_id = ?")
        self.revoke_user = self._cascade("user_id = ?")
        self.delete_app_rows = self._cascade("client_id = ?")
        self.expire = tuple(q(f"DELETE FROM {t.name} WHERE {t.expired} RETURNING grant_id") for t in token_tables)
        self.expire_chunk = tuple(
            q(f"DELETE FROM {t.name} WHERE rowid IN (SELECT rowid FROM {t.name} WHERE {t.expired} LIMIT ?)"
              " RETURNING grant_id") for t in token_tables)
        # A grant that lost its last token and whose code is gone can never be used again.
        unused = "".join(f" AND NOT EXISTS (SELECT 1 FROM {t.name} t WHERE {t.keeps_grant})" for t in token_tables)
        self.delete_orphan_grant = q(f"DELETE FROM oauth_grants WHERE id = ?{unused}")
        self.delete_orphan_grants = q(f"DELETE FROM oauth_grants WHERE id = ANY(?){unused}")

        # PostgreSQL's row locks (the protocol: plugin/store/postgres.py).
        self.lock_app = q("SELECT id FROM oauth_apps WHERE id = ? FOR UPDATE")
        self.share_grant = q("SELECT id FROM oauth_grants WHERE id = ? FOR SHARE")
        self.lock_orphan_candidates = q("SELECT id FROM oauth_grants WHERE id = ANY(?) FOR UPDATE SKIP LOCKED")

    def _q(self, sql: str) -> str:
        """The dialect's placeholders (the SQL here holds no `?` or `%` in literals)."""
        return sql.replace("?", "%s") if self.postgres else sql

    def _cascade(self, where: str | None) -> Cascade:
        """The revocation of the rows matching `where` (on user_id and client_id), or of one grant's tokens
        (`where` None: the parameter is the grant's id)."""
        q = self._q
        owned = () if where is None else tuple(
            q(f"DELETE FROM {t.name} WHERE {where}") for t in self.token_tables if t.reached == BY_OWNER)
        issued = [t.name for t in self.token_tables if t.reached == BY_GRANT]
        if self.postgres:
            lock = (f"SELECT id FROM {GRANTS} WHERE id = ? FOR UPDATE" if where is None
                    else f"SELECT id FROM {GRANTS} WHERE {where} ORDER BY id FOR UPDATE")
            of_grants, grants = "grant_id = ANY(?)", f"DELETE FROM {GRANTS} WHERE id = ANY(?)"
        else:
            lock = ""
            of_grants = "grant_id = ?" if where is None else f"grant_id IN (SELECT id FROM {GRANTS} WHERE {where})"
            grants = f"DELETE FROM {GRANTS} WHERE {where}"
        return Cascade(
            owned, q(lock), tuple(q(f"DELETE FROM {table} WHERE {of_grants}") for table in issued),
            "" if where is None else q(grants), "" if where is None else q(f"DELETE FROM {CONSENTS} WHERE {where}"),
        )

    def issued(self, grant: GrantRecord | None, access: AccessTokenRecord,
               refresh: RefreshTokenRecord | None) -> list[tuple[str, tuple[Any, ...]]]:
        """The inserts of a grant (when new) and its tokens. PostgreSQL: one statement, a round trip instead of
        three (the tokens' foreign key is checked at its end, after the grant's insert)."""
        rows = [("oauth_access_tokens", _ACCESS_COLS, access_values(access))]
        if refresh is not None:
            rows.append(("oauth_refresh_tokens", _REFRESH_COLS, refresh_values(refresh)))
        if grant is not None:
            rows.insert(0, ("oauth_grants", _GRANT_COLS, grant_values(grant)))
        if not self.postgres:
            return [(f"INSERT INTO {table} ({cols}) VALUES ({_marks(cols)})", values) for table, cols, values in rows]
        inserts = [self._q(f"INSERT INTO {table} ({cols}) SELECT {_marks(cols)}") for table, cols, _ in rows]
        *first, last = inserts
        ctes = ", ".join(f"step{i} AS ({sql} RETURNING 1)" for i, sql in enumerate(first))
        values = tuple(value for _, _, row_values in rows for value in row_values)
        return [(f"WITH {ctes} {last}" if ctes else last, values)]
