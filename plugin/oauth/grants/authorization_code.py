"""The authorization code grant (RFC 6749 §4.1.3) with PKCE (RFC 7636), checks in Mattermost's order.

A code is spent by one conditional UPDATE inside the store's transaction (`Store.redeem_code`), which also writes
what the winner issues; a failed exchange by the code's own client still spends it. A code presented again
revokes what its exchange issued (RFC 6749 §4.1.2)."""
from __future__ import annotations

import hmac

from plugin.store.contract import Issue
from plugin.store.records import AppRecord, CodeRecord, GrantRecord

from ..audit import AuditEvent
from ..client_auth import is_public
from ..errors import AppError, OAuthErrorCode, rfc_error
from ..ids import hash_secret, new_id
from ..policy import pkce_required, redirect_uri_registered
from ..ratelimit import Meter
from ..rfc6749 import TokenRequest
from ..rfc7636 import validate_for_client_type
from ..store_errors import TOKEN_READ_FAILED, TOKEN_WRITE_FAILED, store_errors
from ..tokens import audience
from .base import Grant, Issued, first_tokens

INVALID_GRANT = OAuthErrorCode.INVALID_GRANT


def invalid_code(status: int = 400) -> AppError:
    return rfc_error(INVALID_GRANT, "api.oauth.get_access_token.expired_code.app_error", status)


def require_key(bound: str, proven: str) -> None:
    """RFC 9449 sections 5 and 10: a code or refresh token bound to a key is spent only with a proof of that key."""
    if bound and not hmac.compare_digest(bound.encode(), proven.encode()):
        raise rfc_error(INVALID_GRANT, "api.oauth.get_access_token.dpop_key_mismatch.app_error")


class AuthorizationCodeGrant(Grant):
    grant_type = "authorization_code"
    ends_tokens = False  # a code exchange only adds tokens

    def check_request(self, request: TokenRequest) -> None:
        if not request.code:
            raise rfc_error(OAuthErrorCode.INVALID_REQUEST, "api.oauth.get_access_token.missing_code.app_error")

    def check_client(self, app: AppRecord, request: TokenRequest) -> None:
        if pkce_required(app) and not request.code_verifier:
            raise rfc_error(OAuthErrorCode.INVALID_REQUEST, "model.oauth.validate_grant.pkce_required.app_error")

    def issue(self, app: AppRecord, request: TokenRequest, meter: Meter) -> Issued:
        services = self.services
        settings, now = services.settings, services.now()
        code_hash = hash_secret(request.code)
        grant_id = new_id()

        def issue(code: CodeRecord) -> Issue:
            """Inside the store's transaction, the code just spent: refuse (it stays spent) or say what to write."""
            meter.client_authenticated()  # the code was this client's
            if request.redirect_uri != code.redirect_uri or not redirect_uri_registered(app.callback_urls,
                                                                                        code.redirect_uri):
                raise rfc_error(INVALID_GRANT, "api.oauth.get_access_token.redirect_uri.app_error")
            validate_for_client_type(is_public(app), code.code_challenge, code.code_challenge_method,
                                     request.code_verifier)
            require_key(code.dpop_jkt, request.dpop_jkt)
            if services.active_user(code.user_id) is None:
                raise invalid_code(403)  # Mattermost: a deactivated user's code is refused
            bound = audience(request.resource, code.resource)
            grant = GrantRecord(id=grant_id, client_id=app.id, user_id=code.user_id, scope=code.scope,
                                audience=bound, redirect_uri=code.redirect_uri, create_at=now, code_hash=code_hash)
            return first_tokens(settings, app, grant, now, request.dpop_jkt)

        # One transaction: the conditional write that decides the single winner, and what the winner issues.
        with store_errors(TOKEN_WRITE_FAILED):
            issued = services.store.redeem_code(code_hash, app.id, now, grant_id, issue)
        if issued is None:
            raise self._refused(app, code_hash, now, meter)
        user_id = issued.grant.user_id
        services.audit.record(AuditEvent.CODE_CONSUMED, user_id=user_id, client_id=app.id, grant_id=grant_id)
        services.audit.record(AuditEvent.TOKEN_ISSUED, user_id=user_id, client_id=app.id, grant_id=grant_id,
                              grant_type=self.grant_type, refresh_token=issued.refresh is not None)
        return Issued(issued.grant, issued.result)

    def _refused(self, app: AppRecord, code_hash: str, now: int, meter: Meter) -> AppError:
        """Why a code could not be spent, in Mattermost's order of checks."""
        store = self.services.store
        with store_errors(TOKEN_READ_FAILED):
            code = store.get_code(code_hash)
        if code is None:
            return invalid_code()
        if code.client_id == app.id:
            meter.client_authenticated()
        if code.used_at is not None:
            # A second presentation of a spent code: revoke what its exchange issued.
            if code.client_id == app.id and code.grant_id:
                with store_errors(TOKEN_READ_FAILED):
                    removed = store.revoke_grant(code.grant_id)
                self.services.audit.record(AuditEvent.CODE_REPLAYED, user_id=code.user_id, client_id=app.id,
                                           grant_id=code.grant_id, tokens_revoked=removed)
            return invalid_code()
        if now > code.create_at + code.expires_in * 1000:
            return invalid_code(403)
        if code.client_id != app.id:
            return rfc_error(INVALID_GRANT, "api.oauth.get_access_token.client_id_mismatch.app_error")
        return invalid_code()  # not reached: these are the conditions the UPDATE checked
