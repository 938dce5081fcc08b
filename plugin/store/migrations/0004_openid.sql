-- 0003: OpenID Connect. The provider's signing keys, what each authentication behind a code was, and per app
-- its logout redirect URIs (RP-initiated logout) and whether it may use OpenID at all.

ALTER TABLE oauth_apps ADD COLUMN post_logout_redirect_uris TEXT NOT NULL DEFAULT '[]';
ALTER TABLE oauth_apps ADD COLUMN openid_disabled BOOLEAN NOT NULL DEFAULT FALSE;

-- Private keys are sealed (AES-GCM) under the key-encryption key (docs/provider.md, "Signing keys"). A key
-- signs while retired_at is 0, at most one per algorithm (the partial unique index: nodes generating at once
-- get one winner), and stays in the JWKS until remove_at, when nothing it signed is still valid.
CREATE TABLE oidc_signing_keys (
    kid            TEXT   NOT NULL PRIMARY KEY,
    alg            TEXT   NOT NULL,
    public_jwk     TEXT   NOT NULL,
    private_sealed TEXT   NOT NULL,
    kek_id         TEXT   NOT NULL,
    create_at      BIGINT NOT NULL,
    retired_at     BIGINT NOT NULL DEFAULT 0,
    remove_at      BIGINT NOT NULL DEFAULT 0
);
CREATE UNIQUE INDEX idx_oidc_signing_keys_current ON oidc_signing_keys (alg) WHERE retired_at = 0;

-- The authentication an authorization code stands for (OpenID Connect Core 3.1.2): the nonce bound to the code,
-- when and in which host session the user signed in. Read again at every refresh of the grant the code created
-- (its code_hash), so it lives as long as that grant may.
CREATE TABLE oidc_authentications (
    code_hash  TEXT   NOT NULL PRIMARY KEY,
    client_id  TEXT   NOT NULL,
    user_id    TEXT   NOT NULL,
    grant_id   TEXT   NOT NULL DEFAULT '',
    nonce      TEXT   NOT NULL DEFAULT '',
    auth_time  BIGINT NOT NULL,
    sid        TEXT   NOT NULL DEFAULT '',
    expires_at BIGINT NOT NULL
);
CREATE INDEX idx_oidc_authentications_owner ON oidc_authentications (user_id, client_id);
CREATE INDEX idx_oidc_authentications_client ON oidc_authentications (client_id);
CREATE INDEX idx_oidc_authentications_expiry ON oidc_authentications (expires_at);
