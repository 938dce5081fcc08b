-- 0007: DPoP (RFC 9449). The key thumbprint (RFC 7638) each code, access token and refresh token is bound to ('':
-- none), whether an app must use DPoP, the proofs already seen (replay detection shared by every node) and the
-- nonces the server gave out.

ALTER TABLE oauth_apps ADD COLUMN require_dpop BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE oauth_codes ADD COLUMN dpop_jkt TEXT NOT NULL DEFAULT '';
ALTER TABLE oauth_access_tokens ADD COLUMN dpop_jkt TEXT NOT NULL DEFAULT '';
ALTER TABLE oauth_refresh_tokens ADD COLUMN dpop_jkt TEXT NOT NULL DEFAULT '';

-- One row per proof accepted: the SHA-256 of its key thumbprint and jti. The primary key makes the insert the
-- replay check (of two nodes given the same proof, one inserts). Kept until no proof with that iat is accepted.
CREATE TABLE oauth_dpop_proofs (
    proof_hash TEXT   NOT NULL PRIMARY KEY,
    expires_at BIGINT NOT NULL
);
CREATE INDEX idx_oauth_dpop_proofs_expiry ON oauth_dpop_proofs (expires_at);

-- Server-provided nonces (RFC 9449 section 8): any one not expired is accepted, the newest is handed out.
CREATE TABLE oauth_dpop_nonces (
    nonce      TEXT   NOT NULL PRIMARY KEY,
    create_at  BIGINT NOT NULL,
    expires_at BIGINT NOT NULL
);
CREATE INDEX idx_oauth_dpop_nonces_create ON oauth_dpop_nonces (create_at);
