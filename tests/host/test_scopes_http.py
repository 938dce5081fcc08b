"""Scopes over HTTP, host and plugin launched, on SQLite and on PostgreSQL: every OAuth-token request is checked
against the host's route table (403 with Mattermost's AppError and RFC 6750's insufficient_scope challenge), the
consent page words each scope and asks again only for a new one, apps are restricted to their allowed scopes
(apps API, app form, dynamic registration), system:manage comes only from a system admin, and the granted scope
shows in the token response, introspection and the authorized apps (API and Account Settings page)."""
from __future__ import annotations

import re
import urllib.parse

import pytest

from server_stub.web.route_scopes import ANY_TOKEN, ROUTE_SCOPES
from tests import postgres
from tests.conftest import HostProcess, free_port
from tests.forms import hidden_fields, pkce
from tests.nodes.conftest import point_at

from .conftest import ADMIN_PASSWORD, Account, Api
from .test_pages import Browser, inputs, post_form

CALLBACK = "https://app.example.com/callback"
FORM = {"Content-Type": "application/x-www-form-urlencoded"}

# One call per scope that has routes, made by a token that holds the scope (allowed) and by one that does not
# (refused): (method, path, body, status answered when allowed); {team_id} and {channel_id} are the `place`
# fixture's. A scope that gains routes needs a line here: test_every_scope_with_routes_has_a_sample_call.
SAMPLE_CALLS = {
    "users:read": ("GET", "/api/v4/users/me", None, 200),
    "teams:read": ("GET", "/api/v4/teams/{team_id}", None, 200),
    "teams:write": ("POST", "/api/v4/teams", {"name": "sample-{n}", "display_name": "Sample", "type": "O"}, 201),
    "channels:read": ("GET", "/api/v4/channels/{channel_id}", None, 200),
    "channels:write": ("POST", "/api/v4/channels", {"team_id": "{team_id}", "name": "sample-{n}",
                                                     "display_name": "Sample", "type": "O"}, 201),
    "posts:read": ("GET", "/api/v4/channels/{channel_id}/posts", None, 200),
    "posts:write": ("POST", "/api/v4/posts", {"channel_id": "{channel_id}", "message": "sample {n}"}, 201),
    "system:manage": ("GET", "/api/v4/config", None, 200),
}
# Bodies valid enough that the route reaches the caller's session (the rest get {}).
BODIES = {("POST", "/api/v4/users"): {"email": "walk@example.com", "username": "walk", "password": "Walk-Passw0rd!"}}
PATH_VALUES = {"user_id": "me", "app_id": "a" * 26, "role_id": "r" * 26, "role_name": "system_user",
               "plugin_id": "no.such.plugin", "team_id": "t" * 26, "team_name": "no-such-team",
               "channel_id": "c" * 26, "channel_name": "no-such-channel", "post_id": "p" * 26}


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def host(request, tmp_path_factory):
    process = HostProcess(tmp_path_factory.mktemp("scopes") / "data", free_port())
    if request.param == "postgres":
        with postgres.fresh_schema(postgres.require_dsn()) as dsn:
            point_at(process, dsn)
            process.start()
            yield process
            process.stop()
    else:
        process.start()
        yield process
        process.stop()


