"""The token endpoint (Token = POST /oauth/access_token), bearer validation (ValidateToken), revocation
(RevokeAccessToken, RevokeUser) over gRPC against the launched plugin: Mattermost's web tests TestOAuthAccessToken
and TestGetAccessToken, the app tests TestGetOAuthAccessTokenForCodeFlow, TestDeactivatedUserOAuthApp and
TestOAuthRevokeAccessToken, the store's access/auth-data tests (section 5.5) and the sample client of 5.10.

Time cannot be moved inside another process. Where Mattermost's tests save an already expired row (an AuthData
with ExpiresIn -1), these tests age the stored row in the plugin's SQLite file instead; the exact boundaries (a
code is good for 600 s, a token for SessionLengthSSOInHours) are checked with a fake clock in
tests/oauth/test_provider_token.py (test_code_is_valid_for_600_seconds, test_expired_code_fails,
test_access_token_lifetime_follows_the_session_length_setting, test_unused_refresh_token_expires_...).
"""
from __future__ import annotations

import hashlib
import json
import time

import pytest

from oauthplugin.v1 import authorize_pb2, common_pb2, token_pb2
from tests.rpc.flows import (
    BAD_CREDENTIALS,
    CALLBACK,
    CHALLENGE,
    CLIENT_ID_MISMATCH,
    EXPIRED_CODE,
    FORM,
    INVALID_REFRESH,
    REDIRECT_MISMATCH,
    VERIFIER,
    Outcome,
    admin,
    client_form,
    db_execute,
    db_rows,
    expect_error,
    new_id,
    ok,
    pkce_pair,
    plain_user,
    query_of,
)

PKCE = dict(code_challenge=CHALLENGE, code_challenge_method="S256")


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


# --- TestOAuthAccessToken ----------------------------------------------------------------------------------------

def test_failing_token_requests_have_mattermosts_errors_and_do_not_spend_the_code(shared):
    """Ports web TestOAuthAccessToken: grant "junk" -> 400; these fail: empty client_id, "junk" client_id, empty
    secret, "junk" secret, empty code, "junk" code; refresh with an empty refresh token -> error. Each has
    Mattermost's id, status and the RFC 6749 code; none of them spends the code, which then exchanges."""
    app = shared.create_app()
    code = shared.code_for(plain_user(), app)
    cases = [
        (dict(grant_type="junk"), "api.oauth.get_access_token.bad_grant.app_error", 400, "unsupported_grant_type"),
        (dict(client_id=""), "api.oauth.get_access_token.bad_client_id.app_error", 400, "invalid_client"),
        (dict(client_id="junk"), "api.oauth.get_access_token.bad_client_id.app_error", 400, "invalid_client"),
        (dict(client_id=new_id()), "api.oauth.get_access_token.credentials.app_error", 404, "invalid_client"),
        (dict(client_secret=""), BAD_CREDENTIALS, 401, "invalid_client"),
        (dict(client_secret="junk"), BAD_CREDENTIALS, 401, "invalid_client"),
        (dict(code=""), "api.oauth.get_access_token.missing_code.app_error", 400, "invalid_request"),
        (dict(code="junk"), EXPIRED_CODE, 400, "invalid_grant"),
        (dict(grant_type="refresh_token", refresh_token=""),
         "api.oauth.get_access_token.missing_refresh_token.app_error", 400, "invalid_request"),
    ]
    for fields, error_id, status, oauth_error in cases:
        expect_error(shared.exchange(app, **{"code": code, **fields}), error_id, status, oauth_error)
    assert ok(shared.exchange(app, code)).access_token


def test_redirect_uri_junk_fails(shared):
    """Ports web TestOAuthAccessToken: redirect_uri "junk" -> 400 api.oauth.get_access_token.redirect_uri (the
    code is then spent: a deliberate difference, see test_differences_rpc.py)."""
    app = shared.create_app()
    code = shared.code_for(plain_user(), app)
    expect_error(shared.exchange(app, code, redirect_uri="junk"), REDIRECT_MISMATCH, 400, "invalid_grant")


