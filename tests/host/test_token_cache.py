"""The host keeps validated OAuth access tokens in memory (server_stub/token_cache.py); no revoked token may pass
it. Each test warms the cache with the token (two calls to users/me), revokes through one of the paths that
exist, and expects the very next request with the token to be refused. The first test proves that the cache is
really in use, so that the others could fail."""
from __future__ import annotations

import base64
import sqlite3
import urllib.parse

import pytest

from tests.host.test_oauth_http import CALLBACK, form, pkce

PLUGIN_DB = ("files", "plugins", "oauth-provider", "oauth.db")


@pytest.fixture(scope="module")
def app(api, admin) -> dict:
    reply = api.post("/api/v4/oauth/apps", {"name": "Cached", "homepage": "https://app.example.com",
                                            "callback_urls": [CALLBACK]}, token=admin.token)
    assert reply.status == 201, reply.body
    return reply.json


def sign_in(api, app: dict, user) -> dict:
    """Consent, exchange: the token response."""
    verifier, challenge = pkce()
    redirect = api.post("/oauth/authorize", {"response_type": "code", "client_id": app["id"],
                                             "redirect_uri": CALLBACK, "code_challenge": challenge,
                                             "code_challenge_method": "S256"}, token=user.token)
    assert redirect.status == 200, redirect.body
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(redirect.json["redirect"]).query)["code"][0]
    issued = api.post("/oauth/access_token", **form(
        grant_type="authorization_code", code=code, redirect_uri=CALLBACK, client_id=app["id"],
        client_secret=app["client_secret"], code_verifier=verifier))
    assert issued.status == 200, issued.body
    return {**issued.json, "code": code, "verifier": verifier}


def warm(api, access_token: str) -> None:
    for _ in range(2):
        assert api.get("/api/v4/users/me", token=access_token).status == 200


def refused(api, access_token: str) -> bool:
    return api.get("/api/v4/users/me", token=access_token).status == 401


def refresh(api, app: dict, refresh_token: str):
    return api.post("/oauth/access_token", **form(grant_type="refresh_token", refresh_token=refresh_token,
                                                  client_id=app["id"], client_secret=app["client_secret"]))


def test_the_host_keeps_validated_tokens(api, app, host, new_user):
    """Deleting a token behind the plugin's back (straight from its database) is not noticed while the host
    keeps the token: the cache is on, so the revocation tests below test it."""
    tokens = sign_in(api, app, new_user())
    warm(api, tokens["access_token"])
    with sqlite3.connect(host.data_dir.joinpath(*PLUGIN_DB), timeout=10) as db:
        import hashlib

        digest = hashlib.sha256(tokens["access_token"].encode()).hexdigest()
        assert db.execute("DELETE FROM oauth_access_tokens WHERE token_hash = ?", (digest,)).rowcount == 1
    assert api.get("/api/v4/users/me", token=tokens["access_token"]).status == 200


def test_refresh_rotation_ends_the_kept_previous_access_token(api, app, new_user):
    tokens = sign_in(api, app, new_user())
    warm(api, tokens["access_token"])
    rotated = refresh(api, app, tokens["refresh_token"])
    assert rotated.status == 200, rotated.body
    assert refused(api, tokens["access_token"])
    assert api.get("/api/v4/users/me", token=rotated.json["access_token"]).status == 200


def test_refresh_token_reuse_ends_the_kept_family(api, app, host, new_user):
    tokens = sign_in(api, app, new_user())
    rotated = refresh(api, app, tokens["refresh_token"]).json
    warm(api, rotated["access_token"])
    # Presented again after the grace window (moved into the past in the database): the family is revoked.
    with sqlite3.connect(host.data_dir.joinpath(*PLUGIN_DB), timeout=10) as db:
        db.execute("UPDATE oauth_refresh_tokens SET rotated_at = rotated_at - 3600000 WHERE rotated_at IS NOT NULL")
    reuse = refresh(api, app, tokens["refresh_token"])
    assert reuse.status == 404 and reuse.json["error"] == "invalid_grant"
    assert refused(api, rotated["access_token"])


