"""Pushed authorization requests (RFC 9126) in the domain, on the real SQLite store and a FakeClock: the PAR
endpoint's checks and answer, and the authorization endpoint answering exactly the pushed request, once."""
from __future__ import annotations

import dataclasses

import pytest

from plugin.oauth import AuthorizeRequest, OAuthProvider, Settings
from plugin.oauth.ids import hash_secret, new_id
from plugin.oauth.rfc9126 import REQUEST_URI_PREFIX
from plugin.oauth.urls import parse_query

from .conftest import CALLBACK, CHALLENGE, app_error_of, app_request

LIFETIME = 90


def pushed_form(app, **fields) -> dict[str, str]:
    values = {"response_type": "code", "redirect_uri": CALLBACK, "scope": "openid profile", "state": "st",
              "nonce": "n-1", "code_challenge": CHALLENGE, "code_challenge_method": "S256"}
    values.update(fields)
    return {k: v for k, v in values.items() if v is not None}


def push(provider: OAuthProvider, app, **fields) -> dict:
    return provider.push_authorization_request(pushed_form(app, **fields), app.id, app.client_secret)


def by_reference(app, request_uri: str, **fields) -> AuthorizeRequest:
    return AuthorizeRequest(client_id=app.id, request_uri=request_uri, **fields)


def query_of(url: str) -> dict[str, str]:
    return {k: v[0] for k, v in parse_query(url.partition("?")[2]).items()}


# --- the PAR endpoint -----------------------------------------------------------------------------------------

def test_a_confidential_client_pushes_and_gets_a_short_lived_request_uri_stored_hashed(provider, store,
                                                                                       confidential_app, clock):
    answer = push(provider, confidential_app)
    assert set(answer) == {"request_uri", "expires_in"} and answer["expires_in"] == LIFETIME
    assert answer["request_uri"].startswith(REQUEST_URI_PREFIX)
    assert len(answer["request_uri"]) > len(REQUEST_URI_PREFIX) + 40  # 256 random bits
    row = store.get_pushed_request(hash_secret(answer["request_uri"]), confidential_app.id, clock.now_ms())
    assert row is not None and row.expires_at == row.create_at + LIFETIME * 1000
    assert row.params["redirect_uri"] == CALLBACK and "client_secret" not in row.params
    assert store.get_pushed_request(answer["request_uri"], confidential_app.id, clock.now_ms()) is None


def test_a_public_client_pushes_with_its_client_id_alone(provider, public_app):
    assert push(provider, public_app)["request_uri"].startswith(REQUEST_URI_PREFIX)


@pytest.mark.parametrize("secret", ["", "wrong"])
def test_a_confidential_client_without_its_secret_is_invalid_client_401(provider, confidential_app, secret):
    error = app_error_of(provider.push_authorization_request, pushed_form(confidential_app), confidential_app.id,
                         secret)
    assert (error.oauth_error, error.status) == ("invalid_client", 401)


def test_a_public_client_sending_a_secret_or_an_unknown_client_is_invalid_client(provider, public_app):
    for client_id, secret in ((public_app.id, "x"), (new_id(), "")):
        error = app_error_of(provider.push_authorization_request, pushed_form(public_app), client_id, secret)
        assert (error.oauth_error, error.status) == ("invalid_client", 401)


@pytest.mark.parametrize("fields, code", [
    ({"request_uri": REQUEST_URI_PREFIX + "x"}, "invalid_request"),  # section 2.1
    ({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
    ({"redirect_uri": "https://evil.example.com/cb"}, "invalid_request"),
    ({"redirect_uri": None}, "invalid_request"),
    ({"response_type": "token"}, "unsupported_response_type"),  # the implicit grant is off
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"prompt": "none login"}, "invalid_request"),
    ({"max_age": "soon"}, "invalid_request"),
    ({"resource": "not a uri#frag"}, "invalid_request"),
])
def test_pushed_parameters_are_checked_as_the_authorization_endpoint_checks_them(provider, confidential_app,
                                                                                 fields, code):
    error = app_error_of(push, provider, confidential_app, **fields)
    assert (error.oauth_error or "invalid_request", error.status) == (code, 400), repr(error)


def test_pkce_is_required_of_a_public_client_at_the_par_endpoint(provider, public_app):
    error = app_error_of(push, provider, public_app, code_challenge=None, code_challenge_method=None)
    assert (error.id, error.oauth_error, error.status) == (
        "api.oauth.allow_oauth.pkce_required_public.app_error", "invalid_request", 400)


def test_a_scope_the_app_may_not_ask_for_is_invalid_scope(provider, admin):
    app = provider.create_app(admin, app_request(allowed_scopes=["posts:read"]))
    error = app_error_of(push, provider, app, scope="posts:write")
    assert (error.oauth_error, error.status) == ("invalid_scope", 400)
    assert error.message.startswith("invalid_scope: ")


