-- 0005: the device authorization grant (RFC 8628), and per app whether it may use it.

ALTER TABLE oauth_apps ADD COLUMN device_grant_allowed BOOLEAN NOT NULL DEFAULT FALSE;

-- One device authorization request. Both codes are kept only as SHA-256. The row moves once from pending to
-- approved or denied (the verification page, one conditional update) and once from approved to redeemed (the
-- token request that gets the tokens, one conditional update); user_id and scope are the user's and what they
-- granted once approved. Each poll sets last_polled_at and, when it came sooner than poll_interval after the
-- one before, adds to poll_interval and marks slow_down (RFC 8628 section 3.5), in the same statement.
CREATE TABLE oauth_device_codes (
    device_code_hash TEXT    NOT NULL PRIMARY KEY,
    user_code_hash   TEXT    NOT NULL,
    client_id        TEXT    NOT NULL REFERENCES oauth_apps (id),
    user_id          TEXT    NOT NULL DEFAULT '',
    scope            TEXT    NOT NULL DEFAULT '',
    resource         TEXT    NOT NULL DEFAULT '',
    status           TEXT    NOT NULL DEFAULT 'pending',
    create_at        BIGINT  NOT NULL,
    expires_at       BIGINT  NOT NULL,
    poll_interval    INTEGER NOT NULL,                      -- seconds
    last_polled_at   BIGINT  NOT NULL DEFAULT 0,
    slow_down        BOOLEAN NOT NULL DEFAULT FALSE,
    decided_at       BIGINT  NOT NULL DEFAULT 0,
    grant_id         TEXT    NOT NULL DEFAULT ''            -- the grant its redemption created
);
CREATE UNIQUE INDEX idx_oauth_device_codes_user_code ON oauth_device_codes (user_code_hash);
CREATE INDEX idx_oauth_device_codes_owner ON oauth_device_codes (user_id, client_id);
CREATE INDEX idx_oauth_device_codes_client ON oauth_device_codes (client_id);
CREATE INDEX idx_oauth_device_codes_expires ON oauth_device_codes (expires_at);
