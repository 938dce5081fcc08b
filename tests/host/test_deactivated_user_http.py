"""Nothing issued to a deactivated user works, over HTTP against the launched host and plugin, even when the host
could not tell the plugin (RevokeUser) because the plugin was disabled or restarting: the plugin asks the host
(HostAPI) at every code exchange, refresh and introspection, and the host refuses the user's bearer tokens itself.

Mattermost refuses the code of a user with DeleteAt != 0 with 403 api.oauth.get_access_token.expired_code.app_error
(server/channels/app/oauth.go, GetOAuthAccessTokenForCodeFlow); its refresh finds no token (deactivation deleted
it): 404 api.oauth.get_access_token.refresh_token.app_error. Introspection answers exactly {"active": false}."""
from __future__ import annotations

import os
import signal

import pytest

from tests.conftest import PLUGIN_ID, wait_for
from tests.forms import pkce
from tests.host.test_security_http import (
    CALLBACK,
    INVALID_REFRESH,
    assert_oauth_error,
    authorize,
    client_post,
    introspect,
    make_app,
    query_of,
    refresh,
    tokens_for,
    works,
)

EXPIRED_CODE = "api.oauth.get_access_token.expired_code.app_error"


@pytest.fixture(scope="module")
def app(api, admin) -> dict:
    return make_app(api, admin.token, name="Deactivation")


def issued(api, user, app) -> dict:
    """Tokens of a finished exchange and a code not exchanged yet (with its verifier)."""
    tokens = tokens_for(api, user.token, app)
    verifier, challenge = pkce()
    code = query_of(authorize(api, user.token, app, challenge))["code"]
    return {**tokens, "code": code, "verifier": verifier}


def exchange(api, app, issued_: dict):
    return client_post(api, "/oauth/access_token", app, "post", {
        "grant_type": "authorization_code", "code": issued_["code"], "redirect_uri": CALLBACK,
        "code_verifier": issued_["verifier"]})


def set_active(api, admin, user, active: bool):
    return api.put(f"/api/v4/users/{user.id}/active", {"active": active}, token=admin.token)


def set_plugin_enabled(api, admin, host, enabled: bool) -> None:
    reply = api.post(f"/api/v4/plugins/{PLUGIN_ID}/{'enable' if enabled else 'disable'}", token=admin.token)
    assert reply.status == 200, reply.body
    host.wait_state(2 if enabled else 0)


def assert_nothing_works(api, app, issued_: dict) -> None:
    assert not works(api, issued_["access_token"])
    body = assert_oauth_error(refresh(api, app, issued_["refresh_token"]), 404, "invalid_grant")
    assert body["id"] == INVALID_REFRESH
    assert assert_oauth_error(exchange(api, app, issued_), 403, "invalid_grant")["id"] == EXPIRED_CODE
    for token in (issued_["access_token"], issued_["refresh_token"]):
        reply = introspect(api, app, token)
        assert reply.status == 200 and reply.body == b'{"active":false}', reply.body


def test_deactivated_while_the_plugin_was_disabled_nothing_of_theirs_works_once_it_is_enabled(
        api, admin, new_user, app, host):
    user = new_user()
    before = issued(api, user, app)
    assert introspect(api, app, before["access_token"]).json["username"] == user.username
    set_plugin_enabled(api, admin, host, False)
    assert set_active(api, admin, user, False).status == 200  # the host cannot deliver RevokeUser now
    set_plugin_enabled(api, admin, host, True)
    assert_nothing_works(api, app, before)


def test_deactivated_while_the_plugin_restarts_nothing_of_theirs_works_once_it_runs(api, admin, new_user, app,
                                                                                  host):
    user = new_user()
    before = issued(api, user, app)
    os.kill(host.plugin_pid(), signal.SIGKILL)
    reply = set_active(api, admin, user, False)  # 503 while it restarts (the caller may retry), or 200 after
    assert reply.status in (200, 503), reply.body
    host.wait_state(2)
    wait_for(lambda: not works(api, before["access_token"]), message="the restarted plugin")
    assert_nothing_works(api, app, before)


def test_a_user_the_plugin_saw_active_a_moment_ago_is_refused_as_soon_as_the_host_revokes_them(
        api, admin, new_user, app):
    user = new_user()
    before = issued(api, user, app)
    assert refresh(api, app, before["refresh_token"]).status == 200  # the plugin now keeps the user as active
    assert set_active(api, admin, user, False).status == 200  # RevokeUser: tokens, codes and the kept answer go
    assert not works(api, before["access_token"])
    assert assert_oauth_error(exchange(api, app, before), 400, "invalid_grant")["id"] == EXPIRED_CODE
    assert introspect(api, app, before["refresh_token"]).json == {"active": False}