class Flow:
    """The admin, apps and the code flow with a scope, over HTTP."""

    def __init__(self, api: Api, admin: Account) -> None:
        self.api, self.admin = api, admin

    def create_app(self, token: str | None = None, **fields):
        body = {"name": "Scoped app", "homepage": "https://app.example.com", "callback_urls": [CALLBACK], **fields}
        return self.api.post("/api/v4/oauth/apps", body, token=token or self.admin.token)

    def app(self, **fields) -> dict:
        reply = self.create_app(**fields)
        assert reply.status == 201, reply.body
        return reply.json

    @staticmethod
    def authorize_path(app: dict, challenge: str, scope: str | None = None, state: str = "st") -> str:
        params = {"response_type": "code", "client_id": app["id"], "redirect_uri": CALLBACK, "state": state,
                  "code_challenge": challenge, "code_challenge_method": "S256"}
        if scope is not None:
            params["scope"] = scope
        return "/oauth/authorize?" + urllib.parse.urlencode(params)

    def allow(self, user: Account, app: dict, scope: str | None = None) -> tuple[dict, str]:
        """The consent API (POST /oauth/authorize, allow): the redirect's parameters and the PKCE verifier."""
        verifier, challenge = pkce()
        body = {"response_type": "code", "client_id": app["id"], "redirect_uri": CALLBACK, "state": "st",
                "code_challenge": challenge, "code_challenge_method": "S256"}
        if scope is not None:
            body["scope"] = scope
        reply = self.api.post("/oauth/authorize", body, token=user.token)
        assert reply.status == 200, reply.body
        return query(reply.json["redirect"]), verifier

    def exchange(self, app: dict, code: str, verifier: str) -> dict:
        reply = self.api.post("/oauth/access_token", body=urllib.parse.urlencode({
            "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "client_id": app["id"],
            "client_secret": app["client_secret"], "code_verifier": verifier}), headers=FORM)
        assert reply.status == 200, reply.body
        return reply.json

    def tokens(self, user: Account, app: dict, scope: str | None = None) -> dict:
        params, verifier = self.allow(user, app, scope)
        assert "code" in params, params
        return self.exchange(app, params["code"], verifier)


def query(url: str) -> dict:
    return {k: v[0] for k, v in urllib.parse.parse_qs(urllib.parse.urlsplit(url).query).items()}


@pytest.fixture(scope="module")
def flow(api, admin) -> Flow:
    return Flow(api, admin)


@pytest.fixture(scope="module")
def manager_app(flow) -> dict:
    """An app a system admin allowed everything, system:manage included."""
    return flow.app(allowed_scopes=["user", "system:manage"])


def token_with(flow: Flow, user: Account, app: dict, scope: str) -> str:
    return flow.tokens(user, app, scope)["access_token"]


def assert_insufficient_scope(reply, scope: str | None) -> None:
    assert reply.status == 403, (scope, reply.body)
    body = reply.json
    assert body["id"] == "api.context.permissions.app_error" and body["status_code"] == 403
    assert body["message"] == "You do not have the appropriate permissions."
    challenge = reply.headers["WWW-Authenticate"]
    assert challenge.startswith('Bearer realm="mattermost", error="insufficient_scope"')
    if scope:
        assert challenge.endswith(f', scope="{scope}"'), challenge
    else:
        assert "scope=" not in challenge.replace("insufficient_scope", "")


# --- enforcement over the route table --------------------------------------------------------------------------

def test_every_scope_with_routes_has_a_sample_call():
    assert {scope for scope in ROUTE_SCOPES.values() if scope != ANY_TOKEN} == set(SAMPLE_CALLS)


@pytest.fixture(scope="module")
def place(api, admin) -> dict:
    """A team of the admin's and its town-square, made with the admin's login session."""
    team = api.post("/api/v4/teams", {"name": "scoped", "display_name": "Scoped", "type": "O"}, token=admin.token)
    assert team.status == 201, team.body
    channel = api.get(f"/api/v4/teams/{team.json['id']}/channels/name/town-square", token=admin.token)
    assert channel.status == 200, channel.body
    return {"team_id": team.json["id"], "channel_id": channel.json["id"]}


def sample_call(scope: str, place: dict, n: int):
    method, path, body, status = SAMPLE_CALLS[scope]
    fill = lambda text: text.format(n=n, **place)  # noqa: E731
    return method, fill(path), {k: fill(v) for k, v in body.items()} if body else None, status


