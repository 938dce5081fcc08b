"""RFC 8628, the device authorization grant, in the domain: the device authorization endpoint, the verification
page's lookup and decision, and the token endpoint's answers while polling, against the real SQLite store and a
FakeClock."""
from __future__ import annotations

import pytest

from plugin.oauth import AppError, OAuthProvider, Settings, TokenRequest
from plugin.oauth.endpoints.device_authorization import DeviceAuthorizationRequest
from plugin.oauth.guards import Caller
from plugin.oauth.host import HostSession, HostUnavailable, NoHost
from plugin.oauth.ids import hash_secret
from plugin.oauth.rfc8628 import (GRANT_TYPE, USER_CODE_ALPHABET, display_user_code, new_user_code,
                                  normalize_user_code)

from .conftest import app_request

SITE = "https://mm.example.com"


@pytest.fixture
def settings() -> Settings:
    return Settings(site_url=SITE, enable_device_grant=True, device_code_lifetime_seconds=600,
                    device_poll_interval_seconds=5, device_user_code_attempts_per_minute=3)


@pytest.fixture
def device_app(provider, admin):
    return provider.create_app(admin, app_request(device_grant_allowed=True))


@pytest.fixture
def public_device_app(provider, admin):
    return provider.create_app(admin, app_request(device_grant_allowed=True, is_public=True))


def authorize(provider: OAuthProvider, app, scope: str = "", **fields):
    return provider.device_authorization(DeviceAuthorizationRequest(
        client_id=app.id, client_secret=app.client_secret, scope=scope, **fields), Caller(remote_addr="192.0.2.1"))


def poll(provider: OAuthProvider, app, device_code: str):
    return provider.token(TokenRequest(grant_type=GRANT_TYPE, client_id=app.id, client_secret=app.client_secret,
                                       params={"device_code": device_code}), Caller(remote_addr="192.0.2.1"))


def refused(call) -> AppError:
    with pytest.raises(AppError) as caught:
        call()
    return caught.value


# --- user codes -----------------------------------------------------------------------------------------------------

def test_user_codes_are_eight_consonants_shown_in_two_groups():
    code = new_user_code()
    assert len(code) == 8 and set(code) <= set(USER_CODE_ALPHABET)
    assert not set("AEIOUY0123456789") & set(USER_CODE_ALPHABET)
    assert display_user_code("BDWDHQPK") == "BDWD-HQPK"


@pytest.mark.parametrize("typed", ["BDWD-HQPK", "bdwd-hqpk", "bdwdhqpk", " BDWD HQPK ", "Bd-Wd-Hq-Pk"])
def test_a_typed_user_code_ignores_case_dashes_and_spaces(typed):
    assert normalize_user_code(typed) == "BDWDHQPK"


@pytest.mark.parametrize("typed", ["", "BDWD-HQP", "BDWD-HQPKX", "BDWD-HQPA", "BDWD-HQP1", "BDWD_HQPK"])
def test_what_cannot_be_a_user_code_normalizes_to_nothing(typed):
    assert normalize_user_code(typed) == ""


# --- the device authorization endpoint ------------------------------------------------------------------------------

def test_device_authorization_answers_codes_and_where_to_enter_them(provider, device_app, store):
    answer = authorize(provider, device_app, "openid")
    assert answer.verification_uri == f"{SITE}/oauth/device"
    assert answer.verification_uri_complete == f"{SITE}/oauth/device?user_code={answer.user_code}"
    assert (answer.expires_in, answer.interval) == (600, 5)
    assert len(answer.device_code) >= 43 and normalize_user_code(answer.user_code)
    # Only the hashes are kept.
    record = store.get_device_code(hash_secret(answer.device_code))
    assert record.user_code_hash == hash_secret(normalize_user_code(answer.user_code))
    assert record.scope == "openid" and record.status == "pending"


def test_a_public_client_may_ask_for_a_device_code(provider, public_device_app):
    assert authorize(provider, public_device_app).device_code


def test_an_app_not_allowed_the_grant_is_unauthorized_client(provider, admin):
    app = provider.create_app(admin, app_request())
    error = refused(lambda: authorize(provider, app))
    assert (error.status, error.oauth_error) == (400, "unauthorized_client")


