"""Housekeeping against the launched plugin: expired codes, access and refresh tokens and audit events past their
retention are removed by the periodic job (CleanupIntervalSeconds), off the request path, while requests keep
being answered."""
from __future__ import annotations

import hashlib
import time

from tests.conftest import wait_for
from tests.rpc.flows import db_execute, db_rows, ok, plain_user

DAY_MS = 86_400_000
AGED_ROWS = 20_000
ANSWER_WITHIN = 1.0 + 1.5  # a second, plus slack for a loaded test machine


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def now_ms() -> int:
    return int(time.time() * 1000)


def test_expired_rows_are_removed_periodically_while_requests_are_served(plugin, client):
    app = client.create_app()
    live = client.tokens(plain_user(), app)
    expired = client.tokens(plain_user(), app)
    aged_code, live_code = client.code_for(plain_user(), app), client.code_for(plain_user(), app)
    past = now_ms() - 1000
    db_execute(plugin, "UPDATE oauth_access_tokens SET expires_at = ? WHERE token_hash = ?",
               (past, sha256(expired.access_token)))
    db_execute(plugin, "UPDATE oauth_refresh_tokens SET expires_at = ? WHERE token_hash = ?",
               (past, sha256(expired.refresh_token)))
    db_execute(plugin, "UPDATE oauth_codes SET expires_at = ? WHERE code_hash = ?", (past, sha256(aged_code)))
    # Bulk: many expired access tokens of the same grant, and audit events past the 90-day retention.
    grant = db_rows(plugin, "SELECT grant_id, client_id, user_id FROM oauth_access_tokens WHERE token_hash = ?",
                    (sha256(expired.access_token),))[0]
    db_execute(plugin, """
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
        INSERT INTO oauth_access_tokens (token_hash, grant_id, client_id, user_id, create_at, expires_at)
        SELECT lower(hex(randomblob(32))), ?, ?, ?, ?, ? FROM n""", (AGED_ROWS, *grant, past - 3600_000, past))
    old = now_ms() - 91 * DAY_MS
    db_execute(plugin, """
        WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < ?)
        INSERT INTO oauth_audit_events (id, create_at, type) SELECT lower(hex(randomblob(13))), ?, 'token.issued'
        FROM n""", (AGED_ROWS, old))

    def aged() -> dict:
        return {
            "codes": db_rows(plugin, "SELECT COUNT(*) FROM oauth_codes WHERE expires_at < ?", (now_ms(),))[0][0],
            "access": db_rows(plugin, "SELECT COUNT(*) FROM oauth_access_tokens WHERE expires_at > 0 AND "
                                      "expires_at < ?", (now_ms(),))[0][0],
            "refresh": db_rows(plugin, "SELECT COUNT(*) FROM oauth_refresh_tokens WHERE expires_at > 0 AND "
                                       "expires_at < ?", (now_ms(),))[0][0],
            "audit": db_rows(plugin, "SELECT COUNT(*) FROM oauth_audit_events WHERE create_at < ?",
                             (now_ms() - 90 * DAY_MS,))[0][0],
        }

    assert aged() == {"codes": 1, "access": AGED_ROWS + 1, "refresh": 1, "audit": AGED_ROWS}

    # The plugin was activated with the default interval (300 s); a shorter one applies from now on.
    plugin.configure(plugin={"CleanupIntervalSeconds": 1, "RateLimitPerClientPerMinute": 0,
                             "RateLimitPerAddressPerMinute": 0})
    slowest, served = 0.0, 0
    deadline = time.monotonic() + 15
    while any(aged().values()):
        assert time.monotonic() < deadline, f"expired rows still there: {aged()}"
        started = time.monotonic()
        assert client.works(live.access_token)
        ok(client.tokens(plain_user(), app))  # writes too: a code, a grant, tokens, audit events
        slowest, served = max(slowest, time.monotonic() - started), served + 1
        time.sleep(0.02)
    assert served and slowest < ANSWER_WITHIN, (served, slowest)

    assert client.works(live.access_token) and not client.works(expired.access_token)
    ok(client.refresh(app, live.refresh_token))
    ok(client.exchange(app, live_code))
    wait_for(lambda: db_rows(plugin, "SELECT COUNT(*) FROM oauth_audit_events")[0][0] > 0,
             message="recent audit events kept")
