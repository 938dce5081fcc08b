"""The decision behind RFC 8628's verification page (section 3.3): the host's page asks who the code belongs to,
then passes on the user's Allow or Deny.

A signed-in browser session only (never an OAuth token, as at the consent page). The user confirms every device,
trusted apps included: the code on the screen is what binds the device to this user (section 5.4, remote
phishing). Entering codes is rate limited per address and per session; a code that is malformed, unknown, expired,
decided already or of an app no longer allowed the grant gets one answer, which says nothing of which it was.
Allow records the consent as the code grant's consent page does (the app is then among the user's authorized
apps) and, for openid, the sign-in behind the ID token."""
from __future__ import annotations

from dataclasses import dataclass

from plugin.store.records import (DEVICE_APPROVED, DEVICE_DENIED, AppRecord, AuthenticationRecord, ConsentRecord,
                                  DeviceCodeRecord)

from ..apps import App
from ..audit import AuditEvent
from ..errors import AppError, OAuthErrorCode, app_error
from ..guards import MANAGE_SYSTEM, Caller, require_browser_session, require_enabled, require_session
from ..ids import hash_secret
from ..oidc.authentication import session_created_at
from ..oidc.claims import has_openid
from ..oidc.id_token import session_id_claim
from ..rfc8628 import display_user_code, normalize_user_code
from ..scopes import ScopeDecision, decide as decide_scopes, join, merge
from ..store_errors import TOKEN_READ_FAILED, TOKEN_WRITE_FAILED, store_errors
from .base import Endpoint
from .device_authorization import device_grant_off

WRONG_CODE = "api.oauth.device.user_code.app_error"
TOO_MANY_CODES = "api.oauth.device.too_many_codes.app_error"


@dataclass
class DevicePrompt:
    """What the confirmation shows: the app (public fields), the code as the device shows it, what the user would
    grant and what only a system admin could."""
    app: App
    user_code: str
    scopes: tuple[str, ...]
    refused_scopes: tuple[str, ...]


@dataclass
class DeviceDecision:
    app: App
    approved: bool


def wrong_code() -> AppError:
    return app_error(WRONG_CODE, 400, oauth_error=OAuthErrorCode.INVALID_GRANT)


class DeviceVerificationEndpoint(Endpoint):
    name = "device_verification"

    def enabled(self, settings) -> bool:
        return settings.enable_device_grant

    def lookup(self, caller: Caller | None, user_code: str) -> DevicePrompt:
        """The pending request a typed code names, for the user to confirm."""
        caller = self._checked(caller)
        with self._attempt(caller):
            record, app = self._pending(caller, user_code)
        scopes = self._scopes(caller, record, app)
        return DevicePrompt(App.from_record(app), display_user_code(normalize_user_code(user_code)),
                            tuple(scopes.granted), tuple(scopes.refused))

    def decide(self, caller: Caller | None, user_code: str, allow: bool) -> DeviceDecision:
        """The user's Allow or Deny, once per code (the store's conditional update decides between racing tabs)."""
        caller = self._checked(caller)
        services = self.services
        now = services.now()
        with self._attempt(caller):
            record, app = self._pending(caller, user_code)
            scopes = self._scopes(caller, record, app)
            allow = allow and not scopes.error  # nothing left that this user can grant: a refusal
            # Asked of the host before anything changes (an unreachable host refuses the decision, 503).
            auth_time = session_created_at(services, caller) if allow and has_openid(join(scopes.granted)) else 0
            with store_errors(TOKEN_WRITE_FAILED):
                decided = services.store.decide_device_code(
                    record.user_code_hash, now, DEVICE_APPROVED if allow else DEVICE_DENIED, caller.user_id,
                    join(scopes.granted) if allow else "")
            if decided is None:
                raise wrong_code()  # decided in another tab, or expired, a moment ago
        audit = dict(user_id=caller.user_id, client_id=app.id, remote_addr=caller.remote_addr)
        if not allow:
            services.audit.record(AuditEvent.DEVICE_DENIED, **audit)
            return DeviceDecision(App.from_record(app), False)
        self._remember(caller, app, decided, scopes.granted, now, auth_time)
        services.audit.record(AuditEvent.DEVICE_APPROVED, **audit, scope=decided.scope)
        return DeviceDecision(App.from_record(app), True)

    # --- the steps ------------------------------------------------------------------------------------------------

    def _checked(self, caller: Caller | None) -> Caller:
        caller = require_session(caller)
        require_browser_session(caller)
        settings = self.services.settings
        require_enabled(settings)
        if not self.enabled(settings):
            raise device_grant_off()
        return caller

    def _attempt(self, caller: Caller):
        """One code entered, counted against the caller's address and session."""
        limit = self.services.settings.device_user_code_attempts_per_minute
        return self.services.limiter.attempts(
            limit, [f"device-addr:{caller.remote_addr}", f"device-session:{caller.session_id or caller.user_id}"],
            TOO_MANY_CODES)

    def _pending(self, caller: Caller, typed: str) -> tuple[DeviceCodeRecord, AppRecord]:
        code = normalize_user_code(typed)
        store, now = self.services.store, self.services.now()
        record = app = None
        if code:
            with store_errors(TOKEN_READ_FAILED):
                record = store.find_pending_device_code(hash_secret(code), now)
                app = store.get_app(record.client_id) if record is not None else None
        if record is None or app is None or not app.device_grant_allowed:
            self.services.audit.record(AuditEvent.DEVICE_USER_CODE_REFUSED, user_id=caller.user_id,
                                       remote_addr=caller.remote_addr)
            raise wrong_code()
        return record, app

    @staticmethod
    def _scopes(caller: Caller, record: DeviceCodeRecord, app: AppRecord) -> ScopeDecision:
        return decide_scopes(record.scope, app.allowed_scopes, caller.can(MANAGE_SYSTEM))

    def _remember(self, caller: Caller, app: AppRecord, decided: DeviceCodeRecord, granted: list[str],
                  now: int, auth_time: int) -> None:
        """The consent, merged with what the user agreed to before, and for openid the sign-in the ID token names."""
        services = self.services
        with store_errors("app.preference.save.updating.app_error"):
            before = services.store.get_consent(caller.user_id, app.id)
            consented = merge(before.scope, granted) if before is not None else decided.scope
            services.store.save_consent(ConsentRecord(caller.user_id, app.id, consented, now))
        if auth_time:
            authentication = AuthenticationRecord(
                code_hash=decided.device_code_hash, client_id=app.id, user_id=caller.user_id, nonce="",
                auth_time=auth_time, sid=session_id_claim(caller.session_id),
                expires_at=decided.expires_at + services.settings.refresh_absolute_ms)
            with store_errors(TOKEN_WRITE_FAILED):
                services.store.save_authentication(authentication)
