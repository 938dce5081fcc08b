"""OpenID Connect through the host, over HTTP: the discovery document and the JWKS served from their routes, the
login page for prompt=login (reauth, login_hint), prompt=none answered by redirect without a page, the form_post
page (auto-submitting, with the pages' framing, referrer and CSP rules), and UserInfo's RFC 6750 answers."""
from __future__ import annotations

import html
import re
import urllib.parse

import pytest

from tests.forms import hidden_fields, pkce

CALLBACK = "https://rp.example.com/callback"


@pytest.fixture(scope="module")
def app(api, admin) -> dict:
    reply = api.post("/api/v4/oauth/apps", {"name": "Relying party", "homepage": "https://rp.example.com",
                                            "callback_urls": [CALLBACK]}, token=admin.token)
    assert reply.status == 201, reply.body
    return reply.json


def authorize_path(app: dict, **fields) -> str:
    query = {"response_type": "code", "client_id": app["id"], "redirect_uri": CALLBACK, "state": "st",
             "scope": "openid email", "code_challenge": pkce()[1], "code_challenge_method": "S256", **fields}
    return "/oauth/authorize?" + urllib.parse.urlencode(query)


def form_body(fields: dict) -> dict:
    return {"body": urllib.parse.urlencode(fields), "headers": {"Content-Type": "application/x-www-form-urlencoded"}}


def consented_tokens(api, app, user, **fields) -> dict:
    verifier, challenge = pkce()
    page = api.get(authorize_path(app, code_challenge=challenge, **fields), token=user.token)
    assert page.status == 200, page.body
    decided = api.post("/oauth/authorize/decision", **form_body({**hidden_fields(page.body), "decision": "allow"}),
                       token=user.token)
    assert decided.status == 303, decided.body
    code = urllib.parse.parse_qs(urllib.parse.urlsplit(decided.headers["Location"]).query)["code"][0]
    reply = api.post("/oauth/access_token", **form_body({
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "client_id": app["id"],
        "client_secret": app["client_secret"], "code_verifier": verifier}))
    assert reply.status == 200, reply.body
    return reply.json


def test_discovery_and_jwks_are_served_with_the_site_url_as_issuer(api, host):
    document = api.get("/.well-known/openid-configuration")
    assert document.status == 200 and document.headers["Content-Type"] == "application/json"
    assert document.json["issuer"] == host.url == api.get("/.well-known/oauth-authorization-server").json["issuer"]
    keys = api.get("/oauth/jwks")
    assert keys.status == 200 and {k["alg"] for k in keys.json["keys"]} == {"RS256", "ES256"}
    assert all(k["kid"] and "d" not in k for k in keys.json["keys"])


def test_prompt_none_without_a_session_redirects_login_required_without_a_page(api, app, host):
    reply = api.get(authorize_path(app, prompt="none"))
    assert reply.status == 302
    location = reply.headers["Location"]
    assert location.startswith(CALLBACK + "?")
    assert urllib.parse.parse_qs(urllib.parse.urlsplit(location).query) == \
        {"error": ["login_required"], "state": ["st"], "iss": [host.url]}


def test_prompt_login_sends_a_signed_in_user_to_the_login_form_with_the_hint(api, app, new_user):
    user = new_user()
    reply = api.get(authorize_path(app, prompt="login", login_hint=user.username), token=user.token)
    assert reply.status == 302
    location = urllib.parse.urlsplit(reply.headers["Location"])
    login = urllib.parse.parse_qs(location.query)
    assert location.path == "/login" and login["reauth"] == ["1"] and login["login_hint"] == [user.username]
    back = urllib.parse.parse_qs(urllib.parse.urlsplit(login["redirect_to"][0]).query)
    assert back["prompt"] == ["login"] and back["authenticated_after"][0].isdigit()

    page = api.get(reply.headers["Location"], token=user.token)  # signed in, but asked for the password again
    assert page.status == 200
    assert f'name="login_id" value="{user.username}"' in page.body.decode()


