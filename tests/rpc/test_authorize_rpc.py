"""The authorization endpoint (BeginAuthorization = GET /oauth/authorize), the consent API (DecideConsent = POST
/oauth/authorize) and deauthorization over gRPC against the launched plugin: Mattermost's web tests
TestAuthorizeOAuthApp, TestNilAuthorizeOAuthApp, TestAuthorizeOAuthPage, TestAuthorizeOAuthAppHandler,
TestDeauthorizeOAuthApp, the app tests TestDeauthorizeOAuthApp and TestGetOAuthAccessTokenForImplicitFlow, and the
model tests of the authorization request (TestAuthorizeRequestPKCE, TestValidatePKCEParameters,
TestValidateResourceParameter, TestAuthorizeRequest_ResourceValidation)."""
from __future__ import annotations

import pytest

from oauthplugin.v1 import apps_pb2, authorize_pb2
from tests.rpc.conftest import LaunchedPlugin
from tests.rpc.flows import (
    APP_NOT_FOUND,
    CALLBACK,
    CHALLENGE,
    EXPIRED_CODE,
    INVALID_BODY_PARAM,
    OTHER_CALLBACK,
    PERMISSIONS,
    REDIRECT_CALLBACK,
    SESSION_EXPIRED,
    SP_OFF,
    VERIFIER,
    OAuthClient,
    Outcome,
    admin,
    anonymous,
    db_rows,
    expect_error,
    fragment_of,
    new_id,
    oauth_session,
    ok,
    plain_user,
    query_of,
)


@pytest.fixture(scope="module")
def implicit(tmp_path_factory):
    """A plugin process of this module with the EnableImplicitGrant plugin setting on (and registration on)."""
    launched = LaunchedPlugin(tmp_path_factory.mktemp("implicit-plugin"))
    launched.configure(plugin={"EnableImplicitGrant": True}, EnableDynamicClientRegistration=True)
    yield OAuthClient(launched)
    launched.stop()


# --- TestAuthorizeOAuthApp (POST /oauth/authorize) --------------------------------------------------------------

def test_allow_redirects_to_the_callback_with_a_code_and_the_state(shared):
    """Ports web TestAuthorizeOAuthApp: response_type=code -> the redirect has `code` and `state=123`."""
    app = shared.create_app()
    redirect = ok(shared.decide(admin(), app, state="123")).redirect_url
    assert redirect.startswith(CALLBACK + "?")
    params = query_of(redirect)
    assert params["state"] == "123" and len(params["code"]) >= 43 and set(params) == {"code", "state", "iss"}


def test_allow_with_response_type_token_puts_the_token_in_the_fragment(implicit):
    """Ports web TestAuthorizeOAuthApp: response_type=token -> the fragment has `access_token` and the state (with
    the EnableImplicitGrant plugin setting on; it is off by default, see test_differences_rpc.py)."""
    app = implicit.create_app()
    user = admin()
    redirect = ok(implicit.decide(user, app, response_type="token", state="123")).redirect_url
    assert redirect.startswith(CALLBACK + "#") and "?" not in redirect
    fragment = fragment_of(redirect)
    assert fragment["state"] == "123" and fragment["token_type"] == "bearer"
    assert ok(implicit.validate(fragment["access_token"])).user_id == user.user_id


def test_an_oauth_token_cannot_approve_an_app(shared):
    """Ports web TestAuthorizeOAuthApp: using the issued access token as the session of POST /oauth/authorize
    -> 403 api.context.permissions.app_error."""
    app = shared.create_app()
    user = admin()
    ok(shared.tokens(user, app))
    expect_error(shared.decide(oauth_session(user), app), PERMISSIONS, 403)


def test_consent_request_checks(shared):
    """Ports web TestAuthorizeOAuthApp: redirect_uri empty -> 400; "http://somewhereelse.com" -> 400 (not a
    registered callback); response_type empty -> 400; client_id empty -> 400; a random client_id -> 404."""
    app = shared.create_app()
    user = admin()
    expect_error(shared.decide(user, app, redirect_uri=""), "model.authorize.is_valid.redirect_uri.app_error", 400)
    expect_error(shared.decide(user, app, redirect_uri="http://somewhereelse.com"), REDIRECT_CALLBACK, 400)
    expect_error(shared.decide(user, app, response_type=""), "model.authorize.is_valid.response_type.app_error", 400)
    expect_error(shared.decide(user, app, client_id=""), "model.authorize.is_valid.client_id.app_error", 400)
    expect_error(shared.decide(user, app, client_id=new_id()), APP_NOT_FOUND, 404)
    expect_error(shared.decide(anonymous(), app), SESSION_EXPIRED, 401)