def test_valid_exchange_gives_bearer_tokens_that_the_host_accepts(shared):
    """Ports web TestOAuthAccessToken: a valid exchange -> access and refresh tokens, type `bearer`; the token
    authenticates (GET /api/v4/oauth_test 200 = ValidateToken); no token or "badtoken" -> error. Also store
    SaveAuthData / GetAuthData (the code saved at consent is found at exchange), SaveAccessData and GetAccessData
    (an invalid token -> error)."""
    app = shared.create_app()
    user = plain_user()
    tokens = ok(shared.exchange(app, shared.code_for(user, app)))
    assert tokens.token_type == "bearer" and tokens.access_token and tokens.refresh_token
    assert tokens.access_token != tokens.refresh_token and tokens.id_token == ""
    assert tokens.expires_in == 720 * 3600 and tokens.audience == ""
    info = ok(shared.validate(tokens.access_token))
    assert (info.user_id, info.client_id, info.scope, info.audience) == (user.user_id, app.id, "user", "")
    assert abs(info.expires_at - (time.time() + 720 * 3600) * 1000) < 60_000 and info.grant_id
    for bad in ("", "badtoken", tokens.refresh_token):
        assert not shared.works(bad)


def test_reusing_a_code_fails(shared):
    """Ports web TestOAuthAccessToken: re-using the code -> error (400 expired_code, invalid_grant). Also store
    RemoveAuthData: a consumed code is no longer found."""
    app = shared.create_app()
    code = shared.code_for(plain_user(), app)
    ok(shared.exchange(app, code))
    expect_error(shared.exchange(app, code), EXPIRED_CODE, 400, "invalid_grant")


def test_refresh_gives_new_tokens_that_work_and_can_refresh_again(shared):
    """Ports web TestOAuthAccessToken: refresh -> a new access token and a refresh token different from the old
    one; the new token works; a second refresh with the new refresh token -> ok. Also store
    OAuthUpdateAccessData (the refresh token is changed) and GetAccessDataByRefreshToken (by the refresh token
    -> ok; by the access token -> error)."""
    app = shared.create_app()
    user = plain_user()
    first = shared.tokens(user, app)
    expect_error(shared.refresh(app, first.access_token), INVALID_REFRESH, 404, "invalid_grant")
    second = ok(shared.refresh(app, first.refresh_token))
    assert second.access_token != first.access_token and second.refresh_token != first.refresh_token
    assert second.token_type == "bearer" and second.expires_in == 720 * 3600
    assert ok(shared.validate(second.access_token)).user_id == user.user_id
    third = ok(shared.refresh(app, second.refresh_token))
    assert shared.works(third.access_token) and third.refresh_token not in (first.refresh_token,
                                                                            second.refresh_token)


def test_an_expired_code_is_403(plugin, client):
    """Ports web TestOAuthAccessToken (an AuthData saved with ExpiresIn -1 -> the exchange fails) and section 3.5
    step 8 (expired -> 403 expired_code). The code is stored with Mattermost's 600 s lifetime; the test ages it
    by 601 s in the database (the 600 s boundary itself: tests/oauth, test_code_is_valid_for_600_seconds)."""
    app = client.create_app()
    code = client.code_for(plain_user(), app)
    assert db_rows(plugin, "SELECT expires_in, expires_at - create_at FROM oauth_codes WHERE code_hash = ?",
                   (sha256(code),)) == [(600, 600_000)]
    aged = db_execute(plugin, "UPDATE oauth_codes SET create_at = create_at - 601000,"
                              " expires_at = expires_at - 601000 WHERE code_hash = ?", (sha256(code),))
    assert aged == 1
    expect_error(client.exchange(app, code), EXPIRED_CODE, 403, "invalid_grant")


def test_a_code_still_in_its_lifetime_exchanges(plugin, client):
    """Ports web TestOAuthAccessToken's expiry case from the other side (the counterpart of
    test_an_expired_code_is_403): a code aged to 590 s of its 600 s lifetime still exchanges."""
    app = client.create_app()
    code = client.code_for(plain_user(), app)
    db_execute(plugin, "UPDATE oauth_codes SET create_at = create_at - 590000, expires_at = expires_at - 590000"
                       " WHERE code_hash = ?", (sha256(code),))
    assert ok(client.exchange(app, code)).access_token


