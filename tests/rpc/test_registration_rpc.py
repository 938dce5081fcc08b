"""Dynamic client registration (RegisterClient = POST /api/v4/oauth/apps/register) and authorization server
metadata (GetMetadata = /.well-known/oauth-authorization-server) over gRPC against the launched plugin:
Mattermost's api4 TestRegisterOAuthClient*, the app tests TestRegisterOAuthClient and
TestGetAuthorizationServerMetadata_DCRConfig, the model test TestClientRegistrationRequestIsValid (with the v11.9
additions) and the MCP flow of section 3.9.

TestRegisterOAuthClientAudit is not ported here: audit records are written by the host around the route, and the
plugin has no audit log.
"""
from __future__ import annotations

import json
import time

import pytest

from oauthplugin.v1 import apps_pb2, common_pb2, discovery_pb2
from plugin.oauth.rfc9449 import ALGORITHMS as DPOP_ALGORITHMS
from plugin.oauth.scopes import SCOPES
from tests.rpc.conftest import LaunchedPlugin
from tests.rpc.flows import (
    CALLBACK,
    ClientAnswer,
    PERMISSIONS,
    OAuthClient,
    Outcome,
    admin,
    anonymous,
    expect_error,
    member,
    ok,
    pkce_pair,
    plain_user,
    query_of,
)

SITE = "https://example.com"


@pytest.fixture(scope="module")
def dcr(tmp_path_factory):
    """A plugin process of this module with SiteURL https://example.com and registration on (the allowlist
    empty)."""
    launched = LaunchedPlugin(tmp_path_factory.mktemp("dcr-plugin"))
    launched.configure(SiteURL=SITE, EnableDynamicClientRegistration=True)
    yield OAuthClient(launched)
    launched.stop()


def register(client: OAuthClient, body, caller=None):
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return ClientAnswer(client.rpc.RegisterClient(common_pb2.ClientHttpRequest(
        context=caller or anonymous(), content_type="application/json", body=raw)))


def expect_dcr_error(response, error: str, description: str | None = None):
    """An RFC 7591 error: status 400 and the RFC code (the host renders {"error", "error_description"})."""
    assert response.HasField("error"), response
    assert (response.error.status_code, response.error.oauth_error) == (400, error), response.error
    assert response.error.message, "error_description is never empty"
    if description is not None:
        assert response.error.message == description
    return response.error


def metadata(client: OAuthClient):
    return client.rpc.GetMetadata(discovery_pb2.MetadataRequest(context=anonymous()))


# --- TestRegisterOAuthClient -------------------------------------------------------------------------------------

def test_registration_creates_a_confidential_client(dcr):
    """Ports api4 TestRegisterOAuthClient (valid, as the admin -> 201: redirect_uris echoed, client_id and secret
    non-empty) and app TestRegisterOAuthClient (callbacks set, the DCR flag, a secret; without client_uri the
    homepage is ""). The session is ignored: the app has no creator. The response is RFC 7591's."""
    uris = [CALLBACK, "http://localhost:3000/callback"]
    before = int(time.time())
    registered = ok(register(dcr, {"redirect_uris": uris}, caller=admin()))
    assert len(registered.client_id) == 26 and registered.client_secret
    assert list(registered.redirect_uris) == uris and registered.token_endpoint_auth_method == "client_secret_post"
    assert list(registered.grant_types) == ["authorization_code", "refresh_token"]
    assert list(registered.response_types) == ["code"] and registered.scope == "user"
    assert registered.client_name == "Dynamically Registered Client" and registered.client_uri == ""
    assert before - 1 <= registered.client_id_issued_at <= time.time() + 1
    app = ok(dcr.get_app(admin(), registered.client_id)).app
    assert app.is_dynamically_registered and app.creator_id == "" and not app.is_trusted and not app.is_public
    assert list(app.callback_urls) == uris and app.homepage == "" and app.name == "Dynamically Registered Client"
    secret_holder = apps_pb2.OAuthApp(id=registered.client_id, client_secret=registered.client_secret)
    assert ok(dcr.exchange(secret_holder, dcr.code_for(plain_user(), secret_holder))).refresh_token


