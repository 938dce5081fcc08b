"""The refresh token grant (RFC 6749 §6) with rotation and reuse detection (RFC 9700 §4.14.2).

One conditional update decides which request rotates a token. A rotated token presented again within the grace
window gets the same successor (two tabs refreshing at once); after it, reuse revokes the whole grant.

A `scope` parameter (§6) narrows the new access token to part of what was granted (more is `invalid_scope`); the
new refresh token keeps the refresh token's scope, as §6 requires. Unregistered values ask for nothing."""
from __future__ import annotations

import dataclasses

from plugin.store.records import AppRecord, GrantRecord, RefreshTokenRecord

from .. import client_auth, refresh_grace
from ..audit import AuditEvent
from ..errors import AppError, OAuthErrorCode, rfc_error
from ..ids import hash_secret
from ..policy import refresh_token_key
from ..ratelimit import Meter
from ..rfc6749 import TokenRequest, TokenResponse
from ..scopes import SCOPES, covers, join, parse
from ..settings import Settings
from ..store_errors import TOKEN_READ_FAILED, TOKEN_WRITE_FAILED, store_errors
from ..rfc9449 import token_type
from ..tokens import audience, new_access_token, new_refresh_token
from .authorization_code import require_key
from .base import Grant, Issued

MAX_GRACE_CHAIN = 8  # a chain longer than this within the window is not two tabs refreshing


def invalid_refresh_token() -> AppError:
    return rfc_error(OAuthErrorCode.INVALID_GRANT, "api.oauth.get_access_token.refresh_token.app_error", 404)


def narrowed_scope(granted: str, requested: str) -> str:
    """The new access token's scope: the registered values of `requested` when the grant covers them all
    (invalid_scope otherwise), else the granted scope unchanged."""
    names = SCOPES.ordered(parse(requested))
    if not names:
        return granted
    if not covers(granted, names):
        raise rfc_error(OAuthErrorCode.INVALID_SCOPE, "api.oauth.get_access_token.scope.app_error")
    return join(names)


class RefreshTokenGrant(Grant):
    grant_type = "refresh_token"
    auth_methods = client_auth.SECRET_METHODS
    public_refused_id = "model.oauth.validate_grant.public_client_refresh_token.app_error"

    def check_request(self, request: TokenRequest) -> None:
        if not request.refresh_token:
            raise rfc_error(OAuthErrorCode.INVALID_REQUEST,
                            "api.oauth.get_access_token.missing_refresh_token.app_error")

    def issue(self, app: AppRecord, request: TokenRequest, meter: Meter) -> Issued:
        # Public clients never get here (auth_methods): the secret has proved the client already.
        services = self.services
        settings, store = services.settings, services.store
        old_hash = hash_secret(request.refresh_token)
        with store_errors(TOKEN_READ_FAILED):
            old = store.get_refresh_token(old_hash)
        if old is None:
            raise invalid_refresh_token()
        if old.client_id != app.id:
            raise rfc_error(OAuthErrorCode.INVALID_GRANT, "api.oauth.get_access_token.client_id_mismatch.app_error")
        require_key(old.dpop_jkt, request.dpop_jkt)  # before the grace window repeats an answer too
        if services.active_user(old.user_id) is None:
            raise invalid_refresh_token()  # what Mattermost answers once the deactivation removed the token
        now = services.now()
        if old.rotated_at is not None:
            return self._rotated_again(settings, app, old, request.refresh_token, now)
        with store_errors(TOKEN_READ_FAILED):
            grant = store.get_grant(old.grant_id)
        if grant is None or (old.expires_at and now > old.expires_at) \
                or now > grant.create_at + settings.refresh_absolute_ms:
            raise invalid_refresh_token()
        bound = audience(request.resource, old.audience)
        scope = narrowed_scope(old.scope, request.param("scope"))
        grant_view = GrantRecord(id=grant.id, client_id=grant.client_id, user_id=grant.user_id, scope=old.scope,
                                 audience=bound, redirect_uri=grant.redirect_uri, create_at=grant.create_at,
                                 code_hash=grant.code_hash)
        access_view = dataclasses.replace(grant_view, scope=scope)
        # The new access token is bound to the key this request proved (RFC 9449 section 5), the new refresh token
        # to the same key as the one it replaces.
        jkt = request.dpop_jkt
        access_token, access = new_access_token(settings, access_view, bound, now, jkt)
        refresh_token, refresh = new_refresh_token(settings, app, grant_view, bound, access, now,
                                                   refresh_token_key(app, jkt, old.dpop_jkt))
        response = TokenResponse(access_token=access_token, expires_in=settings.access_token_lifetime_seconds,
                                 token_type=token_type(jkt), scope=scope, refresh_token=refresh_token, audience=bound)
        sealed = refresh_grace.seal(request.refresh_token, response.to_json()) if settings.refresh_grace_seconds else ""
        with store_errors(TOKEN_WRITE_FAILED):
            rotated = store.rotate_refresh_token(old_hash, now, access, refresh, sealed)
        if not rotated:
            # Another request rotated it between our read and our write.
            with store_errors(TOKEN_READ_FAILED):
                old = store.get_refresh_token(old_hash)
            if old is None or old.rotated_at is None:
                raise invalid_refresh_token()
            return self._rotated_again(settings, app, old, request.refresh_token, now)
        services.audit.record(AuditEvent.TOKEN_REFRESHED, user_id=grant.user_id, client_id=app.id,
                              grant_id=grant.id)
        return Issued(grant_view, response)

    def _rotated_again(self, settings: Settings, app: AppRecord, old: RefreshTokenRecord, presented: str,
                       now: int) -> Issued:
        """A rotated refresh token presented again: within the grace window the same successor (following the
        chain if the successor was rotated in its own window too); otherwise reuse, and the family goes."""
        store = self.services.store
        token, record = presented, old
        for _ in range(MAX_GRACE_CHAIN):
            within = record.rotated_at is not None and record.successor_sealed \
                and now - record.rotated_at <= settings.refresh_grace_seconds * 1000
            successor = refresh_grace.unseal(token, record.successor_sealed) if within else None
            if successor is None:
                break
            with store_errors(TOKEN_READ_FAILED):
                following = store.get_refresh_token(record.successor_hash) if record.successor_hash else None
                live = store.get_access_token(hash_secret(successor["access_token"]))
            if following is not None and following.rotated_at is not None:
                token, record = successor["refresh_token"], following
                continue
            if live is None or (following is None and record.successor_hash):
                break  # the successor was revoked meanwhile
            self.services.audit.record(AuditEvent.TOKEN_REFRESHED, user_id=old.user_id, client_id=app.id,
                                       grant_id=old.grant_id, within_grace_window=True)
            successor["expires_in"] = max(0, (live.expires_at - now) // 1000)
            return Issued(None, TokenResponse(**successor))
        self._revoke_family(old)
        raise invalid_refresh_token()

    def _revoke_family(self, old: RefreshTokenRecord) -> None:
        """Refresh-token reuse: every token of the grant goes."""
        with store_errors(TOKEN_READ_FAILED):
            removed = self.services.store.revoke_grant(old.grant_id)
        self.services.audit.record(AuditEvent.REFRESH_REUSE_DETECTED, user_id=old.user_id, client_id=old.client_id,
                                   grant_id=old.grant_id, tokens_revoked=removed)
