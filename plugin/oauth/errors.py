"""Errors the OAuth domain raises, shaped so the host can answer exactly as Mattermost does.

`AppError` carries Mattermost's i18n id, its English message and the HTTP status; the host renders it as
Mattermost's error body (`id`, `message`, `detailed_error`, `request_id`, `status_code`) or, for the browser
routes, as an error page. At the token endpoint it also carries the RFC 6749 §5.2 error code in `oauth_error`,
so a host that prefers RFC-shaped bodies can produce them without knowing OAuth.

RFC error codes are typed: `ErrorCode` is the base every RFC module extends with its own enum (`OAuthErrorCode`
here for RFC 6749 §5.2 and §4.1.2.1; `rfc8707.ResourceErrorCode`, `rfc7591.RegistrationErrorCode`,
`rfc8628.DeviceErrorCode`). `rfc_error` builds an AppError carrying one.

`DCRError` is the RFC 7591 §3.2.2 error of dynamic client registration (`error`, `error_description`): an
AppError without a Mattermost id, so every failure travels the same way.
"""
from __future__ import annotations

from enum import StrEnum


class ErrorCode(StrEnum):
    """An RFC error code (the `error` member of an error response); each RFC module declares its own."""


class OAuthErrorCode(ErrorCode):
    """RFC 6749 §5.2 (token endpoint) and §4.1.2.1 (authorization responses)."""
    INVALID_REQUEST = "invalid_request"
    INVALID_CLIENT = "invalid_client"
    INVALID_GRANT = "invalid_grant"
    UNAUTHORIZED_CLIENT = "unauthorized_client"
    UNSUPPORTED_GRANT_TYPE = "unsupported_grant_type"
    INVALID_SCOPE = "invalid_scope"
    ACCESS_DENIED = "access_denied"
    UNSUPPORTED_RESPONSE_TYPE = "unsupported_response_type"
    SERVER_ERROR = "server_error"
    TEMPORARILY_UNAVAILABLE = "temporarily_unavailable"

