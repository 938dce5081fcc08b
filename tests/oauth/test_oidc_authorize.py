"""OpenID Connect's authorization request parameters (Core 1.0 section 3.1.2.1) at the authorization endpoint:
prompt, max_age, login_hint, nonce, response_mode (form_post), claims; each answered by redirect where the spec
says so (prompt=none never shows a page)."""
from __future__ import annotations

import urllib.parse

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet

from plugin.oauth import CONSENT, LOGIN, REDIRECT, OAuthProvider, Settings
from plugin.oauth.host import HostSession, HostUser

from .conftest import CALLBACK, Flow, app_request, authorize_request

SITE = "https://mm.example.com"


class SessionHost:
    """A host whose sessions signed in at `signed_in_at`."""

    def __init__(self, signed_in_at: int) -> None:
        self.signed_in_at = signed_in_at

    def get_user(self, user_id):
        return HostUser(id=user_id, username="ada")

    def get_session(self, session_id):
        return HostSession(id=session_id, user_id="", create_at=self.signed_in_at)


@pytest.fixture
def host(clock):
    return SessionHost(clock.now_ms() - 1_000_000)  # signed in 1000 s ago


@pytest.fixture
def provider(store, clock, host):
    p = OAuthProvider(store, clock, Settings(site_url=SITE), host=host)
    yield p
    p.close()


@pytest.fixture
def app(provider, admin):
    return provider.create_app(admin, app_request())


def begin(provider, caller, app, **fields):
    return provider.begin_authorization(caller, authorize_request(app, scope="openid", **fields))


def redirect_params(outcome) -> dict[str, str]:
    assert outcome.kind == REDIRECT, outcome
    parts = urllib.parse.urlsplit(outcome.redirect_url)
    assert outcome.redirect_url.startswith(CALLBACK)
    return dict(urllib.parse.parse_qsl(parts.fragment or parts.query))


def consent(provider, caller, app, **fields):
    Flow(provider).code_for(caller, app, scope="openid", **fields)


# --- prompt ----------------------------------------------------------------------------------------------------

def test_prompt_none_without_a_session_answers_login_required_by_redirect(provider, app):
    params = redirect_params(begin(provider, None, app, prompt="none"))
    assert params == {"error": "login_required", "state": "xyz", "iss": SITE}


def test_prompt_none_without_consent_answers_consent_required(provider, user, app):
    assert redirect_params(begin(provider, user, app, prompt="none"))["error"] == "consent_required"


def test_prompt_none_with_consent_answers_the_code_at_once(provider, user, app):
    consent(provider, user, app)
    assert redirect_params(begin(provider, user, app, prompt="none"))["code"]


def test_prompt_none_still_refuses_an_unregistered_redirect_uri_with_a_page(provider, app):
    from plugin.oauth.errors import AppError

    with pytest.raises(AppError) as refused:
        begin(provider, None, app, prompt="none", redirect_uri="https://evil.example.com/cb")
    assert refused.value.id == "api.oauth.allow_oauth.redirect_callback.app_error"


def test_prompt_login_sends_a_signed_in_user_to_sign_in_again_once(provider, user, app, host, clock):
    consent(provider, user, app)
    outcome = begin(provider, user, app, prompt="login", login_hint="ada")
    assert (outcome.kind, outcome.reauthenticate, outcome.login_hint) == (LOGIN, True, "ada")
    back = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(outcome.return_to).query))
    assert outcome.return_to.startswith("/oauth/authorize?") and back["prompt"] == "login"
    assert back["authenticated_after"] == str(clock.now_ms())

    clock.advance(5)
    host.signed_in_at = clock.now_ms()  # the user signed in again
    again = provider.begin_authorization(user, authorize_request(app, **back))
    assert redirect_params(again)["code"]


def test_prompt_consent_shows_consent_although_it_is_remembered(provider, user, app):
    consent(provider, user, app)
    assert begin(provider, user, app, prompt="consent").kind == CONSENT


@pytest.mark.parametrize("prompt", ["none login", "none consent", "sometimes"])
def test_an_invalid_prompt_is_invalid_request(provider, user, app, prompt):
    assert redirect_params(begin(provider, user, app, prompt=prompt))["error"] == "invalid_request"


# --- max_age ---------------------------------------------------------------------------------------------------

def test_max_age_older_than_the_session_signs_in_again(provider, user, app):
    consent(provider, user, app)
    assert begin(provider, user, app, max_age="999").kind == LOGIN  # signed in 1000 s ago
    assert redirect_params(begin(provider, user, app, max_age="1000"))["code"]


def test_max_age_with_prompt_none_is_login_required(provider, user, app):
    consent(provider, user, app)
    assert redirect_params(begin(provider, user, app, max_age="10", prompt="none"))["error"] == "login_required"