def test_callback_query_and_a_state_with_a_query_round_trip_exactly(shared):
    """Ports web TestAuthorizeOAuthApp: callback "https://nowhere.com?simply=lovely" with state
    "/oauthcallback?sesskey=abcd&other=123" -> the redirect has no second "?", has a code, the state round-trips
    exactly and no `other` parameter leaks out of it."""
    callback = "https://nowhere.com?simply=lovely"
    app = shared.create_app(callback_urls=[callback])
    state = "/oauthcallback?sesskey=abcd&other=123"
    redirect = ok(shared.decide(admin(), app, redirect_uri=callback, state=state)).redirect_url
    assert redirect.startswith("https://nowhere.com?") and redirect.count("?") == 1
    params = query_of(redirect)
    assert params["state"] == state and params["code"] and params["simply"] == "lovely" and "other" not in params


def test_consent_without_a_request_is_invalid_body_param(shared):
    """Ports web TestNilAuthorizeOAuthApp: a null body -> 400 api.context.invalid_body_param.app_error. Over gRPC
    that is a ConsentDecisionRequest without its AuthorizeRequest."""
    response = shared.rpc.DecideConsent(authorize_pb2.ConsentDecisionRequest(context=admin(), allow=True))
    error = expect_error(response, INVALID_BODY_PARAM, 400)
    assert "authorize_request" in error.message


# --- TestAuthorizeOAuthPage (GET /oauth/authorize) ---------------------------------------------------------------

def test_public_client_without_pkce_gets_the_pkce_required_page(shared):
    """Ports web TestAuthorizeOAuthPage/PublicClient_PKCERequired: a GET without a challenge -> the error page
    says "PKCE is required for public clients" (400, api.oauth.allow_oauth.pkce_required_public)."""
    app = shared.create_app(is_public=True, is_trusted=True)
    error = expect_error(shared.begin(admin(), app), "api.oauth.allow_oauth.pkce_required_public.app_error", 400)
    assert error.message == "PKCE is required for public clients using authorization code flow"


def test_trusted_public_client_with_pkce_is_redirected_with_a_code(shared):
    """Ports web TestAuthorizeOAuthPage/PublicClient_WithPKCE_Success (trusted): 302 whose Location has the
    callback, `code=` and `state=test_state`."""
    app = shared.create_app(admin(), is_public=True, is_trusted=True)
    begun = ok(shared.begin(plain_user(), app, state="test_state", code_challenge=CHALLENGE,
                            code_challenge_method="S256"))
    assert begun.outcome == Outcome.REDIRECT and begun.redirect_url.startswith(CALLBACK + "?")
    assert query_of(begun.redirect_url)["state"] == "test_state" and query_of(begun.redirect_url)["code"]


def test_trusted_confidential_client_without_pkce_is_redirected_with_a_code(shared):
    """Ports web TestAuthorizeOAuthPage/ConfidentialClient_PKCEOptional (trusted, no PKCE): 302 with code and
    state."""
    app = shared.create_app(admin(), is_trusted=True)
    begun = ok(shared.begin(plain_user(), app, state="test_state"))
    assert begun.outcome == Outcome.REDIRECT
    params = query_of(begun.redirect_url)
    assert params["code"] and params["state"] == "test_state"


def test_untrusted_app_shows_the_consent_page_with_public_app_info(shared):
    """Ports section 3.1 step 8 and api4 TestGetOAuthAppInfo's use by the consent page: an untrusted app without
    a remembered consent -> the consent page, with the app's public fields and no secret."""
    app = shared.create_app(name="Needs consent")
    begun = ok(shared.begin(plain_user(), app))
    assert begun.outcome == Outcome.CONSENT and begun.redirect_url == ""
    assert begun.app.id == app.id and begun.app.name == "Needs consent" and begun.app.client_secret == ""


def test_anonymous_user_is_sent_to_login_after_validation_and_app_lookup(shared):
    """Ports section 3.1 steps 2-5: no session -> LOGIN (302 to /login), which comes after the request validation
    (400) and the app lookup (404) but before the redirect_uri check."""
    app = shared.create_app()
    assert ok(shared.begin(anonymous(), app)).outcome == Outcome.LOGIN
    assert ok(shared.begin(anonymous(), app, redirect_uri="https://elsewhere.example.com/cb")).outcome == Outcome.LOGIN
    expect_error(shared.begin(anonymous(), app, response_type=""), "model.authorize.is_valid.response_type.app_error",
                 400)
    expect_error(shared.begin(anonymous(), app, client_id=new_id()), APP_NOT_FOUND, 404)