# Mattermost's English texts for every id this package raises (from its i18n/en.json). `{name}` is the
# one template parameter some of them take.
MESSAGES: dict[str, str] = {
    # request plumbing (api.context.*)
    "api.context.invalid_body_param.app_error": "Invalid or missing {name} in request body.",
    "api.context.invalid_url_param.app_error": "Invalid or missing {name} parameter in request URL.",
    "api.context.permissions.app_error": "You do not have the appropriate permissions.",
    "api.context.session_expired.app_error": "Invalid or expired session, please login again.",
    "api.command.admin_only.app_error": "Integrations have been limited to admins only.",
    # service switched off
    "api.oauth.allow_oauth.turn_off.app_error": "The system admin has turned off OAuth2 Service Provider.",
    "api.oauth.authorize_oauth.disabled.app_error": "The system admin has turned off OAuth2 Service Provider.",
    "api.oauth.get_access_token.disabled.app_error": "The system admin has turned off OAuth2 Service Provider.",
    "api.oauth.register_oauth_app.turn_off.app_error": "The system admin has turned off OAuth2 Service Provider.",
    # authorization endpoint and consent
    "api.oauth.allow_oauth.redirect_callback.app_error":
        "invalid_request: Supplied redirect_uri did not match registered callback_url.",
    "api.oauth.allow_oauth.pkce_required_public.app_error":
        "PKCE (Proof Key for Code Exchange) is required for public OAuth clients using authorization code flow.",
    # pushed authorization requests (RFC 9126; this plugin's own ids)
    "api.oauth.authorize.invalid_request_uri.app_error":
        "invalid_request_uri: The request_uri is unknown, expired, already used, or not this app's.",
    "api.oauth.authorize.pushed_request_required.app_error":
        "invalid_request: This app must push its authorization requests to the pushed authorization request "
        "endpoint first.",
    "api.oauth.par.request_uri.app_error": "invalid_request: A pushed request cannot carry a request_uri.",
    "api.oauth.par.refused.app_error": "{error}: The authorization request cannot be accepted for this app.",
    # token endpoint
    "api.oauth.get_access_token.bad_client_id.app_error": "invalid_request: Bad client_id.",
    "api.oauth.get_access_token.bad_grant.app_error": "invalid_request: Bad grant_type.",
    "api.oauth.get_access_token.bad_request.app_error": "invalid_request: Bad request.",
    "api.oauth.get_access_token.client_id_mismatch.app_error":
        "invalid_grant: Token grant was not issued to this client.",
    "api.oauth.get_access_token.credentials.app_error": "invalid_client: Invalid client credentials.",
    "api.oauth.get_access_token.expired_code.app_error": "invalid_grant: Invalid or expired authorization code.",
    "api.oauth.get_access_token.internal.app_error":
        "server_error: Encountered internal server error while accessing database.",
    "api.oauth.get_access_token.internal_saving.app_error":
        "server_error: Encountered internal server error while saving access token to database.",
    "api.oauth.get_access_token.missing_code.app_error": "invalid_request: Missing code.",
    "api.oauth.get_access_token.missing_refresh_token.app_error": "invalid_request: Missing refresh_token.",
    "api.oauth.get_access_token.redirect_uri.app_error":
        "invalid_request: Supplied redirect_uri does not match authorization code redirect_uri.",
    "api.oauth.get_access_token.refresh_token.app_error": "invalid_grant: Invalid refresh token.",
    "api.oauth.get_access_token.dpop_key_mismatch.app_error":
        "invalid_grant: The DPoP proof's key is not the key the code or refresh token is bound to.",
    "api.oauth.get_access_token.resource_mismatch.app_error":
        "Resource parameter mismatch between authorization and token requests.",
    # the device authorization grant (RFC 8628; this plugin's own ids, in Mattermost's pattern)
    "api.oauth.device.disabled.app_error": "Device sign-in is turned off on this server.",
    "api.oauth.get_access_token.missing_device_code.app_error": "invalid_request: Missing device_code.",
    "api.oauth.get_access_token.device_code.app_error": "invalid_grant: Invalid device code.",
    "api.oauth.device.not_allowed.app_error":
        "unauthorized_client: The app is not allowed to use the device authorization grant.",
    "api.oauth.device.scope.app_error": "invalid_scope: The app may not ask for this scope.",
    "api.oauth.device.authorization_pending.app_error":
        "authorization_pending: The user has not yet approved the device.",
    "api.oauth.device.slow_down.app_error": "slow_down: The device polls too often; wait longer between requests.",
    "api.oauth.device.expired_token.app_error": "expired_token: The device code has expired.",
    "api.oauth.device.access_denied.app_error": "access_denied: The user did not allow the device.",
    "api.oauth.device.user_code.app_error": "That code is not valid or has expired. Check it and try again.",
    "api.oauth.device.too_many_codes.app_error": "Too many codes entered. Please wait a minute and try again.",
    # apps
    "api.oauth.regenerate_secret.public_client.app_error":
        "invalid_request: Cannot regenerate secret for public OAuth clients.",
    "app.oauth.delete_app.app_error": "An error occurred while deleting the OAuth2 App.",
    "app.oauth.get_app.find.app_error": "Unable to find the requested app.",
    "app.oauth.get_app.finding.app_error": "We encountered an error finding the app.",
    "app.oauth.get_apps.find.app_error": "An error occurred while finding the OAuth2 Apps.",
    "app.oauth.remove_access_data.app_error": "Unable to remove the access token.",
    "app.oauth.save_app.existing.app_error": "Must call update for existing app.",
    "app.oauth.save_app.save.app_error": "Unable to save the app.",
    "app.oauth.update_app.updating.app_error": "We encountered an error updating the app.",
    # consent records (Mattermost keeps them as preferences)
    "app.preference.get.app_error": "We encountered an error while finding preferences.",
    "app.preference.save.updating.app_error": "We encountered an error while updating preferences.",
    # metadata (RFC 8414)
    "api.oauth.authorization_server_metadata.disabled.app_error": "OAuth service provider is disabled.",
    "api.oauth.authorization_server_metadata.invalid_url.app_error":
        "Invalid URL configuration for authorization server metadata.",
    "api.oauth.authorization_server_metadata.site_url_required.app_error":
        "Site URL must be configured to provide authorization server metadata.",
    # rate limits and the audit trail (this plugin's own ids)
    "api.oauth.rate_limited.app_error": "Too many requests. Please try again later.",
    "app.oauth.audit.list.app_error": "Unable to read the OAuth audit trail.",
    # the database cannot be reached (503 with Retry-After; this plugin's own id)
    "app.store.unavailable.app_error": "The database is unavailable. Please try again in a moment.",
    # the host's HostAPI did not answer (503 with Retry-After; this plugin's own id)
    "app.host.unavailable.app_error": "The server could not be asked about the user. Please try again in a moment.",
    # model.oauth.* (OAuthApp.IsValid, ValidateForGrantType)
    "model.oauth.is_valid.app_id.app_error": "Invalid app id.",
    "model.oauth.is_valid.create_at.app_error": "Create at must be a valid time.",
    "model.oauth.is_valid.update_at.app_error": "Update at must be a valid time.",
    "model.oauth.is_valid.creator_id.app_error": "Invalid creator id.",
    "model.oauth.is_valid.client_secret.app_error": "Invalid client secret.",
    "model.oauth.is_valid.name.app_error": "Invalid name.",
    "model.oauth.is_valid.callback.app_error": "Callback URL must be a valid URL and start with http:// or https://.",
    "model.oauth.is_valid.homepage.app_error": "Homepage must be a valid URL and start with http:// or https://.",
    "model.oauth.is_valid.description.app_error": "Invalid description.",
    "model.oauth.is_valid.icon_url.app_error": "Icon URL must be a valid URL and start with http:// or https://.",
    "model.oauth.is_valid.mattermost_app_id.app_error": "The maximum length of MattermostAppID is 32 characters.",
    # the app's allowed scopes (this plugin's own ids, in Mattermost's pattern)
    "model.oauth.is_valid.allowed_scopes.app_error": "Allowed scopes must be scopes this server knows.",
    "api.oauth.allowed_scopes.admin_only.app_error": "Only a System Admin can let an app ask for {scope}.",
    "api.oauth.get_access_token.scope.app_error": "The requested scope exceeds the scope granted.",
    "model.oauth.validate_grant.credentials.app_error": "Invalid client credentials.",
    "model.oauth.validate_grant.pkce_required.app_error":
        "PKCE (Proof Key for Code Exchange) is required for public clients.",
    "model.oauth.validate_grant.public_client_refresh_token.app_error":
        "Public clients cannot use refresh token grant type.",
    "model.oauth.validate_grant.public_client_secret.app_error": "Public clients must not provide a client secret.",
    # model.authorize.* (AuthorizeRequest.IsValid, PKCE, resource)
    "model.authorize.is_valid.client_id.app_error": "Invalid client id.",
    "model.authorize.is_valid.response_type.app_error": "Invalid response type.",
    "model.authorize.is_valid.redirect_uri.app_error": "Invalid redirect uri.",
    "model.authorize.is_valid.state.app_error": "Invalid state.",
    "model.authorize.is_valid.scope.app_error": "Invalid scope.",
    "model.authorize.is_valid.code_challenge.app_error": "Code challenge is required when using PKCE.",
    "model.authorize.is_valid.code_challenge_method.app_error": "Code challenge method is required when using PKCE.",
    "model.authorize.is_valid.code_challenge_method.unsupported.app_error":
        "Only 'S256' code challenge method is supported.",
    "model.authorize.is_valid.code_challenge.length.app_error":
        "Code challenge must be between 43 and 128 characters long.",
    "model.authorize.is_valid.code_challenge.format.app_error":
        "Code challenge must be base64url-encoded (using characters A-Z, a-z, 0-9, -, _).",
    "model.authorize.is_valid.dpop_jkt.app_error": "dpop_jkt must be a JWK SHA-256 thumbprint (RFC 7638).",
    "model.authorize.is_valid.resource.length.app_error": "Resource parameter cannot exceed 512 characters.",
    "model.authorize.is_valid.resource.invalid_uri.app_error": "Resource parameter must be a valid URI.",
    "model.authorize.is_valid.resource.not_absolute.app_error": "Resource parameter must be an absolute URI.",
    "model.authorize.is_valid.resource.has_fragment.app_error":
        "Resource parameter cannot contain a fragment component.",
    "model.authorize.validate_pkce.public_client_required.app_error":
        "PKCE (Proof Key for Code Exchange) is required for public clients.",
    "model.authorize.validate_pkce.verifier_required.app_error": "PKCE code verifier is required when PKCE is used.",
    "model.authorize.validate_pkce.verification_failed.app_error":
        "PKCE code verifier does not match the code challenge.",
    "model.authorize.validate_pkce.not_used_in_auth.app_error":
        "PKCE code verifier provided but PKCE was not used during authorization.",
    # model.dcr.* (ClientRegistrationRequest.IsValid)
    "model.dcr.is_valid.redirect_uris.app_error": "At least one redirect URI is required.",
    "model.dcr.is_valid.redirect_uri_format.app_error": "Invalid redirect URI format.",
    "model.dcr.is_valid.client_name.app_error": "Client name must be 64 characters or less.",
    "model.dcr.is_valid.client_uri_format.app_error": "Invalid client URI format.",
    "model.dcr.is_valid.client_uri_length.app_error": "Client URI must be less than 256 characters.",
    "model.dcr.is_valid.unsupported_auth_method.app_error": "Unsupported token_endpoint_auth_method supplied.",
}