def test_registration_without_redirect_uris_is_400(dcr):
    """Ports api4 TestRegisterOAuthClient (missing redirect_uris -> 400) and TestRegisterOAuthClientAudit's
    failing request: invalid_client_metadata "At least one redirect URI is required."."""
    expect_dcr_error(register(dcr, {"client_name": "x"}), "invalid_client_metadata",
                     "At least one redirect URI is required.")
    expect_dcr_error(register(dcr, {"redirect_uris": []}), "invalid_client_metadata")


def test_registration_works_without_authentication(dcr):
    """Ports api4 TestRegisterOAuthClient: works without authentication -> 201 with a secret."""
    registered = ok(register(dcr, {"redirect_uris": [CALLBACK]}, caller=anonymous()))
    assert registered.client_secret and registered.client_id


def test_registration_with_client_uri_echoes_name_and_uri(dcr):
    """Ports api4 TestRegisterOAuthClient (with client_uri: client_name and client_uri echoed) and app
    TestRegisterOAuthClient (Homepage = client_uri)."""
    registered = ok(register(dcr, {"redirect_uris": [CALLBACK], "client_name": "My Client",
                                   "client_uri": "https://client.example.com"}))
    assert registered.client_name == "My Client" and registered.client_uri == "https://client.example.com"
    app = ok(dcr.get_app(admin(), registered.client_id)).app
    assert app.name == "My Client" and app.homepage == "https://client.example.com"


def test_public_client_registration(dcr):
    """Ports api4 TestRegisterOAuthClient_PublicClient_Success and app TestRegisterOAuthClient/PublicClient_Success:
    `none` -> 201, no client_secret, method none, name and URI echoed, scope "user"; the app is public with the
    DCR flag and no creator. Its grant_types do not offer refresh_token (deliberate difference, 6.15)."""
    registered = ok(register(dcr, {"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "none",
                                   "client_name": "Public", "client_uri": "https://public.example.com"}))
    assert registered.client_secret == "" and registered.token_endpoint_auth_method == "none"
    assert registered.client_name == "Public" and registered.client_uri == "https://public.example.com"
    assert registered.scope == "user" and list(registered.grant_types) == ["authorization_code"]
    app = ok(dcr.get_app(admin(), registered.client_id)).app
    assert app.is_public and app.is_dynamically_registered and app.creator_id == ""


VALIDITY = [
    ({"redirect_uris": [CALLBACK], "token_endpoint_auth_method": "invalid_method"},
     "Unsupported token_endpoint_auth_method supplied."),
    ({"redirect_uris": ["invalid-uri"]}, "Invalid redirect URI format."),
    ({"redirect_uris": ["javascript:alert(1)"]}, "Invalid redirect URI format."),
    ({"redirect_uris": ["javascript://evil.example.com/steal"]}, "Invalid redirect URI format."),
    ({"redirect_uris": ["JavaScript://evil.example.com/steal"]}, "Invalid redirect URI format."),
    ({"redirect_uris": ["data://x/y"]}, "Invalid redirect URI format."),
    ({"redirect_uris": [CALLBACK, "cursor:///no-host"]}, "Invalid redirect URI format."),
    ({"redirect_uris": [CALLBACK + "#fragment"]}, "Invalid redirect URI format."),
    ({"redirect_uris": [CALLBACK], "client_name": "n" * 65}, "Client name must be 64 characters or less."),
    ({"redirect_uris": [CALLBACK], "client_uri": "not-a-url"}, "Invalid client URI format."),
    ({"redirect_uris": [CALLBACK], "client_uri": "https://client.example.com/" + "u" * 240},
     "Client URI must be less than 256 characters."),
]


@pytest.mark.parametrize("body, description", VALIDITY)
def test_invalid_registration_requests_are_invalid_client_metadata(dcr, body, description):
    """Ports model TestClientRegistrationRequestIsValid (invalid_method, invalid-uri, v11.9 javascript: and
    javascript:// rejected, any case) and the rest of ClientRegistrationRequest.IsValid: 400
    invalid_client_metadata with Mattermost's English message as the description. A fragment in a redirect URI
    is refused too (deliberate difference, RFC 6749 section 3.1.2)."""
    expect_dcr_error(register(dcr, body), "invalid_client_metadata", description)


