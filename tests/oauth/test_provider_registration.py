"""Dynamic client registration (RFC 7591) and metadata (RFC 8414) through the provider."""
from __future__ import annotations

import dataclasses

import pytest

from plugin.oauth import CONSENT, AuthorizeRequest, Caller, DCRError, Settings
from plugin.oauth.ids import hash_secret, new_id

from .conftest import CHALLENGE, expect_error

URI = "https://client.example.com/cb"


@pytest.fixture
def dcr(provider):
    provider.configure(dataclasses.replace(provider.settings, enable_dynamic_client_registration=True))
    return provider


def dcr_error(provider, body, caller=None) -> DCRError:
    with pytest.raises(DCRError) as info:
        provider.register_client(caller, body)
    return info.value


def test_registration_creates_a_confidential_app_without_owner(dcr, admin, store):
    """Ports of TestRegisterOAuthClient (valid, admin) and the app-layer TestRegisterOAuthClient."""
    body = dcr.register_client(admin, {"redirect_uris": [URI]})
    assert body["redirect_uris"] == [URI] and body["client_id"] and body["client_secret"]
    assert body["token_endpoint_auth_method"] == "client_secret_post"
    record = store.get_app(body["client_id"])
    assert record.creator_id == "" and record.is_dynamically_registered and not record.is_trusted
    assert record.client_secret_hash == hash_secret(body["client_secret"])
    assert record.name == "Dynamically Registered Client" and record.homepage == ""


def test_registration_works_without_authentication(dcr):
    """Port of TestRegisterOAuthClient (works without authentication)."""
    body = dcr.register_client(None, {"redirect_uris": [URI]})
    assert body["client_secret"]
    assert dcr.register_client(Caller(), {"redirect_uris": [URI]})["client_id"] != body["client_id"]


def test_registration_with_client_uri_echoes_name_and_uri(dcr, store):
    """Ports of TestRegisterOAuthClient (with client_uri) and app-layer Homepage=client_uri."""
    body = dcr.register_client(None, {"redirect_uris": [URI], "client_name": "My Client",
                                      "client_uri": "https://client.example.com"})
    assert body["client_name"] == "My Client" and body["client_uri"] == "https://client.example.com"
    assert store.get_app(body["client_id"]).homepage == "https://client.example.com"


def test_public_client_registration(dcr, store):
    """Port of TestRegisterOAuthClient_PublicClient_Success."""
    body = dcr.register_client(None, {"redirect_uris": [URI], "token_endpoint_auth_method": "none",
                                      "client_name": "Public", "client_uri": "https://client.example.com"})
    assert "client_secret" not in body
    assert body["token_endpoint_auth_method"] == "none" and body["scope"] == "user"
    assert body["grant_types"] == ["authorization_code"]
    assert store.get_app(body["client_id"]).client_secret_hash == ""


def test_a_client_may_register_that_its_requests_must_be_pushed(dcr, store):
    """RFC 9126 section 6: require_pushed_authorization_requests, a boolean, echoed when true."""
    body = dcr.register_client(None, {"redirect_uris": [URI], "require_pushed_authorization_requests": True})
    assert body["require_pushed_authorization_requests"] is True
    assert store.get_app(body["client_id"]).require_pushed_authorization_requests
    plain = dcr.register_client(None, {"redirect_uris": [URI], "require_pushed_authorization_requests": False})
    assert "require_pushed_authorization_requests" not in plain
    assert not store.get_app(plain["client_id"]).require_pushed_authorization_requests
    error = dcr_error(dcr, {"redirect_uris": [URI], "require_pushed_authorization_requests": "yes"})
    assert error.oauth_error == "invalid_client_metadata"


def test_missing_redirect_uris_is_invalid_client_metadata(dcr):
    """Port of TestRegisterOAuthClient (missing redirect_uris gives 400)."""
    error = dcr_error(dcr, {"client_name": "x"})
    assert (error.error, error.description, error.status) == (
        "invalid_client_metadata", "At least one redirect URI is required.", 400
    )


@pytest.mark.parametrize(
    "settings",
    [Settings(enable_oauth_service_provider=False, enable_dynamic_client_registration=True),
     Settings(enable_oauth_service_provider=True, enable_dynamic_client_registration=False),
     Settings()],
)
def test_registration_needs_both_switches(provider, settings):
    """Port of TestRegisterOAuthClient_DisabledFeatures."""
    provider.configure(settings)
    error = dcr_error(provider, {"redirect_uris": [URI]})
    assert (error.error, error.status) == ("unsupported_operation", 400)


