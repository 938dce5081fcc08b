"""The OAuth endpoints through the host: HTTP -> gateway -> the plugin's RPCs, and back in Mattermost's wire
format, ending with /api/v4/users/me called with the issued token."""
from __future__ import annotations

import base64
import urllib.parse

import pytest

from tests.forms import hidden_fields, pkce

CALLBACK = "https://app.example.com/callback?simply=lovely"


def form(**fields) -> dict:
    return {"body": urllib.parse.urlencode(fields),
            "headers": {"Content-Type": "application/x-www-form-urlencoded"}}


@pytest.fixture(scope="module")
def app(api, admin) -> dict:
    reply = api.post("/api/v4/oauth/apps", {"name": "Example", "homepage": "https://app.example.com",
                                            "description": "An example", "callback_urls": [CALLBACK]},
                     token=admin.token)
    assert reply.status == 201, reply.body
    assert reply.headers["Content-Type"] == "application/json"
    return reply.json


def authorize_query(app: dict, challenge: str, state: str = "/oauthcallback?sesskey=abcd&other=123") -> str:
    return "/oauth/authorize?" + urllib.parse.urlencode({
        "response_type": "code", "client_id": app["id"], "redirect_uri": CALLBACK, "state": state,
        "code_challenge": challenge, "code_challenge_method": "S256"})


def test_authorization_without_a_session_sends_the_browser_to_login_and_back(api, app):
    path = authorize_query(app, pkce()[1])
    reply = api.get(path)
    assert reply.status == 302
    location = urllib.parse.urlsplit(reply.headers["Location"])
    assert location.path == "/login"
    assert urllib.parse.parse_qs(location.query)["redirect_to"] == [path]


def test_consent_page_is_protected_against_framing_and_referrer_leaks(api, app, new_user):
    user = new_user()
    reply = api.get(authorize_query(app, pkce()[1]), token=user.token)
    assert reply.status == 200
    assert b"Authorize <b>Example</b> to Connect to Your Mattermost User Account" in reply.body
    assert reply.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
    assert reply.headers["Referrer-Policy"] == "no-referrer"


def test_whole_flow_through_the_host_ends_with_users_me_as_the_user(api, app, new_user):
    user = new_user()
    verifier, challenge = pkce()
    state = "/oauthcallback?sesskey=abcd&other=123"
    page = api.get(authorize_query(app, challenge, state), token=user.token)
    fields = hidden_fields(page.body)
    assert fields["csrf"], "the consent form carries the session's CSRF token"
    decided = api.post("/oauth/authorize/decision", token=user.token, **form(**fields, decision="allow"))
    assert decided.status == 303
    target = urllib.parse.urlsplit(decided.headers["Location"])
    params = urllib.parse.parse_qs(target.query)
    assert params["simply"] == ["lovely"] and params["state"] == [state] and "other" not in params

    issued = api.post("/oauth/access_token", **form(
        grant_type="authorization_code", code=params["code"][0], redirect_uri=CALLBACK, client_id=app["id"],
        client_secret=app["client_secret"], code_verifier=verifier))
    assert issued.status == 200, issued.body
    assert issued.headers["Content-Type"] == "application/json"
    assert issued.headers["Cache-Control"] == "no-store" and issued.headers["Pragma"] == "no-cache"
    tokens = issued.json
    assert tokens["token_type"] == "bearer" and tokens["refresh_token"]

    me = api.get("/api/v4/users/me", token=tokens["access_token"])
    assert me.status == 200 and me.json["id"] == user.id

    refreshed = api.post("/oauth/access_token", **form(
        grant_type="refresh_token", refresh_token=tokens["refresh_token"], client_id=app["id"],
        client_secret=app["client_secret"]))
    assert refreshed.status == 200, refreshed.body
    assert api.get("/api/v4/users/me", token=tokens["access_token"]).status == 401
    new_access = refreshed.json["access_token"]
    assert api.get("/api/v4/users/me", token=new_access).status == 200

    # An OAuth token cannot approve apps, on either authorization route.
    assert api.get(authorize_query(app, challenge), token=new_access).status == 403
    assert api.post("/oauth/authorize", {"response_type": "code", "client_id": app["id"],
                                         "redirect_uri": CALLBACK}, token=new_access).status == 403

    # Logout with the OAuth token revokes it.
    assert api.post("/api/v4/users/logout", token=new_access).status == 200
    assert api.get("/api/v4/users/me", token=new_access).status == 401


def test_consent_api_answers_the_redirect_as_mattermost_does(api, app, new_user):
    user = new_user()
    reply = api.post("/oauth/authorize", {"response_type": "code", "client_id": app["id"],
                                          "redirect_uri": CALLBACK, "state": None, "scope": None,
                                          "code_challenge": pkce()[1], "code_challenge_method": "S256"},
                     token=user.token)
    assert reply.status == 200, reply.body
    assert "code=" in reply.json["redirect"]
    assert api.post("/oauth/authorize", None, token=user.token).error_id == "api.context.invalid_body_param.app_error"


def test_deny_returns_access_denied_with_the_state(api, app, new_user):
    user = new_user()
    fields = hidden_fields(api.get(authorize_query(app, pkce()[1], state="s t&x"), token=user.token).body)
    denied = api.post("/oauth/authorize/decision", token=user.token, **form(**fields, decision="deny"))
    assert denied.status == 303
    params = urllib.parse.parse_qs(urllib.parse.urlsplit(denied.headers["Location"]).query)
    assert params["error"] == ["access_denied"] and params["state"] == ["s t&x"]


