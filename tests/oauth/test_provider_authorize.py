"""The authorization endpoint (GET), the consent decision (POST) and deauthorization, with the real store."""
from __future__ import annotations

import dataclasses

import pytest

from plugin.oauth import CONSENT, LOGIN, REDIRECT, AuthorizeRequest, Caller
from plugin.oauth.ids import new_id
from plugin.oauth.urls import parse_query
from plugin.store.contract import StoreError

from .conftest import CALLBACK, app_request, authorize_request, expect_error

ANON = Caller()


def query_of(url: str) -> dict:
    return {k: v[0] for k, v in parse_query(url.partition("#")[0].partition("?")[2]).items()}


def fragment_of(url: str) -> dict:
    return {k: v[0] for k, v in parse_query(url.partition("#")[2]).items()}


def enable(provider, **changes):
    provider.configure(dataclasses.replace(provider.settings, **changes))


# --- GET /oauth/authorize -------------------------------------------------------------------------------------

def test_untrusted_app_asks_for_consent_with_public_app_info(provider, user, confidential_app):
    outcome = provider.begin_authorization(user, authorize_request(confidential_app))
    assert outcome.kind == CONSENT
    assert outcome.app.id == confidential_app.id and outcome.app.client_secret == ""
    assert outcome.request.client_id == confidential_app.id


def test_anonymous_user_is_sent_to_login_before_the_redirect_uri_is_checked(provider, confidential_app):
    req = authorize_request(confidential_app, redirect_uri="https://elsewhere.example.com/cb")
    assert provider.begin_authorization(ANON, req).kind == LOGIN
    assert provider.begin_authorization(None, req).kind == LOGIN


def test_login_comes_after_request_validation_and_app_lookup(provider, confidential_app):
    expect_error("model.authorize.is_valid.response_type.app_error", 400, provider.begin_authorization, ANON,
                 authorize_request(confidential_app, response_type=""))
    expect_error("app.oauth.get_app.find.app_error", 404, provider.begin_authorization, ANON,
                 authorize_request(confidential_app, client_id=new_id()))


def test_provider_off_is_501(provider, user, confidential_app):
    enable(provider, enable_oauth_service_provider=False)
    expect_error("api.oauth.authorize_oauth.disabled.app_error", 501, provider.begin_authorization, user,
                 authorize_request(confidential_app))


def test_unregistered_redirect_uri_is_an_error_page_never_a_redirect(provider, user, confidential_app):
    for uri in ("http://somewhereelse.com", CALLBACK + "/", CALLBACK + "?x=1"):
        error = expect_error("api.oauth.allow_oauth.redirect_callback.app_error", 400,
                             provider.begin_authorization, user, authorize_request(confidential_app, redirect_uri=uri))
        assert error.message.startswith("invalid_request: Supplied redirect_uri did not match")


def test_public_client_without_pkce_gets_the_pkce_required_page(provider, user, public_app):
    """Port of TestAuthorizeOAuthPage/PublicClient_PKCERequired."""
    req = authorize_request(public_app, code_challenge="", code_challenge_method="")
    error = expect_error("api.oauth.allow_oauth.pkce_required_public.app_error", 400,
                         provider.begin_authorization, user, req)
    assert "PKCE is required for public clients" in error.message


def test_trusted_public_client_with_pkce_is_redirected_with_code(provider, admin, user):
    """Port of TestAuthorizeOAuthPage/PublicClient_WithPKCE_Success."""
    app = provider.create_app(admin, app_request(is_public=True, is_trusted=True))
    outcome = provider.begin_authorization(user, authorize_request(app, state="test_state"))
    assert outcome.kind == REDIRECT
    assert outcome.redirect_url.startswith(CALLBACK + "?")
    assert query_of(outcome.redirect_url)["state"] == "test_state" and query_of(outcome.redirect_url)["code"]


