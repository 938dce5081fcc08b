"""Authorization server metadata (RFC 8414), derived from what the registry holds and the settings enable."""
from __future__ import annotations

import pytest

from plugin.oauth import client_auth
from plugin.oauth.errors import AppError
from plugin.oauth.grants import Grant
from plugin.oauth.provider import build_server
from plugin.oauth.rfc9449 import ALGORITHMS
from plugin.oauth.scopes import SCOPES
from plugin.oauth.services import Services
from plugin.oauth.settings import Settings


def authorization_server_metadata(settings: Settings, *extra_grants) -> dict:
    """The document of the built-in registry (plus `extra_grants`) under these settings."""
    server = build_server(Services.create(None, None, settings))
    for grant in extra_grants:
        server.register_grant(grant)
    return server.metadata()


def test_metadata_without_registration():
    """Port of TestGetAuthorizationServerMetadata_DCRConfig (DCR off)."""
    document = authorization_server_metadata(Settings(site_url="https://example.com"))
    assert document == {
        "issuer": "https://example.com",
        "authorization_endpoint": "https://example.com/oauth/authorize",
        "token_endpoint": "https://example.com/oauth/access_token",
        "response_types_supported": ["code"],
        "scopes_supported": SCOPES.names(),
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "revocation_endpoint": "https://example.com/oauth/revoke",
        "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "introspection_endpoint": "https://example.com/oauth/introspect",
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "authorization_response_iss_parameter_supported": True,
        # RFC 9126 section 5 (not in Mattermost's document)
        "pushed_authorization_request_endpoint": "https://example.com/oauth/par",
        "require_pushed_authorization_requests": False,
        "dpop_signing_alg_values_supported": list(ALGORITHMS),  # RFC 9449 section 5.1
    }


def test_pushed_requests_required_by_the_server_are_advertised():
    document = authorization_server_metadata(Settings(site_url="https://e.com",
                                                      require_pushed_authorization_requests=True))
    assert document["require_pushed_authorization_requests"] is True


def test_metadata_with_registration():
    """Port of TestGetAuthorizationServerMetadata_DCRConfig (DCR on)."""
    document = authorization_server_metadata(
        Settings(site_url="https://example.com", enable_dynamic_client_registration=True)
    )
    assert document["registration_endpoint"] == "https://example.com/api/v4/oauth/apps/register"


def test_issuer_is_the_site_url_verbatim_and_endpoints_join_its_path():
    document = authorization_server_metadata(Settings(site_url="https://example.com/mm/"))
    assert document["issuer"] == "https://example.com/mm/"
    assert document["token_endpoint"] == "https://example.com/mm/oauth/access_token"


def test_implicit_grant_is_advertised_only_when_enabled():
    document = authorization_server_metadata(Settings(site_url="https://e.com", enable_implicit_grant=True))
    assert document["response_types_supported"] == ["code", "token"]
    assert "implicit" in document["grant_types_supported"]


@pytest.mark.parametrize(
    "settings, error_id, status",
    [
        (Settings(site_url="https://e.com", enable_oauth_service_provider=False),
         "api.oauth.authorization_server_metadata.disabled.app_error", 501),
        (Settings(site_url=""), "api.oauth.authorization_server_metadata.site_url_required.app_error", 500),
        (Settings(site_url="not a url"), "api.oauth.authorization_server_metadata.invalid_url.app_error", 500),
    ],
)
def test_metadata_errors(settings, error_id, status):
    with pytest.raises(AppError) as info:
        authorization_server_metadata(settings)
    assert (info.value.id, info.value.status) == (error_id, status)


class _DeviceLikeGrant(Grant):
    grant_type = "urn:example:grant"
    auth_methods = client_auth.SECRET_METHODS


class _SwitchedOffGrant(Grant):
    grant_type = "urn:example:off"

    def enabled(self, settings):
        return False


def test_a_registered_grant_is_advertised_and_a_disabled_one_is_not():
    document = authorization_server_metadata(Settings(site_url="https://e.com"), _DeviceLikeGrant, _SwitchedOffGrant)
    assert document["grant_types_supported"] == ["authorization_code", "refresh_token", "urn:example:grant"]
    assert document["token_endpoint_auth_methods_supported"] == ["none", "client_secret_basic", "client_secret_post"]
