"""The token endpoint and bearer validation, with the real SqliteStore and a FakeClock."""
from __future__ import annotations

import dataclasses
import sqlite3
import threading

import pytest

from plugin.oauth import AppError, TokenRequest
from plugin.oauth.ids import new_id
from plugin.store.contract import StoreError

from .conftest import CALLBACK, CHALLENGE, VERIFIER, app_error_of, app_request, expect_error

EXPIRED_CODE = "api.oauth.get_access_token.expired_code.app_error"
INVALID_REFRESH = "api.oauth.get_access_token.refresh_token.app_error"
SESSION_EXPIRED = "api.context.session_expired.app_error"


def token_request(app, **fields) -> TokenRequest:
    values = dict(grant_type="authorization_code", code="x", redirect_uri=CALLBACK, client_id=app.id,
                  client_secret=app.client_secret)
    values.update(fields)
    return TokenRequest(**values)


# --- request checks (TestOAuthAccessToken) ---------------------------------------------------------------------

def test_request_checks_in_order(provider, flow, user, confidential_app):
    """Port of TestOAuthAccessToken's failing requests."""
    code = flow.code_for(user, confidential_app)
    app = confidential_app
    cases = [
        (dict(grant_type="junk"), "api.oauth.get_access_token.bad_grant.app_error", 400, "unsupported_grant_type"),
        (dict(client_id=""), "api.oauth.get_access_token.bad_client_id.app_error", 400, "invalid_client"),
        (dict(client_id="junk"), "api.oauth.get_access_token.bad_client_id.app_error", 400, "invalid_client"),
        (dict(client_id=new_id()), "api.oauth.get_access_token.credentials.app_error", 404, "invalid_client"),
        (dict(client_secret=""), "model.oauth.validate_grant.credentials.app_error", 401, "invalid_client"),
        (dict(client_secret="junk"), "model.oauth.validate_grant.credentials.app_error", 401, "invalid_client"),
        (dict(code=""), "api.oauth.get_access_token.missing_code.app_error", 400, "invalid_request"),
        (dict(code="junk"), EXPIRED_CODE, 400, "invalid_grant"),
        (dict(grant_type="refresh_token", refresh_token=""),
         "api.oauth.get_access_token.missing_refresh_token.app_error", 400, "invalid_request"),
    ]
    for fields, error_id, status, oauth_error in cases:
        error = app_error_of(provider.token, token_request(app, code=code, **fields) if "code" not in fields
                             else token_request(app, **fields))
        assert (error.id, error.status, error.oauth_error) == (error_id, status, oauth_error), fields
    expect_error("api.oauth.get_access_token.bad_request.app_error", 400, provider.token, None)
    # None of these spent the code.
    assert flow.exchange(app, code).access_token


def test_provider_off_fails_after_the_parameter_checks(provider, confidential_app):
    provider.configure(dataclasses.replace(provider.settings, enable_oauth_service_provider=False))
    expect_error("api.oauth.get_access_token.bad_grant.app_error", 400, provider.token,
                 token_request(confidential_app, grant_type="junk"))
    expect_error("api.oauth.get_access_token.disabled.app_error", 501, provider.token, token_request(confidential_app))


def test_valid_exchange_returns_working_tokens(provider, flow, user, confidential_app):
    """Port of TestOAuthAccessToken (valid exchange, token works, bad tokens fail)."""
    response = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    assert response.token_type == "bearer"
    assert response.access_token and response.refresh_token and response.access_token != response.refresh_token
    assert response.expires_in == 720 * 3600 and response.scope == "user" and response.id_token == ""
    info = provider.validate_token(response.access_token)
    assert (info.user_id, info.client_id, info.scope, info.audience) == (user.user_id, confidential_app.id, "user", "")
    expect_error(SESSION_EXPIRED, 401, provider.validate_token, "")
    expect_error(SESSION_EXPIRED, 401, provider.validate_token, "badtoken")
    expect_error(SESSION_EXPIRED, 401, provider.validate_token, response.refresh_token)