def test_trusted_confidential_client_without_pkce_is_redirected_with_code(provider, admin, user):
    """Port of TestAuthorizeOAuthPage/ConfidentialClient_PKCEOptional."""
    app = provider.create_app(admin, app_request(is_trusted=True))
    outcome = provider.begin_authorization(user, authorize_request(app, state="test_state"))
    assert outcome.kind == REDIRECT and set(query_of(outcome.redirect_url)) == {"code", "state", "iss"}


def test_earlier_consent_for_the_same_scope_skips_the_page(provider, user, flow, confidential_app):
    flow.code_for(user, confidential_app)
    outcome = provider.begin_authorization(user, authorize_request(confidential_app, state="again"))
    assert outcome.kind == REDIRECT and query_of(outcome.redirect_url)["state"] == "again"


def test_earlier_consent_does_not_cover_another_scope(provider, user, flow, confidential_app):
    flow.code_for(user, confidential_app, scope="posts:read")
    outcome = provider.begin_authorization(user, authorize_request(confidential_app, scope="posts:read posts:write"))
    assert outcome.kind == CONSENT and outcome.scopes == ("posts:read", "posts:write")


def test_oauth_token_session_cannot_authorize_even_a_trusted_app(provider, admin):
    app = provider.create_app(admin, app_request(is_trusted=True))
    oauth_session = Caller(user_id=new_id(), is_oauth=True)
    expect_error("api.context.permissions.app_error", 403, provider.begin_authorization, oauth_session,
                 authorize_request(app))


@pytest.mark.parametrize("response_type", ["token", "junk"])
def test_unsupported_response_type_redirects_with_error_and_state(provider, user, confidential_app, response_type):
    outcome = provider.begin_authorization(user, authorize_request(confidential_app, response_type=response_type,
                                                                   state="a&b"))
    assert outcome.kind == REDIRECT
    assert query_of(outcome.redirect_url) == {"error": "unsupported_response_type", "state": "a&b",
                                              "iss": "https://mm.example.com"}
    assert provider.list_authorized_apps(user, "me") == []


# --- POST /oauth/authorize ------------------------------------------------------------------------------------

def test_allow_issues_a_code_and_keeps_state(provider, admin, confidential_app):
    """Port of TestAuthorizeOAuthApp (response_type code: the redirect has code and state=123)."""
    url = provider.decide_consent(admin, authorize_request(confidential_app, state="123"), allow=True)
    assert url.startswith(CALLBACK + "?")
    query = query_of(url)
    assert query["state"] == "123" and len(query["code"]) == 43


def test_allow_with_a_callback_query_round_trips_state(provider, admin):
    """Port of TestAuthorizeOAuthApp (`https://nowhere.com?simply=lovely` with state
    `/oauthcallback?sesskey=abcd&other=123`)."""
    app = provider.create_app(admin, app_request(callback_urls=["https://nowhere.com?simply=lovely"]))
    state = "/oauthcallback?sesskey=abcd&other=123"
    url = provider.decide_consent(admin, authorize_request(app, state=state), allow=True)
    assert url.startswith("https://nowhere.com?") and url.count("?") == 1
    query = query_of(url)
    assert query["state"] == state and query["simply"] == "lovely" and query["code"]
    assert "other" not in query and "sesskey" not in query


def test_deny_redirects_with_access_denied_and_state(provider, user):
    app = provider.create_app(user, app_request(callback_urls=["https://c.example.com/cb?keep=1"]))
    url = provider.decide_consent(user, authorize_request(app, state="s t"), allow=False)
    assert url == "https://c.example.com/cb?error=access_denied&iss=https%3A%2F%2Fmm.example.com&keep=1&state=s+t"
    assert provider.list_authorized_apps(user, "me") == []


def test_deny_still_requires_a_registered_redirect_uri(provider, user, confidential_app):
    expect_error("api.oauth.allow_oauth.redirect_callback.app_error", 400, provider.decide_consent, user,
                 authorize_request(confidential_app, redirect_uri="https://evil.example.com/cb"), False)