def test_a_wrong_secret_is_invalid_client(provider, device_app):
    error = refused(lambda: provider.device_authorization(DeviceAuthorizationRequest(
        client_id=device_app.id, client_secret="wrong")))
    assert (error.status, error.oauth_error) == (401, "invalid_client")


def test_a_scope_the_app_may_not_ask_for_is_invalid_scope(provider, admin):
    app = provider.create_app(admin, app_request(device_grant_allowed=True, allowed_scopes=["users:read"]))
    error = refused(lambda: authorize(provider, app, "posts:write"))
    assert (error.status, error.oauth_error) == (400, "invalid_scope")


def test_with_the_setting_off_there_is_no_device_grant(provider, device_app, settings):
    provider.configure(Settings(**{**settings.__dict__, "enable_device_grant": False}))
    assert refused(lambda: authorize(provider, device_app)).status == 404
    error = refused(lambda: poll(provider, device_app, "anything"))
    assert error.oauth_error == "unsupported_grant_type"
    metadata = provider.metadata()
    assert "device_authorization_endpoint" not in metadata and GRANT_TYPE not in metadata["grant_types_supported"]


def test_metadata_lists_the_endpoint_and_the_grant_when_on(provider):
    metadata = provider.metadata()
    assert metadata["device_authorization_endpoint"] == f"{SITE}/oauth/device_authorization"
    assert GRANT_TYPE in metadata["grant_types_supported"]
    assert provider.openid_configuration()["device_authorization_endpoint"] == metadata[
        "device_authorization_endpoint"]


# --- polling --------------------------------------------------------------------------------------------------------

def test_polling_before_the_user_decides_is_authorization_pending(provider, device_app):
    answer = authorize(provider, device_app)
    error = refused(lambda: poll(provider, device_app, answer.device_code))
    assert (error.status, error.oauth_error) == (400, "authorization_pending")


def test_polling_faster_than_the_interval_slows_the_device_down_by_five_seconds(provider, device_app, clock, store):
    answer = authorize(provider, device_app)
    refused(lambda: poll(provider, device_app, answer.device_code))
    clock.advance(2)
    assert refused(lambda: poll(provider, device_app, answer.device_code)).oauth_error == "slow_down"
    assert store.get_device_code(hash_secret(answer.device_code)).poll_interval == 10
    clock.advance(6)  # more than the old interval, less than the new one
    assert refused(lambda: poll(provider, device_app, answer.device_code)).oauth_error == "slow_down"
    clock.advance(16)
    assert refused(lambda: poll(provider, device_app, answer.device_code)).oauth_error == "authorization_pending"


def test_an_expired_device_code_is_expired_token(provider, device_app, clock):
    answer = authorize(provider, device_app)
    clock.advance(601)
    assert refused(lambda: poll(provider, device_app, answer.device_code)).oauth_error == "expired_token"


def test_an_unknown_or_another_clients_device_code_is_invalid_grant(provider, device_app, admin):
    other = provider.create_app(admin, app_request(device_grant_allowed=True))
    answer = authorize(provider, device_app)
    assert refused(lambda: poll(provider, device_app, "not-a-code")).oauth_error == "invalid_grant"
    assert refused(lambda: poll(provider, other, answer.device_code)).oauth_error == "invalid_grant"


def test_a_missing_device_code_is_invalid_request(provider, device_app):
    assert refused(lambda: poll(provider, device_app, "")).oauth_error == "invalid_request"


def test_a_denied_device_hears_access_denied(provider, device_app, user):
    answer = authorize(provider, device_app)
    decision = provider.decide_device(user, answer.user_code, allow=False)
    assert decision.approved is False
    assert refused(lambda: poll(provider, device_app, answer.device_code)).oauth_error == "access_denied"


