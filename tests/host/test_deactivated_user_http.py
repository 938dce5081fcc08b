"""Nothing issued to a deactivated user works, over HTTP against the launched host and plugin, even when the host
could not tell the plugin (RevokeUser) because the plugin was disabled or restarting: the host delivers the
RevokeUser it owes when the plugin next activates (server_stub/revocations.py), the plugin asks the host (HostAPI) at
every code exchange, refresh and introspection, and the host refuses the user's bearer tokens itself.

Mattermost refuses the code of a user with DeleteAt != 0 with 403 api.oauth.get_access_token.expired_code.app_error
(server/channels/app/oauth.go, GetOAuthAccessTokenForCodeFlow); its refresh finds no token (deactivation deleted
it): 404 api.oauth.get_access_token.refresh_token.app_error. Introspection answers exactly {"active": false}."""
from __future__ import annotations

import contextlib
import os
import signal
import sqlite3

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


def restarted(host, killed: int) -> bool:
    """A new plugin process runs in place of the one killed."""
    try:
        return host.plugin_pid() != killed and host.status()["state"] == 2
    except AssertionError:  # no plugin process at this instant
        return False


def assert_nothing_works(api, app, issued_: dict, code_status: tuple[int, ...] = (400,)) -> None:
    """The code: 400 when RevokeUser deleted it (Mattermost's TestDeactivatedUserOAuthApp), 403 when only the
    HostAPI's answer refuses it (Mattermost's check of DeleteAt != 0). A refused code is spent: asked once."""
    assert not works(api, issued_["access_token"])
    body = assert_oauth_error(refresh(api, app, issued_["refresh_token"]), 404, "invalid_grant")
    assert body["id"] == INVALID_REFRESH
    reply = exchange(api, app, issued_)
    assert reply.status in code_status, reply.body
    assert assert_oauth_error(reply, reply.status, "invalid_grant")["id"] == EXPIRED_CODE
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


def test_a_deactivation_the_plugin_was_never_told_of_is_refused_by_asking_the_host(api, admin, new_user, app, host):
    user = new_user()
    before = issued(api, user, app)
    set_plugin_enabled(api, admin, host, False)
    with contextlib.closing(sqlite3.connect(host.data_dir / "host.db", timeout=10)) as db, db:
        db.execute("UPDATE users SET delete_at = 1 WHERE id = ?", (user.id,))  # behind the plugin's back
    set_plugin_enabled(api, admin, host, True)
    assert_nothing_works(api, app, before, code_status=(403,))


def test_deactivated_while_the_plugin_restarts_nothing_of_theirs_works_once_it_runs(api, admin, new_user, app,
                                                                                  host):
    user = new_user()
    before = issued(api, user, app)
    killed = host.plugin_pid()
    os.kill(killed, signal.SIGKILL)
    reply = set_active(api, admin, user, False)  # 503 while it restarts (the caller may retry), or 200 after
    assert reply.status in (200, 503), reply.body
    wait_for(lambda: restarted(host, killed), timeout=30, message="the plugin restarted")
    # 400 when the owed RevokeUser reached the restarted plugin; 403 when it had activated before it was owed.
    assert_nothing_works(api, app, before, code_status=(400, 403))
    assert set_active(api, admin, user, True).status == 200  # delivers what is still owed before reactivating
    assert not works(api, before["access_token"])
    assert introspect(api, app, before["refresh_token"]).json == {"active": False}


def test_reactivation_does_not_bring_back_what_a_deactivation_the_plugin_missed_revoked(api, admin, new_user, app,
                                                                                       host):
    user = new_user()
    before = issued(api, user, app)
    set_plugin_enabled(api, admin, host, False)
    assert set_active(api, admin, user, False).status == 200
    set_plugin_enabled(api, admin, host, True)  # the host delivers the RevokeUser it could not before
    assert set_active(api, admin, user, True).status == 200
    assert not works(api, before["access_token"])
    assert_nothing_works(api, app, before)