def test_token_endpoint_is_501_while_the_provider_is_off_after_the_parameter_checks(plugin, client):
    """Ports web TestOAuthAccessToken (SP off: any request fails) and section 3.5 step 4: 501
    api.oauth.get_access_token.disabled, which comes after the grant and client_id checks."""
    app = client.create_app()
    user = plain_user()
    code = client.code_for(user, app)
    tokens = client.tokens(user, app)
    plugin.configure(EnableOAuthServiceProvider=False)
    expect_error(client.exchange(app, code), "api.oauth.get_access_token.disabled.app_error", 501)
    expect_error(client.refresh(app, tokens.refresh_token), "api.oauth.get_access_token.disabled.app_error", 501)
    expect_error(client.exchange(app, code, grant_type="junk"), "api.oauth.get_access_token.bad_grant.app_error", 400)
    expect_error(client.exchange(app, code, client_id="junk"), "api.oauth.get_access_token.bad_client_id.app_error",
                 400)


# --- TestGetOAuthAccessTokenForCodeFlow / TestGetAccessToken -----------------------------------------------------

def test_public_client_with_pkce_gets_a_token_and_no_refresh_token(shared):
    """Ports app TestGetOAuthAccessTokenForCodeFlow/PublicClient_WithPKCE_Success and web
    TestGetAccessToken/PublicClient_NoClientSecret: no secret, a code_verifier -> a bearer token and an empty
    refresh_token."""
    app = shared.create_app(is_public=True)
    verifier, challenge = pkce_pair()
    code = shared.code_for(plain_user(), app, code_challenge=challenge, code_challenge_method="S256")
    tokens = ok(shared.exchange(app, code, client_secret="", code_verifier=verifier))
    assert tokens.token_type == "bearer" and tokens.access_token and tokens.refresh_token == ""
    assert shared.works(tokens.access_token)


def test_public_client_token_rules(shared):
    """Ports app TestGetOAuthAccessTokenForCodeFlow/PublicClient_WithoutPKCE_ShouldFail (no verifier ->
    pkce_required) and PublicClient_NoRefreshToken (refresh grant -> public_client_refresh_token), and model
    ValidateForGrantType (a secret from a public client -> public_client_secret); all 400."""
    app = shared.create_app(is_public=True)
    code = shared.code_for(plain_user(), app, **PKCE)
    expect_error(shared.exchange(app, code), "model.oauth.validate_grant.pkce_required.app_error", 400)
    expect_error(shared.exchange(app, code, client_secret="secret", code_verifier=VERIFIER),
                 "model.oauth.validate_grant.public_client_secret.app_error", 400)
    expect_error(shared.refresh(app, "anything"), "model.oauth.validate_grant.public_client_refresh_token.app_error",
                 400)
    assert ok(shared.exchange(app, code, code_verifier=VERIFIER)).access_token, "client checks spend no code"


def test_confidential_client_with_or_without_pkce_gets_both_tokens(shared):
    """Ports app TestGetOAuthAccessTokenForCodeFlow/ConfidentialClient_WithPKCE_Success and
    ConfidentialClient_WithoutPKCE_Success: a token and a refresh token either way."""
    app = shared.create_app()
    with_pkce = ok(shared.exchange(app, shared.code_for(plain_user(), app, **PKCE), code_verifier=VERIFIER))
    without = ok(shared.exchange(app, shared.code_for(plain_user(), app)))
    for tokens in (with_pkce, without):
        assert tokens.access_token and tokens.refresh_token and shared.works(tokens.access_token)