@pytest.mark.parametrize("scope", sorted(SAMPLE_CALLS))
def test_each_scope_allows_its_routes_and_its_absence_refuses_them(api, flow, admin, manager_app, place, scope):
    method, path, body, status = sample_call(scope, place, 1)
    holder = token_with(flow, admin, manager_app, scope)
    allowed = api.request(method, path, **({"json": body} if body else {}), token=holder)
    assert allowed.status == status, allowed.body
    other = next(name for name in ("users:read", "posts:write") if name != scope)
    method, path, body, _ = sample_call(scope, place, 2)
    refused = api.request(method, path, **({"json": body} if body else {}),
                          token=token_with(flow, admin, manager_app, other))
    assert_insufficient_scope(refused, scope)


def test_a_token_without_api_scopes_is_refused_every_route_of_the_table_but_the_open_ones(api, flow, admin):
    """Walks the whole table with a token whose scope gives no API scope (openid): refused before the route
    runs, naming the scope each route needs; the routes open to any token still answer."""
    token = token_with(flow, admin, flow.app(), "openid")
    for (method, pattern), scope in sorted(ROUTE_SCOPES.items()):
        if pattern == "/api/v4/users/logout":
            continue  # it ends the token: last
        path = re.sub(r"\{(\w+)\}", lambda m: PATH_VALUES[m.group(1)], pattern)
        reply = api.request(method, path, json=BODIES.get((method, pattern), {}), token=token)
        if scope == ANY_TOKEN:
            assert "insufficient_scope" not in reply.headers.get("WWW-Authenticate", ""), path
        else:
            assert_insufficient_scope(reply, scope)
    assert api.get("/api/v4/users/me", token=admin.token).status == 200, "nothing was changed by the walk"
    assert api.post("/api/v4/users/logout", token=token).status == 200, "any token may end itself"
    assert api.get("/api/v4/users/me", token=token).status == 401


def test_routes_outside_the_table_refuse_oauth_tokens(api, flow, admin, manager_app):
    token = token_with(flow, admin, manager_app, "user system:manage")
    assert_insufficient_scope(api.post("/oauth/deauthorize", {"client_id": manager_app["id"]}, token=token), None)
    assert api.get("/api/v4/users/me", token=token).status == 200, "the token was not revoked"


def test_login_sessions_are_not_checked_against_scopes(api, admin):
    for path in ("/api/v4/config", "/api/v4/users/me", "/api/v4/oauth/apps"):
        assert api.get(path, token=admin.token).status == 200, path


# --- legacy values: Mattermost's apps keep working -------------------------------------------------------------

@pytest.mark.parametrize("scope", [None, "", "user", "read write"])
def test_mattermosts_scope_values_keep_full_power_but_never_system_manage(api, flow, admin, manager_app, scope):
    issued = flow.tokens(admin, manager_app, scope)
    assert issued["scope"] == "user"
    token = issued["access_token"]
    me = api.get("/api/v4/users/me", token=token)
    assert me.status == 200 and me.json["id"] == admin.id
    assert api.get("/api/v4/roles", token=token).status == 200
    assert_insufficient_scope(api.get("/api/v4/config", token=token), "system:manage")
    assert_insufficient_scope(api.put("/api/v4/config/patch", {"ServiceSettings": {}}, token=token),
                              "system:manage")


def test_system_manage_granted_by_an_admin_changes_the_server(api, flow, admin, manager_app):
    token = token_with(flow, admin, manager_app, "system:manage")
    patched = api.put("/api/v4/config/patch", {"ServiceSettings": {"EnableDynamicClientRegistration": False}},
                      token=token)
    assert patched.status == 200, patched.body
    assert_insufficient_scope(api.get("/api/v4/users/me", token=token), "users:read")