def test_replayed_code_ends_the_kept_tokens_it_issued(api, app, new_user):
    tokens = sign_in(api, app, new_user())
    warm(api, tokens["access_token"])
    replay = api.post("/oauth/access_token", **form(
        grant_type="authorization_code", code=tokens["code"], redirect_uri=CALLBACK, client_id=app["id"],
        client_secret=app["client_secret"], code_verifier=tokens["verifier"]))
    assert replay.status == 400
    assert refused(api, tokens["access_token"])


@pytest.mark.parametrize("which", ["access_token", "refresh_token"])
def test_rfc7009_revocation_ends_the_kept_token(api, app, new_user, which):
    tokens = sign_in(api, app, new_user())
    warm(api, tokens["access_token"])
    credentials = base64.b64encode(f"{app['id']}:{app['client_secret']}".encode()).decode()
    revoked = api.post("/oauth/revoke", body=urllib.parse.urlencode({"token": tokens[which]}),
                       headers={"Content-Type": "application/x-www-form-urlencoded",
                                "Authorization": f"Basic {credentials}"})
    assert revoked.status == 200, revoked.body
    assert refused(api, tokens["access_token"])


def test_logout_ends_the_kept_token_and_its_grant(api, app, new_user):
    user = new_user()
    first, second = sign_in(api, app, user), sign_in(api, app, user)
    warm(api, first["access_token"])
    warm(api, second["access_token"])
    assert api.post("/api/v4/users/logout", token=first["access_token"]).status == 200
    assert refused(api, first["access_token"])
    assert api.get("/api/v4/users/me", token=second["access_token"]).status == 200, "another grant lives on"


def test_deauthorizing_the_app_ends_the_kept_tokens(api, app, new_user):
    user = new_user()
    tokens = sign_in(api, app, user)
    warm(api, tokens["access_token"])
    reply = api.post("/oauth/deauthorize", {"client_id": app["id"]}, token=user.token)
    assert reply.status == 200, reply.body
    assert refused(api, tokens["access_token"])


def test_deactivating_the_user_ends_the_kept_tokens(api, app, admin, new_user):
    user = new_user()
    tokens = sign_in(api, app, user)
    warm(api, tokens["access_token"])
    assert api.put(f"/api/v4/users/{user.id}/active", {"active": False}, token=admin.token).status == 200
    assert refused(api, tokens["access_token"])
    assert api.put(f"/api/v4/users/{user.id}/active", {"active": True}, token=admin.token).status == 200
    assert refused(api, tokens["access_token"]), "reactivation does not bring revoked tokens back"


def test_deleting_the_app_ends_the_kept_tokens(api, admin, new_user):
    doomed = api.post("/api/v4/oauth/apps", {"name": "Doomed", "homepage": "https://app.example.com",
                                             "callback_urls": [CALLBACK]}, token=admin.token).json
    tokens = sign_in(api, doomed, new_user())
    warm(api, tokens["access_token"])
    assert api.request("DELETE", f"/api/v4/oauth/apps/{doomed['id']}", token=admin.token).status == 200
    assert refused(api, tokens["access_token"])


def test_a_restarted_plugin_starts_with_nothing_kept(api, app, admin, host, new_user):
    tokens = sign_in(api, app, new_user())
    warm(api, tokens["access_token"])
    with sqlite3.connect(host.data_dir.joinpath(*PLUGIN_DB), timeout=10) as db:
        import hashlib

        digest = hashlib.sha256(tokens["access_token"].encode()).hexdigest()
        db.execute("DELETE FROM oauth_access_tokens WHERE token_hash = ?", (digest,))
    headers = {"X-Requested-With": "XMLHttpRequest"}
    assert api.post("/api/v4/plugins/oauth-provider/disable", token=admin.token, headers=headers).status == 200
    host.wait_state(0)
    assert refused(api, tokens["access_token"]), "a disabled provider's tokens are not OAuth sessions"
    assert api.post("/api/v4/plugins/oauth-provider/enable", token=admin.token, headers=headers).status == 200
    host.wait_state(2)
    assert refused(api, tokens["access_token"])