def test_pkce_is_enforced_for_a_confidential_client_that_used_it(shared):
    """Ports app TestGetOAuthAccessTokenForCodeFlow/ConfidentialClient_PKCEEnforcement: a challenge at
    authorization and no verifier at the token endpoint -> an error whose id contains pkce; also a wrong
    verifier (verification_failed) and a verifier when no challenge was sent (not_used_in_auth), section 1.4."""
    app = shared.create_app()
    expect_error(shared.exchange(app, shared.code_for(plain_user(), app, **PKCE)),
                 "model.authorize.validate_pkce.verifier_required.app_error", 400)
    expect_error(shared.exchange(app, shared.code_for(plain_user(), app, **PKCE), code_verifier="x" * 43),
                 "model.authorize.validate_pkce.verification_failed.app_error", 400)
    expect_error(shared.exchange(app, shared.code_for(plain_user(), app), code_verifier=VERIFIER),
                 "model.authorize.validate_pkce.not_used_in_auth.app_error", 400)


@pytest.mark.parametrize("verifier", [
    "short", "a" * 129, "invalid@characters#here!", "x" * 43, "é" * 43, VERIFIER[:-1] + "\u0000", VERIFIER + "a",
])
@pytest.mark.parametrize("public", [True, False], ids=["public", "confidential"])
def test_a_verifier_that_does_not_match_the_challenge_fails(shared, verifier, public):
    """Ports model TestAuthDataVerifyPKCE (S256 with the RFC 7636 vector -> true; a wrong verifier, "short",
    129 x "a", "invalid@characters#here!" -> false) at the token endpoint: 400 verification_failed for public and
    confidential clients, and malformed or non-ASCII verifiers are refused the same way (never a 500)."""
    app = shared.create_app(is_public=public)
    code = shared.code_for(plain_user(), app, **PKCE)
    expect_error(shared.exchange(app, code, code_verifier=verifier),
                 "model.authorize.validate_pkce.verification_failed.app_error", 400, "invalid_grant")
    good = shared.code_for(plain_user(), app, **PKCE)
    assert ok(shared.exchange(app, good, code_verifier=VERIFIER)).access_token


def test_resource_at_the_token_endpoint(shared):
    """Ports app TestGetOAuthAccessTokenForCodeFlow/ResourceParameterValidation ("invalid-resource-uri" and a
    #fragment -> an error whose id contains resource) and section 3.5 step 14 (a resource equal to the code's
    -> that audience; a different one -> resource_mismatch; a resource when the code had none -> the
    audience)."""
    app = shared.create_app()
    resource = "https://api.example.com"
    expect_error(shared.exchange(app, shared.code_for(plain_user(), app), resource="invalid-resource-uri"),
                 "model.authorize.is_valid.resource.not_absolute.app_error", 400, "invalid_target")
    expect_error(shared.exchange(app, shared.code_for(plain_user(), app), resource=resource + "/#fragment"),
                 "model.authorize.is_valid.resource.has_fragment.app_error", 400, "invalid_target")
    bound = shared.code_for(plain_user(), app, resource=resource)
    expect_error(shared.exchange(app, bound, resource="https://other.example.com"),
                 "api.oauth.get_access_token.resource_mismatch.app_error", 400, "invalid_target")
    assert ok(shared.exchange(app, shared.code_for(plain_user(), app, resource=resource),
                              resource=resource)).audience == resource
    assert ok(shared.exchange(app, shared.code_for(plain_user(), app), resource=resource)).audience == resource


def test_refresh_keeps_or_checks_the_audience(shared):
    """Ports app TestGetOAuthAccessTokenForCodeFlow/RefreshTokenWithResource: refresh with the matching resource
    -> the audience is kept; with a different resource -> resource_mismatch; without one -> kept."""
    app = shared.create_app()
    resource = "https://api.example.com"
    tokens = shared.tokens(plain_user(), app, authorize=dict(resource=resource))
    expect_error(shared.refresh(app, tokens.refresh_token, resource="https://other.example.com"),
                 "api.oauth.get_access_token.resource_mismatch.app_error", 400, "invalid_target")
    same = ok(shared.refresh(app, tokens.refresh_token, resource=resource))
    assert same.audience == resource and ok(shared.validate(same.access_token)).audience == resource
    kept = ok(shared.refresh(app, same.refresh_token))
    assert kept.audience == resource and ok(shared.validate(kept.access_token)).audience == resource


