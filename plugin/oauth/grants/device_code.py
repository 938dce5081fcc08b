"""The device authorization grant at the token endpoint (RFC 8628 section 3.4): the device polls with its
device code until the user has decided on the verification page.

Each request first tries to redeem an approved code (one conditional UPDATE in the store: tokens exactly once,
however many requests race); otherwise it polls (one conditional UPDATE that also applies slow_down) and hears why
not yet: expired_token, access_denied, slow_down or authorization_pending (section 3.5). A code that is unknown,
another client's or already redeemed is invalid_grant. A request with a DPoP proof gets tokens bound to its key
(RFC 9449: the token endpoint's before_issue hook checked the proof)."""
from __future__ import annotations

from plugin.store.contract import Issue
from plugin.store.records import DEVICE_DENIED, DEVICE_PENDING, AppRecord, DeviceCodeRecord, GrantRecord

from ..audit import AuditEvent
from ..errors import AppError, OAuthErrorCode, rfc_error
from ..ids import hash_secret, new_id
from ..ratelimit import Meter
from ..rfc6749 import TokenRequest
from ..rfc8628 import GRANT_TYPE, SLOW_DOWN_SECONDS, DeviceErrorCode
from ..settings import Settings
from ..store_errors import TOKEN_WRITE_FAILED, store_errors
from ..tokens import audience
from .base import Grant, Issued, first_tokens


def device_error(code: str, error_id: str) -> AppError:
    return rfc_error(code, error_id, 400)


def invalid_device_code() -> AppError:
    return device_error(OAuthErrorCode.INVALID_GRANT, "api.oauth.get_access_token.device_code.app_error")


def not_allowed() -> AppError:
    return device_error(OAuthErrorCode.UNAUTHORIZED_CLIENT, "api.oauth.device.not_allowed.app_error")


class DeviceCodeGrant(Grant):
    grant_type = GRANT_TYPE
    ends_tokens = False  # a redemption only adds tokens

    def enabled(self, settings: Settings) -> bool:
        return settings.enable_device_grant

    def check_request(self, request: TokenRequest) -> None:
        if not request.param("device_code"):
            raise rfc_error(OAuthErrorCode.INVALID_REQUEST, "api.oauth.get_access_token.missing_device_code.app_error")

    def check_client(self, app: AppRecord, request: TokenRequest) -> None:
        if not app.device_grant_allowed:
            raise not_allowed()

    def issue(self, app: AppRecord, request: TokenRequest, meter: Meter) -> Issued:
        services = self.services
        settings, now = services.settings, services.now()
        device_code_hash = hash_secret(request.param("device_code"))
        grant_id = new_id()

        def issue(record: DeviceCodeRecord) -> Issue:
            """Inside the store's transaction, the code just redeemed: refuse (it stays redeemed) or say what to
            write."""
            meter.client_authenticated()  # the device code was this client's
            if services.active_user(record.user_id) is None:
                raise invalid_device_code()  # the user was deactivated since they approved
            bound = audience(request.resource, record.resource)
            grant = GrantRecord(id=grant_id, client_id=app.id, user_id=record.user_id, scope=record.scope,
                                audience=bound, redirect_uri="", create_at=now, code_hash=device_code_hash)
            return first_tokens(settings, app, grant, now, request.dpop_jkt, mattermost_shape=False)

        with store_errors(TOKEN_WRITE_FAILED):
            issued = services.store.redeem_device_code(device_code_hash, app.id, now, grant_id, issue)
        if issued is None:
            raise self._not_yet(app, device_code_hash, now, meter)
        user_id = issued.grant.user_id
        services.audit.record(AuditEvent.DEVICE_CODE_REDEEMED, user_id=user_id, client_id=app.id, grant_id=grant_id)
        services.audit.record(AuditEvent.TOKEN_ISSUED, user_id=user_id, client_id=app.id, grant_id=grant_id,
                              grant_type=self.grant_type, refresh_token=issued.refresh is not None)
        return Issued(issued.grant, issued.result)

    def _not_yet(self, app: AppRecord, device_code_hash: str, now: int, meter: Meter) -> AppError:
        """Why the code gave no tokens, from the poll that records this request (section 3.5)."""
        with store_errors(TOKEN_WRITE_FAILED):
            record = self.services.store.poll_device_code(device_code_hash, app.id, now, SLOW_DOWN_SECONDS)
        if record is None:
            return invalid_device_code()
        meter.client_authenticated()
        if now > record.expires_at:
            return device_error(DeviceErrorCode.EXPIRED_TOKEN, "api.oauth.device.expired_token.app_error")
        if record.status == DEVICE_DENIED:
            return device_error(OAuthErrorCode.ACCESS_DENIED, "api.oauth.device.access_denied.app_error")
        if record.status != DEVICE_PENDING:
            # Redeemed already; or approved between the redemption and this poll, when the next poll gets it.
            return invalid_device_code() if record.grant_id else \
                device_error(DeviceErrorCode.AUTHORIZATION_PENDING, "api.oauth.device.authorization_pending.app_error")
        if record.slow_down:
            return device_error(DeviceErrorCode.SLOW_DOWN, "api.oauth.device.slow_down.app_error")
        return device_error(DeviceErrorCode.AUTHORIZATION_PENDING, "api.oauth.device.authorization_pending.app_error")
