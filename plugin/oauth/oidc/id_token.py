"""ID tokens (OpenID Connect Core 1.0 section 2), signed with the provider's current key (keys.py).

Added to the token endpoint's answer by an `after_issue` hook for a grant whose scope has `openid`, at the code
exchange (with the code's nonce, section 3.1.3.3) and at every refresh (section 12.2: same `auth_time`, no nonce);
a refresh repeated within the grace window gets one for the grant of the answer it repeats.
"""
from __future__ import annotations

import base64
import hashlib

from joserfc import jwt

from plugin.store.records import AppRecord, AuthenticationRecord, GrantRecord

from ..host import HostUser
from ..ids import hash_secret
from ..services import Services
from ..store_errors import TOKEN_READ_FAILED, store_errors
from .claims import has_openid, user_claims
from .keys import SigningKeys


def left_half_hash(value: str) -> str:
    """Core 1.0 section 3.1.3.6 (`at_hash`) and 3.3.2.11 (`c_hash`): base64url of the left half of the SHA-256
    of the ASCII value (SHA-256 is the hash of RS256 and ES256 alike)."""
    digest = hashlib.sha256(value.encode("ascii")).digest()
    return base64.urlsafe_b64encode(digest[:16]).rstrip(b"=").decode()


def session_id_claim(session_id: str) -> str:
    """`sid` (OpenID Connect Front-Channel Logout 1.0 section 3): stable for one host session, and not the session's
    own id, which the host uses to look sessions up."""
    if not session_id:
        return ""
    return base64.urlsafe_b64encode(hashlib.sha256(b"sid\0" + session_id.encode()).digest()[:18]).decode()


class IDTokens:
    def __init__(self, services: Services, keys: SigningKeys) -> None:
        self.services = services
        self.keys = keys

    def sign(self, claims: dict) -> str:
        alg = self.services.settings.openid_signing_algorithm
        alg = alg if alg in ("RS256", "ES256") else "RS256"
        kid, key = self.keys.signer(alg)
        return jwt.encode({"alg": alg, "kid": kid, "typ": "JWT"}, claims, key, algorithms=[alg])

    def claims(self, user: HostUser, client_id: str, scope: str, auth_time_ms: int, sid: str, nonce: str = "",
               **hashes: str) -> dict:
        """The ID token's claims: who, for whom, when, the hashes binding it to what it came with (at_hash,
        c_hash), and the claims its scope releases."""
        settings, now = self.services.settings, self.services.now() // 1000
        claims = {"iss": settings.site_url, "sub": user.id, "aud": client_id, "azp": client_id,
                  "exp": now + settings.id_token_lifetime_seconds, "iat": now, "auth_time": auth_time_ms // 1000}
        if nonce:
            claims["nonce"] = nonce
        claims.update({name: value for name, value in hashes.items() if value})
        if sid:
            claims["sid"] = sid
        claims.update(user_claims(user, scope))
        return claims

    # --- the token endpoint's hook ------------------------------------------------------------------------------

    def after_issue(self, grant, app: AppRecord, request, issued) -> None:
        if app.openid_disabled:  # the admin refused this app OpenID: plain OAuth answers
            return
        response = issued.response
        record = issued.grant if issued.grant is not None else self._grant_of(response.access_token)
        if record is None or not has_openid(response.scope or record.scope):
            return
        authentication = self._authentication(record)
        user = self.services.active_user(record.user_id)
        if user is None:  # the grant checked this a moment ago; a user gone since gets no ID token
            return
        nonce = authentication.nonce if authentication and grant.grant_type == "authorization_code" \
            and issued.grant is not None else ""
        response.id_token = self.sign(self.claims(
            user, app.id, response.scope or record.scope,
            authentication.auth_time if authentication else record.create_at,
            authentication.sid if authentication else "", nonce, at_hash=left_half_hash(response.access_token)))

    def _authentication(self, grant: GrantRecord) -> AuthenticationRecord | None:
        if not grant.code_hash:
            return None
        with store_errors(TOKEN_READ_FAILED):
            return self.services.store.get_authentication(grant.code_hash)

    def _grant_of(self, access_token: str) -> GrantRecord | None:
        """The grant of an answer repeated in the grace window (its access token is live: the grant checked)."""
        with store_errors(TOKEN_READ_FAILED):
            access = self.services.store.get_access_token(hash_secret(access_token))
            return self.services.store.get_grant(access.grant_id) if access is not None else None