def test_another_client_cannot_redeem_a_code(shared):
    """Ports app TestGetOAuthAccessTokenForCodeFlow/DifferentClient_CannotRedeemCode: app B redeems app A's code
    with B's own valid secret -> 400 client_id_mismatch (invalid_grant)."""
    a, b = shared.create_app(), shared.create_app()
    code = shared.code_for(plain_user(), a)
    expect_error(shared.exchange(b, code), CLIENT_ID_MISMATCH, 400, "invalid_grant")


def test_another_client_cannot_use_a_refresh_token(shared):
    """Ports app TestGetOAuthAccessTokenForCodeFlow/DifferentClient_CannotUseRefreshToken: app B uses A's refresh
    token -> 400 client_id_mismatch; A's refresh token still works for A."""
    a, b = shared.create_app(), shared.create_app()
    tokens = shared.tokens(plain_user(), a)
    expect_error(shared.refresh(b, tokens.refresh_token), CLIENT_ID_MISMATCH, 400, "invalid_grant")
    assert ok(shared.refresh(a, tokens.refresh_token)).access_token


# --- lifetimes ----------------------------------------------------------------------------------------------------

def test_token_lifetime_follows_session_length_sso_in_hours(plugin, client):
    """Ports section 1.7/4 (the token lives SessionLengthSSOInHours; expires_in = hours * 3600), with the setting
    changed through OnConfigurationChange."""
    plugin.configure(SessionLengthSSOInHours=2)
    app = client.create_app()
    tokens = client.tokens(plain_user(), app)
    assert tokens.expires_in == 7200
    assert abs(ok(client.validate(tokens.access_token)).expires_at - (time.time() + 7200) * 1000) < 60_000
    assert ok(client.refresh(app, tokens.refresh_token)).expires_in == 7200


def test_an_expired_access_token_stops_working_and_refresh_still_works(plugin, client):
    """Ports section 3.6 (refresh works even after the access token has expired) and the session expiry of 3.7:
    the access token row is aged past its expiry in the database."""
    app = client.create_app()
    tokens = client.tokens(plain_user(), app)
    assert db_execute(plugin, "UPDATE oauth_access_tokens SET expires_at = ? WHERE token_hash = ?",
                      (int(time.time() * 1000) - 1000, sha256(tokens.access_token))) == 1
    assert not client.works(tokens.access_token)
    assert client.works(ok(client.refresh(app, tokens.refresh_token)).access_token)


# --- revocation ---------------------------------------------------------------------------------------------------

def test_deactivated_user_cannot_exchange_a_code(shared):
    """Ports app TestDeactivatedUserOAuthApp: a code is issued, the user is deactivated (the host calls
    RevokeUser), the exchange -> 400 api.oauth.get_access_token.expired_code. Also store RemoveAuthDataByUser and
    RemoveAllAccessData: the user's codes, tokens, refresh tokens and consents are gone; other users keep
    theirs."""
    app = shared.create_app()
    user, other = plain_user(), plain_user()
    code = shared.code_for(user, app)
    earlier, theirs = shared.tokens(user, app), shared.tokens(other, app)
    ok(shared.rpc.RevokeUser(token_pb2.RevokeUserRequest(user_id=user.user_id)))
    expect_error(shared.exchange(app, code), EXPIRED_CODE, 400, "invalid_grant")
    assert not shared.works(earlier.access_token)
    expect_error(shared.refresh(app, earlier.refresh_token), INVALID_REFRESH, 404)
    assert ok(shared.begin(user, app)).outcome == Outcome.CONSENT
    assert shared.works(theirs.access_token)


def test_revoking_an_access_token_ends_its_grant_only(shared):
    """Ports section 3.7 self-revocation (logout with the token deletes the session and its AccessData, so the
    refresh token dies too) and store RemoveAccessData. The user's other grants survive."""
    app = shared.create_app()
    user = plain_user()
    first, second = shared.tokens(user, app), shared.tokens(user, app)
    ok(shared.rpc.RevokeAccessToken(token_pb2.RevokeAccessTokenRequest(token=first.access_token)))
    assert not shared.works(first.access_token)
    expect_error(shared.refresh(app, first.refresh_token), INVALID_REFRESH, 404)
    assert shared.works(second.access_token)