def test_unregistered_redirect_uri_is_an_error_page_never_a_redirect(shared):
    """Ports section 3.1 step 5: a redirect_uri that is not exactly a registered callback -> 400
    api.oauth.allow_oauth.redirect_callback (the error page), even for a trusted app; no prefix or trailing-slash
    matching."""
    app = shared.create_app(is_trusted=True)
    for uri in ("https://evil.example.com/cb", CALLBACK + "/", CALLBACK + "?x=1", CALLBACK.upper()):
        error = expect_error(shared.begin(plain_user(), app, redirect_uri=uri), REDIRECT_CALLBACK, 400)
        assert error.message == "invalid_request: Supplied redirect_uri did not match registered callback_url."


def test_remembered_consent_redirects_at_once_for_any_registered_callback_and_state(shared):
    """Ports section 3.1 step 7: after the user allowed the app once, a later authorization (another state,
    another registered callback, the same scope) is a redirect with a fresh code, without the consent page."""
    app = shared.create_app()
    user = plain_user()
    first = query_of(ok(shared.decide(user, app)).redirect_url)["code"]
    begun = ok(shared.begin(user, app, redirect_uri=OTHER_CALLBACK, state="later"))
    assert begun.outcome == Outcome.REDIRECT and begun.redirect_url.startswith(OTHER_CALLBACK + "?")
    params = query_of(begun.redirect_url)
    assert params["state"] == "later" and params["code"] != first
    assert ok(shared.exchange(app, params["code"], redirect_uri=OTHER_CALLBACK)).access_token
    assert ok(shared.begin(plain_user(), app)).outcome == Outcome.CONSENT, "the consent is per user"


# --- TestAuthorizeOAuthAppHandler ------------------------------------------------------------------------------

def test_public_client_consent_with_pkce_returns_a_code(shared):
    """Ports web TestAuthorizeOAuthAppHandler/PublicClient_PKCEParameters: POST with PKCE -> 200 whose
    `redirect` contains `code=`; the code then exchanges with the verifier and no secret."""
    app = shared.create_app(is_public=True)
    redirect = ok(shared.decide(plain_user(), app, code_challenge=CHALLENGE, code_challenge_method="S256"))
    assert "code=" in redirect.redirect_url
    tokens = ok(shared.exchange(app, query_of(redirect.redirect_url)["code"], code_verifier=VERIFIER))
    assert tokens.access_token and tokens.refresh_token == ""


def test_public_client_consent_without_pkce_is_refused(shared):
    """Ports app TestGetOAuthAccessTokenForCodeFlow/PublicClient_WithoutPKCE_ShouldFail: AllowOAuthAppAccessToUser
    for a public client without a challenge -> an error whose id contains pkce_required."""
    app = shared.create_app(is_public=True)
    expect_error(shared.decide(plain_user(), app), "api.oauth.allow_oauth.pkce_required_public.app_error", 400)


# --- the authorization request's validity (model tests, through both RPCs) --------------------------------------

LONG = "https://api.example.com/" + "a" * 500

INVALID_REQUESTS = [
    (dict(client_id="junk"), "client_id"),
    (dict(response_type=""), "response_type"),
    (dict(redirect_uri="not a url"), "redirect_uri"),
    (dict(redirect_uri="https://client.example.com/" + "r" * 240), "redirect_uri"),
    (dict(state="s" * 1025), "state"),
    (dict(scope="s" * 129), "scope"),
    (dict(code_challenge=CHALLENGE), "code_challenge_method"),
    (dict(code_challenge_method="S256"), "code_challenge"),
    (dict(code_challenge=CHALLENGE, code_challenge_method="plain"), "code_challenge_method.unsupported"),
    (dict(code_challenge="short", code_challenge_method="S256"), "code_challenge.length"),
    (dict(code_challenge="a" * 129, code_challenge_method="S256"), "code_challenge.length"),
    (dict(code_challenge="+" * 43, code_challenge_method="S256"), "code_challenge.format"),
    (dict(resource="not-a-valid-uri"), "resource.not_absolute"),
    (dict(resource="relative/path"), "resource.not_absolute"),
    (dict(resource="/absolute/path"), "resource.not_absolute"),
    (dict(resource="https://api.example.com/#fragment"), "resource.has_fragment"),
    (dict(resource="malformed://[invalid"), "resource.invalid_uri"),
    (dict(resource=LONG), "resource.length"),
]