@pytest.mark.parametrize("uri", [
    "https://example.com/callback", "http://localhost:3000/callback", "cursor://anysphere.cursor-mcp/oauth/callback",
])
def test_valid_redirect_uris_register(dcr, uri):
    """Ports model TestClientRegistrationRequestIsValid (https and http://localhost ok) and v11.9
    TestNewOAuthAppFromClientRegistration (a custom-scheme callback passes OAuthApp.IsValid)."""
    registered = ok(register(dcr, {"redirect_uris": [uri], "token_endpoint_auth_method": "none"}))
    assert list(ok(dcr.get_app(admin(), registered.client_id)).app.callback_urls) == [uri]


@pytest.mark.parametrize("raw", [
    b"not json", b"null", b"[]", b'{"redirect_uris": "https://x.example.com/cb"}',
    b'{"redirect_uris": ["https://x.example.com/cb", 1]}',
    b'{"redirect_uris": ["https://x.example.com/cb"], "client_name": 5}',
])
def test_malformed_json_is_invalid_client_metadata(dcr, raw):
    """Ports section 2 E9 step 1: a body that does not decode into the request -> 400 invalid_client_metadata
    "Invalid JSON in request body"."""
    expect_dcr_error(register(dcr, raw), "invalid_client_metadata", "Invalid JSON in request body")


def test_registered_apps_have_no_owner_and_only_system_wide_admins_manage_them(dcr):
    """Ports section 3.9 (anonymous DCR apps have no creator, so only manage_system_wide_oauth holders can list,
    edit or delete them): a user with manage_oauth gets 403 and does not list it; an admin does."""
    registered = ok(register(dcr, {"redirect_uris": [CALLBACK]}))
    user = member()
    expect_error(dcr.get_app(user, registered.client_id), PERMISSIONS, 403)
    listed_by_user = ok(dcr.rpc.ListApps(apps_pb2.ListAppsRequest(context=user))).apps
    listed_by_admin = ok(dcr.rpc.ListApps(apps_pb2.ListAppsRequest(context=admin(), per_page=200))).apps
    assert registered.client_id not in {a.id for a in listed_by_user}
    assert registered.client_id in {a.id for a in listed_by_admin}


def test_registered_public_client_runs_the_mcp_flow(dcr):
    """Ports section 3.9 (the MCP use case): discover the metadata, register with `none`, authorize (a DCR app is
    never trusted: consent) with PKCE and a resource, exchange with the verifier and no secret -> an access
    token with the resource as audience and no refresh token; a later authorization is a silent redirect."""
    document = json.loads(ok(metadata(dcr)).metadata_json)
    assert document["registration_endpoint"] == SITE + "/api/v4/oauth/apps/register"
    callback = "http://127.0.0.1:33418/callback"
    registered = ok(register(dcr, {"redirect_uris": [callback], "token_endpoint_auth_method": "none",
                                   "client_name": "MCP"}))
    client_app = apps_pb2.OAuthApp(id=registered.client_id)
    verifier, challenge = pkce_pair()
    user = plain_user()
    fields = dict(redirect_uri=callback, code_challenge=challenge, code_challenge_method="S256",
                  resource="https://example.com/mcp")
    begun = ok(dcr.begin(user, client_app, **fields))
    assert begun.outcome == Outcome.CONSENT and begun.app.name == "MCP"
    code = query_of(ok(dcr.decide(user, client_app, **fields)).redirect_url)["code"]
    tokens = ok(dcr.exchange(client_app, code, redirect_uri=callback, code_verifier=verifier))
    assert tokens.refresh_token == "" and tokens.audience == "https://example.com/mcp"
    assert ok(dcr.validate(tokens.access_token)).user_id == user.user_id
    assert ok(dcr.begin(user, client_app, **fields)).outcome == Outcome.REDIRECT


# --- TestRegisterOAuthClient_DisabledFeatures ---------------------------------------------------------------------