def test_revoking_a_token_the_plugin_did_not_issue_revokes_nothing(shared):
    """Ports app TestOAuthRevokeAccessToken (revoking a normal, non-OAuth session token -> error 400 in
    Mattermost, after it already deleted that session: weakness 6.13). Login sessions belong to the host, not
    the plugin: revoking such a token (or a refresh token, or garbage) changes nothing here, and the user's OAuth
    tokens keep working. The plugin answers without an error rather than Mattermost's 400."""
    app = shared.create_app()
    tokens = shared.tokens(plain_user(), app)
    for token in (new_id(), tokens.refresh_token, ""):
        ok(shared.rpc.RevokeAccessToken(token_pb2.RevokeAccessTokenRequest(token=token)))
    assert shared.works(tokens.access_token)
    assert ok(shared.refresh(app, tokens.refresh_token)).access_token


# --- the sample client (section 5.10) ------------------------------------------------------------------------------

def test_sample_client_flow_without_state_or_scope(shared):
    """Ports the black-box sample client enahum/mattermost-oauth2-client-sample: authorize with response_type,
    redirect_uri and client_id only (no state, no scope) -> the redirect echoes an empty `state=`; the exchange
    with grant_type, code, redirect_uri, client_id, client_secret gives access and refresh tokens that
    authenticate as the user (its GET /api/v4/users/me)."""
    app = shared.create_app(admin(), is_trusted=True)
    user = plain_user()
    begun = ok(shared.begin(user, request=authorize_pb2.AuthorizeRequest(
        response_type="code", client_id=app.id, redirect_uri=CALLBACK)))
    assert begun.outcome == Outcome.REDIRECT and "state=" in begun.redirect_url
    params = query_of(begun.redirect_url)
    assert params["state"] == ""
    tokens = ok(shared.exchange(app, params["code"]))
    assert tokens.access_token and tokens.refresh_token
    assert ok(shared.validate(tokens.access_token)).user_id == user.user_id


# --- what the host must drop from its token cache (the cache_effect of Token and Revoke) -------------------------

def test_answers_name_the_client_whose_kept_tokens_may_have_ended(shared):
    """Token and Revoke declare that the host drops its kept tokens of the client their answer names: a refresh
    (the previous access token ends), a replayed code (its tokens are revoked) and a revocation name it; a code
    exchange that succeeded and a request refused before any client was read name none; introspection never."""
    app = shared.create_app()
    exchange = dict(grant_type="authorization_code", code=shared.code_for(plain_user(), app), redirect_uri=CALLBACK,
                    client_id=app.id, client_secret=app.client_secret)
    exchanged = shared.rpc.Token(client_form(**exchange))
    assert (exchanged.status, exchanged.revoked_client_id) == (200, "")
    replayed = shared.rpc.Token(client_form(**exchange))
    assert (replayed.status, replayed.revoked_client_id) == (400, app.id)
    tokens = ok(shared.tokens(plain_user(), app))
    refreshed = shared.rpc.Token(client_form(grant_type="refresh_token", refresh_token=tokens.refresh_token,
                                             client_id=app.id, client_secret=app.client_secret))
    assert (refreshed.status, refreshed.revoked_client_id) == (200, app.id)
    repeated = shared.rpc.Token(common_pb2.ClientHttpRequest(content_type=FORM, body=b"code=a&code=b"))
    assert (repeated.status, repeated.revoked_client_id) == (400, "")
    fields = dict(token=json.loads(refreshed.body_json)["access_token"], client_id=app.id,
                  client_secret=app.client_secret)
    assert shared.rpc.Introspect(client_form(**fields)).revoked_client_id == ""
    revoked = shared.rpc.Revoke(client_form(**fields))
    assert (revoked.status, revoked.revoked_client_id) == (200, app.id)
