"""OpenID Connect's error codes (Core 1.0 section 3.1.2.6), RFC 6750's for the UserInfo endpoint, and the English
texts of the plugin's own error ids for them."""
from __future__ import annotations

from ..errors import MESSAGES, ErrorCode


class OpenIDErrorCode(ErrorCode):
    """Core 1.0 section 3.1.2.6: answered by redirect for prompt=none."""
    INTERACTION_REQUIRED = "interaction_required"
    LOGIN_REQUIRED = "login_required"
    CONSENT_REQUIRED = "consent_required"
    REQUEST_NOT_SUPPORTED = "request_not_supported"
    REQUEST_URI_NOT_SUPPORTED = "request_uri_not_supported"


class BearerErrorCode(ErrorCode):
    """RFC 6750 section 3.1."""
    INVALID_REQUEST = "invalid_request"
    INVALID_TOKEN = "invalid_token"
    INSUFFICIENT_SCOPE = "insufficient_scope"


MESSAGES.update({
    "model.oauth.is_valid.post_logout_redirect_uri.app_error":
        "Invalid post-logout redirect URLs: each must be a valid URL, at most 1024 characters in all.",
    "api.oauth.openid.signing_key_sealed.app_error":
        "The OpenID signing key cannot be used on this server: its key-encryption key differs.",
    "api.oauth.openid.disabled.app_error": "OpenID Connect is not enabled for this app.",
    "api.oauth.signing_keys.rotate.app_error": "The signing keys could not be rotated.",
    "api.oauth.authorize.invalid_max_age.app_error": "max_age must be a whole number of seconds.",
    "api.oauth.authorize.invalid_prompt.app_error": "prompt=none cannot be combined with other prompt values.",
    "api.oauth.authorize.invalid_response_mode.app_error": "Unsupported response_mode.",
    "api.oauth.authorize.nonce_required.app_error": "nonce is required for this response type.",
    "api.oauth.authorize.invalid_claims.app_error": "The claims parameter must be a JSON object.",
    "api.oauth.authorize.parameter_too_long.app_error": "An authorization request parameter is too long.",
    "api.oauth.authorize.invalid_id_token_hint.app_error": "id_token_hint is not an ID token issued to this client.",
    "api.oauth.end_session.invalid_id_token_hint.app_error": "id_token_hint is not an ID token this server issued.",
    "api.oauth.end_session.invalid_redirect_uri.app_error":
        "post_logout_redirect_uri is not registered for the client.",
    "api.oauth.end_session.client_required.app_error":
        "post_logout_redirect_uri needs id_token_hint or client_id to name the client.",
})
