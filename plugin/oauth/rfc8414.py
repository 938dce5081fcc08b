"""RFC 8414: authorization server metadata (`/.well-known/oauth-authorization-server`).

Mattermost's document: the issuer is the site URL verbatim; endpoints are joined onto it (Go's url.JoinPath);
`registration_endpoint` appears only when dynamic client registration is on. When the implicit grant is switched
on (plugin setting, off by default) it is advertised too, so the document describes what the server does.
"""
from __future__ import annotations

from .errors import app_error
from .settings import Settings
from .urls import URLError, is_valid_http_url, join_path

AUTHORIZATION_PATH = "oauth/authorize"
TOKEN_PATH = "oauth/access_token"
REVOCATION_PATH = "oauth/revoke"
INTROSPECTION_PATH = "oauth/introspect"
CLIENT_AUTH_METHODS = ["client_secret_basic", "client_secret_post"]
REGISTRATION_PATH = "api/v4/oauth/apps/register"


def authorization_server_metadata(settings: Settings) -> dict:
    """The metadata document; AppError 501 when the provider is off, 500 when the site URL is unusable."""
    if not settings.enable_oauth_service_provider:
        raise app_error("api.oauth.authorization_server_metadata.disabled.app_error", 501)
    site_url = settings.site_url
    if not site_url:
        raise app_error("api.oauth.authorization_server_metadata.site_url_required.app_error", 500)
    if not is_valid_http_url(site_url):
        raise app_error("api.oauth.authorization_server_metadata.invalid_url.app_error", 500)
    try:
        authorization_endpoint = join_path(site_url, AUTHORIZATION_PATH)
        token_endpoint = join_path(site_url, TOKEN_PATH)
        registration_endpoint = join_path(site_url, REGISTRATION_PATH)
        revocation_endpoint = join_path(site_url, REVOCATION_PATH)
        introspection_endpoint = join_path(site_url, INTROSPECTION_PATH)
    except URLError as exc:
        raise app_error(
            "api.oauth.authorization_server_metadata.invalid_url.app_error", 500, detailed_error=str(exc)
        ) from exc

    response_types = ["code"]
    grant_types = ["authorization_code", "refresh_token"]
    if settings.enable_implicit_grant:
        response_types.append("token")
        grant_types.append("implicit")

    document: dict = {
        "issuer": site_url,
        "authorization_endpoint": authorization_endpoint,
        "token_endpoint": token_endpoint,
        "response_types_supported": response_types,
    }
    if settings.enable_dynamic_client_registration:
        document["registration_endpoint"] = registration_endpoint
    document.update(
        {
            "scopes_supported": ["user"],
            "grant_types_supported": grant_types,
            "token_endpoint_auth_methods_supported": ["none", *CLIENT_AUTH_METHODS],
            "code_challenge_methods_supported": ["S256"],
            # RFC 7009: public clients may revoke their own tokens with their client_id alone.
            "revocation_endpoint": revocation_endpoint,
            "revocation_endpoint_auth_methods_supported": ["none", *CLIENT_AUTH_METHODS],
            # RFC 7662: introspection needs an authenticated (confidential) client.
            "introspection_endpoint": introspection_endpoint,
            "introspection_endpoint_auth_methods_supported": CLIENT_AUTH_METHODS,
            # RFC 9207: every authorization response carries `iss`.
            "authorization_response_iss_parameter_supported": True,
        }
    )
    return document