def test_the_par_endpoint_is_refused_while_the_provider_is_off(store, clock, confidential_app):
    off = OAuthProvider(store, clock, Settings(site_url="https://mm.example.com", enable_oauth_service_provider=False))
    try:
        assert app_error_of(push, off, confidential_app).status == 501
    finally:
        off.close()


# --- the authorization endpoint with a request_uri ---------------------------------------------------------------

def test_the_authorization_endpoint_answers_exactly_the_pushed_parameters(provider, confidential_app, user):
    request_uri = push(provider, confidential_app, state="pushed-state")["request_uri"]
    outcome = provider.begin_authorization(user, by_reference(
        confidential_app, request_uri, state="url-state", redirect_uri="https://client.example.com/other",
        scope="posts:write"))
    assert outcome.kind == "consent"
    assert (outcome.request.state, outcome.request.redirect_uri, outcome.request.nonce) == ("pushed-state", CALLBACK,
                                                                                           "n-1")
    assert outcome.scopes == ("openid", "profile")
    # The consent page posts back what the browser sent: client_id and request_uri.
    decided = provider.decide(user, by_reference(confidential_app, request_uri, state="forged"), allow=True)
    params = query_of(decided.redirect_url)
    assert decided.redirect_url.startswith(CALLBACK + "?") and params["state"] == "pushed-state" and params["code"]


def test_the_consent_page_round_trip_survives_but_the_request_uri_is_then_spent(provider, confidential_app, user):
    request_uri = push(provider, confidential_app)["request_uri"]
    assert provider.begin_authorization(user, by_reference(confidential_app, request_uri)).kind == "consent"
    assert provider.begin_authorization(user, by_reference(confidential_app, request_uri)).kind == "consent"  # reload
    provider.decide(user, by_reference(confidential_app, request_uri), allow=True)
    for again in (lambda: provider.begin_authorization(user, by_reference(confidential_app, request_uri)),
                  lambda: provider.decide(user, by_reference(confidential_app, request_uri), allow=True)):
        error = app_error_of(again)
        assert (error.id, error.oauth_error, error.status) == (
            "api.oauth.authorize.invalid_request_uri.app_error", "invalid_request_uri", 400)


def test_a_denied_pushed_request_is_spent_too(provider, confidential_app, user):
    request_uri = push(provider, confidential_app)["request_uri"]
    denied = provider.decide(user, by_reference(confidential_app, request_uri), allow=False)
    assert query_of(denied.redirect_url)["error"] == "access_denied"
    assert app_error_of(provider.decide, user, by_reference(confidential_app, request_uri), True).oauth_error == \
        "invalid_request_uri"


def test_a_remembered_consent_redirects_at_once_and_spends_the_request_uri(provider, confidential_app, user, flow):
    flow.code_for(user, confidential_app, scope="openid profile")
    request_uri = push(provider, confidential_app)["request_uri"]
    outcome = provider.begin_authorization(user, by_reference(confidential_app, request_uri))
    assert outcome.kind == "redirect" and query_of(outcome.redirect_url)["code"]
    assert app_error_of(provider.begin_authorization, user, by_reference(confidential_app, request_uri)).oauth_error \
        == "invalid_request_uri"


def test_another_clients_request_uri_is_refused(provider, confidential_app, admin, user):
    other = provider.create_app(admin, app_request(name="Other"))
    request_uri = push(provider, other)["request_uri"]
    error = app_error_of(provider.begin_authorization, user, by_reference(confidential_app, request_uri))
    assert (error.oauth_error, error.status) == ("invalid_request_uri", 400)
    # ... and left usable by its own client.
    assert provider.begin_authorization(user, by_reference(other, request_uri)).kind == "consent"


def test_an_expired_request_uri_is_refused(provider, confidential_app, user, clock):
    request_uri = push(provider, confidential_app)["request_uri"]
    clock.advance(LIFETIME + 1)
    assert app_error_of(provider.begin_authorization, user, by_reference(confidential_app, request_uri)).oauth_error \
        == "invalid_request_uri"


def test_once_opened_the_request_uri_lasts_a_consent_page_for_that_user_only(provider, confidential_app, user,
                                                                               other_user, clock):
    request_uri = push(provider, confidential_app)["request_uri"]
    assert provider.begin_authorization(user, by_reference(confidential_app, request_uri)).kind == "consent"
    clock.advance(5 * 60)  # past its 90 s: the user is reading the consent page
    error = app_error_of(provider.begin_authorization, other_user, by_reference(confidential_app, request_uri))
    assert error.oauth_error == "invalid_request_uri"
    assert app_error_of(provider.decide, other_user, by_reference(confidential_app, request_uri), True).oauth_error \
        == "invalid_request_uri"
    assert query_of(provider.decide(user, by_reference(confidential_app, request_uri), True).redirect_url)["code"]