# The message the browser route (GET /oauth/authorize) shows for a public client without PKCE; Mattermost's web
# layer uses this text rather than the API one.
PKCE_REQUIRED_PAGE_MESSAGE = "PKCE is required for public clients using authorization code flow"


class AppError(Exception):
    """A Mattermost-shaped error: i18n id, English message, HTTP status."""

    # Headers a client-facing answer of this error carries (RFC 9449's DPoP-Nonce), in order.
    headers: tuple[tuple[str, str], ...] = ()

    def __init__(
        self,
        id: str,
        message: str,
        status: int,
        detailed_error: str = "",
        oauth_error: str = "",
        retry_after: int = 0,
    ) -> None:
        super().__init__(f"{id}: {message}")
        self.id = id
        self.message = message
        self.status = status
        self.detailed_error = detailed_error
        # An ErrorCode (RFC 6749 §5.2, RFC 8707, RFC 7591, ...), set on client-facing errors ("" elsewhere).
        self.oauth_error = oauth_error
        # Seconds the client should wait before trying again (429, 503); 0 when it does not apply.
        self.retry_after = retry_after

    def to_json(self, request_id: str = "") -> dict:
        return {
            "id": self.id,
            "message": self.message,
            "detailed_error": self.detailed_error,
            "request_id": request_id,
            "status_code": self.status,
        }

    def __repr__(self) -> str:
        return f"AppError(id={self.id!r}, status={self.status}, oauth_error={self.oauth_error!r})"


