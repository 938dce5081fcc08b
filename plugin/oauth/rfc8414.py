"""RFC 8414: authorization server metadata (`/.well-known/oauth-authorization-server`).

Mattermost's document: the issuer is the site URL verbatim; endpoints are joined onto it (Go's url.JoinPath);
`registration_endpoint` appears only when dynamic client registration is on. Endpoints, grant and response types
and authentication methods come from the registry (`server.AuthorizationServer.metadata`), so the document lists
exactly what the server does.
"""
from __future__ import annotations

from .errors import app_error
from .scopes import SCOPES
from .settings import Settings
from .urls import URLError, is_valid_http_url, join_path

AUTHORIZATION_PATH = "oauth/authorize"
TOKEN_PATH = "oauth/access_token"
REVOCATION_PATH = "oauth/revoke"
INTROSPECTION_PATH = "oauth/introspect"
REGISTRATION_PATH = "api/v4/oauth/apps/register"


def authorization_server_metadata(settings: Settings, *, endpoints: dict[str, str],
                                  auth_methods: dict[str, list[str]], response_types: list[str],
                                  grant_types: list[str]) -> dict:
    """The metadata document for what is registered and enabled (`AuthorizationServer.metadata`): `endpoints`
    maps each endpoint's metadata name to its path, `auth_methods` each `*_auth_methods_supported` name to its
    methods. AppError 501 when the provider is off, 500 when the site URL is unusable."""
    if not settings.enable_oauth_service_provider:
        raise app_error("api.oauth.authorization_server_metadata.disabled.app_error", 501)
    site_url = settings.site_url
    if not site_url:
        raise app_error("api.oauth.authorization_server_metadata.site_url_required.app_error", 500)
    if not is_valid_http_url(site_url):
        raise app_error("api.oauth.authorization_server_metadata.invalid_url.app_error", 500)
    try:
        urls = {key: join_path(site_url, path) for key, path in endpoints.items()}
    except URLError as exc:
        raise app_error(
            "api.oauth.authorization_server_metadata.invalid_url.app_error", 500, detailed_error=str(exc)
        ) from exc
    return {
        "issuer": site_url,
        **urls,
        **auth_methods,
        "response_types_supported": response_types,
        "grant_types_supported": grant_types,
        "scopes_supported": SCOPES.names(),
        "code_challenge_methods_supported": ["S256"],
        # RFC 9207: every authorization response carries `iss`.
        "authorization_response_iss_parameter_supported": True,
    }