def test_system_manage_is_not_granted_by_a_user_who_is_not_an_admin(api, flow, new_user, manager_app):
    user = new_user()
    page = api.get(flow.authorize_path(manager_app, pkce()[1], "user system:manage"), token=user.token)
    assert page.status == 200
    assert b'id="refused-scopes"' in page.body and b'data-scope="system:manage"' in page.body
    issued = flow.tokens(user, manager_app, "user system:manage")
    assert issued["scope"] == "user"
    params, _ = flow.allow(user, manager_app, "system:manage")
    assert params["error"] == "access_denied" and params["state"] == "st"


# --- consent ---------------------------------------------------------------------------------------------------

def test_consent_page_shows_each_scope_and_is_asked_again_only_for_a_new_one(api, flow, new_user):
    app, user = flow.app(), new_user()
    page = api.get(flow.authorize_path(app, pkce()[1], "posts:read posts:write"), token=user.token)
    assert page.status == 200
    assert b"<li class=\"scope\" data-scope=\"posts:read\">Read messages in channels you can read</li>" in page.body
    assert b"<li class=\"scope\" data-scope=\"posts:write\">Post messages as you</li>" in page.body
    fields = hidden_fields(page.body)
    decided = api.request("POST", "/oauth/authorize/decision", token=user.token, headers=FORM,
                          body=urllib.parse.urlencode({**fields, "decision": "allow"}))
    assert decided.status == 303 and "code" in query(decided.headers["Location"])
    subset = api.get(flow.authorize_path(app, pkce()[1], "posts:read"), token=user.token)
    assert subset.status == 302 and "code" in query(subset.headers["Location"])
    new = api.get(flow.authorize_path(app, pkce()[1], "posts:read channels:read"), token=user.token)
    assert new.status == 200 and b'data-scope="channels:read"' in new.body


# --- allowed scopes per app ------------------------------------------------------------------------------------

def test_the_apps_api_keeps_allowed_scopes_and_a_request_outside_them_is_invalid_scope(api, flow, admin, new_user):
    app = flow.app(allowed_scopes=["posts:write", "channels:read"])
    assert app["allowed_scopes"] == ["channels:read", "posts:write"]
    user = new_user()
    refused = api.get(flow.authorize_path(app, pkce()[1], "posts:read", state="s1"), token=user.token)
    assert refused.status == 302
    assert query(refused.headers["Location"]) == {"error": "invalid_scope", "state": "s1",
                                                   "iss": query(refused.headers["Location"])["iss"]}
    assert flow.tokens(user, app)["scope"] == "channels:read posts:write", "no scope: what the app is allowed"
    # An update that leaves the field out keeps it; one that names it changes it.
    body = {**app, "name": "Renamed"}
    del body["allowed_scopes"]
    kept = api.put(f"/api/v4/oauth/apps/{app['id']}", body, token=admin.token)
    assert kept.status == 200 and kept.json["allowed_scopes"] == ["channels:read", "posts:write"]
    changed = api.put(f"/api/v4/oauth/apps/{app['id']}", {**body, "allowed_scopes": ["posts:read"]},
                      token=admin.token)
    assert changed.status == 200 and changed.json["allowed_scopes"] == ["posts:read"]


def test_the_apps_api_refuses_unknown_scopes_and_system_manage_from_a_user_who_is_not_an_admin(api, flow, admin,
                                                                                            new_user):
    unknown = flow.create_app(allowed_scopes=["posts:read", "everything"])
    assert unknown.status == 400 and unknown.error_id == "model.oauth.is_valid.allowed_scopes.app_error"
    wrong_type = flow.create_app(allowed_scopes="posts:read")
    assert wrong_type.status == 400 and wrong_type.error_id == "api.context.invalid_body_param.app_error"
    user = new_user()
    integrations_for_everyone(api, admin, True)
    try:
        denied = flow.create_app(token=user.token, allowed_scopes=["system:manage"])
        assert denied.status == 403 and denied.error_id == "api.oauth.allowed_scopes.admin_only.app_error"
        assert flow.create_app(token=user.token, allowed_scopes=["posts:read"]).status == 201
    finally:
        integrations_for_everyone(api, admin, False)