def app_error(
    id: str,
    status: int,
    *,
    oauth_error: ErrorCode | str = "",
    detailed_error: str = "",
    message: str | None = None,
    retry_after: int = 0,
    **params: str,
) -> AppError:
    """Build an AppError with Mattermost's English message for `id`."""
    text = message if message is not None else MESSAGES[id].format(**params)
    return AppError(id, text, status, detailed_error=detailed_error, oauth_error=oauth_error,
                    retry_after=retry_after)


def rfc_error(code: ErrorCode, error_id: str, status: int = 400, **kwargs) -> AppError:
    """An AppError with Mattermost's id, message and status and the RFC error code beside them."""
    return app_error(error_id, status, oauth_error=code, **kwargs)


class DCRError(AppError):
    """An RFC 7591 registration error: `{"error": ..., "error_description": ...}` (no Mattermost id)."""

    def __init__(self, error: ErrorCode | str, description: str, status: int = 400) -> None:
        super().__init__("", description, status, oauth_error=error)

    @property
    def error(self) -> str:
        return self.oauth_error

    @property
    def description(self) -> str:
        return self.message

    def to_json(self) -> dict:
        body = {"error": self.error}
        if self.description:
            body["error_description"] = self.description
        return body

    def __repr__(self) -> str:
        return f"DCRError(error={self.error!r}, description={self.description!r}, status={self.status})"