def test_form_post_is_an_auto_submitting_page_that_cannot_be_framed(api, app, new_user, host):
    user = new_user()
    page = api.get(authorize_path(app, response_mode="form_post"), token=user.token)
    decided = api.post("/oauth/authorize/decision", **form_body({**hidden_fields(page.body), "decision": "allow"}),
                       token=user.token)
    assert decided.status == 200, decided.body
    body = decided.body.decode()
    assert f'action="{CALLBACK}"' in body and '<script src="/static/form_post.js"></script>' in body
    fields = {name: html.unescape(value) for name, value in
              re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', body)}
    assert set(fields) == {"code", "state", "iss"} and fields["iss"] == host.url and fields["state"] == "st"
    assert decided.headers["X-Frame-Options"] == "DENY" and decided.headers["Referrer-Policy"] == "no-referrer"
    policy = decided.headers["Content-Security-Policy"]
    assert "form-action 'self' https://rp.example.com" in policy and "frame-ancestors 'none'" in policy
    assert "script-src 'self'" in policy and decided.headers["Cache-Control"] == "no-store"


def test_userinfo_get_and_post_with_the_bearer_token(api, app, new_user):
    user = new_user()
    tokens = consented_tokens(api, app, user)
    assert tokens["id_token"]
    for reply in (api.get("/oauth/userinfo", token=tokens["access_token"]),
                  api.post("/oauth/userinfo", token=tokens["access_token"]),
                  api.post("/oauth/userinfo", **form_body({"access_token": tokens["access_token"]}))):
        assert reply.status == 200, reply.body
        assert reply.json == {"sub": user.id, "email": user.email, "email_verified": True}
        assert reply.headers["Cache-Control"] == "no-store"


def test_userinfo_errors_follow_rfc_6750(api, app, new_user):
    missing = api.get("/oauth/userinfo")
    assert missing.status == 401 and missing.headers["WWW-Authenticate"] == 'Bearer realm="mattermost"'
    bad = api.get("/oauth/userinfo", token="not-a-token")
    assert bad.status == 401 and 'error="invalid_token"' in bad.headers["WWW-Authenticate"]
    assert bad.json["error"] == "invalid_token" and bad.json["status_code"] == 401

    user = new_user()
    plain = consented_tokens(api, app, user, scope="user")
    refused = api.get("/oauth/userinfo", token=plain["access_token"])
    assert refused.status == 403 and 'error="insufficient_scope"' in refused.headers["WWW-Authenticate"]
    in_query = api.get("/oauth/userinfo?access_token=" + plain["access_token"])
    assert in_query.status == 401  # never from the query string


# --- RP-initiated logout ---------------------------------------------------------------------------------------

LOGGED_OUT = "https://rp.example.com/logged-out"


@pytest.fixture(scope="module")
def logout_app(api, admin) -> dict:
    reply = api.post("/api/v4/oauth/apps", {"name": "Logout RP", "homepage": "https://rp.example.com",
                                            "callback_urls": [CALLBACK], "post_logout_redirect_uris": [LOGGED_OUT]},
                     token=admin.token)
    assert reply.status == 201, reply.body
    assert reply.json["post_logout_redirect_uris"] == [LOGGED_OUT] and reply.json["openid_disabled"] is False
    return reply.json


def signed_in(api, user) -> bool:
    return api.get("/api/v4/users/me", token=user.token).status == 200


def test_end_session_with_the_users_id_token_ends_the_session_and_returns_with_the_state(api, logout_app, new_user,
                                                                                         host):
    user = new_user()
    tokens = consented_tokens(api, logout_app, user)
    discovered = api.get("/.well-known/openid-configuration").json
    assert discovered["end_session_endpoint"] == host.url + "/oauth/end_session"
    reply = api.get("/oauth/end_session?" + urllib.parse.urlencode({
        "id_token_hint": tokens["id_token"], "post_logout_redirect_uri": LOGGED_OUT, "state": "bye"}), token=user.token)
    assert reply.status == 303 and reply.headers["Location"] == LOGGED_OUT + "?state=bye"
    assert not signed_in(api, user)


def test_end_session_without_a_hint_asks_first(api, logout_app, new_user):
    user = new_user()
    page = api.get("/oauth/end_session?" + urllib.parse.urlencode({
        "client_id": logout_app["id"], "post_logout_redirect_uri": LOGGED_OUT}), token=user.token)
    assert page.status == 200 and b"Log out of Mattermost?" in page.body and b"Logout RP" in page.body
    assert signed_in(api, user)  # nothing changed on a GET without the user's ID token
    fields = hidden_fields(page.body)
    forged = api.post("/oauth/end_session/confirm", **form_body({**fields, "csrf": "wrong"}), token=user.token)
    assert forged.status == 403 and signed_in(api, user)
    confirmed = api.post("/oauth/end_session/confirm", **form_body(fields), token=user.token)
    assert confirmed.status == 303 and confirmed.headers["Location"] == LOGGED_OUT
    assert not signed_in(api, user)


@pytest.mark.parametrize("params", [
    {"post_logout_redirect_uri": "https://evil.example.com/"},  # no client named
    {"client_id": "x" * 26, "post_logout_redirect_uri": LOGGED_OUT},  # no such client
    {"id_token_hint": "not.a.token"},
])
def test_end_session_refuses_what_it_cannot_trust_with_an_error_page(api, logout_app, params):
    reply = api.get("/oauth/end_session?" + urllib.parse.urlencode(params))
    assert reply.status == 400 and reply.headers["Content-Type"].startswith("text/html")


def test_end_session_refuses_a_logout_uri_the_client_did_not_register(api, logout_app, new_user):
    user = new_user()
    tokens = consented_tokens(api, logout_app, user)
    reply = api.get("/oauth/end_session?" + urllib.parse.urlencode({
        "id_token_hint": tokens["id_token"], "post_logout_redirect_uri": CALLBACK}), token=user.token)
    assert reply.status == 400 and signed_in(api, user)


def test_an_app_refused_openid_gets_no_id_token(api, admin, new_user):
    created = api.post("/api/v4/oauth/apps", {"name": "No OpenID", "homepage": "https://rp.example.com",
                                              "callback_urls": [CALLBACK], "openid_disabled": True}, token=admin.token)
    assert created.status == 201 and created.json["openid_disabled"] is True
    user = new_user()
    tokens = consented_tokens(api, created.json, user)
    assert tokens["id_token"] == ""
    assert api.get("/oauth/userinfo", token=tokens["access_token"]).status == 403
