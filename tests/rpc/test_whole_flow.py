"""An app registered through the RPCs runs the whole authorization-code flow with PKCE, refresh, deauthorize
and delete; the database never holds a secret, code or token in clear."""
from __future__ import annotations

import base64
import hashlib
import secrets
import sqlite3
import urllib.parse

from oauthplugin.v1 import apps_pb2, authorize_pb2, token_pb2
from tests.rpc.conftest import ADMIN_PERMISSIONS, context
from tests.rpc.flows import client_call

ADMIN = "a" * 26
USER = "u" * 26
CALLBACK = "https://app.example.com/callback"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def query_of(url: str) -> dict:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def test_whole_authorization_code_flow_with_pkce_refresh_deauthorize_and_delete(plugin):
    admin = context(ADMIN, ADMIN_PERMISSIONS)
    user = context(USER)
    created = plugin.oauth.CreateApp(apps_pb2.CreateAppRequest(
        context=admin, name="Example", homepage="https://app.example.com", callback_urls=[CALLBACK]))
    assert not created.HasField("error"), created.error
    app = created.app
    assert app.client_secret and len(app.id) == 26

    verifier, challenge = pkce_pair()
    authorize = authorize_pb2.AuthorizeRequest(response_type="code", client_id=app.id, redirect_uri=CALLBACK,
                                           state="xyz", code_challenge=challenge, code_challenge_method="S256")
    begun = plugin.oauth.BeginAuthorization(authorize_pb2.BeginAuthorizationRequest(context=user, request=authorize))
    assert begun.outcome == authorize_pb2.BeginAuthorizationResponse.CONSENT
    assert begun.app.name == "Example" and begun.app.client_secret == ""

    decided = plugin.oauth.DecideConsent(authorize_pb2.ConsentDecisionRequest(context=user, request=authorize,
                                                                              allow=True))
    assert not decided.HasField("error"), decided.error
    params = query_of(decided.redirect_url)
    assert decided.redirect_url.startswith(CALLBACK + "?") and params["state"] == "xyz"
    code = params["code"]

    issued = client_call(
        plugin.oauth.Token, grant_type="authorization_code", code=code, redirect_uri=CALLBACK, client_id=app.id,
        client_secret=app.client_secret, code_verifier=verifier)
    assert not issued.HasField("error"), issued.error
    assert issued.token_type == "bearer" and issued.refresh_token and issued.expires_in == 720 * 3600

    valid = plugin.oauth.ValidateToken(token_pb2.ValidateTokenRequest(token=issued.access_token))
    assert not valid.HasField("error") and valid.user_id == USER and valid.client_id == app.id

    # The consent is remembered: a second authorization redirects at once.
    again = plugin.oauth.BeginAuthorization(authorize_pb2.BeginAuthorizationRequest(context=user, request=authorize))
    assert again.outcome == authorize_pb2.BeginAuthorizationResponse.REDIRECT

    refreshed = client_call(
        plugin.oauth.Token, grant_type="refresh_token", refresh_token=issued.refresh_token, client_id=app.id,
        client_secret=app.client_secret)
    assert not refreshed.HasField("error"), refreshed.error
    assert refreshed.access_token != issued.access_token
    old = plugin.oauth.ValidateToken(token_pb2.ValidateTokenRequest(token=issued.access_token))
    assert old.error.status_code == 401, "a refresh ends the previous access token at once"

    assert_nothing_in_clear(plugin, [app.client_secret, code, issued.access_token, issued.refresh_token,
                                     refreshed.access_token, refreshed.refresh_token])

    listed = plugin.oauth.ListAuthorizedApps(apps_pb2.ListAuthorizedAppsRequest(context=user, user_id="me"))
    assert [a.id for a in listed.apps] == [app.id]

    plugin.oauth.Deauthorize(authorize_pb2.DeauthorizeRequest(context=user, client_id=app.id))
    gone = plugin.oauth.ValidateToken(token_pb2.ValidateTokenRequest(token=refreshed.access_token))
    assert gone.error.status_code == 401
    after = plugin.oauth.BeginAuthorization(authorize_pb2.BeginAuthorizationRequest(context=user, request=authorize))
    assert after.outcome == authorize_pb2.BeginAuthorizationResponse.CONSENT, "deauthorize forgets the consent"

    deleted = plugin.oauth.DeleteApp(apps_pb2.AppIdRequest(context=admin, app_id=app.id))
    assert not deleted.HasField("error")
    missing = plugin.oauth.GetApp(apps_pb2.AppIdRequest(context=admin, app_id=app.id))
    assert missing.error.status_code == 404



def assert_nothing_in_clear(plugin, handed_out: list[str]) -> None:
    """Neither the rows nor the raw bytes of the database (with its WAL) contain any value handed out."""
    db = sqlite3.connect(plugin.db_path)
    dump = "\n".join(db.iterdump())
    db.close()
    assert "oauth_access_tokens" in dump and "oauth_refresh_tokens" in dump
    raw = b"".join(p.read_bytes() for p in plugin.db_path.parent.iterdir() if p.is_file())
    for value in handed_out:
        assert value not in dump and value.encode() not in raw


def test_revoking_an_access_token_ends_its_grant_including_the_refresh_token(plugin):
    admin = context(ADMIN, ADMIN_PERMISSIONS)
    app = plugin.oauth.CreateApp(apps_pb2.CreateAppRequest(
        context=admin, name="Trusted", homepage="https://app.example.com", callback_urls=[CALLBACK],
        is_trusted=True)).app
    authorize = authorize_pb2.AuthorizeRequest(response_type="code", client_id=app.id, redirect_uri=CALLBACK)
    begun = plugin.oauth.BeginAuthorization(authorize_pb2.BeginAuthorizationRequest(context=context(USER),
                                                                                request=authorize))
    assert begun.outcome == authorize_pb2.BeginAuthorizationResponse.REDIRECT, "a trusted app skips consent"
    code = query_of(begun.redirect_url)["code"]
    issued = client_call(plugin.oauth.Token, grant_type="authorization_code", code=code, redirect_uri=CALLBACK,
                         client_id=app.id, client_secret=app.client_secret)
    revoked = plugin.oauth.RevokeAccessToken(token_pb2.RevokeAccessTokenRequest(token=issued.access_token))
    assert not revoked.HasField("error")
    validated = plugin.oauth.ValidateToken(token_pb2.ValidateTokenRequest(token=issued.access_token))
    assert validated.error.status_code == 401
    refresh = client_call(plugin.oauth.Token, grant_type="refresh_token", refresh_token=issued.refresh_token,
                          client_id=app.id, client_secret=app.client_secret)
    assert refresh.error.oauth_error == "invalid_grant"