def test_only_hashes_of_secrets_codes_and_tokens_reach_the_database(provider, flow, user, confidential_app, tmp_path,
                                                                   store):
    code = flow.code_for(user, confidential_app)
    first = flow.exchange(confidential_app, code)
    second = flow.refresh(confidential_app, first.refresh_token)
    secrets_in_clear = [confidential_app.client_secret, code, first.access_token, first.refresh_token,
                        second.access_token, second.refresh_token]
    connection = sqlite3.connect(str(tmp_path / "oauth.db"))
    try:
        tables = [row[0] for row in connection.execute("SELECT name FROM sqlite_master WHERE type='table'")]
        dump = "\n".join(str(row) for table in tables for row in connection.execute(f"SELECT * FROM {table}"))
    finally:
        connection.close()
    assert dump
    for value in secrets_in_clear:
        assert value not in dump


# --- codes ----------------------------------------------------------------------------------------------------

def test_code_reuse_fails_and_revokes_tokens_issued_from_it(provider, flow, user, confidential_app):
    """Port of TestOAuthAccessToken (re-using the code fails), plus RFC 6749 §4.1.2 revocation."""
    code = flow.code_for(user, confidential_app)
    tokens = flow.exchange(confidential_app, code)
    expect_error(EXPIRED_CODE, 400, flow.exchange, confidential_app, code)
    expect_error(SESSION_EXPIRED, 401, provider.validate_token, tokens.access_token)
    expect_error(INVALID_REFRESH, 404, flow.refresh, confidential_app, tokens.refresh_token)


def test_code_replay_by_another_client_revokes_nothing(provider, flow, user, admin, confidential_app):
    other = provider.create_app(admin, app_request())
    code = flow.code_for(user, confidential_app)
    tokens = flow.exchange(confidential_app, code)
    expect_error(EXPIRED_CODE, 400, flow.exchange, other, code, client_id=other.id,
                 client_secret=other.client_secret)
    assert provider.validate_token(tokens.access_token)


def test_expired_code_fails(provider, flow, clock, user, confidential_app):
    """Port of TestOAuthAccessToken (an expired AuthData fails)."""
    code = flow.code_for(user, confidential_app)
    clock.advance(600.001)
    error = expect_error(EXPIRED_CODE, 403, flow.exchange, confidential_app, code)
    assert error.oauth_error == "invalid_grant"


def test_code_is_valid_for_600_seconds(flow, clock, user, confidential_app):
    code = flow.code_for(user, confidential_app)
    clock.advance(600)
    assert flow.exchange(confidential_app, code).access_token


def test_another_client_cannot_redeem_a_code_and_does_not_burn_it(provider, flow, user, admin, confidential_app):
    """Port of TestGetOAuthAccessTokenForCodeFlow/DifferentClient_CannotRedeemCode."""
    other = provider.create_app(admin, app_request())
    code = flow.code_for(user, confidential_app)
    error = expect_error("api.oauth.get_access_token.client_id_mismatch.app_error", 400, flow.exchange, other, code,
                         client_id=other.id, client_secret=other.client_secret)
    assert error.oauth_error == "invalid_grant"
    assert flow.exchange(confidential_app, code).access_token


@pytest.mark.parametrize(
    "bad_fields, error_id",
    [
        (dict(redirect_uri="junk"), "api.oauth.get_access_token.redirect_uri.app_error"),
        (dict(redirect_uri=""), "api.oauth.get_access_token.redirect_uri.app_error"),
        (dict(redirect_uri="https://client.example.com/other"), "api.oauth.get_access_token.redirect_uri.app_error"),
        (dict(code_verifier="x" * 43), "model.authorize.validate_pkce.verification_failed.app_error"),
        (dict(code_verifier=""), "model.authorize.validate_pkce.verifier_required.app_error"),
        (dict(resource="not-a-uri"), "model.authorize.is_valid.resource.not_absolute.app_error"),
    ],
)
def test_failed_exchange_by_the_codes_own_client_burns_it(flow, user, confidential_app, bad_fields, error_id):
    code = flow.code_for(user, confidential_app, code_challenge=CHALLENGE, code_challenge_method="S256")
    fields = {"code_verifier": VERIFIER, **bad_fields}
    expect_error(error_id, 400, flow.exchange, confidential_app, code, **fields)
    expect_error(EXPIRED_CODE, 400, flow.exchange, confidential_app, code, code_verifier=VERIFIER)