def test_consent_form_without_the_csrf_token_is_refused(api, app, new_user):
    user = new_user()
    fields = hidden_fields(api.get(authorize_query(app, pkce()[1]), token=user.token).body)
    fields["csrf"] = "forged"
    reply = api.post("/oauth/authorize/decision", token=user.token, **form(**fields, decision="allow"))
    assert reply.status == 403 and "Location" not in reply.headers


def test_unregistered_redirect_uri_is_an_error_page_never_a_redirect(api, app, new_user):
    user = new_user()
    path = "/oauth/authorize?" + urllib.parse.urlencode({"response_type": "code", "client_id": app["id"],
                                                        "redirect_uri": "https://evil.example.com/cb"})
    reply = api.get(path, token=user.token)
    assert reply.status == 400 and "Location" not in reply.headers
    assert b"did not match registered callback_url" in reply.body


def test_token_errors_carry_both_mattermost_and_rfc_6749_fields(api, app):
    reply = api.post("/oauth/access_token", **form(grant_type="authorization_code", code="junk",
                                                   redirect_uri=CALLBACK, client_id=app["id"],
                                                   client_secret=app["client_secret"]))
    assert reply.status == 400
    body = reply.json
    assert body["id"] == "api.oauth.get_access_token.expired_code.app_error"
    assert body["error"] == "invalid_grant" and body["error_description"]
    assert body["status_code"] == 400 and body["request_id"]
    assert reply.headers["Cache-Control"] == "no-store"


def test_basic_client_authentication_failure_answers_401_with_www_authenticate(api, app):
    credentials = base64.b64encode(f"{app['id']}:wrong".encode()).decode()
    reply = api.post("/oauth/access_token", body=urllib.parse.urlencode(
        {"grant_type": "refresh_token", "refresh_token": "x"}),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {credentials}"})
    assert reply.status == 401
    assert reply.headers["WWW-Authenticate"].startswith("Basic")
    assert reply.json["error"] == "invalid_client"


def test_repeated_token_parameter_is_invalid_request(api, app):
    reply = api.post("/oauth/access_token", body="grant_type=refresh_token&grant_type=refresh_token",
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert reply.status == 400 and reply.json["error"] == "invalid_request"


def test_metadata_is_served(api):
    reply = api.get("/.well-known/oauth-authorization-server")
    assert reply.status == 200
    assert reply.json["token_endpoint"].endswith("/oauth/access_token")


def test_malformed_app_bodies_answer_400_invalid_body_param(api, admin):
    for body in (b"garbage", b"[]", b'{"name": 5}', b'{"callback_urls": "https://x"}', b'{"is_trusted": "yes"}'):
        reply = api.post("/api/v4/oauth/apps", body=body, token=admin.token,
                         headers={"Content-Type": "application/json"})
        assert reply.status == 400 and reply.error_id == "api.context.invalid_body_param.app_error", body


def test_deactivating_a_user_revokes_their_oauth_tokens(api, app, admin, new_user):
    user = new_user()
    verifier, challenge = pkce()
    redirect = api.post("/oauth/authorize", {"response_type": "code", "client_id": app["id"],
                                             "redirect_uri": CALLBACK, "code_challenge": challenge,
                                             "code_challenge_method": "S256"}, token=user.token).json["redirect"]
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(redirect).query)["code"][0]
    tokens = api.post("/oauth/access_token", **form(
        grant_type="authorization_code", code=code, redirect_uri=CALLBACK, client_id=app["id"],
        client_secret=app["client_secret"], code_verifier=verifier)).json
    assert api.get("/api/v4/users/me", token=tokens["access_token"]).status == 200
    assert api.put(f"/api/v4/users/{user.id}/active", {"active": False}, token=admin.token).status == 200
    assert api.get("/api/v4/users/me", token=tokens["access_token"]).status == 401
    refresh = api.post("/oauth/access_token", **form(grant_type="refresh_token",
                                                     refresh_token=tokens["refresh_token"], client_id=app["id"],
                                                     client_secret=app["client_secret"]))
    assert refresh.status >= 400


def test_oauth_routes_answer_501_while_the_plugin_is_disabled(api, admin, host):
    assert api.post("/api/v4/plugins/oauth-provider/disable", token=admin.token,
                    headers={"X-Requested-With": "XMLHttpRequest"}).status == 200
    try:
        host.wait_state(0)
        reply = api.get("/api/v4/oauth/apps", token=admin.token)
        assert reply.status == 501
        assert reply.headers["Content-Type"] == "application/json"
    finally:
        api.post("/api/v4/plugins/oauth-provider/enable", token=admin.token)
        host.wait_state(2)


def test_bearer_errors_follow_rfc_6750(api):
    bare = api.get("/api/v4/users/me")
    assert bare.status == 401
    assert bare.headers["WWW-Authenticate"] == 'Bearer realm="mattermost"', "no credentials: no error attribute"
    bad = api.get("/api/v4/users/me", token="not-a-valid-token")
    assert bad.status == 401
    assert 'error="invalid_token"' in bad.headers["WWW-Authenticate"]
    assert bad.error_id == "api.context.session_expired.app_error"