def test_consent_checks(provider, admin, confidential_app):
    """Port of TestAuthorizeOAuthApp's failures and TestNilAuthorizeOAuthApp."""
    for fields, error_id, status in [
        (dict(redirect_uri=""), "model.authorize.is_valid.redirect_uri.app_error", 400),
        (dict(redirect_uri="http://somewhereelse.com"), "api.oauth.allow_oauth.redirect_callback.app_error", 400),
        (dict(response_type=""), "model.authorize.is_valid.response_type.app_error", 400),
        (dict(client_id=""), "model.authorize.is_valid.client_id.app_error", 400),
        (dict(client_id=new_id()), "app.oauth.get_app.find.app_error", 404),
    ]:
        expect_error(error_id, status, provider.decide_consent, admin, authorize_request(confidential_app, **fields),
                     True)
    expect_error("api.context.invalid_body_param.app_error", 400, provider.decide_consent, admin, None, True)
    expect_error("api.context.session_expired.app_error", 401, provider.decide_consent, ANON,
                 authorize_request(confidential_app), True)
    enable(provider, enable_oauth_service_provider=False)
    expect_error("api.oauth.allow_oauth.turn_off.app_error", 501, provider.decide_consent, admin,
                 authorize_request(confidential_app), True)


def test_oauth_token_session_cannot_give_consent(provider, confidential_app):
    """Port of TestAuthorizeOAuthApp (using the access token as auth for POST authorize gives 403)."""
    expect_error("api.context.permissions.app_error", 403, provider.decide_consent,
                 Caller(user_id=new_id(), is_oauth=True), authorize_request(confidential_app), True)


def test_public_client_consent_without_pkce_is_refused(provider, user, public_app):
    """Port of TestGetOAuthAccessTokenForCodeFlow/PublicClient_WithoutPKCE_ShouldFail."""
    error = expect_error("api.oauth.allow_oauth.pkce_required_public.app_error", 400, provider.decide_consent, user,
                         authorize_request(public_app, code_challenge="", code_challenge_method=""), True)
    assert "pkce_required" in error.id


def test_implicit_grant_is_refused_while_the_setting_is_off(provider, user, confidential_app):
    url = provider.decide_consent(user, authorize_request(confidential_app, response_type="token", state="s"), True)
    assert query_of(url) == {"error": "unsupported_response_type", "state": "s", "iss": "https://mm.example.com"}
    assert "#" not in url


def test_implicit_grant_when_enabled_puts_a_working_token_in_the_fragment(provider, user, public_app, clock):
    """Port of TestGetOAuthAccessTokenForImplicitFlow/PublicClient_Success and TestAuthorizeOAuthApp (token)."""
    enable(provider, enable_implicit_grant=True)
    url = provider.decide_consent(user, authorize_request(public_app, response_type="token", state="test_state"),
                                  True)
    assert url.startswith(CALLBACK + "#access_token=")
    fragment = fragment_of(url)
    assert fragment["token_type"] == "bearer" and fragment["state"] == "test_state"
    assert fragment["expires_in"] == str(720 * 3600) and "refresh_token" not in fragment
    info = provider.validate_token(fragment["access_token"])
    assert (info.user_id, info.client_id) == (user.user_id, public_app.id)


def test_second_implicit_grant_for_the_same_user_and_app_gets_its_own_token(provider, user, confidential_app):
    """Mattermost fails the second one on its (client, user) unique key; here each grant is separate."""
    enable(provider, enable_implicit_grant=True)
    req = authorize_request(confidential_app, response_type="token")
    first = fragment_of(provider.decide_consent(user, req, True))["access_token"]
    second = fragment_of(provider.decide_consent(user, req, True))["access_token"]
    assert first != second
    assert provider.validate_token(first).user_id == provider.validate_token(second).user_id == user.user_id