def test_registration_needs_the_provider_and_registration_switched_on(plugin, client):
    """Ports api4 TestRegisterOAuthClient_DisabledFeatures: both nil (registration unset) -> 400; SP on + DCR off
    -> 400; SP off + DCR on -> 400; each unsupported_operation with Mattermost's description."""
    body = {"redirect_uris": [CALLBACK]}
    expect_dcr_error(register(client, body), "unsupported_operation", "Dynamic client registration is disabled")
    plugin.configure(EnableDynamicClientRegistration=False)
    expect_dcr_error(register(client, body), "unsupported_operation", "Dynamic client registration is disabled")
    plugin.configure(EnableOAuthServiceProvider=False, EnableDynamicClientRegistration=True)
    expect_dcr_error(register(client, body), "unsupported_operation", "OAuth service provider is disabled")
    plugin.configure(EnableOAuthServiceProvider=True)
    assert ok(register(client, body)).client_id


# --- TestRegisterOAuthClient_RedirectURIAllowlist -----------------------------------------------------------------

def test_redirect_uri_allowlist(plugin, client):
    """Ports api4 TestRegisterOAuthClient_RedirectURIAllowlist: an empty list -> 201; with
    ["https://example.com/*", "https://*.test.com/**"], https://example.com/callback and
    https://app.test.com/deep/path/cb -> 201; with ["https://allowed.com/**"], https://disallowed.com/callback
    -> 400 invalid_redirect_uri with a description; a mixed allowed and disallowed pair -> 400."""
    plugin.configure(EnableDynamicClientRegistration=True, DCRRedirectURIAllowlist=[])
    assert ok(register(client, {"redirect_uris": ["https://anything.example.net/cb"]})).client_id
    plugin.configure(DCRRedirectURIAllowlist=["https://example.com/*", "https://*.test.com/**"])
    assert ok(register(client, {"redirect_uris": ["https://example.com/callback"]})).client_id
    assert ok(register(client, {"redirect_uris": ["https://app.test.com/deep/path/cb"]})).client_id
    expect_dcr_error(register(client, {"redirect_uris": ["https://example.com/a/b"]}), "invalid_redirect_uri")
    plugin.configure(DCRRedirectURIAllowlist=["https://allowed.com/**"])
    expect_dcr_error(register(client, {"redirect_uris": ["https://disallowed.com/callback"]}), "invalid_redirect_uri",
                     "One or more redirect URIs do not match the allowlist")
    expect_dcr_error(register(client, {"redirect_uris": ["https://allowed.com/cb", "https://disallowed.com/cb"]}),
                     "invalid_redirect_uri")
    assert ok(register(client, {"redirect_uris": ["https://allowed.com/cb", "https://allowed.com/x/y"]})).client_id


def test_allowlist_globs_match_per_component(plugin, client):
    """Ports model TestRedirectURIMatchesGlob through registration, with the v11.9 rules: anchored; `*` stays in
    one segment, `**` crosses segments but not hosts; the host wildcard does not match example.com.evil; port
    wildcard; the v11.5 bypass https://attacker.example.net?x=.example.com/cb does not match
    https://*.example.com/** (deliberate: v11.9 matching); a query needs a pattern with a query; custom schemes
    must be equal; blank entries are skipped."""
    plugin.configure(EnableDynamicClientRegistration=True, DCRRedirectURIAllowlist=[
        "  ", "https://*.example.com/**", "http://localhost:*/cb", "https://tenant.example.org/cb?tenant=*",
        "cursor://anysphere.cursor-mcp/**"])
    allowed = ["https://app.example.com/cb", "https://app.example.com/a/b/c", "http://localhost:8080/cb",
               "https://tenant.example.org/cb?tenant=acme", "cursor://anysphere.cursor-mcp/oauth/callback"]
    refused = ["https://attacker.example.net?x=.example.com/cb", "https://example.com.evil/cb",
               "https://app.example.com/cb?x=1", "https://tenant.example.org/cb", "http://localhost:8080/cb/evil",
               "vscode://anysphere.cursor-mcp/oauth/callback", "http://app.example.com/cb"]
    for uri in allowed:
        assert ok(register(client, {"redirect_uris": [uri]})).client_id, uri
    for uri in refused:
        expect_dcr_error(register(client, {"redirect_uris": [uri]}), "invalid_redirect_uri")


