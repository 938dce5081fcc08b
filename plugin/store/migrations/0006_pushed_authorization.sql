-- 0006: pushed authorization requests (RFC 9126), and per app whether its authorization requests must be pushed.

ALTER TABLE oauth_apps ADD COLUMN require_pushed_authorization_requests BOOLEAN NOT NULL DEFAULT FALSE;

-- A pushed request: the parameters as the client pushed them (JSON), under the SHA-256 of its request_uri. A browser
-- starts it at /oauth/authorize: it is then the signed-in user's (user_id) and lives as long as a consent page may
-- (expires_at moves once). consumed_at is set by one conditional update when the authorization completes: the
-- request_uri is single use. grant_id stays '' (the token tables' shape: it never keeps a grant).
CREATE TABLE oauth_pushed_requests (
    request_hash TEXT   NOT NULL PRIMARY KEY,
    client_id    TEXT   NOT NULL,
    user_id      TEXT   NOT NULL DEFAULT '',
    grant_id     TEXT   NOT NULL DEFAULT '',
    params       TEXT   NOT NULL,
    create_at    BIGINT NOT NULL,
    expires_at   BIGINT NOT NULL,
    consumed_at  BIGINT
);
CREATE INDEX idx_oauth_pushed_requests_owner ON oauth_pushed_requests (user_id, client_id);
CREATE INDEX idx_oauth_pushed_requests_client ON oauth_pushed_requests (client_id);
CREATE INDEX idx_oauth_pushed_requests_expiry ON oauth_pushed_requests (expires_at);