def test_an_unknown_request_uri_is_refused(provider, confidential_app, user):
    error = app_error_of(provider.begin_authorization, user,
                         by_reference(confidential_app, REQUEST_URI_PREFIX + "guessed"))
    assert error.oauth_error == "invalid_request_uri"


def test_signing_in_keeps_the_pushed_parameters_off_the_address_bar(provider, confidential_app, user):
    request_uri = push(provider, confidential_app, prompt="login")["request_uri"]
    outcome = provider.begin_authorization(user, by_reference(confidential_app, request_uri))
    assert outcome.kind == "login" and outcome.reauthenticate
    back = query_of(outcome.return_to)
    # The redirect URI is for the login page's form-action: the authorization endpoint ignores it.
    assert set(back) == {"client_id", "request_uri", "redirect_uri", "authenticated_after"}
    assert (back["request_uri"], back["redirect_uri"]) == (request_uri, CALLBACK)
    again = provider.begin_authorization(user, by_reference(confidential_app, request_uri, **{
        k: v for k, v in back.items() if k not in ("client_id", "request_uri")}))
    assert again.kind == "consent"  # signed in again since: not sent back to the login page


def test_without_a_user_the_request_uri_is_only_looked_at(provider, confidential_app, user):
    request_uri = push(provider, confidential_app)["request_uri"]
    outcome = provider.begin_authorization(None, by_reference(confidential_app, request_uri))
    assert outcome.kind == "login"
    assert query_of(outcome.return_to) == {"client_id": confidential_app.id, "request_uri": request_uri,
                                           "redirect_uri": CALLBACK}
    assert provider.begin_authorization(user, by_reference(confidential_app, request_uri)).kind == "consent"


# --- requiring pushed requests ---------------------------------------------------------------------------------

def plain(app) -> AuthorizeRequest:
    return AuthorizeRequest(response_type="code", client_id=app.id, redirect_uri=CALLBACK, state="s")


def test_an_app_that_must_push_has_its_plain_requests_refused(provider, admin, user):
    app = provider.create_app(admin, app_request(require_pushed_authorization_requests=True))
    assert app.require_pushed_authorization_requests
    for refused in (lambda: provider.begin_authorization(user, plain(app)),
                    lambda: provider.begin_authorization(None, plain(app)),
                    lambda: provider.decide(user, plain(app), allow=True)):
        error = app_error_of(refused)
        assert (error.id, error.oauth_error, error.status) == (
            "api.oauth.authorize.pushed_request_required.app_error", "invalid_request", 400)
    request_uri = push(provider, app)["request_uri"]
    assert provider.begin_authorization(user, by_reference(app, request_uri)).kind == "consent"
    assert query_of(provider.decide(user, by_reference(app, request_uri), True).redirect_url)["code"]


def test_the_server_setting_requires_pushed_requests_of_every_app(store, clock, confidential_app, user):
    strict = OAuthProvider(store, clock, Settings(site_url="https://mm.example.com",
                                                  require_pushed_authorization_requests=True))
    try:
        assert app_error_of(strict.begin_authorization, user, plain(confidential_app)).id == \
            "api.oauth.authorize.pushed_request_required.app_error"
        request_uri = push(strict, confidential_app)["request_uri"]
        assert strict.begin_authorization(user, by_reference(confidential_app, request_uri)).kind == "consent"
    finally:
        strict.close()


def test_a_request_object_at_the_authorization_endpoint_is_request_not_supported(provider, confidential_app, user):
    outcome = provider.begin_authorization(user, dataclasses.replace(plain(confidential_app), request="a.b.c"))
    assert query_of(outcome.redirect_url)["error"] == "request_not_supported"


def test_pushing_and_using_are_audited(provider, store, confidential_app, user, admin):
    request_uri = push(provider, confidential_app)["request_uri"]
    provider.begin_authorization(user, by_reference(confidential_app, request_uri))
    provider.decide(user, by_reference(confidential_app, request_uri), allow=True)
    app_error_of(provider.decide, user, by_reference(confidential_app, request_uri), True)
    provider.close()
    types = [event.type for event in store.list_audit_events(0, 50)]
    assert {"pushed_request_created", "pushed_request_used", "pushed_request_refused"} <= set(types)


def test_the_par_endpoint_is_under_the_clients_rate_limit(store, clock, confidential_app):
    """RFC 9126 section 2.3: 429 when a client pushes more than the server allows."""
    limited = OAuthProvider(store, clock, Settings(site_url="https://mm.example.com",
                                                   rate_limit_per_client_per_minute=2))
    try:
        push(limited, confidential_app)
        push(limited, confidential_app)
        error = app_error_of(push, limited, confidential_app)
        assert (error.status, error.id) == (429, "api.oauth.rate_limited.app_error") and error.retry_after > 0
    finally:
        limited.close()