def test_invalid_allowlist_patterns_never_match(plugin, client):
    """Ports model TestIsValidDCRRedirectURIPattern (invalid: "https://", "https://example.com/***"; v11.9:
    control characters and dangerous schemes): an allowlist holding only invalid patterns allows nothing, even
    a URI the pattern would otherwise cover; a valid pattern next to them still works (http://localhost:*)."""
    plugin.configure(EnableDynamicClientRegistration=True, DCRRedirectURIAllowlist=[
        "https://", "https://example.com/***", "https://example.com/\u0001*", "javascript://example.com/**"])
    for uri in ("https://example.com/cb", "https://example.com/a/b"):
        expect_dcr_error(register(client, {"redirect_uris": [uri]}), "invalid_redirect_uri")
    plugin.configure(DCRRedirectURIAllowlist=["https://example.com/***", "http://localhost:*"])
    assert ok(register(client, {"redirect_uris": ["http://localhost:8765"]})).client_id
    expect_dcr_error(register(client, {"redirect_uris": ["https://example.com/cb"]}), "invalid_redirect_uri")


# --- TestGetAuthorizationServerMetadata_DCRConfig -----------------------------------------------------------------

def test_metadata_with_registration_off_and_on(plugin, client):
    """Ports app TestGetAuthorizationServerMetadata_DCRConfig (SiteURL https://example.com): DCR off -> no
    registration_endpoint, issuer, authorization and token URLs exact; DCR on -> registration_endpoint
    https://example.com/api/v4/oauth/apps/register. The rest is section 1.9's document."""
    plugin.configure(SiteURL=SITE)
    document = json.loads(ok(metadata(client)).metadata_json)
    assert document == {
        "issuer": SITE,
        "authorization_endpoint": SITE + "/oauth/authorize",
        "token_endpoint": SITE + "/oauth/access_token",
        "response_types_supported": ["code"],
        "scopes_supported": SCOPES.names(),
        "grant_types_supported": ["authorization_code", "refresh_token"],
        "token_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "code_challenge_methods_supported": ["S256"],
        "revocation_endpoint": SITE + "/oauth/revoke",
        "revocation_endpoint_auth_methods_supported": ["none", "client_secret_basic", "client_secret_post"],
        "introspection_endpoint": SITE + "/oauth/introspect",
        "introspection_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "authorization_response_iss_parameter_supported": True,
        "pushed_authorization_request_endpoint": SITE + "/oauth/par",  # RFC 9126
        "require_pushed_authorization_requests": False,
        "dpop_signing_alg_values_supported": list(DPOP_ALGORITHMS),  # RFC 9449 section 5.1
    }
    plugin.configure(EnableDynamicClientRegistration=True)
    document = json.loads(ok(metadata(client)).metadata_json)
    assert document["registration_endpoint"] == SITE + "/api/v4/oauth/apps/register"
    plugin.configure(SiteURL=SITE + "/mattermost/")
    document = json.loads(ok(metadata(client)).metadata_json)
    assert document["issuer"] == SITE + "/mattermost/"
    assert document["token_endpoint"] == SITE + "/mattermost/oauth/access_token"


def test_metadata_errors(plugin, client):
    """Ports section 2 E10: SP off -> 501; SiteURL empty -> 500 site_url_required; an unusable SiteURL -> 500
    invalid_url (for a non-http(s) URL too: deliberate difference)."""
    plugin.configure(SiteURL="")
    expect_error(metadata(client), "api.oauth.authorization_server_metadata.site_url_required.app_error", 500)
    for bad in ("not a url", "ftp://example.com"):
        plugin.configure(SiteURL=bad)
        expect_error(metadata(client), "api.oauth.authorization_server_metadata.invalid_url.app_error", 500)
    plugin.configure(SiteURL=SITE, EnableOAuthServiceProvider=False)
    expect_error(metadata(client), "api.oauth.authorization_server_metadata.disabled.app_error", 501)
