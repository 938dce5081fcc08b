-- 0001: initial schema, shared by SQLite and PostgreSQL.
--
-- Codes, secrets and tokens are stored only as hex SHA-256 (the *_hash columns). Times are Unix ms (BIGINT).
-- Every token belongs to a grant, and a grant to one (user, app); the store deletes tokens of a user or an app
-- through their grants, so the token tables (the hottest insert path: every refresh writes two rows) carry only
-- the indexes their own lookups need: the grant and the expiry.
-- Foreign keys have no ON DELETE action: the store deletes children explicitly, and a delete in the wrong order
-- fails loudly instead of silently cascading.

CREATE TABLE oauth_apps (
    id                        TEXT    NOT NULL PRIMARY KEY,
    creator_id                TEXT    NOT NULL DEFAULT '',
    create_at                 BIGINT  NOT NULL,
    update_at                 BIGINT  NOT NULL,
    name                      TEXT    NOT NULL,
    description               TEXT    NOT NULL DEFAULT '',
    icon_url                  TEXT    NOT NULL DEFAULT '',
    homepage                  TEXT    NOT NULL DEFAULT '',
    callback_urls             TEXT    NOT NULL DEFAULT '[]', -- JSON array of strings
    is_trusted                BOOLEAN NOT NULL DEFAULT FALSE,
    mattermost_app_id         TEXT    NOT NULL DEFAULT '',
    is_dynamically_registered BOOLEAN NOT NULL DEFAULT FALSE,
    client_secret_hash        TEXT    NOT NULL DEFAULT ''     -- '' for a public client
);
-- list_apps pages in (create_at, id) order, for everyone or for one creator.
CREATE INDEX idx_oauth_apps_order ON oauth_apps (create_at, id);
CREATE INDEX idx_oauth_apps_creator ON oauth_apps (creator_id, create_at, id);

-- A user's remembered consent for an app.
CREATE TABLE oauth_consents (
    user_id   TEXT   NOT NULL,
    client_id TEXT   NOT NULL REFERENCES oauth_apps (id),
    scope     TEXT   NOT NULL DEFAULT '',
    create_at BIGINT NOT NULL,
    PRIMARY KEY (user_id, client_id)
);
CREATE INDEX idx_oauth_consents_client ON oauth_consents (client_id);

CREATE TABLE oauth_codes (
    code_hash             TEXT    NOT NULL PRIMARY KEY,
    client_id             TEXT    NOT NULL REFERENCES oauth_apps (id),
    user_id               TEXT    NOT NULL,
    redirect_uri          TEXT    NOT NULL,
    state                 TEXT    NOT NULL DEFAULT '',
    scope                 TEXT    NOT NULL DEFAULT '',
    create_at             BIGINT  NOT NULL,
    expires_in            INTEGER NOT NULL,                 -- seconds
    expires_at            BIGINT  NOT NULL,                 -- create_at + expires_in * 1000, for the expiry index
    code_challenge        TEXT    NOT NULL DEFAULT '',
    code_challenge_method TEXT    NOT NULL DEFAULT '',
    resource              TEXT    NOT NULL DEFAULT '',
    used_at               BIGINT,                           -- NULL until consumed
    grant_id              TEXT    NOT NULL DEFAULT ''       -- the grant its exchange created
);
CREATE INDEX idx_oauth_codes_user_client ON oauth_codes (user_id, client_id);
CREATE INDEX idx_oauth_codes_client ON oauth_codes (client_id);
CREATE INDEX idx_oauth_codes_expires ON oauth_codes (expires_at);

-- One authorization of one app by one user; every token descends from one.
CREATE TABLE oauth_grants (
    id           TEXT   NOT NULL PRIMARY KEY,
    client_id    TEXT   NOT NULL REFERENCES oauth_apps (id),
    user_id      TEXT   NOT NULL,
    scope        TEXT   NOT NULL DEFAULT '',
    audience     TEXT   NOT NULL DEFAULT '',
    redirect_uri TEXT   NOT NULL DEFAULT '',
    create_at    BIGINT NOT NULL,
    code_hash    TEXT   NOT NULL DEFAULT ''                 -- '' for implicit grants
);
CREATE INDEX idx_oauth_grants_user_client ON oauth_grants (user_id, client_id);
CREATE INDEX idx_oauth_grants_client ON oauth_grants (client_id);

CREATE TABLE oauth_access_tokens (
    token_hash TEXT   NOT NULL PRIMARY KEY,
    grant_id   TEXT   NOT NULL REFERENCES oauth_grants (id),
    client_id  TEXT   NOT NULL,
    user_id    TEXT   NOT NULL,
    scope      TEXT   NOT NULL DEFAULT '',
    audience   TEXT   NOT NULL DEFAULT '',
    create_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL                              -- 0: no expiry
);
CREATE INDEX idx_oauth_access_tokens_grant ON oauth_access_tokens (grant_id);
CREATE INDEX idx_oauth_access_tokens_expires ON oauth_access_tokens (expires_at);

CREATE TABLE oauth_refresh_tokens (
    token_hash        TEXT   NOT NULL PRIMARY KEY,
    grant_id          TEXT   NOT NULL REFERENCES oauth_grants (id),
    client_id         TEXT   NOT NULL,
    user_id           TEXT   NOT NULL,
    scope             TEXT   NOT NULL DEFAULT '',
    audience          TEXT   NOT NULL DEFAULT '',
    create_at         BIGINT NOT NULL,
    expires_at        BIGINT NOT NULL,                      -- 0: no absolute limit
    last_used_at      BIGINT NOT NULL,
    access_token_hash TEXT   NOT NULL DEFAULT '',           -- issued together with this one
    rotated_at        BIGINT,                               -- NULL until exchanged for a successor
    successor_hash    TEXT   NOT NULL DEFAULT ''
);
-- Rotated rows stay (reuse detection) until their grant is revoked or they expire.
CREATE INDEX idx_oauth_refresh_tokens_grant ON oauth_refresh_tokens (grant_id);
CREATE INDEX idx_oauth_refresh_tokens_expires ON oauth_refresh_tokens (expires_at)
