"""What the provider asks the host (plugin/oauth/host.py) and what it does with the answer: nothing issued to a
deactivated or missing user works (code exchange, refresh, introspection), even when the host could not deliver
RevokeUser; a host that cannot answer is 503, never a guess; introspection's username is the host's."""
from __future__ import annotations

import dataclasses

import pytest

from plugin.oauth import OAuthProvider
from plugin.oauth.host import HostUnavailable, HostUser, NoHost
from plugin.oauth.rfc6749 import TokenActionRequest

from .conftest import CHALLENGE, Flow, app_request, expect_error

EXPIRED_CODE = "api.oauth.get_access_token.expired_code.app_error"
INVALID_REFRESH = "api.oauth.get_access_token.refresh_token.app_error"
HOST_UNAVAILABLE = "app.host.unavailable.app_error"
VERIFIER_REQUIRED = "model.authorize.validate_pkce.verifier_required.app_error"


class FakeHost(NoHost):
    """The host's users by id; `down` makes every call fail as an unreachable host does."""

    def __init__(self) -> None:
        super().__init__()
        object.__setattr__(self, "users", {})
        object.__setattr__(self, "down", False)
        object.__setattr__(self, "asked", [])

    def get_user(self, user_id):
        self.asked.append(user_id)
        if self.down:
            raise HostUnavailable("GetUser: DEADLINE_EXCEEDED")
        return self.users.get(user_id)

    def add(self, caller, username: str = "someone") -> None:
        self.users[caller.user_id] = HostUser(id=caller.user_id, username=username)

    def deactivate(self, caller) -> None:
        self.users[caller.user_id] = dataclasses.replace(self.users[caller.user_id], delete_at=1)


@pytest.fixture
def host() -> FakeHost:
    return FakeHost()


@pytest.fixture
def provider(store, clock, settings, host):
    p = OAuthProvider(store, clock, settings, host=host)
    yield p
    p.close()


@pytest.fixture
def flow(provider) -> Flow:
    return Flow(provider)


def introspect(provider, app, token: str) -> dict:
    return provider.introspect(TokenActionRequest(token=token, client_id=app.id, client_secret=app.client_secret))


def test_a_deactivated_users_code_is_refused_403_expired_code_and_stays_spent(flow, host, user, confidential_app):
    host.add(user)
    code = flow.code_for(user, confidential_app)
    host.deactivate(user)
    error = expect_error(EXPIRED_CODE, 403, flow.exchange, confidential_app, code)
    assert error.oauth_error == "invalid_grant"
    host.add(user)  # reactivated: the code was spent by the refused exchange
    expect_error(EXPIRED_CODE, 400, flow.exchange, confidential_app, code)


def test_a_code_of_a_user_the_host_does_not_know_is_refused_like_a_deactivated_one(flow, user, confidential_app):
    code = flow.code_for(user, confidential_app)
    expect_error(EXPIRED_CODE, 403, flow.exchange, confidential_app, code)


def test_a_deactivated_users_refresh_token_is_refused_404_even_within_the_grace_window(
        flow, host, user, confidential_app):
    host.add(user)
    first = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    second = flow.refresh(confidential_app, first.refresh_token)
    host.deactivate(user)
    for token in (second.refresh_token, first.refresh_token):  # current, and rotated within the grace window
        error = expect_error(INVALID_REFRESH, 404, flow.refresh, confidential_app, token)
        assert error.oauth_error == "invalid_grant"
    host.add(user)
    assert flow.refresh(confidential_app, second.refresh_token).access_token  # nothing was revoked by the refusal


def test_introspection_of_a_deactivated_users_tokens_is_exactly_active_false(provider, flow, host, user,
                                                                               confidential_app):
    host.add(user, username="alice")
    tokens = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    for token in (tokens.access_token, tokens.refresh_token):
        answer = introspect(provider, confidential_app, token)
        assert answer["active"] is True and answer["username"] == "alice" and answer["sub"] == user.user_id
    host.deactivate(user)
    for token in (tokens.access_token, tokens.refresh_token):
        assert introspect(provider, confidential_app, token) == {"active": False}


def test_an_unreachable_host_is_503_with_retry_after_never_a_guess(provider, flow, host, user, confidential_app):
    host.add(user)
    tokens = flow.exchange(confidential_app, flow.code_for(user, confidential_app))
    code = flow.code_for(user, confidential_app)
    host.down = True
    for attempt in (lambda: flow.exchange(confidential_app, code),
                    lambda: flow.refresh(confidential_app, tokens.refresh_token),
                    lambda: introspect(provider, confidential_app, tokens.access_token)):
        error = expect_error(HOST_UNAVAILABLE, 503, attempt)
        assert (error.oauth_error, error.retry_after) == ("temporarily_unavailable", 1)
    host.down = False
    assert flow.refresh(confidential_app, tokens.refresh_token).access_token


def test_the_host_is_asked_only_for_what_was_issued_and_only_when_it_would_work(provider, flow, host, user,
                                                                                  confidential_app):
    host.add(user)
    code = flow.code_for(user, confidential_app, code_challenge=CHALLENGE, code_challenge_method="S256")
    expect_error(VERIFIER_REQUIRED, 400, flow.exchange, confidential_app, code)
    assert host.asked == []  # refused before the user matters (Mattermost's order: PKCE, then the user)
    assert introspect(provider, confidential_app, "unknown") == {"active": False}
    assert host.asked == []


def test_without_a_host_the_provider_works_as_before(store, clock, settings, user):
    plain = OAuthProvider(store, clock, settings)
    try:
        assert isinstance(plain.host, NoHost)
        app = plain.create_app(user, app_request())
        flow = Flow(plain)
        tokens = flow.exchange(app, flow.code_for(user, app))
        refreshed = flow.refresh(app, tokens.refresh_token)
        assert "username" not in introspect(plain, app, refreshed.access_token)  # no host: no username known
    finally:
        plain.close()
