"""While the database cannot be reached (StoreUnavailable), every operation answers 503 with Retry-After and the
plugin's own id, not Mattermost's 500 for a broken store: the client can tell "try again in a moment" apart
from "something is wrong"."""
from __future__ import annotations

import dataclasses

import pytest

from plugin.oauth import TokenRequest
from plugin.oauth.urls import parse_query
from plugin.store.contract import StoreUnavailable

from .conftest import authorize_request, expect_error

UNAVAILABLE = "app.store.unavailable.app_error"


def down(store, monkeypatch, *methods: str) -> None:
    def refuse(*args, **kwargs):
        raise StoreUnavailable("postgres: connection refused at 10.0.0.5:5432")

    for method in methods:
        monkeypatch.setattr(store, method, refuse)


def assert_unavailable(error) -> None:
    assert error.retry_after == 1
    assert error.oauth_error == "temporarily_unavailable"
    assert "10.0.0.5" not in error.message + error.detailed_error  # the detail stays in the server's log


def test_bearer_validation_is_a_503_with_retry_after(provider, store, monkeypatch):
    down(store, monkeypatch, "get_access_token")
    assert_unavailable(expect_error(UNAVAILABLE, 503, provider.validate_token, "some-token"))


def test_code_exchange_is_a_503_when_the_tokens_cannot_be_written(flow, user, confidential_app, store,
                                                                 monkeypatch):
    code = flow.code_for(user, confidential_app)
    down(store, monkeypatch, "redeem_code")
    assert_unavailable(expect_error(UNAVAILABLE, 503, flow.exchange, confidential_app, code))


def test_token_endpoint_is_a_503_when_the_app_cannot_be_read(provider, confidential_app, store, monkeypatch):
    down(store, monkeypatch, "get_app", "hit_rate_limits")
    request = TokenRequest(grant_type="refresh_token", refresh_token="r", client_id=confidential_app.id,
                           client_secret=confidential_app.client_secret)
    assert_unavailable(expect_error(UNAVAILABLE, 503, provider.token, request))


def test_app_management_is_a_503(provider, admin, confidential_app, store, monkeypatch):
    from .conftest import app_request

    down(store, monkeypatch, "save_app", "list_apps", "get_app")
    assert_unavailable(expect_error(UNAVAILABLE, 503, provider.create_app, admin, app_request()))
    assert_unavailable(expect_error(UNAVAILABLE, 503, provider.list_apps, admin))
    assert_unavailable(expect_error(UNAVAILABLE, 503, provider.get_app, admin, confidential_app.id))


def test_consent_that_cannot_be_written_redirects_with_temporarily_unavailable(provider, user, confidential_app,
                                                                             store, monkeypatch):
    """RFC 6749 section 4.1.2.1: the authorization server is unable to handle the request for now."""
    down(store, monkeypatch, "save_code")
    url = provider.decide_consent(user, authorize_request(confidential_app, state="s"), True)
    query = {k: v[0] for k, v in parse_query(url.partition("?")[2]).items()}
    assert query["error"] == "temporarily_unavailable" and query["state"] == "s"


def test_registration_is_a_503_not_a_metadata_error(provider, store, monkeypatch):
    provider.configure(dataclasses.replace(provider.settings, enable_dynamic_client_registration=True))
    down(store, monkeypatch, "save_app")
    error = expect_error(UNAVAILABLE, 503, provider.register_client, None,
                         {"redirect_uris": ["https://client.example.com/cb"]})
    assert_unavailable(error)


@pytest.mark.parametrize("method", ["revoke_user", "delete_expired"])
def test_housekeeping_is_a_503(provider, store, monkeypatch, method):
    down(store, monkeypatch, method)
    call = {"revoke_user": lambda: provider.revoke_user("u" * 26), "delete_expired": provider.purge_expired}
    assert_unavailable(expect_error(UNAVAILABLE, 503, call[method]))
