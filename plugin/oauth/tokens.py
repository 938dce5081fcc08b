"""Minting access and refresh tokens: random values handed out once, rows that keep only their SHA-256."""
from __future__ import annotations

from dataclasses import dataclass

from plugin.store.records import AccessTokenRecord, AppRecord, GrantRecord, RefreshTokenRecord

from .errors import app_error
from .ids import hash_secret, new_secret
from .policy import issues_refresh_token
from .rfc8707 import INVALID_TARGET, validate_resource
from .settings import Settings


@dataclass
class TokenInfo:
    """A valid access token's meaning, for the host's bearer authentication."""
    user_id: str
    client_id: str
    scope: str
    audience: str
    expires_at: int
    grant_id: str
    # RFC 9449: the key thumbprint the token is bound to ("" for a bearer token).
    dpop_jkt: str = ""


def new_access_token(settings: Settings, grant: GrantRecord, audience: str, now: int, dpop_jkt: str = ""
                     ) -> tuple[str, AccessTokenRecord]:
    """An access token, bound to the key `dpop_jkt` when the request proved one (RFC 9449 section 5)."""
    token = new_secret()
    return token, AccessTokenRecord(token_hash=hash_secret(token), **_of_grant(grant, audience, now),
                                    expires_at=now + settings.access_token_lifetime_seconds * 1000,
                                    dpop_jkt=dpop_jkt)


def new_refresh_token(settings: Settings, app: AppRecord, grant: GrantRecord, audience: str,
                      access: AccessTokenRecord, now: int, dpop_jkt: str = ""
                      ) -> tuple[str, RefreshTokenRecord | None]:
    """A refresh token when the policy gives the client one; it dies when unused for the idle timeout and at
    the grant's absolute lifetime; bound to `dpop_jkt` (`policy.refresh_token_key`)."""
    if not issues_refresh_token(app):
        return "", None
    token = new_secret()
    return token, RefreshTokenRecord(
        token_hash=hash_secret(token), **_of_grant(grant, audience, now),
        expires_at=min(now + settings.refresh_token_idle_ms, grant.create_at + settings.refresh_absolute_ms),
        last_used_at=now, access_token_hash=access.token_hash,
        dpop_jkt=dpop_jkt)


def _of_grant(grant: GrantRecord, audience: str, now: int) -> dict:
    """The fields every token of a grant carries."""
    return dict(grant_id=grant.id, client_id=grant.client_id, user_id=grant.user_id, scope=grant.scope,
                audience=audience, create_at=now)


def audience(requested: str, bound: str) -> str:
    """RFC 8707 at the token endpoint: a requested resource must be valid and, when the code or refresh token
    is bound to one, equal to it."""
    if not requested:
        return bound
    error = validate_resource(requested, oauth_error=INVALID_TARGET)
    if error is not None:
        raise error
    if bound and requested != bound:
        raise app_error("api.oauth.get_access_token.resource_mismatch.app_error", 400, oauth_error=INVALID_TARGET)
    return requested