def test_invalid_json_is_reported_before_the_switches(provider):
    provider.configure(Settings(enable_oauth_service_provider=False))
    error = dcr_error(provider, None)
    assert (error.error, error.description) == ("invalid_client_metadata", "Invalid JSON in request body")


def allow(provider, *patterns):
    provider.configure(dataclasses.replace(provider.settings, dcr_redirect_uri_allowlist=tuple(patterns)))


def test_allowlist(dcr):
    """Port of TestRegisterOAuthClient_RedirectURIAllowlist."""
    allow(dcr)
    assert dcr.register_client(None, {"redirect_uris": ["https://anything.example.org/cb"]})
    allow(dcr, "https://example.com/*", "https://*.test.com/**")
    assert dcr.register_client(None, {"redirect_uris": ["https://example.com/callback"]})
    assert dcr.register_client(None, {"redirect_uris": ["https://app.test.com/deep/path/cb"]})
    allow(dcr, "https://allowed.com/**")
    error = dcr_error(dcr, {"redirect_uris": ["https://disallowed.com/callback"]})
    assert error.error == "invalid_redirect_uri" and error.description
    error = dcr_error(dcr, {"redirect_uris": ["https://allowed.com/cb", "https://disallowed.com/cb"]})
    assert error.error == "invalid_redirect_uri"


def test_allowlist_rejects_the_v11_5_bypass(dcr):
    allow(dcr, "https://*.example.com/**")
    error = dcr_error(dcr, {"redirect_uris": ["https://attacker.example.net?x=.example.com/cb"]})
    assert error.error == "invalid_redirect_uri"


def test_dangerous_or_fragment_redirect_uris_are_refused(dcr):
    for uri in ("javascript://evil.example.com/steal", "https://client.example.com/cb#frag"):
        error = dcr_error(dcr, {"redirect_uris": [uri]})
        assert (error.error, error.description) == ("invalid_client_metadata", "Invalid redirect URI format.")


def test_registered_public_client_runs_the_mcp_flow(dcr, flow):
    """Section 3.9: register with `none`, authorize with PKCE, exchange without a secret, no refresh token."""
    body = dcr.register_client(None, {"redirect_uris": [URI], "token_endpoint_auth_method": "none"})
    user = Caller(user_id=new_id())
    req = AuthorizeRequest(response_type="code", client_id=body["client_id"], redirect_uri=URI, state="s",
                           code_challenge=CHALLENGE, code_challenge_method="S256")
    assert dcr.begin_authorization(user, req).kind == CONSENT  # registered apps are never trusted
    app = dcr.get_app_info(user, body["client_id"])
    code = flow.code_for(user, app, state="s")
    response = flow.exchange(app, code, client_secret="")
    assert response.access_token and response.refresh_token == ""
    assert dcr.begin_authorization(user, req).kind == "redirect"  # the consent is remembered


def test_anonymous_registered_apps_are_listed_only_for_system_wide_admins(dcr, admin, user):
    body = dcr.register_client(None, {"redirect_uris": [URI]})
    assert body["client_id"] in {a.id for a in dcr.list_apps(admin)}
    assert dcr.list_apps(user) == []
    expect_error("api.context.permissions.app_error", 403, dcr.get_app, user, body["client_id"])


def test_metadata_through_the_provider(provider):
    document = provider.metadata()
    assert document["issuer"] == "https://mm.example.com"
    assert "registration_endpoint" not in document
    provider.configure(dataclasses.replace(provider.settings, site_url=""))
    expect_error("api.oauth.authorization_server_metadata.site_url_required.app_error", 500, provider.metadata)


def test_a_client_can_register_for_client_secret_basic_as_the_metadata_offers(dcr, provider, store):
    assert "client_secret_basic" in provider.metadata()["token_endpoint_auth_methods_supported"]
    body = dcr.register_client(None, {"redirect_uris": [URI], "token_endpoint_auth_method": "client_secret_basic"})
    assert body["token_endpoint_auth_method"] == "client_secret_basic"
    assert store.get_app(body["client_id"]).client_secret_hash == hash_secret(body["client_secret"])