def integrations_for_everyone(api: Api, admin: Account, on: bool) -> None:
    """Restrict managing integrations to Admins off (every user gets manage_oauth) or on again."""
    reply = api.put("/api/v4/config/patch", {"ServiceSettings": {"EnableOnlyAdminIntegrations": not on}},
                    token=admin.token)
    assert reply.status == 200, reply.body


def test_the_app_form_sets_allowed_scopes(api, admin):
    browser = Browser(api)
    assert browser.log_in(admin.username, ADMIN_PASSWORD).status == 303
    page = browser.get("/integrations/oauth2-apps/add")
    assert page.status == 200
    assert b'name="allowed_scope" value="posts:write"' in page.body
    assert b'name="allowed_scope" value="system:manage"' in page.body, "a system admin may allow it"
    fields = [("csrf", inputs(page.body)["csrf"]), ("name", "Form app"), ("description", "from the form"),
              ("homepage", "https://app.example.com"), ("callback_urls", CALLBACK),
              ("allowed_scope", "posts:write"), ("allowed_scope", "channels:read")]
    created = post_form(api, "/integrations/oauth2-apps/add", fields, browser.cookie)
    assert created.status == 200, created.body
    apps = api.get("/api/v4/oauth/apps", token=admin.token).json
    [app] = [a for a in apps if a["name"] == "Form app"]
    assert app["allowed_scopes"] == ["channels:read", "posts:write"]
    edit = browser.get(f"/integrations/oauth2-apps/{app['id']}/edit")
    assert b'value="posts:write" id="scope-posts-write" checked' in edit.body
    assert b'value="posts:read" id="scope-posts-read" >' in edit.body


def test_a_dynamically_registered_client_gets_the_scopes_it_declared(api, flow, admin, new_user):
    assert api.put("/api/v4/config/patch", {"ServiceSettings": {"EnableDynamicClientRegistration": True}},
                   token=admin.token).status == 200
    try:
        registered = api.post("/api/v4/oauth/apps/register", {"redirect_uris": [CALLBACK], "client_name": "MCP",
                                                               "scope": "posts:read invented"})
        assert registered.status == 201, registered.body
        assert registered.json["scope"] == "posts:read"
        app = {"id": registered.json["client_id"], "client_secret": registered.json["client_secret"]}
        user = new_user()
        params, _ = flow.allow(user, app, "posts:write")
        assert params["error"] == "invalid_scope"
        assert flow.tokens(user, app, "posts:read")["scope"] == "posts:read"
    finally:
        api.put("/api/v4/config/patch", {"ServiceSettings": {"EnableDynamicClientRegistration": False}},
                token=admin.token)


# --- where the granted scope shows -------------------------------------------------------------------------------

def test_granted_scopes_in_token_response_introspection_and_authorized_apps(api, flow, new_user):
    app, user = flow.app(), new_user()
    issued = flow.tokens(user, app, "posts:read channels:read")
    assert issued["scope"] == "channels:read posts:read"
    introspected = api.post("/oauth/introspect", body=urllib.parse.urlencode({
        "token": issued["access_token"], "client_id": app["id"], "client_secret": app["client_secret"]}),
        headers=FORM)
    assert introspected.status == 200 and introspected.json["scope"] == "channels:read posts:read"
    [authorized] = api.get("/api/v4/users/me/oauth/apps/authorized", token=user.token).json
    assert authorized["id"] == app["id"] and authorized["granted_scope"] == "channels:read posts:read"
    browser = Browser(api)
    assert browser.log_in(user.username, "User-Passw0rd!").status == 303
    page = browser.get("/account/security")
    assert page.status == 200
    assert b'<li class="scope" data-scope="channels:read">See the channels you can see and their members</li>' \
        in page.body
    assert b'data-scope="posts:read"' in page.body