@pytest.mark.parametrize("rpc", ["begin", "decide"])
@pytest.mark.parametrize("fields, invalid", INVALID_REQUESTS, ids=[i for _, i in INVALID_REQUESTS])
def test_invalid_authorization_requests_are_400_with_mattermosts_ids(shared, rpc, fields, invalid):
    """Ports model TestAuthorizeRequestPKCE (challenge or method alone -> error), TestValidatePKCEParameters
    (plain, short, 129 characters -> error), TestValidateResourceParameter and
    TestAuthorizeRequest_ResourceValidation (not-a-uri, relative, /absolute, fragment, malformed, > 512 ->
    error) and AuthorizeRequest.IsValid's order: 400 model.authorize.is_valid.<x>.app_error on GET and POST."""
    app = shared.create_app()
    response = getattr(shared, rpc)(plain_user(), app, **fields)
    expect_error(response, f"model.authorize.is_valid.{invalid}.app_error", 400)


@pytest.mark.parametrize("resource", [
    "https://api.example.com", "https://api.example.com/v1", "https://api.example.com:8080/resource",
    "http://localhost:3000/api", "https://sub.api.example.com/path", "https://api.example.com/?tenant=1",
    "ftp://example.com/file",
])
def test_valid_resources_are_accepted_and_become_the_audience(shared, resource):
    """Ports model TestValidateResourceParameter / TestAccessData_AudienceValidation (valid: http/https, port,
    localhost, subdomain, query, any absolute scheme) and app TestGetOAuthAccessTokenForCodeFlow/
    WithResourceParameter_Success: the token's audience is the resource."""
    app = shared.create_app()
    user = plain_user()
    tokens = shared.tokens(user, app, authorize=dict(resource=resource))
    assert tokens.audience == resource
    assert ok(shared.validate(tokens.access_token)).audience == resource


def test_limits_of_the_authorization_request_are_inclusive(shared):
    """Ports model TestAuthIsValid's limits: a state of 1024 and a scope of 128 characters are valid."""
    app = shared.create_app()
    redirect = ok(shared.decide(plain_user(), app, state="s" * 1024, scope="s" * 128)).redirect_url
    assert query_of(redirect)["state"] == "s" * 1024


# --- TestDeauthorizeOAuthApp -----------------------------------------------------------------------------------

def test_deauthorize_after_authorize_and_its_request_checks(shared):
    """Ports web TestDeauthorizeOAuthApp: authorize then deauthorize -> ok; "junk" -> 400 (invalid_body_param
    client_id); a random valid id -> ok; logged out -> 401."""
    app = shared.create_app()
    user = plain_user()
    shared.code_for(user, app)
    ok(shared.rpc.Deauthorize(authorize_pb2.DeauthorizeRequest(context=user, client_id=app.id)))
    error = expect_error(shared.rpc.Deauthorize(authorize_pb2.DeauthorizeRequest(context=user, client_id="junk")),
                         INVALID_BODY_PARAM, 400)
    assert "client_id" in error.message
    ok(shared.rpc.Deauthorize(authorize_pb2.DeauthorizeRequest(context=user, client_id=new_id())))
    expect_error(shared.rpc.Deauthorize(authorize_pb2.DeauthorizeRequest(context=anonymous(), client_id=app.id)),
                 SESSION_EXPIRED, 401)


def test_deauthorize_deletes_pending_codes(shared):
    """Ports app TestDeauthorizeOAuthApp: a code issued, then deauthorize -> the code is gone (GetAuthData not
    found), so its exchange is 400 expired_code."""
    app = shared.create_app()
    user = plain_user()
    code = shared.code_for(user, app)
    ok(shared.rpc.Deauthorize(authorize_pb2.DeauthorizeRequest(context=user, client_id=app.id)))
    expect_error(shared.exchange(app, code), EXPIRED_CODE, 400, "invalid_grant")


def test_deauthorize_revokes_the_users_tokens_and_consent_only(shared):
    """Ports section 3.8 (deauthorize: the user's tokens for the app, refresh tokens too, and the consent go),
    store OAuthGetAccessDataByUserForApp / RemoveAccessData (every row of the user and app goes) and Cypress
    MM-T650 (after deauthorize the token fails) / MM-T651 (reconnecting asks again). Other users and the user's
    other apps keep theirs."""
    app, other_app = shared.create_app(), shared.create_app()
    user, neighbour = plain_user(), plain_user()
    mine, theirs, elsewhere = shared.tokens(user, app), shared.tokens(neighbour, app), shared.tokens(user, other_app)
    ok(shared.rpc.Deauthorize(authorize_pb2.DeauthorizeRequest(context=user, client_id=app.id)))
    assert not shared.works(mine.access_token)
    expect_error(shared.refresh(app, mine.refresh_token), "api.oauth.get_access_token.refresh_token.app_error", 404)
    assert ok(shared.begin(user, app)).outcome == Outcome.CONSENT
    assert shared.works(theirs.access_token) and shared.works(elsewhere.access_token)
    assert ok(shared.begin(neighbour, app)).outcome == Outcome.REDIRECT
    listed = ok(shared.rpc.ListAuthorizedApps(apps_pb2.ListAuthorizedAppsRequest(context=user, user_id="me")))
    assert [a.id for a in listed.apps] == [other_app.id]
    assert shared.works(shared.tokens(user, app).access_token), "the user can reconnect"