def test_an_approved_device_gets_tokens_exactly_once(provider, device_app, user, clock):
    answer = authorize(provider, device_app, "openid")
    prompt = provider.lookup_user_code(user, answer.user_code.lower())
    assert prompt.app.name == device_app.name and prompt.user_code == answer.user_code
    assert prompt.scopes == ("openid",)
    assert provider.decide_device(user, answer.user_code, allow=True).approved
    tokens = poll(provider, device_app, answer.device_code)
    assert tokens.access_token and tokens.refresh_token and tokens.scope == "openid"
    info = provider.validate_token(tokens.access_token)
    assert (info.user_id, info.client_id) == (user.user_id, device_app.id)
    clock.advance(6)
    assert refused(lambda: poll(provider, device_app, answer.device_code)).oauth_error == "invalid_grant"


def test_an_approval_records_the_consent_and_openid_gets_an_id_token(provider, device_app, user):
    answer = authorize(provider, device_app, "openid")
    provider.decide_device(user, answer.user_code, allow=True)
    tokens = poll(provider, device_app, answer.device_code)
    assert tokens.id_token.count(".") == 2
    authorized = provider.list_authorized_apps(user, user.user_id)
    assert [(app.id, scope) for app, scope in authorized] == [(device_app.id, "openid")]


def test_a_public_client_gets_no_refresh_token(provider, public_device_app, user):
    answer = authorize(provider, public_device_app)
    provider.decide_device(user, answer.user_code, allow=True)
    tokens = poll(provider, public_device_app, answer.device_code)
    assert tokens.access_token and not tokens.refresh_token


# --- the verification page's decisions ------------------------------------------------------------------------------

def test_a_trusted_app_still_needs_the_users_confirmation(provider, admin, user):
    app = provider.create_app(admin, app_request(device_grant_allowed=True, is_trusted=True))
    answer = authorize(provider, app)
    assert refused(lambda: poll(provider, app, answer.device_code)).oauth_error == "authorization_pending"
    assert provider.lookup_user_code(user, answer.user_code).app.id == app.id


def test_a_code_is_decided_once(provider, device_app, user, other_user):
    answer = authorize(provider, device_app)
    provider.decide_device(user, answer.user_code, allow=True)
    error = refused(lambda: provider.decide_device(other_user, answer.user_code, allow=False))
    assert error.id == "api.oauth.device.user_code.app_error"


def test_every_wrong_code_gets_the_same_answer(provider, device_app, user, clock, settings):
    provider.configure(Settings(**{**settings.__dict__, "device_user_code_attempts_per_minute": 0}))
    expired = authorize(provider, device_app)
    decided = authorize(provider, device_app)
    provider.decide_device(user, decided.user_code, allow=False)
    clock.advance(601)
    answers = {(e.status, e.id, e.message) for e in (
        refused(lambda: provider.lookup_user_code(user, code))
        for code in ("BCDF-GHJK", "nonsense", expired.user_code, decided.user_code))}
    assert answers == {(400, "api.oauth.device.user_code.app_error",
                        "That code is not valid or has expired. Check it and try again.")}


def test_wrong_codes_are_limited_per_session_and_a_right_one_costs_nothing(provider, device_app, user):
    answer = authorize(provider, device_app)
    for _ in range(2):
        provider.lookup_user_code(user, answer.user_code)  # right codes are given back
    for _ in range(3):
        assert refused(lambda: provider.lookup_user_code(user, "BCDF-GHJK")).status == 400
    error = refused(lambda: provider.lookup_user_code(user, answer.user_code))
    assert error.status == 429 and error.retry_after > 0
    # Another session from another address is not held back by this one's guesses.
    fresh = Caller(user_id=user.user_id, session_id="other-session", remote_addr="198.51.100.7")
    assert provider.lookup_user_code(fresh, answer.user_code).app.id == device_app.id


def test_wrong_codes_are_limited_per_address_across_sessions(provider, device_app, user):
    answer = authorize(provider, device_app)
    for session in ("s1", "s2", "s3"):
        caller = Caller(user_id=user.user_id, session_id=session, remote_addr="203.0.113.9")
        refused(lambda: provider.lookup_user_code(caller, "BCDF-GHJK"))
    caller = Caller(user_id=user.user_id, session_id="s4", remote_addr="203.0.113.9")
    assert refused(lambda: provider.lookup_user_code(caller, answer.user_code)).status == 429