def test_each_code_exchange_issues_fresh_tokens(provider, flow, user, confidential_app):
    """Mattermost returns the same token pair while one is alive; here every grant is separate."""
    first = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    second = flow.exchange(confidential_app, flow.code_for(user, confidential_app, resource="https://api.example.com"))
    assert first.access_token != second.access_token and first.refresh_token != second.refresh_token
    assert second.audience == "https://api.example.com" and first.audience == ""
    assert provider.validate_token(first.access_token).grant_id != provider.validate_token(second.access_token).grant_id


def test_exactly_one_of_concurrent_exchanges_of_a_code_wins(provider, flow, user, confidential_app):
    for _ in range(5):
        code = flow.code_for(user, confidential_app)
        barrier = threading.Barrier(4)
        results: list[object] = []

        def attempt():
            barrier.wait()
            try:
                results.append(flow.exchange(confidential_app, code))
            except AppError as error:
                results.append(error)

        threads = [threading.Thread(target=attempt) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        winners = [r for r in results if not isinstance(r, AppError)]
        assert len(winners) == 1, results
        assert all(r.id == EXPIRED_CODE for r in results if isinstance(r, AppError))


def test_pending_code_for_a_removed_callback_cannot_be_exchanged(provider, flow, admin, user, confidential_app):
    code = flow.code_for(user, confidential_app)
    updated = dataclasses.replace(confidential_app, callback_urls=["https://client.example.com/other"])
    provider.update_app(admin, confidential_app.id, updated)
    expect_error("api.oauth.get_access_token.redirect_uri.app_error", 400, flow.exchange, confidential_app, code)


def test_deactivated_user_cannot_exchange_a_code(provider, flow, user, confidential_app):
    """Port of TestDeactivatedUserOAuthApp: 400 expired_code after the host revokes the user."""
    code = flow.code_for(user, confidential_app)
    earlier = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    provider.revoke_user(user.user_id)
    expect_error(EXPIRED_CODE, 400, flow.exchange, confidential_app, code)
    expect_error(SESSION_EXPIRED, 401, provider.validate_token, earlier.access_token)
    expect_error(INVALID_REFRESH, 404, flow.refresh, confidential_app, earlier.refresh_token)


def test_deleting_the_app_ends_its_tokens(provider, flow, admin, user, confidential_app):
    """Port of TestOAuthDeleteApp and Cypress MM-T655."""
    tokens = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    provider.delete_app(admin, confidential_app.id)
    expect_error(SESSION_EXPIRED, 401, provider.validate_token, tokens.access_token)
    expect_error("api.oauth.get_access_token.credentials.app_error", 404, flow.refresh, confidential_app,
                 tokens.refresh_token)


# --- PKCE and public clients (TestGetOAuthAccessTokenForCodeFlow) -------------------------------------------

def test_public_client_with_pkce_gets_a_token_and_no_refresh_token(provider, flow, user, public_app):
    """Ports of PublicClient_WithPKCE_Success and web TestGetAccessToken/PublicClient_NoClientSecret."""
    response = flow.exchange(public_app, flow.code_for(user, public_app))
    assert response.access_token and response.token_type == "bearer"
    assert response.refresh_token == "" and response.to_json()["refresh_token"] == ""


def test_public_client_cannot_refresh(provider, public_app):
    """Port of PublicClient_NoRefreshToken."""
    error = expect_error("model.oauth.validate_grant.public_client_refresh_token.app_error", 400, provider.token,
                         TokenRequest(grant_type="refresh_token", refresh_token="x", client_id=public_app.id))
    assert "public_client_refresh_token.app_error" in error.id


def test_public_client_must_send_a_verifier(flow, user, public_app):
    code = flow.code_for(user, public_app)
    expect_error("model.oauth.validate_grant.pkce_required.app_error", 400, flow.exchange, public_app, code,
                 code_verifier="")
    assert flow.exchange(public_app, code).access_token


def test_confidential_client_with_pkce_gets_both_tokens(flow, user, confidential_app):
    """Port of ConfidentialClient_WithPKCE_Success."""
    code = flow.code_for(user, confidential_app, code_challenge=CHALLENGE, code_challenge_method="S256")
    response = flow.exchange(confidential_app, code, code_verifier=VERIFIER)
    assert response.access_token and response.refresh_token


def test_confidential_client_without_pkce_gets_both_tokens(flow, user, confidential_app):
    """Port of ConfidentialClient_WithoutPKCE_Success."""
    response = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    assert response.access_token and response.refresh_token


def test_challenge_at_authorization_requires_the_verifier(flow, user, confidential_app):
    """Port of ConfidentialClient_PKCEEnforcement."""
    code = flow.code_for(user, confidential_app, code_challenge=CHALLENGE, code_challenge_method="S256")
    error = expect_error("model.authorize.validate_pkce.verifier_required.app_error", 400, flow.exchange,
                         confidential_app, code)
    assert "pkce" in error.id


def test_verifier_without_challenge_is_refused(flow, user, confidential_app):
    code = flow.code_for(user, confidential_app)
    expect_error("model.authorize.validate_pkce.not_used_in_auth.app_error", 400, flow.exchange, confidential_app,
                 code, code_verifier=VERIFIER)


# --- resource indicators --------------------------------------------------------------------------------------

def test_resource_from_authorization_becomes_the_audience(provider, flow, user, confidential_app):
    """Port of WithResourceParameter_Success."""
    code = flow.code_for(user, confidential_app, resource="https://api.example.com")
    response = flow.exchange(confidential_app, code)
    assert response.audience == "https://api.example.com"
    assert provider.validate_token(response.access_token).audience == "https://api.example.com"


@pytest.mark.parametrize("resource", ["invalid-resource-uri", "https://api.example.com/v1#fragment"])
def test_invalid_resource_at_the_token_endpoint(flow, user, confidential_app, resource):
    """Port of ResourceParameterValidation."""
    error = app_error_of(flow.exchange, confidential_app, flow.code_for(user, confidential_app), resource=resource)
    assert "resource" in error.id and error.status == 400 and error.oauth_error == "invalid_target"


def test_token_resource_must_equal_the_authorized_one(flow, user, confidential_app):
    code = flow.code_for(user, confidential_app, resource="https://api.example.com")
    expect_error("api.oauth.get_access_token.resource_mismatch.app_error", 400, flow.exchange, confidential_app, code,
                 resource="https://other.example.com")
    code = flow.code_for(user, confidential_app, resource="https://api.example.com")
    assert flow.exchange(confidential_app, code, resource="https://api.example.com").audience == (
        "https://api.example.com"
    )


def test_refresh_keeps_or_checks_the_audience(flow, user, confidential_app):
    """Port of RefreshTokenWithResource."""
    tokens = flow.exchange(confidential_app, flow.code_for(user, confidential_app, resource="https://api.example.com"))
    kept = flow.refresh(confidential_app, tokens.refresh_token, resource="https://api.example.com")
    assert kept.audience == "https://api.example.com"
    assert flow.refresh(confidential_app, kept.refresh_token).audience == "https://api.example.com"


def test_refresh_with_a_different_resource_is_refused(flow, user, confidential_app):
    tokens = flow.exchange(confidential_app, flow.code_for(user, confidential_app, resource="https://api.example.com"))
    expect_error("api.oauth.get_access_token.resource_mismatch.app_error", 400, flow.refresh, confidential_app,
                 tokens.refresh_token, resource="https://other.example.com")


# --- refresh --------------------------------------------------------------------------------------------------

def test_refresh_rotates_both_tokens_and_ends_the_old_access_token_at_once(provider, flow, user, confidential_app):
    """Port of TestOAuthAccessToken (refresh gives new tokens, the new token works, refresh again)."""
    first = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    second = flow.refresh(confidential_app, first.refresh_token)
    assert second.access_token != first.access_token and second.refresh_token != first.refresh_token
    assert second.expires_in == 720 * 3600 and second.scope == "user"
    grant_id = provider.validate_token(second.access_token).grant_id
    assert provider.validate_token(second.access_token).user_id == user.user_id
    expect_error(SESSION_EXPIRED, 401, provider.validate_token, first.access_token)
    third = flow.refresh(confidential_app, second.refresh_token)
    assert provider.validate_token(third.access_token).grant_id == grant_id  # the same family


def test_refresh_token_reuse_revokes_the_whole_family(provider, flow, clock, user, confidential_app):
    first = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    second = flow.refresh(confidential_app, first.refresh_token)
    clock.advance(provider.settings.refresh_grace_seconds + 1)
    expect_error(INVALID_REFRESH, 404, flow.refresh, confidential_app, first.refresh_token)
    expect_error(SESSION_EXPIRED, 401, provider.validate_token, second.access_token)
    expect_error(INVALID_REFRESH, 404, flow.refresh, confidential_app, second.refresh_token)


def test_another_client_cannot_use_a_refresh_token(provider, flow, user, admin, confidential_app):
    """Port of DifferentClient_CannotUseRefreshToken."""
    other = provider.create_app(admin, app_request())
    tokens = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    expect_error("api.oauth.get_access_token.client_id_mismatch.app_error", 400, flow.refresh, other,
                 tokens.refresh_token)
    assert flow.refresh(confidential_app, tokens.refresh_token).access_token


def test_refresh_works_after_the_access_token_expired(provider, flow, clock, user, confidential_app):
    tokens = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    clock.advance(720 * 3600 + 1)
    expect_error(SESSION_EXPIRED, 401, provider.validate_token, tokens.access_token)
    assert provider.validate_token(flow.refresh(confidential_app, tokens.refresh_token).access_token)


def test_unused_refresh_token_expires_after_twice_the_session_length(flow, clock, user, confidential_app):
    tokens = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    clock.advance(2 * 720 * 3600)
    kept = flow.refresh(confidential_app, tokens.refresh_token)
    clock.advance(2 * 720 * 3600 + 1)
    expect_error(INVALID_REFRESH, 404, flow.refresh, confidential_app, kept.refresh_token)


def test_access_token_lifetime_follows_the_session_length_setting(provider, flow, clock, user, confidential_app):
    provider.configure(dataclasses.replace(provider.settings, session_length_sso_in_hours=1))
    tokens = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    assert tokens.expires_in == 3600
    clock.advance(3600)
    assert provider.validate_token(tokens.access_token)
    clock.advance(1)
    expect_error(SESSION_EXPIRED, 401, provider.validate_token, tokens.access_token)


def test_reuse_within_the_grace_window_gets_the_same_successor_and_revokes_nothing(
        provider, flow, clock, user, confidential_app):
    first = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    second = flow.refresh(confidential_app, first.refresh_token)
    clock.advance(provider.settings.refresh_grace_seconds - 1)
    again = flow.refresh(confidential_app, first.refresh_token)
    assert (again.access_token, again.refresh_token) == (second.access_token, second.refresh_token)
    assert provider.validate_token(second.access_token)
    assert flow.refresh(confidential_app, second.refresh_token).access_token


def test_grace_window_follows_a_successor_rotated_within_its_own_window(provider, flow, clock, user,
                                                                      confidential_app):
    first = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    second = flow.refresh(confidential_app, first.refresh_token)
    clock.advance(5)
    third = flow.refresh(confidential_app, second.refresh_token)
    late = flow.refresh(confidential_app, first.refresh_token)  # the other tab, still holding the first token
    assert late.refresh_token == third.refresh_token
    assert provider.validate_token(third.access_token)


def test_grace_window_never_returns_a_successor_revoked_since(provider, flow, user, confidential_app):
    first = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    second = flow.refresh(confidential_app, first.refresh_token)
    provider.revoke_access_token(second.access_token)
    expect_error(INVALID_REFRESH, 404, flow.refresh, confidential_app, first.refresh_token)


def test_grace_window_of_zero_makes_any_reuse_revoke_the_family(provider, flow, user, confidential_app):
    provider.configure(dataclasses.replace(provider.settings, refresh_grace_seconds=0))
    first = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    second = flow.refresh(confidential_app, first.refresh_token)
    expect_error(INVALID_REFRESH, 404, flow.refresh, confidential_app, first.refresh_token)
    expect_error(SESSION_EXPIRED, 401, provider.validate_token, second.access_token)


def test_refresh_token_dies_at_the_absolute_lifetime_even_when_used(provider, flow, clock, user, confidential_app):
    provider.configure(dataclasses.replace(provider.settings, refresh_absolute_lifetime_hours=2))
    tokens = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    for _ in range(3):
        clock.advance(1800)
        tokens = flow.refresh(confidential_app, tokens.refresh_token)
    clock.advance(1800 + 1)
    expect_error(INVALID_REFRESH, 404, flow.refresh, confidential_app, tokens.refresh_token)


def test_concurrent_refreshes_within_the_grace_window_all_get_the_one_successor(provider, flow, user,
                                                                                confidential_app):
    tokens = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    results = _refresh_concurrently(flow, confidential_app, tokens.refresh_token, 4)
    assert not [r for r in results if isinstance(r, AppError)], results
    assert len({r.access_token for r in results}) == 1
    assert provider.validate_token(results[0].access_token)


def test_concurrent_refreshes_without_a_grace_window_revoke_the_family(provider, flow, user, confidential_app):
    provider.configure(dataclasses.replace(provider.settings, refresh_grace_seconds=0))
    tokens = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    results = _refresh_concurrently(flow, confidential_app, tokens.refresh_token, 4)
    winners = [r for r in results if not isinstance(r, AppError)]
    assert len(winners) == 1, results
    expect_error(SESSION_EXPIRED, 401, provider.validate_token, winners[0].access_token)


def _refresh_concurrently(flow, app, refresh_token: str, count: int) -> list:
    barrier = threading.Barrier(count)
    results: list[object] = []

    def attempt():
        barrier.wait()
        try:
            results.append(flow.refresh(app, refresh_token))
        except AppError as error:
            results.append(error)

    threads = [threading.Thread(target=attempt) for _ in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


# --- secrets --------------------------------------------------------------------------------------------------

def test_regenerated_secret_replaces_the_old_one_and_tokens_survive(provider, flow, admin, user, confidential_app):
    """Cypress MM-T652..654: the old secret fails, the new one works; issued tokens stay valid."""
    tokens = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    renewed = provider.regenerate_secret(admin, confidential_app.id)
    expect_error("model.oauth.validate_grant.credentials.app_error", 401, flow.exchange, confidential_app,
                 flow.code_for(user, confidential_app))
    assert flow.exchange(renewed, flow.code_for(user, renewed)).access_token
    assert provider.validate_token(tokens.access_token)
    assert flow.refresh(renewed, tokens.refresh_token).access_token


# --- failures of the store ------------------------------------------------------------------------------------

def test_store_failure_while_issuing_is_a_500_without_detail_and_leaves_the_code_usable(
        flow, user, confidential_app, store, monkeypatch):
    """The exchange is one transaction: when its tokens cannot be written, the code is not spent either."""
    code = flow.code_for(user, confidential_app)

    def broken(*args, **kwargs):
        raise StoreError("disk on fire at /secret/path")

    monkeypatch.setattr(store, "_insert_issued", broken)
    error = expect_error("api.oauth.get_access_token.internal_saving.app_error", 500, flow.exchange,
                         confidential_app, code)
    assert "/secret/path" not in error.message + error.detailed_error
    monkeypatch.undo()
    assert flow.exchange(confidential_app, code).access_token