def test_implicit_deny_puts_the_error_in_the_fragment(provider, user, confidential_app):
    enable(provider, enable_implicit_grant=True)
    url = provider.decide_consent(user, authorize_request(confidential_app, response_type="token", state="s"), False)
    assert url == CALLBACK + "#error=access_denied&iss=https%3A%2F%2Fmm.example.com&state=s"


def test_store_failure_while_issuing_redirects_with_server_error(provider, user, confidential_app, store,
                                                                 monkeypatch):
    def broken(*args, **kwargs):
        raise StoreError("disk on fire")

    monkeypatch.setattr(store, "save_code", broken)
    url = provider.decide_consent(user, authorize_request(confidential_app, state="s"), True)
    assert query_of(url) == {"error": "server_error", "state": "s", "iss": "https://mm.example.com"}
    assert provider.list_authorized_apps(user, "me") == []


def test_allow_remembers_the_consent(provider, user, confidential_app, store):
    provider.decide_consent(user, authorize_request(confidential_app, scope=""), True)
    consent = store.get_consent(user.user_id, confidential_app.id)
    assert consent is not None and consent.scope == "user"


# --- POST /oauth/deauthorize ----------------------------------------------------------------------------------

def test_deauthorize_revokes_tokens_codes_and_consent(provider, user, flow, confidential_app):
    """Ports of TestDeauthorizeOAuthApp (web and app layers) and Cypress MM-T650."""
    tokens = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    pending = flow.code_for(user, confidential_app)
    provider.deauthorize(user, confidential_app.id)
    expect_error("api.context.session_expired.app_error", 401, provider.validate_token, tokens.access_token)
    expect_error("api.oauth.get_access_token.refresh_token.app_error", 404, flow.refresh, confidential_app,
                 tokens.refresh_token)
    expect_error("api.oauth.get_access_token.expired_code.app_error", 400, flow.exchange, confidential_app, pending)
    assert provider.begin_authorization(user, authorize_request(confidential_app)).kind == CONSENT
    assert provider.list_authorized_apps(user, "me") == []


def test_deauthorize_leaves_other_users_alone(provider, user, other_user, flow, confidential_app):
    theirs = flow.exchange(confidential_app, flow.code_for(other_user, confidential_app))
    flow.code_for(user, confidential_app)
    provider.deauthorize(user, confidential_app.id)
    assert provider.validate_token(theirs.access_token).user_id == other_user.user_id


def test_deauthorize_checks(provider, user):
    """Port of TestDeauthorizeOAuthApp (junk 400, random valid id 200, logged out 401)."""
    expect_error("api.context.invalid_body_param.app_error", 400, provider.deauthorize, user, "junk")
    provider.deauthorize(user, new_id())
    expect_error("api.context.session_expired.app_error", 401, provider.deauthorize, ANON, new_id())
    enable(provider, enable_oauth_service_provider=False)
    expect_error("api.oauth.allow_oauth.turn_off.app_error", 501, provider.deauthorize, user, new_id())


def test_dcr_style_custom_scheme_callback_gets_its_code(provider, settings):
    enable(provider, enable_dynamic_client_registration=True)
    body = provider.register_client(None, {"redirect_uris": ["cursor://anysphere.cursor-mcp/oauth/callback"],
                                           "token_endpoint_auth_method": "none"})
    req = AuthorizeRequest(response_type="code", client_id=body["client_id"],
                           redirect_uri="cursor://anysphere.cursor-mcp/oauth/callback", state="s",
                           code_challenge="E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM",
                           code_challenge_method="S256")
    url = provider.decide_consent(Caller(user_id=new_id()), req, True)
    assert url.startswith("cursor://anysphere.cursor-mcp/oauth/callback?code=")


def test_missing_request_is_a_400_not_a_crash(provider, user):
    expect_error("model.authorize.is_valid.client_id.app_error", 400, provider.begin_authorization, user, None)