@pytest.mark.parametrize("max_age", ["-1", "1.5", "soon", "1e3"])
def test_a_max_age_that_is_not_whole_seconds_is_invalid_request(provider, user, app, max_age):
    assert redirect_params(begin(provider, user, app, max_age=max_age))["error"] == "invalid_request"


def test_auth_time_is_when_the_session_signed_in(provider, user, app, host):
    flow = Flow(provider)
    tokens = flow.exchange(app, flow.code_for(user, app, scope="openid", max_age="3600"))
    claims = jwt.decode(tokens.id_token, KeySet.import_key_set(provider.jwks())).claims
    assert claims["auth_time"] == host.signed_in_at // 1000


# --- login_hint, nonce, claims, locales ------------------------------------------------------------------------

def test_login_hint_reaches_the_login_page(provider, app):
    assert begin(provider, None, app, login_hint="ada@example.com").login_hint == "ada@example.com"


def test_each_code_carries_its_own_nonce(provider, user, app):
    flow = Flow(provider)
    first = flow.code_for(user, app, scope="openid", nonce="first")
    second = flow.code_for(user, app, scope="openid", nonce="second")
    keys = KeySet.import_key_set(provider.jwks())
    assert jwt.decode(flow.exchange(app, second).id_token, keys).claims["nonce"] == "second"
    assert jwt.decode(flow.exchange(app, first).id_token, keys).claims["nonce"] == "first"


@pytest.mark.parametrize("claims", ["not json", "[1]", '"userinfo"'])
def test_a_claims_parameter_that_is_not_a_json_object_is_invalid_request(provider, user, app, claims):
    assert redirect_params(begin(provider, user, app, claims=claims))["error"] == "invalid_request"


def test_locales_display_and_id_token_hint_are_accepted(provider, user, app):
    consent(provider, user, app)
    outcome = begin(provider, user, app, ui_locales="fr-CA fr en", claims_locales="fr", display="page",
                    claims='{"userinfo": {"email": null}}')
    assert redirect_params(outcome)["code"]


# --- response_mode ---------------------------------------------------------------------------------------------

def test_form_post_answers_the_fields_to_post_to_the_redirect_uri(provider, user, app):
    consent(provider, user, app)
    outcome = begin(provider, user, app, response_mode="form_post")
    assert outcome.kind == REDIRECT and outcome.redirect_url == CALLBACK
    assert set(outcome.form_fields) == {"code", "state", "iss"} and outcome.form_fields["iss"] == SITE


def test_form_post_carries_errors_too(provider, app):
    outcome = begin(provider, None, app, prompt="none", response_mode="form_post")
    assert outcome.form_fields == {"error": "login_required", "state": "xyz", "iss": SITE}


def test_the_consent_decision_answers_in_form_post_too(provider, user, app):
    outcome = provider.decide(user, authorize_request(app, scope="openid", response_mode="form_post"), allow=False)
    assert outcome.redirect_url == CALLBACK and outcome.form_fields["error"] == "access_denied"


def test_response_mode_fragment_moves_the_code_to_the_fragment(provider, user, app):
    consent(provider, user, app)
    outcome = begin(provider, user, app, response_mode="fragment")
    assert "#" in outcome.redirect_url and "?" not in outcome.redirect_url.partition("#")[0].replace(CALLBACK, "")
    assert redirect_params(outcome)["code"]


def test_an_unknown_response_mode_is_invalid_request(provider, user, app):
    assert redirect_params(begin(provider, user, app, response_mode="web_message"))["error"] == "invalid_request"


# --- the implicit flow (only while EnableImplicitGrant is on) ----------------------------------------------------

@pytest.fixture
def implicit(provider):
    import dataclasses

    provider.configure(dataclasses.replace(provider.settings, enable_implicit_grant=True))
    return provider


def id_token_claims(provider, token: str) -> dict:
    return jwt.decode(token, KeySet.import_key_set(provider.jwks())).claims


def test_implicit_id_token_carries_the_nonce_in_the_fragment(implicit, user, app):
    outcome = implicit.decide(user, authorize_request(app, response_type="id_token", scope="openid email",
                                                      nonce="n1"), allow=True)
    params = redirect_params(outcome)
    assert "#" in outcome.redirect_url and "access_token" not in params and params["state"] == "xyz"
    claims = id_token_claims(implicit, params["id_token"])
    assert (claims["nonce"], claims["aud"], claims["sub"]) == ("n1", app.id, user.user_id)
    assert "at_hash" not in claims


