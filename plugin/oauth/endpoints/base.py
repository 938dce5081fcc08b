"""What an endpoint declares: its name in the registry, its path under the site URL and its RFC 8414 metadata
names (the URL's, and that of the client authentication methods it accepts)."""
from __future__ import annotations

from typing import ClassVar

from plugin.store.records import AccessTokenRecord, RefreshTokenRecord

from ..errors import AppError, OAuthErrorCode, rfc_error
from ..ids import hash_secret
from ..settings import Settings
from ..store_errors import TOKEN_READ_FAILED, store_errors


class Endpoint:
    name: ClassVar[str]
    path: ClassVar[str] = ""
    metadata_key: ClassVar[str] = ""
    auth_methods: tuple[str, ...] = ()
    auth_methods_key: ClassVar[str] = ""

    def __init__(self, server) -> None:
        self.server = server
        self.services = server.services

    def enabled(self, settings: Settings) -> bool:
        return True


# --- endpoints that take a token from a client (RFC 7009, RFC 7662) ---------------------------------------------

DISABLED = "api.oauth.get_access_token.disabled.app_error"


def missing_token(error_id: str) -> AppError:
    """RFC 7009 §2.1 and RFC 7662 §2.1: `token` is REQUIRED; without it the request is invalid_request (RFC 6749
    §5.2), not an unknown token."""
    return rfc_error(OAuthErrorCode.INVALID_REQUEST, error_id, message="invalid_request: Missing token.")


def find_token(store, token: str, hint: str) -> AccessTokenRecord | RefreshTokenRecord | None:
    """The access or refresh token with this value, looking first where the hint says."""
    token_hash = hash_secret(token)
    lookups = [store.get_access_token, store.get_refresh_token]
    if hint == "refresh_token":
        lookups.reverse()
    with store_errors(TOKEN_READ_FAILED):
        for lookup in lookups:
            record = lookup(token_hash)
            if record is not None:
                return record
    return None
