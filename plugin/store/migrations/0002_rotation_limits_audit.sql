-- 0002: the refresh-token grace window, shared rate limits and the audit trail.

-- The successor of a rotated refresh token, sealed with the rotated token itself (AES-GCM, key derived from
-- the token, which is never stored), so that a client retrying within the grace window gets the same successor
-- back. Cleared once the window has passed.
ALTER TABLE oauth_refresh_tokens ADD COLUMN successor_sealed TEXT NOT NULL DEFAULT '';

-- Fixed-window counters, shared by every node using this database.
CREATE TABLE oauth_rate_limits (
    bucket       TEXT    NOT NULL,
    window_start BIGINT  NOT NULL,
    hits         INTEGER NOT NULL,
    PRIMARY KEY (bucket, window_start)
);
CREATE INDEX idx_oauth_rate_limits_window ON oauth_rate_limits (window_start);

CREATE TABLE oauth_audit_events (
    id          TEXT   NOT NULL PRIMARY KEY,
    create_at   BIGINT NOT NULL,
    type        TEXT   NOT NULL,
    user_id     TEXT   NOT NULL DEFAULT '',
    client_id   TEXT   NOT NULL DEFAULT '',
    grant_id    TEXT   NOT NULL DEFAULT '',
    remote_addr TEXT   NOT NULL DEFAULT '',
    detail      TEXT   NOT NULL DEFAULT '{}'   -- JSON object
);
CREATE INDEX idx_oauth_audit_events_order ON oauth_audit_events (create_at, id);