def test_implicit_id_token_token_binds_the_access_token(implicit, user, app):
    from plugin.oauth.oidc.id_token import left_half_hash

    params = redirect_params(implicit.decide(user, authorize_request(
        app, response_type="id_token token", scope="openid", nonce="n2"), allow=True))
    assert id_token_claims(implicit, params["id_token"])["at_hash"] == left_half_hash(params["access_token"])
    assert implicit.userinfo("Bearer " + params["access_token"])["sub"] == user.user_id


def test_every_implicit_id_token_carries_its_own_requests_nonce(implicit, user, app):
    """An RP detects a replayed ID token by its nonce: each answer carries the nonce of the request it answers."""
    nonces = [id_token_claims(implicit, redirect_params(implicit.decide(user, authorize_request(
        app, response_type="id_token", scope="openid", nonce=nonce), allow=True))["id_token"])["nonce"]
              for nonce in ("first", "second")]
    assert nonces == ["first", "second"]


@pytest.mark.parametrize("fields", [{"nonce": ""}, {"scope": "user", "nonce": "n"}])
def test_implicit_without_a_nonce_or_openid_is_invalid_request_in_the_fragment(implicit, user, app, fields):
    outcome = implicit.decide(user, authorize_request(app, response_type="id_token", **{"scope": "openid", **fields}),
                              allow=True)
    assert "#" in outcome.redirect_url and redirect_params(outcome)["error"] == "invalid_request"


def test_implicit_response_types_exist_only_while_the_admin_allows_them(provider, implicit, user, app):
    assert {"id_token", "id_token token"} <= set(implicit.openid_configuration()["response_types_supported"])
    import dataclasses

    provider.configure(dataclasses.replace(provider.settings, enable_implicit_grant=False))
    assert provider.openid_configuration()["response_types_supported"] == ["code"]
    consent(provider, user, app)
    outcome = begin(provider, user, app, response_type="id_token", nonce="n")
    assert redirect_params(outcome)["error"] == "unsupported_response_type"


# --- id_token_hint ---------------------------------------------------------------------------------------------

def an_id_token(provider, caller, app) -> str:
    flow = Flow(provider)
    return flow.exchange(app, flow.code_for(caller, app, scope="openid")).id_token


def test_id_token_hint_of_the_signed_in_user_lets_prompt_none_through(provider, user, app):
    hint = an_id_token(provider, user, app)
    assert redirect_params(begin(provider, user, app, prompt="none", id_token_hint=hint))["code"]


def test_id_token_hint_of_another_user_needs_a_sign_in(provider, user, other_user, app):
    hint = an_id_token(provider, other_user, app)
    consent(provider, user, app)
    assert redirect_params(begin(provider, user, app, prompt="none", id_token_hint=hint))["error"] == "login_required"
    assert begin(provider, user, app, id_token_hint=hint).kind == LOGIN


def test_id_token_hint_of_another_client_is_invalid_request(provider, admin, user, app):
    other_app = provider.create_app(admin, app_request(name="Other"))
    hint = an_id_token(provider, user, other_app)
    consent(provider, user, app)
    assert redirect_params(begin(provider, user, app, id_token_hint=hint))["error"] == "invalid_request"


def test_a_forged_id_token_hint_is_invalid_request(provider, user, app):
    from joserfc.jwk import RSAKey

    hint = an_id_token(provider, user, app)
    token = jwt.decode(hint, KeySet.import_key_set(provider.jwks()))
    forged = jwt.encode({"alg": "RS256", "kid": token.header["kid"]}, token.claims, RSAKey.generate_key(2048))
    assert redirect_params(begin(provider, user, app, id_token_hint=forged))["error"] == "invalid_request"


def test_an_app_refused_openid_gets_unauthorized_client_for_the_implicit_id_token(implicit, admin, user):
    refused = implicit.create_app(admin, app_request(openid_disabled=True))
    outcome = implicit.decide(user, authorize_request(refused, response_type="id_token", scope="openid", nonce="n"),
                              allow=True)
    assert redirect_params(outcome)["error"] == "unauthorized_client"


# --- registration ----------------------------------------------------------------------------------------------

def test_dynamic_registration_keeps_post_logout_redirect_uris(provider, store):
    import dataclasses

    provider.configure(dataclasses.replace(provider.settings, enable_dynamic_client_registration=True))
    registered = provider.register_client(None, {"redirect_uris": [CALLBACK], "client_name": "RP",
                                                 "post_logout_redirect_uris": ["https://client.example.com/bye"]})
    assert registered["post_logout_redirect_uris"] == ["https://client.example.com/bye"]
    assert store.get_app(registered["client_id"]).post_logout_redirect_uris == ["https://client.example.com/bye"]
    from plugin.oauth.errors import DCRError

    with pytest.raises(DCRError) as refused:
        provider.register_client(None, {"redirect_uris": [CALLBACK], "post_logout_redirect_uris": ["javascript:x"]})
    assert refused.value.error == "invalid_client_metadata"
