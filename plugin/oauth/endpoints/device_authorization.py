"""The device authorization endpoint (RFC 8628 section 3.1, POST /oauth/device_authorization): a device asks for
a device code and a user code, and learns where the user enters it.

The client authenticates as at the token endpoint (a public client names itself: RFC 8628 section 3.1 allows
them) and must be an app allowed to use the grant. The device code is a 256-bit secret and the user code a short
one (rfc8628.py); the store keeps only their SHA-256."""
from __future__ import annotations

from dataclasses import dataclass

from plugin.store.records import DEVICE_PENDING, AppRecord, DeviceCodeRecord

from .. import client_auth
from ..audit import AuditEvent
from ..errors import AppError, OAuthErrorCode, app_error, rfc_error
from ..grants.device_code import not_allowed
from ..guards import Caller, require_enabled
from ..ids import hash_secret, is_valid_id, new_secret
from ..rfc8628 import DEVICE_AUTHORIZATION_PATH, VERIFICATION_PATH, display_user_code, new_user_code
from ..rfc8707 import INVALID_TARGET, validate_resource
from ..scopes import join, resolve
from ..settings import Settings
from ..store_errors import TOKEN_READ_FAILED, TOKEN_WRITE_FAILED, store_errors
from ..urls import encode_query, is_valid_http_url, join_path
from .base import DISABLED, Endpoint

DEVICE_OFF = "api.oauth.device.disabled.app_error"
# Drawing a user code that is taken is rare (2^34 values, codes live minutes); a few draws are plenty.
USER_CODE_DRAWS = 5


@dataclass
class DeviceAuthorizationRequest:
    client_id: str = ""
    client_secret: str = ""
    scope: str = ""
    resource: str = ""


@dataclass
class DeviceAuthorization:
    """Section 3.2's answer."""
    device_code: str
    user_code: str
    verification_uri: str
    verification_uri_complete: str
    expires_in: int
    interval: int

    def to_json(self) -> dict:
        return dict(self.__dict__)


def device_grant_off() -> AppError:
    return app_error(DEVICE_OFF, 404, oauth_error=OAuthErrorCode.INVALID_REQUEST)


class DeviceAuthorizationEndpoint(Endpoint):
    name = "device_authorization"
    path = DEVICE_AUTHORIZATION_PATH
    metadata_key = "device_authorization_endpoint"
    auth_methods = client_auth.METHODS

    def enabled(self, settings: Settings) -> bool:
        return settings.enable_device_grant

    def handle(self, request: DeviceAuthorizationRequest, caller: Caller | None = None) -> DeviceAuthorization:
        services = self.services
        settings = services.settings
        remote_addr = caller.remote_addr if caller is not None else ""
        with services.limiter.metered(settings, request.client_id, remote_addr) as meter:
            require_enabled(settings, DISABLED)
            if not self.enabled(settings):
                raise device_grant_off()
            app = self._client(request)
            if not client_auth.is_public(app):
                meter.client_authenticated()  # a public client proves nothing here: its requests stay uncounted
            scope = resolve(request.scope, app.allowed_scopes)
            if scope is None:
                raise rfc_error(OAuthErrorCode.INVALID_SCOPE, "api.oauth.device.scope.app_error")
            error = validate_resource(request.resource, oauth_error=INVALID_TARGET)
            if error is not None:
                raise error
            return self._issue(app, join(scope), request.resource, settings)

    def _client(self, request: DeviceAuthorizationRequest) -> AppRecord:
        if not is_valid_id(request.client_id):
            raise rfc_error(OAuthErrorCode.INVALID_CLIENT, "api.oauth.get_access_token.bad_client_id.app_error")
        with store_errors(TOKEN_READ_FAILED):
            app = self.services.store.get_app(request.client_id)
        if app is None:
            raise client_auth.invalid_client(404)
        client_auth.authenticate_for_grant(app, request.client_secret, self.auth_methods, "")
        if not app.device_grant_allowed:
            raise not_allowed()
        return app

    def _issue(self, app: AppRecord, scope: str, resource: str, settings: Settings) -> DeviceAuthorization:
        services = self.services
        if not is_valid_http_url(settings.site_url):  # the verification URI is the site's
            raise app_error("api.oauth.authorization_server_metadata.site_url_required.app_error", 500,
                            oauth_error=OAuthErrorCode.SERVER_ERROR)
        now = services.now()
        lifetime, interval = settings.device_code_lifetime_seconds, settings.device_poll_interval_seconds
        device_code = new_secret()
        for _ in range(USER_CODE_DRAWS):
            user_code = new_user_code()
            record = DeviceCodeRecord(
                device_code_hash=hash_secret(device_code), user_code_hash=hash_secret(user_code), client_id=app.id,
                user_id="", scope=scope, resource=resource, status=DEVICE_PENDING, create_at=now,
                expires_at=now + lifetime * 1000, poll_interval=interval)
            with store_errors(TOKEN_WRITE_FAILED):
                if services.store.save_device_code(record):
                    break
        else:
            raise app_error(TOKEN_WRITE_FAILED, 500, oauth_error=OAuthErrorCode.SERVER_ERROR)
        services.audit.record(AuditEvent.DEVICE_CODE_ISSUED, client_id=app.id, scope=scope)
        verification_uri = join_path(settings.site_url, VERIFICATION_PATH)
        shown = display_user_code(user_code)
        return DeviceAuthorization(
            device_code=device_code, user_code=shown, verification_uri=verification_uri,
            verification_uri_complete=f"{verification_uri}?{encode_query({'user_code': [shown]})}",
            expires_in=lifetime, interval=interval)
