"""What the load needs, made before any timing starts.

The app, the user and the host session go through the real APIs in-process (`Accounts`, `OAuthProvider`): that
is a handful of calls. Codes, refresh tokens and access tokens are needed by the ten thousand, so they are written
straight into the plugin's tables in one transaction each batch (SQLite `executemany`, PostgreSQL `COPY`), in the
exact shape the provider writes them: the SHA-256 of a random secret, bound to the app, the user and a grant.
The load itself then goes through HTTP and gRPC like any client's.
"""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import os
import secrets
import sqlite3
import time
import urllib.parse
from typing import Iterable, Iterator

REDIRECT_URI = "https://bench.example.com/callback"
SCOPE = "user"
LIFETIME_MS = 3 * 3600 * 1000  # minted codes and tokens outlive any bench run (a real code lives 10 minutes)


def hash_secret(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def new_secret() -> str:
    return secrets.token_urlsafe(32)


def new_id() -> str:
    from plugin.oauth.ids import new_id as plugin_new_id

    return plugin_new_id()


@dataclasses.dataclass
class Fixture:
    """The registered app, the signed-in user and the PKCE pair every minted code is bound to."""
    client_id: str
    client_secret: str
    user_id: str
    session_token: str  # a host session (cookie MMAUTHTOKEN) for the W5 sign-in
    verifier: str
    challenge: str
    redirect_uri: str = REDIRECT_URI

    def client_form(self) -> str:
        return (f"client_id={self.client_id}&client_secret={urllib.parse.quote(self.client_secret, safe='')}")

    def exchange_body(self, code: str) -> str:
        return (f"grant_type=authorization_code&code={code}&redirect_uri="
                f"{urllib.parse.quote(self.redirect_uri, safe='')}&code_verifier={self.verifier}&"
                + self.client_form())

    def refresh_body(self, refresh_token: str) -> str:
        return f"grant_type=refresh_token&refresh_token={refresh_token}&" + self.client_form()

    def introspect_body(self, token: str) -> str:
        return f"token={token}&token_type_hint=access_token&" + self.client_form()


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def bench_settings():
    """The provider's settings for the bench: rate limits off (0), as the host's plugin configuration says."""
    from plugin.oauth.settings import Settings

    return Settings.from_config({}, {"RateLimitPerClientPerMinute": 0, "RateLimitPerAddressPerMinute": 0})


def register(store, host_db: str) -> Fixture:
    """A system admin on the host with a web session, and a trusted confidential app (no consent page)."""
    from plugin.clock import SystemClock
    from plugin.oauth.apps import AppRequest
    from plugin.oauth.provider import Caller, OAuthProvider
    from server_stub.accounts import Accounts

    accounts = Accounts(host_db)
    user = accounts.create_user("bench@example.com", "bench", "bench-password", roles="system_admin system_user")
    session_token, _ = accounts.create_session(user.id, LIFETIME_MS)
    provider = OAuthProvider(store, SystemClock(), bench_settings())
    admin = Caller(user_id=user.id, permissions=frozenset({"manage_oauth", "manage_system",
                                                           "manage_system_wide_oauth"}))
    app = provider.create_app(admin, AppRequest(name="bench", homepage="https://bench.example.com",
                                                callback_urls=[REDIRECT_URI], is_trusted=True))
    provider.close()
    verifier, challenge = pkce_pair()
    return Fixture(app.id, app.client_secret, user.id, session_token, verifier, challenge)


# --- bulk rows -------------------------------------------------------------------------------------------------

CODE_COLUMNS = ("code_hash", "client_id", "user_id", "redirect_uri", "state", "scope", "create_at", "expires_in",
                "expires_at", "code_challenge", "code_challenge_method", "resource", "used_at", "grant_id")
GRANT_COLUMNS = ("id", "client_id", "user_id", "scope", "audience", "redirect_uri", "create_at", "code_hash")
ACCESS_COLUMNS = ("token_hash", "grant_id", "client_id", "user_id", "scope", "audience", "create_at", "expires_at")
REFRESH_COLUMNS = ("token_hash", "grant_id", "client_id", "user_id", "scope", "audience", "create_at", "expires_at",
                   "last_used_at", "access_token_hash", "rotated_at", "successor_hash", "successor_sealed")


class Bulk:
    """A plain connection to the plugin's database for bulk inserts (no pool, no store rules)."""

    def __init__(self, driver: str, source: str) -> None:
        self.driver = driver
        if driver == "sqlite":
            self.conn = sqlite3.connect(source, isolation_level=None, timeout=30)
        else:
            import psycopg

            self.conn = psycopg.connect(source, autocommit=True)

    def insert(self, table: str, columns: tuple[str, ...], rows: Iterable[tuple], batch: int = 50_000) -> int:
        count = 0
        for chunk in _chunks(rows, batch):
            if self.driver == "sqlite":
                marks = ", ".join("?" * len(columns))
                self.conn.execute("BEGIN IMMEDIATE")
                self.conn.executemany(f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({marks})", chunk)
                self.conn.execute("COMMIT")
            else:
                with self.conn.transaction(), self.conn.cursor() as cur:
                    with cur.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
                        for row in chunk:
                            copy.write_row(row)
            count += len(chunk)
        return count

    def scalar(self, sql: str):
        if self.driver == "sqlite":
            return self.conn.execute(sql).fetchone()[0]
        return self.conn.execute(sql).fetchone()[0]

    def analyze(self) -> None:
        self.conn.execute("ANALYZE")

    def close(self) -> None:
        self.conn.close()


def _chunks(rows: Iterable[tuple], size: int) -> Iterator[list[tuple]]:
    chunk: list[tuple] = []
    for row in rows:
        chunk.append(row)
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def mint_codes(bulk: Bulk, fx: Fixture, count: int) -> list[str]:
    """`count` pending codes with PKCE S256, as the authorization endpoint issues them."""
    now = int(time.time() * 1000)
    codes = [new_secret() for _ in range(count)]
    bulk.insert("oauth_codes", CODE_COLUMNS, (
        (hash_secret(c), fx.client_id, fx.user_id, fx.redirect_uri, "", SCOPE, now, LIFETIME_MS // 1000,
         now + LIFETIME_MS, fx.challenge, "S256", "", None, "") for c in codes))
    return codes


def mint_refresh_tokens(bulk: Bulk, fx: Fixture, count: int) -> list[str]:
    """`count` live refresh tokens, each in a grant of its own (as `count` code exchanges would leave them, less
    their access tokens, so that the access-token table keeps the size the scale runs set: each names an access
    token that is gone, so a rotation still runs its DELETE of the previous access token)."""
    now = int(time.time() * 1000)
    tokens = [new_secret() for _ in range(count)]
    grants = [new_id() for _ in range(count)]
    bulk.insert("oauth_grants", GRANT_COLUMNS, (
        (g, fx.client_id, fx.user_id, SCOPE, "", fx.redirect_uri, now, "") for g in grants))
    bulk.insert("oauth_refresh_tokens", REFRESH_COLUMNS, (
        (hash_secret(t), g, fx.client_id, fx.user_id, SCOPE, "", now, now + LIFETIME_MS, now, os.urandom(32).hex(),
         None, "", "")
        for t, g in zip(tokens, grants)))
    return tokens


def mint_access_tokens(bulk: Bulk, fx: Fixture, count: int) -> list[str]:
    """`count` live access tokens, in one grant (their lookups never read the grant)."""
    now = int(time.time() * 1000)
    grant = new_id()
    bulk.insert("oauth_grants", GRANT_COLUMNS, [(grant, fx.client_id, fx.user_id, SCOPE, "", fx.redirect_uri, now,
                                                 "")])
    tokens = [new_secret() for _ in range(count)]
    bulk.insert("oauth_access_tokens", ACCESS_COLUMNS, (
        (hash_secret(t), grant, fx.client_id, fx.user_id, SCOPE, "", now, now + LIFETIME_MS) for t in tokens))
    return tokens


def fill_access_tokens(bulk: Bulk, fx: Fixture, total: int) -> int:
    """Top the access-token table up to `total` rows with tokens nobody holds (random hashes; the scale runs).
    Returns how many were added."""
    have = bulk.scalar("SELECT COUNT(*) FROM oauth_access_tokens")
    missing = max(0, total - have)
    if not missing:
        return 0
    now = int(time.time() * 1000)
    per_grant = 1000
    grants = [new_id() for _ in range(-(-missing // per_grant))]
    bulk.insert("oauth_grants", GRANT_COLUMNS, (
        (g, fx.client_id, fx.user_id, SCOPE, "", fx.redirect_uri, now, "") for g in grants))
    urandom = os.urandom
    bulk.insert("oauth_access_tokens", ACCESS_COLUMNS, (
        (urandom(32).hex(), grants[i // per_grant], fx.client_id, fx.user_id, SCOPE, "", now, now + LIFETIME_MS)
        for i in range(missing)), batch=100_000)
    bulk.analyze()
    return missing