def test_an_oauth_token_session_cannot_approve_a_device(provider, device_app, user):
    answer = authorize(provider, device_app)
    token_caller = Caller(user_id=user.user_id, session_id=user.session_id, is_oauth=True)
    assert refused(lambda: provider.decide_device(token_caller, answer.user_code, allow=True)).status == 403
    assert refused(lambda: provider.lookup_user_code(None, answer.user_code)).status == 401


def test_a_user_who_can_grant_nothing_asked_for_refuses_the_device(provider, admin, user):
    app = provider.create_app(admin, app_request(device_grant_allowed=True, allowed_scopes=["system:manage"]))
    answer = authorize(provider, app, "system:manage")
    prompt = provider.lookup_user_code(user, answer.user_code)
    assert prompt.scopes == () and prompt.refused_scopes == ("system:manage",)
    assert provider.decide_device(user, answer.user_code, allow=True).approved is False
    assert refused(lambda: poll(provider, app, answer.device_code)).oauth_error == "access_denied"


def test_deleting_the_app_removes_its_device_codes(provider, device_app, admin, store):
    answer = authorize(provider, device_app)
    provider.delete_app(admin, device_app.id)
    assert store.get_device_code(hash_secret(answer.device_code)) is None


def test_expired_device_codes_are_swept(provider, device_app, store, clock):
    answer = authorize(provider, device_app)
    clock.advance(601)
    assert provider.purge_expired() >= 1
    assert store.get_device_code(hash_secret(answer.device_code)) is None


def test_a_devices_refresh_token_refreshes_with_a_new_id_token(provider, device_app, user):
    answer = authorize(provider, device_app, "openid")
    provider.decide_device(user, answer.user_code, allow=True)
    tokens = poll(provider, device_app, answer.device_code)
    refreshed = provider.token(TokenRequest(grant_type="refresh_token", refresh_token=tokens.refresh_token,
                                            client_id=device_app.id, client_secret=device_app.client_secret))
    assert refreshed.access_token != tokens.access_token and refreshed.id_token.count(".") == 2
    assert provider.validate_token(refreshed.access_token).user_id == user.user_id


def test_deauthorizing_the_app_ends_what_a_device_got(provider, device_app, user):
    answer = authorize(provider, device_app)
    provider.decide_device(user, answer.user_code, allow=True)
    tokens = poll(provider, device_app, answer.device_code)
    provider.deauthorize(user, device_app.id)
    assert refused(lambda: provider.validate_token(tokens.access_token)).status == 401
    assert provider.list_authorized_apps(user, user.user_id) == []


class SessionsUnknown(NoHost):
    """A host that cannot say when a session signed in."""

    def get_session(self, session_id: str):
        raise HostUnavailable("GetSession: DEADLINE_EXCEEDED")


def test_an_openid_approval_the_host_cannot_date_changes_nothing(store, clock, settings, admin, user):
    provider = OAuthProvider(store, clock, settings, SessionsUnknown())
    try:
        app = provider.create_app(admin, app_request(device_grant_allowed=True))
        answer = authorize(provider, app, "openid")
        error = refused(lambda: provider.decide_device(user, answer.user_code, allow=True))
        assert (error.status, error.retry_after) == (503, 1)
        assert refused(lambda: poll(provider, app, answer.device_code)).oauth_error == "authorization_pending"
        assert provider.lookup_user_code(user, answer.user_code).app.id == app.id  # still pending
    finally:
        provider.close()


def test_an_approval_keeps_when_the_approving_session_signed_in(store, clock, settings, admin, user):
    class Sessions(NoHost):
        def get_session(self, session_id: str):
            return HostSession(id=session_id, user_id=user.user_id, create_at=clock.now_ms() - 3_600_000)

    provider = OAuthProvider(store, clock, settings, Sessions())
    try:
        app = provider.create_app(admin, app_request(device_grant_allowed=True))
        answer = authorize(provider, app, "openid")
        provider.decide_device(user, answer.user_code, allow=True)
        authentication = store.get_authentication(hash_secret(answer.device_code))
        assert authentication.auth_time == clock.now_ms() - 3_600_000 and authentication.sid
    finally:
        provider.close()
