"""API v4 accepts only OAuth tokens meant for it (RFC 8707 resource indicators, RFC 9700 section 2.3), over HTTP
against launched hosts with real code exchanges carrying `resource`.

A token issued for another resource (an MCP server, say) must not be replayable against Mattermost by whoever
receives it. The API's own audiences are the site URL and the site URL + "/api/v4" (README, Security); a token with
no audience is for the site as Mattermost has always issued them. Anything else is 401 with RFC 6750's
`error="invalid_token"` and Mattermost's AppError body, on every route that takes a bearer token. The token itself
is fine for its own resource: introspection still reports it active, with its `aud`."""
from __future__ import annotations

import urllib.parse

import pytest

from tests.forms import pkce
from tests.host.test_security_http import (
    CALLBACK,
    authorize,
    client_post,
    introspect,
    make_app,
    own_host,
    parse_bearer_challenge,
    query_of,
)

OTHER_RS = "https://other-rs.example/api"
SESSION_EXPIRED = "api.context.session_expired.app_error"


@pytest.fixture(scope="module")
def app(api, admin) -> dict:
    return make_app(api, admin.token, name="Audiences")


def exchange(api, user_token: str, app: dict, at_authorize: str = "", at_token: str = "") -> dict:
    """A code flow with `resource` in the authorization request and/or the token request: the token response."""
    verifier, challenge = pkce()
    extra = {"resource": at_authorize} if at_authorize else {}
    code = query_of(authorize(api, user_token, app, challenge, **extra))["code"]
    fields = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier}
    if at_token:
        fields["resource"] = at_token
    reply = client_post(api, "/oauth/access_token", app, "post", fields)
    assert reply.status == 200, reply.body
    return reply.json


def assert_refused_for_its_audience(reply) -> None:
    assert reply.status == 401, (reply.status, reply.body)
    body = reply.json
    assert body["id"] == SESSION_EXPIRED and body["status_code"] == 401 and body["request_id"], body
    assert set(body) == {"id", "message", "detailed_error", "request_id", "status_code"}
    challenge = parse_bearer_challenge(reply.headers["WWW-Authenticate"])
    assert challenge["realm"] == "mattermost" and challenge["error"] == "invalid_token", challenge
    assert "audience" in challenge["error_description"], challenge


def test_a_token_for_another_resource_is_refused_on_api_v4(api, app, new_user):
    user = new_user()
    tokens = exchange(api, user.token, app, at_authorize=OTHER_RS)
    assert tokens["audience"] == OTHER_RS
    bearer = tokens["access_token"]
    for _ in range(2):  # the second time from the host's token cache, if it kept the token
        assert_refused_for_its_audience(api.get("/api/v4/users/me", token=bearer))
    assert_refused_for_its_audience(api.get(f"/api/v4/users/{user.id}/oauth/apps/authorized", token=bearer))
    assert_refused_for_its_audience(api.get("/api/v4/oauth/apps", token=bearer))
    assert_refused_for_its_audience(api.put(f"/api/v4/users/{user.id}/active", {"active": False}, token=bearer))
    assert api.get("/api/v4/users/me", token=user.token).status == 200  # the user's own session is untouched
    active = introspect(api, app, bearer)
    assert active.status == 200 and active.json["active"] is True and active.json["aud"] == OTHER_RS, active.json


def test_a_resource_named_only_at_the_token_request_binds_the_token_too(api, app, new_user):
    tokens = exchange(api, new_user().token, app, at_token=OTHER_RS)
    assert tokens["audience"] == OTHER_RS
    assert_refused_for_its_audience(api.get("/api/v4/users/me", token=tokens["access_token"]))


def test_tokens_with_no_audience_or_the_sites_own_work(api, app, new_user, host):
    site = host.url  # the module's host has no SiteURL: its address is the site
    for resource in ("", site, site + "/", site + "/api/v4", site + "/api/v4/", site.upper().replace("HTTP", "http")):
        user = new_user()
        tokens = exchange(api, user.token, app, at_authorize=resource)
        assert tokens.get("audience", "") == resource
        me = api.get("/api/v4/users/me", token=tokens["access_token"])
        assert me.status == 200 and me.json["id"] == user.id, (resource, me.status, me.body)


def test_lookalikes_of_the_sites_audience_are_refused(api, app, new_user, host):
    site = host.url
    port = urllib.parse.urlsplit(site).port
    for resource in (site + "@evil.example", site + "/api/v4x", site + "/api", site + "/api/v4/users/me",
                     site + "?x=1", site + "/api/v4?x=1", f"http://127.0.0.1:{port + 1}", f"https://127.0.0.1:{port}",
                     site.replace("127.0.0.1", "localhost"), "urn:mattermost:api"):
        tokens = exchange(api, new_user().token, app, at_authorize=resource)
        assert tokens["audience"] == resource
        assert_refused_for_its_audience(api.get("/api/v4/users/me", token=tokens["access_token"]))


def test_the_site_url_names_the_api_s_audience(tmp_path):
    site = "https://chat.example.com/team"
    with own_host(tmp_path, SiteURL=site) as (host, api, boss):
        app = make_app(api, boss, name="Subpath")
        for resource, works in ((site, True), (site + "/api/v4", True), ("https://chat.example.com", False),
                                ("https://chat.example.com/api/v4", False), (host.url, False)):
            reply = api.get("/api/v4/users/me", token=exchange(api, boss, app, at_authorize=resource)["access_token"])
            if works:
                assert reply.status == 200, (resource, reply.body)
            else:
                assert_refused_for_its_audience(reply)