# --- the provider switched off -----------------------------------------------------------------------------------

def test_authorization_routes_are_501_while_the_provider_is_off(plugin, client):
    """Ports section 3.1 step 1 (GET -> 501 api.oauth.authorize_oauth.disabled), section 3.2 step 4.1 and app
    TestGetOAuthAccessTokenForImplicitFlow/OAuthDisabled_ShouldFail (POST -> 501), and E13 (deauthorize
    -> 501)."""
    app = client.create_app()
    user = plain_user()
    plugin.configure(EnableOAuthServiceProvider=False)
    expect_error(client.begin(user, app), "api.oauth.authorize_oauth.disabled.app_error", 501)
    expect_error(client.decide(user, app), SP_OFF, 501)
    expect_error(client.decide(user, app, response_type="token"), SP_OFF, 501)
    expect_error(client.rpc.Deauthorize(authorize_pb2.DeauthorizeRequest(context=user, client_id=app.id)), SP_OFF, 501)


# --- TestGetOAuthAccessTokenForImplicitFlow (with EnableImplicitGrant on) ----------------------------------------

def test_implicit_flow_for_a_confidential_client(implicit):
    """Ports app TestGetOAuthAccessTokenForImplicitFlow/BasicFlow_Success and ConfidentialClient_Success: the
    redirect has #access_token, token_type=bearer and state=test_state; the token belongs to the user and no
    refresh token is stored for it."""
    app = implicit.create_app()
    user = plain_user()
    redirect = ok(implicit.decide(user, app, response_type="token", state="test_state")).redirect_url
    fragment = fragment_of(redirect)
    assert "#access_token=" in redirect and fragment["token_type"] == "bearer" and fragment["state"] == "test_state"
    assert int(fragment["expires_in"]) == 720 * 3600 and fragment["scope"] == "user"
    info = ok(implicit.validate(fragment["access_token"]))
    assert (info.user_id, info.client_id) == (user.user_id, app.id)
    assert db_rows(implicit.plugin, "SELECT COUNT(*) FROM oauth_refresh_tokens WHERE client_id = ?",
                   (app.id,)) == [(0,)]


def test_implicit_flow_for_a_registered_public_client(implicit):
    """Ports app TestGetOAuthAccessTokenForImplicitFlow/PublicClient_Success (DCR `none`, through
    AllowOAuthAppAccessToUser): #access_token, token_type=bearer, state=test_state; the token is the user's and
    has no refresh token; no PKCE is needed for the implicit grant."""
    registered = ok(implicit.register(b'{"redirect_uris": ["%s"], "token_endpoint_auth_method": "none"}'
                                      % CALLBACK.encode()))
    user = plain_user()
    request = implicit.request(apps_pb2.OAuthApp(id=registered.client_id), response_type="token",
                               state="test_state")
    fragment = fragment_of(ok(implicit.decide(user, request=request)).redirect_url)
    assert fragment["token_type"] == "bearer" and fragment["state"] == "test_state"
    assert ok(implicit.validate(fragment["access_token"])).user_id == user.user_id
    assert db_rows(implicit.plugin, "SELECT COUNT(*) FROM oauth_refresh_tokens WHERE client_id = ?",
                   (registered.client_id,)) == [(0,)]


def test_implicit_flow_with_a_bad_client_or_no_user_fails(implicit):
    """Ports app TestGetOAuthAccessTokenForImplicitFlow/BadClientId_ShouldFail (unknown app -> 404) and
    BadUserId_ShouldFail (no user: the plugin gets no user id -> 401)."""
    app = implicit.create_app()
    expect_error(implicit.decide(plain_user(), app, response_type="token", client_id=new_id()), APP_NOT_FOUND, 404)
    expect_error(implicit.decide(anonymous(), app, response_type="token"), SESSION_EXPIRED, 401)
