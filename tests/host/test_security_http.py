"""Token security and the standard endpoints over HTTP, against a launched host and its plugin: the refresh grace
window under concurrent requests, RFC 7009 revocation, RFC 7662 introspection, RFC 9207 `iss`, RFC 8414 metadata
that lists exactly what works, client authentication (RFC 6749 section 2.3.1), RFC 6750 bearer challenges, rate
limits and the audit trail (README, section Security).

The module's host (tests/host/conftest.py) runs with the default plugin settings; tests that need other settings
start a host of their own, configured before it starts (HostProcess.configure), or change the configuration with
PUT /api/v4/config/patch and wait until the change shows."""
from __future__ import annotations

import base64
import contextlib
import hashlib
import re
import sqlite3
import threading
import time
import urllib.parse
from concurrent.futures import ThreadPoolExecutor

import pytest

from plugin.oauth.scopes import SCOPES
from tests.conftest import PLUGIN_ID, HostProcess, free_port, wait_for
from tests.forms import hidden_fields, pkce
from tests.host.conftest import ADMIN_PASSWORD, Api

CALLBACK = "https://app.example.com/callback"
FORM = "application/x-www-form-urlencoded"
BAD_CLIENT = "api.oauth.get_access_token.credentials.app_error"
INVALID_REFRESH = "api.oauth.get_access_token.refresh_token.app_error"
RATE_LIMITED = "api.oauth.rate_limited.app_error"
# RFC 6749 section 5.2: the characters allowed in `error` and `error_description`.
RFC6749_TEXT = re.compile(r"[\x20-\x21\x23-\x5B\x5D-\x7E]*")


# --- helpers ---------------------------------------------------------------------------------------------------

def query_of(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query, keep_blank_values=True))


def sha256(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def basic(client_id: str, secret: str) -> str:
    """client_secret_basic as RFC 6749 section 2.3.1 has it: each part form-urlencoded, then base64."""
    raw = f"{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(secret)}"
    return "Basic " + base64.b64encode(raw.encode()).decode()


def client_post(api: Api, path: str, app: dict | None, auth: str = "post", fields=(), headers=None):
    """POST a form to a client endpoint, authenticating as `app` with `auth`: "post" (client_secret_post),
    "basic" (client_secret_basic), "none" (client_id only) or "" (no credentials)."""
    pairs = list(fields.items()) if isinstance(fields, dict) else list(fields)
    all_headers = {"Content-Type": FORM, **(headers or {})}
    if auth == "post":
        pairs += [("client_id", app["id"]), ("client_secret", app["client_secret"])]
    elif auth == "basic":
        all_headers.setdefault("Authorization", basic(app["id"], app["client_secret"]))
    elif auth == "none":
        pairs.append(("client_id", app["id"]))
    return api.post(path, body=urllib.parse.urlencode(pairs), headers=all_headers)


def make_app(api: Api, admin_token: str, **fields) -> dict:
    body = {"name": "Security test app", "homepage": "https://app.example.com", "callback_urls": [CALLBACK]}
    body.update(fields)
    reply = api.post("/api/v4/oauth/apps", body, token=admin_token)
    assert reply.status == 201, reply.body
    return reply.json


def authorize(api: Api, user_token: str, app: dict, challenge: str = "", **fields) -> str:
    """The user's consent the way Mattermost's web app asks for it (POST /oauth/authorize): the redirect URL."""
    body = {"response_type": "code", "client_id": app["id"], "redirect_uri": CALLBACK, "state": "st"}
    if challenge:
        body.update(code_challenge=challenge, code_challenge_method="S256")
    body.update(fields)
    reply = api.post("/oauth/authorize", body, token=user_token)
    assert reply.status == 200, reply.body
    return reply.json["redirect"]


def tokens_for(api: Api, user_token: str, app: dict, auth: str = "post", **authorize_fields) -> dict:
    verifier, challenge = pkce()
    code = query_of(authorize(api, user_token, app, challenge, **authorize_fields))["code"]
    reply = client_post(api, "/oauth/access_token", app, auth, {
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier})
    assert reply.status == 200, reply.body
    return reply.json


def refresh(api: Api, app: dict, refresh_token: str, auth: str = "post"):
    return client_post(api, "/oauth/access_token", app, auth,
                       {"grant_type": "refresh_token", "refresh_token": refresh_token})


def revoke(api: Api, app: dict | None, token: str, auth: str = "post", headers: dict | None = None, **fields):
    return client_post(api, "/oauth/revoke", app, auth, {"token": token, **fields}, headers=headers)


def introspect(api: Api, app: dict | None, token: str, auth: str = "post", headers: dict | None = None,
               **fields):
    return client_post(api, "/oauth/introspect", app, auth, {"token": token, **fields}, headers=headers)


def works(api: Api, access_token: str) -> bool:
    status = api.get("/api/v4/users/me", token=access_token).status
    assert status in (200, 401), status
    return status == 200


def assert_no_store(reply) -> None:
    assert reply.headers["Cache-Control"] == "no-store" and reply.headers["Pragma"] == "no-cache", reply.headers


def assert_oauth_error(reply, status: int, error: str) -> dict:
    assert reply.status == status, (reply.status, reply.body)
    body = reply.json
    assert body["error"] == error, body
    assert RFC6749_TEXT.fullmatch(body["error_description"]), body["error_description"]
    assert_no_store(reply)
    return body


def db_path(host: HostProcess):
    return host.data_dir / "files" / "plugins" / PLUGIN_ID / "oauth.db"


def db_execute(host: HostProcess, sql: str, params=()) -> list:
    with contextlib.closing(sqlite3.connect(db_path(host), timeout=10)) as db:
        with db:
            return db.execute(sql, params).fetchall()


def audit_trail(api: Api, admin_token: str) -> list[dict]:
    events, page = [], 0
    while True:
        reply = api.get(f"/api/v4/oauth/audits?page={page}&per_page=200", token=admin_token)
        assert reply.status == 200, reply.body
        events.extend(reply.json)
        if len(reply.json) < 200:
            return events
        page += 1


def leave_time_in_the_rate_window(margin: float = 8.0) -> None:
    """Rate limits count per one-minute window of the wall clock: do not start counting just before it ends."""
    left = 60 - time.time() % 60
    if left < margin:
        time.sleep(left + 0.05)


@contextlib.contextmanager
def own_host(directory, plugin_settings: dict | None = None, **service):
    """A host of this test's own, its plugin settings written to config.json before it starts; yields
    (host, api, admin token) with the first account as system admin."""
    process = HostProcess(directory / "data", free_port())

    def change(config):
        config["PluginSettings"].setdefault("Plugins", {})[PLUGIN_ID] = dict(plugin_settings or {})
        config["ServiceSettings"].update(service)

    process.configure(change)
    try:
        process.start()
        api = Api(process.url)
        created = api.post("/api/v4/users", {"email": "boss@example.com", "username": "boss",
                                              "password": ADMIN_PASSWORD})
        assert created.status == 201, created.body
        yield process, api, api.login("boss", ADMIN_PASSWORD).headers["Token"]
    finally:
        process.stop()


def create_user(api: Api, admin_token: str, name: str) -> tuple[str, str]:
    """(user id, session token) of a new ordinary account."""
    created = api.post("/api/v4/users", {"email": f"{name}@example.com", "username": name,
                                          "password": "User-Passw0rd!"}, token=admin_token)
    assert created.status == 201, created.body
    return created.json["id"], api.login(name, "User-Passw0rd!").headers["Token"]


def at_once(count: int, attempt) -> list:
    """Run attempt(i) on `count` threads released together."""
    barrier = threading.Barrier(count)

    def run(i):
        barrier.wait(timeout=30)
        return attempt(i)

    with ThreadPoolExecutor(count) as pool:
        return list(pool.map(run, range(count)))


@pytest.fixture(scope="module")
def app(api, admin) -> dict:
    return make_app(api, admin.token, name="Confidential")


@pytest.fixture(scope="module")
def other_app(api, admin) -> dict:
    return make_app(api, admin.token, name="Another client")


@pytest.fixture(scope="module")
def public_app(api, admin) -> dict:
    created = make_app(api, admin.token, name="Public", is_public=True)
    assert created["is_public"] and created["client_secret"] == ""
    return created


@pytest.fixture(scope="module")
def metadata(api) -> dict:
    reply = api.get("/.well-known/oauth-authorization-server")
    assert reply.status == 200, reply.body
    return reply.json


# --- code replay, refresh rotation and the grace window ------------------------------------------------------

def test_code_replay_revokes_the_tokens_issued_from_the_code(api, app, new_user):
    user = new_user()
    verifier, challenge = pkce()
    code = query_of(authorize(api, user.token, app, challenge))["code"]
    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier}
    first = client_post(api, "/oauth/access_token", app, "post", exchange)
    assert first.status == 200, first.body
    assert works(api, first.json["access_token"])
    assert_oauth_error(client_post(api, "/oauth/access_token", app, "post", exchange), 400, "invalid_grant")
    assert not works(api, first.json["access_token"])
    assert_oauth_error(refresh(api, app, first.json["refresh_token"]), 404, "invalid_grant")


def test_refresh_token_reuse_after_the_grace_window_revokes_the_family(api, app, new_user, host):
    user = new_user()
    first = tokens_for(api, user.token, app)
    second = refresh(api, app, first["refresh_token"]).json
    db_execute(host, "UPDATE oauth_refresh_tokens SET rotated_at = rotated_at - 31000 WHERE token_hash = ?",
               (sha256(first["refresh_token"]),))
    assert_oauth_error(refresh(api, app, first["refresh_token"]), 404, "invalid_grant")
    assert not works(api, second["access_token"])
    assert_oauth_error(refresh(api, app, second["refresh_token"]), 404, "invalid_grant")


def test_refresh_repeated_within_the_grace_window_gets_the_same_successor(api, app, new_user):
    user = new_user()
    first = tokens_for(api, user.token, app)
    second = refresh(api, app, first["refresh_token"], auth="basic")
    again = refresh(api, app, first["refresh_token"], auth="post")
    assert second.status == again.status == 200, (second.body, again.body)
    assert_no_store(again)
    assert (again.json["access_token"], again.json["refresh_token"]) == \
        (second.json["access_token"], second.json["refresh_token"])
    assert works(api, second.json["access_token"])


def test_ten_simultaneous_refreshes_inside_the_grace_window_revoke_nothing_and_leave_one_live_family(
        api, admin, app, new_user, host):
    """Ten requests with one refresh token at the same instant (tabs, retries) within the default 30 s window:
    every one gets the same successor, nothing is revoked, and that one family lives on."""
    user = new_user()
    tokens = tokens_for(api, user.token, app)
    replies = at_once(10, lambda i: refresh(api, app, tokens["refresh_token"], auth=("post", "basic")[i % 2]))
    assert [r.status for r in replies] == [200] * 10, [r.body for r in replies]
    successors = {(r.json["access_token"], r.json["refresh_token"]) for r in replies}
    assert len(successors) == 1
    access, refresh_token = successors.pop()
    assert works(api, access)
    grant_id = db_execute(host, "SELECT grant_id FROM oauth_access_tokens WHERE token_hash = ?", (sha256(access),))
    live = db_execute(host, "SELECT COUNT(*) FROM oauth_refresh_tokens WHERE client_id = ? AND user_id = ?"
                            " AND rotated_at IS NULL", (app["id"], user.id))
    assert live == [(1,)], "one family, one live refresh token"
    events = [e for e in audit_trail(api, admin.token) if e["grant_id"] == grant_id[0][0]]
    assert not [e for e in events if e["type"] == "refresh_reuse_detected"]
    following = refresh(api, app, refresh_token)
    assert following.status == 200, following.body
    assert works(api, following.json["access_token"])


def test_ten_simultaneous_refreshes_without_a_grace_window_revoke_the_family(tmp_path):
    """RefreshTokenGracePeriodSeconds 0: any second presentation is reuse. Of ten simultaneous refreshes one
    rotates the token, the others lose and count as reuse, so the whole family is revoked, the winner's new
    tokens included."""
    with own_host(tmp_path, {"RefreshTokenGracePeriodSeconds": 0}) as (host, api, boss):
        app = make_app(api, boss)
        _, user_token = create_user(api, boss, "racer")
        tokens = tokens_for(api, user_token, app)
        replies = at_once(10, lambda i: refresh(api, app, tokens["refresh_token"]))
        winners = [r for r in replies if r.status == 200]
        assert len(winners) == 1, [(r.status, r.body) for r in replies]
        for loser in replies:
            if loser.status != 200:
                assert_oauth_error(loser, 404, "invalid_grant")
        assert not works(api, winners[0].json["access_token"])
        assert_oauth_error(refresh(api, app, winners[0].json["refresh_token"]), 404, "invalid_grant")
        assert db_execute(host, "SELECT COUNT(*) FROM oauth_refresh_tokens WHERE client_id = ?", (app["id"],)) \
            == [(0,)]
        assert "refresh_reuse_detected" in {e["type"] for e in audit_trail(api, boss)}


# --- RFC 7009 revocation -----------------------------------------------------------------------------------

def test_revoking_an_access_token_revokes_only_that_token(api, app, new_user):
    user = new_user()
    tokens, other = tokens_for(api, user.token, app), tokens_for(api, user.token, app)
    reply = revoke(api, app, tokens["access_token"], auth="basic", token_type_hint="access_token")
    assert reply.status == 200 and reply.body == b""
    assert_no_store(reply)
    assert not works(api, tokens["access_token"])
    assert works(api, other["access_token"])
    assert refresh(api, app, tokens["refresh_token"]).status == 200


def test_revoking_a_refresh_token_revokes_its_grant(api, app, new_user):
    user = new_user()
    tokens, other = tokens_for(api, user.token, app), tokens_for(api, user.token, app)
    assert revoke(api, app, tokens["refresh_token"], token_type_hint="refresh_token").status == 200
    assert not works(api, tokens["access_token"])
    assert_oauth_error(refresh(api, app, tokens["refresh_token"]), 404, "invalid_grant")
    assert works(api, other["access_token"])


def test_revoking_an_unknown_token_answers_200(api, app):
    for auth in ("post", "basic"):
        reply = revoke(api, app, "not-a-token-at-all", auth=auth)
        assert reply.status == 200 and reply.body == b""
        assert_no_store(reply)


def test_revoking_another_clients_token_answers_200_and_revokes_nothing(api, app, other_app, new_user):
    tokens = tokens_for(api, new_user().token, app)
    assert revoke(api, other_app, tokens["access_token"]).status == 200
    assert revoke(api, other_app, tokens["refresh_token"], auth="basic").status == 200
    assert works(api, tokens["access_token"])
    assert refresh(api, app, tokens["refresh_token"]).status == 200


def test_public_client_revokes_with_its_client_id_alone(api, public_app, new_user):
    tokens = tokens_for(api, new_user().token, public_app, auth="none")
    assert tokens["refresh_token"] == ""
    assert revoke(api, public_app, tokens["access_token"], auth="none").status == 200
    assert not works(api, tokens["access_token"])


def test_unauthenticated_revocation_answers_401(api, app, new_user):
    tokens = tokens_for(api, new_user().token, app)
    assert_oauth_error(revoke(api, None, tokens["access_token"], auth=""), 401, "invalid_client")
    assert_oauth_error(revoke(api, app, tokens["access_token"], auth="none"), 401, "invalid_client")
    wrong = {**app, "client_secret": "wrong"}
    assert_oauth_error(revoke(api, wrong, tokens["access_token"], auth="post"), 401, "invalid_client")
    reply = revoke(api, wrong, tokens["access_token"], auth="basic")
    assert_oauth_error(reply, 401, "invalid_client")
    assert reply.headers["WWW-Authenticate"].startswith("Basic ")
    assert works(api, tokens["access_token"])


def test_revocation_without_a_token_is_invalid_request(api, app):
    assert_oauth_error(client_post(api, "/oauth/revoke", app, "post", {}), 400, "invalid_request")


# --- RFC 7662 introspection ----------------------------------------------------------------------------------

def test_introspection_of_an_active_token_has_the_fields_and_the_username(api, app, new_user, host):
    user = new_user()
    before = int(time.time())
    tokens = tokens_for(api, user.token, app, auth="basic")
    for token, token_type, auth in ((tokens["access_token"], "access_token", "basic"),
                                    (tokens["refresh_token"], "refresh_token", "post")):
        reply = introspect(api, app, token, auth=auth)
        assert reply.status == 200 and reply.headers["Content-Type"] == "application/json"
        assert_no_store(reply)
        body = reply.json
        assert set(body) == {"active", "scope", "client_id", "token_type", "exp", "iat", "sub", "iss", "username"}
        assert (body["active"], body["scope"], body["client_id"], body["token_type"], body["sub"],
                body["username"], body["iss"]) == (True, "user", app["id"], token_type, user.id, user.username,
                                                   host.url)
        assert before <= body["iat"] <= int(time.time()) < body["exp"]
    resource = "https://api.example.com/mcp"
    bound = tokens_for(api, user.token, app, resource=resource)
    assert introspect(api, app, bound["access_token"]).json["aud"] == resource


def test_introspection_answers_exactly_active_false_for_anything_not_active(api, app, other_app, new_user, host):
    user = new_user()
    expired = tokens_for(api, user.token, app)
    db_execute(host, "UPDATE oauth_access_tokens SET expires_at = ? WHERE token_hash = ?",
               (int(time.time() * 1000) - 1000, sha256(expired["access_token"])))
    revoked = tokens_for(api, user.token, app)
    assert revoke(api, app, revoked["refresh_token"]).status == 200
    foreign = tokens_for(api, user.token, other_app)
    for token in ("unknown-token", expired["access_token"], revoked["access_token"], revoked["refresh_token"],
                  foreign["access_token"], foreign["refresh_token"]):
        for auth in ("post", "basic"):
            reply = introspect(api, app, token, auth=auth)
            assert reply.status == 200 and reply.body == b'{"active":false}', (token, reply.body)
            assert reply.json == {"active": False}
            assert_no_store(reply)


def test_introspection_without_client_authentication_answers_401(api, app, new_user):
    tokens = tokens_for(api, new_user().token, app)
    for reply in (introspect(api, None, tokens["access_token"], auth=""),
                  introspect(api, app, tokens["access_token"], auth="none"),
                  introspect(api, {**app, "client_secret": "wrong"}, tokens["access_token"], auth="post")):
        body = assert_oauth_error(reply, 401, "invalid_client")
        assert "active" not in body
    reply = introspect(api, {**app, "client_secret": "wrong"}, tokens["access_token"], auth="basic")
    assert_oauth_error(reply, 401, "invalid_client")
    assert reply.headers["WWW-Authenticate"].startswith("Basic ")


def test_public_clients_cannot_introspect(api, public_app, new_user):
    tokens = tokens_for(api, new_user().token, public_app, auth="none")
    assert_oauth_error(introspect(api, public_app, tokens["access_token"], auth="none"), 401, "invalid_client")


def test_introspection_without_a_token_is_invalid_request(api, app):
    assert_oauth_error(client_post(api, "/oauth/introspect", app, "basic", {}), 400, "invalid_request")


# --- RFC 9207 iss --------------------------------------------------------------------------------------------

def test_code_and_error_redirects_carry_iss(api, app, new_user, metadata, host):
    issuer = metadata["issuer"]
    assert issuer == host.url and metadata["authorization_response_iss_parameter_supported"] is True
    user = new_user()
    query = {"response_type": "code", "client_id": app["id"], "redirect_uri": CALLBACK, "state": "s 1",
             "code_challenge": pkce()[1], "code_challenge_method": "S256"}
    fields = hidden_fields(api.get("/oauth/authorize?" + urllib.parse.urlencode(query), token=user.token).body)

    denied = api.post("/oauth/authorize/decision", token=user.token, body=urllib.parse.urlencode(
        {**fields, "decision": "deny"}), headers={"Content-Type": FORM})
    assert denied.status == 303
    assert query_of(denied.headers["Location"]) == {"error": "access_denied", "state": "s 1", "iss": issuer}

    allowed = api.post("/oauth/authorize/decision", token=user.token, body=urllib.parse.urlencode(
        {**fields, "decision": "allow"}), headers={"Content-Type": FORM})
    assert allowed.status == 303
    params = query_of(allowed.headers["Location"])
    assert params["iss"] == issuer and params["state"] == "s 1" and params["code"]

    remembered = api.get("/oauth/authorize?" + urllib.parse.urlencode(query), token=user.token)
    assert remembered.status == 302 and query_of(remembered.headers["Location"])["iss"] == issuer

    unsupported = api.get("/oauth/authorize?" + urllib.parse.urlencode({**query, "response_type": "token"}),
                          token=user.token)
    assert unsupported.status == 302
    assert query_of(unsupported.headers["Location"]) == \
        {"error": "unsupported_response_type", "state": "s 1", "iss": issuer}

    assert query_of(authorize(api, user.token, app, pkce()[1]))["iss"] == issuer  # the consent API too


# --- RFC 8414 metadata: every endpoint and method listed works, nothing else -----------------------------------

def path_of(url: str, issuer: str) -> str:
    assert url.startswith(issuer + "/"), url
    return url[len(issuer):]


def test_metadata_lists_exactly_the_endpoints_that_answer(api, app, metadata):
    issuer = metadata["issuer"]
    endpoints = {k: v for k, v in metadata.items() if k.endswith("_endpoint")}
    assert set(endpoints) == {"authorization_endpoint", "token_endpoint", "revocation_endpoint",
                              "introspection_endpoint",
                              "pushed_authorization_request_endpoint"}  # registration is off by default
    authorization = path_of(metadata["authorization_endpoint"], issuer) + "?" + urllib.parse.urlencode(
        {"response_type": "code", "client_id": app["id"], "redirect_uri": CALLBACK})
    login = api.get(authorization)  # no session yet: the login page, and back
    assert login.status == 302 and urllib.parse.urlsplit(login.headers["Location"]).path == "/login"
    assert_oauth_error(api.post(path_of(metadata["token_endpoint"], issuer), body="",
                                headers={"Content-Type": FORM}), 400, "unsupported_grant_type")
    for key in ("revocation_endpoint", "introspection_endpoint", "pushed_authorization_request_endpoint"):
        assert_oauth_error(api.post(path_of(metadata[key], issuer), body="token=x",
                                    headers={"Content-Type": FORM}), 401, "invalid_client")
    unlisted = api.post("/api/v4/oauth/apps/register", {"redirect_uris": [CALLBACK]})
    assert unlisted.status >= 400 and unlisted.json["error"] == "unsupported_operation"


def test_registration_endpoint_is_listed_while_registration_is_on_and_then_works(api, admin, host):
    """Turned on with PUT /api/v4/config/patch: the document lists registration_endpoint once the plugin has the
    new configuration, and that endpoint registers a client; turned off again, it is neither listed nor works."""
    def patch(enabled: bool):
        reply = api.put("/api/v4/config/patch", {"ServiceSettings": {"EnableDynamicClientRegistration": enabled}},
                        token=admin.token)
        assert reply.status == 200, reply.body

    def listed() -> dict | None:
        document = api.get("/.well-known/oauth-authorization-server").json
        return document if "registration_endpoint" in document else None

    patch(True)
    try:
        document = wait_for(listed, message="registration_endpoint in the metadata")
        reply = api.post(path_of(document["registration_endpoint"], document["issuer"]),
                         {"redirect_uris": [CALLBACK], "client_name": "Registered"})
        assert reply.status == 201, reply.body
        assert reply.json["token_endpoint_auth_method"] in document["token_endpoint_auth_methods_supported"]
        assert set(reply.json["grant_types"]) <= set(document["grant_types_supported"])
    finally:
        patch(False)
    wait_for(lambda: listed() is None, message="registration_endpoint gone from the metadata")


def test_every_advertised_token_endpoint_auth_method_works(api, app, public_app, new_user, metadata):
    user = new_user()
    assert metadata["token_endpoint_auth_methods_supported"] == ["none", "client_secret_basic", "client_secret_post"]
    by_method = {"none": (public_app, "none"), "client_secret_basic": (app, "basic"),
                 "client_secret_post": (app, "post")}
    for method in metadata["token_endpoint_auth_methods_supported"]:
        client, auth = by_method[method]
        tokens = tokens_for(api, user.token, client, auth=auth)
        assert works(api, tokens["access_token"]), method
        if tokens["refresh_token"]:
            assert refresh(api, client, tokens["refresh_token"], auth=auth).status == 200, method


def test_every_advertised_revocation_and_introspection_auth_method_works(api, app, public_app, new_user, metadata):
    user = new_user()
    by_method = {"none": (public_app, "none"), "client_secret_basic": (app, "basic"),
                 "client_secret_post": (app, "post")}
    for method in metadata["revocation_endpoint_auth_methods_supported"]:
        client, auth = by_method[method]
        tokens = tokens_for(api, user.token, client, auth="none" if auth == "none" else "post")
        assert revoke(api, client, tokens["access_token"], auth=auth).status == 200, method
        assert not works(api, tokens["access_token"]), method
    tokens = tokens_for(api, user.token, app)
    for method in metadata["introspection_endpoint_auth_methods_supported"]:
        client, auth = by_method[method]
        assert introspect(api, client, tokens["access_token"], auth=auth).json["active"] is True, method
    assert "none" not in metadata["introspection_endpoint_auth_methods_supported"]


def test_unadvertised_client_authentication_methods_do_not_work(api, app, new_user):
    """client_secret_jwt/private_key_jwt (a client_assertion) are not listed, and a request that uses one instead
    of a listed method is not authenticated."""
    user = new_user()
    verifier, challenge = pkce()
    code = query_of(authorize(api, user.token, app, challenge))["code"]
    assertion = {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
                 "client_assertion": "eyJhbGciOiJIUzI1NiJ9.e30.c2lnbmF0dXJl"}
    reply = client_post(api, "/oauth/access_token", app, "none", {
        "grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier,
        **assertion})
    assert_oauth_error(reply, 401, "invalid_client")
    assert_oauth_error(revoke(api, app, "x", auth="none", **assertion), 401, "invalid_client")
    assert_oauth_error(introspect(api, app, "x", auth="none", **assertion), 401, "invalid_client")


def test_advertised_grant_types_response_types_and_pkce_methods_are_exactly_those_that_work(
        api, app, new_user, metadata):
    assert metadata["grant_types_supported"] == ["authorization_code", "refresh_token"]
    assert metadata["response_types_supported"] == ["code"]
    assert metadata["code_challenge_methods_supported"] == ["S256"]
    assert metadata["scopes_supported"] == SCOPES.names()
    user = new_user()
    tokens = tokens_for(api, user.token, app, scope="user")  # authorization_code with S256 and the listed scope
    assert tokens["scope"] == "user"
    assert refresh(api, app, tokens["refresh_token"]).status == 200  # refresh_token
    for grant_type in ("client_credentials", "password", "implicit",
                       "urn:ietf:params:oauth:grant-type:device_code"):
        reply = client_post(api, "/oauth/access_token", app, "post", {
            "grant_type": grant_type, "username": user.username, "password": user.password})
        assert_oauth_error(reply, 400, "unsupported_grant_type")
    query = {"response_type": "token", "client_id": app["id"], "redirect_uri": CALLBACK, "state": "s"}
    implicit = api.get("/oauth/authorize?" + urllib.parse.urlencode(query), token=user.token)
    assert implicit.status == 302 and query_of(implicit.headers["Location"])["error"] == "unsupported_response_type"
    plain = {"response_type": "code", "client_id": app["id"], "redirect_uri": CALLBACK, "state": "s",
             "code_challenge": "x" * 43, "code_challenge_method": "plain"}
    refused = api.get("/oauth/authorize?" + urllib.parse.urlencode(plain), token=user.token)
    assert refused.status == 400 and "Location" not in refused.headers


# --- client authentication: Basic and post, never both, never repeated --------------------------------------------

def test_client_secret_basic_is_form_urlencoded_before_base64(api, admin, host, new_user):
    """RFC 6749 section 2.3.1 / appendix B with a secret holding ':', '%', '+', a space and non-ASCII: the encoded
    header authenticates; the same secret put into the header unencoded (as some clients do) does not."""
    secret = "a:b%2Fc+d e\u00e9\u65e5\u672c"
    app = make_app(api, admin.token, name="Special secret")
    db_execute(host, "UPDATE oauth_apps SET client_secret_hash = ? WHERE id = ?", (sha256(secret), app["id"]))
    app = {**app, "client_secret": secret}
    tokens = tokens_for(api, new_user().token, app, auth="basic")
    assert works(api, tokens["access_token"])
    assert introspect(api, app, tokens["access_token"], auth="basic").json["active"] is True
    assert introspect(api, app, tokens["access_token"], auth="post").json["active"] is True
    unencoded = "Basic " + base64.b64encode(f"{app['id']}:{secret}".encode()).decode()
    latin1 = "Basic " + base64.b64encode(f"{app['id']}:{secret[:-2]}".encode("latin-1")).decode()
    for header in (unencoded, latin1):
        reply = introspect(api, app, tokens["access_token"], auth="basic", headers={"Authorization": header})
        assert_oauth_error(reply, 401, "invalid_client")
        assert reply.headers["WWW-Authenticate"].startswith("Basic ")


def test_two_authentication_methods_at_once_are_invalid_request(api, app, new_user):
    tokens = tokens_for(api, new_user().token, app)
    both = {"Authorization": basic(app["id"], app["client_secret"])}
    for path, fields in (("/oauth/access_token", {"grant_type": "refresh_token",
                                                  "refresh_token": tokens["refresh_token"]}),
                         ("/oauth/revoke", {"token": tokens["access_token"]}),
                         ("/oauth/introspect", {"token": tokens["access_token"]})):
        reply = client_post(api, path, app, "post", fields, headers=both)
        assert_oauth_error(reply, 400, "invalid_request")
        mismatch = client_post(api, path, app, "basic", {**fields, "client_id": "x" * 26})
        assert_oauth_error(mismatch, 400, "invalid_request")
    assert works(api, tokens["access_token"])
    assert refresh(api, app, tokens["refresh_token"]).status == 200


def test_repeated_parameters_are_invalid_request(api, app, new_user):
    tokens = tokens_for(api, new_user().token, app)
    cases = [
        ("/oauth/access_token", [("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"]),
                                 ("refresh_token", tokens["refresh_token"])], "basic"),
        ("/oauth/access_token", [("grant_type", "refresh_token"), ("refresh_token", tokens["refresh_token"]),
                                 ("client_id", app["id"])], "post"),  # client_id twice
        ("/oauth/revoke", [("token", tokens["access_token"]), ("token", "other")], "post"),
        ("/oauth/introspect", [("token", tokens["access_token"]), ("token_type_hint", "access_token"),
                               ("token_type_hint", "refresh_token")], "basic"),
    ]
    for path, fields, auth in cases:
        assert_oauth_error(client_post(api, path, app, auth, fields), 400, "invalid_request")
    assert works(api, tokens["access_token"])


def test_failed_basic_authentication_answers_401_with_a_basic_challenge(api, app):
    headers = [basic(app["id"], "wrong"), basic("x" * 26, "secret"), basic("not an id", "secret"),
               "Basic !!!not-base64!!!", "Basic " + base64.b64encode(b"no-colon").decode(),
               "Basic " + base64.b64encode(b"\xff\xfe:\xff").decode()]
    for path, fields in (("/oauth/access_token", {"grant_type": "refresh_token", "refresh_token": "x"}),
                         ("/oauth/revoke", {"token": "x"}), ("/oauth/introspect", {"token": "x"})):
        for header in headers:
            reply = client_post(api, path, None, "", fields, headers={"Authorization": header})
            assert_oauth_error(reply, 401, "invalid_client")
            assert reply.headers["WWW-Authenticate"].startswith('Basic realm="'), (path, header)


def test_client_credentials_in_the_query_string_are_never_accepted(api, app, new_user):
    tokens = tokens_for(api, new_user().token, app)
    credentials = urllib.parse.urlencode({"client_id": app["id"], "client_secret": app["client_secret"]})
    for path, fields in (("/oauth/access_token", {"grant_type": "refresh_token",
                                                  "refresh_token": tokens["refresh_token"]}),
                         ("/oauth/revoke", {"token": tokens["access_token"]}),
                         ("/oauth/introspect", {"token": tokens["access_token"]})):
        reply = client_post(api, f"{path}?{credentials}", None, "", fields)
        assert reply.status in (400, 401) and reply.json["error"] in ("invalid_client", "invalid_request"), path
    assert works(api, tokens["access_token"])
    assert refresh(api, app, tokens["refresh_token"]).status == 200


def test_token_responses_and_errors_are_never_cached(api, app, new_user):
    user = new_user()
    tokens = tokens_for(api, user.token, app)
    replies = [refresh(api, app, tokens["refresh_token"]), refresh(api, app, "unknown"),
               client_post(api, "/oauth/access_token", None, "", {"grant_type": "refresh_token"}),
               revoke(api, app, "x"), introspect(api, app, "x"), introspect(api, app, "x", auth="")]
    for reply in replies:
        assert_no_store(reply)


def test_error_bodies_carry_rfc_6749_fields_beside_mattermosts(api, app):
    reply = client_post(api, "/oauth/access_token", app, "basic", {"grant_type": "refresh_token",
                                                                   "refresh_token": "unknown"})
    body = assert_oauth_error(reply, 404, "invalid_grant")
    assert body["id"] == INVALID_REFRESH and body["status_code"] == 404 and body["request_id"]
    assert body["message"] and body["error_description"] and not body["error_description"].startswith("invalid_")


def test_error_descriptions_use_only_the_rfc_6749_character_set(api, app):
    """error_description may not hold '"', '\\' or anything outside printable ASCII, even when the request put
    such characters into the message."""
    for name in ('say "hi"', "back\\slash", "caf\u00e9", "line\nbreak"):
        reply = client_post(api, "/oauth/access_token", app, "post",
                            [("grant_type", "refresh_token"), (name, "1"), (name, "2")])
        body = assert_oauth_error(reply, 400, "invalid_request")
        assert RFC6749_TEXT.fullmatch(body["error_description"]), body["error_description"]


# --- RFC 6750 bearer challenges -----------------------------------------------------------------------------

CHALLENGE_PARAM = re.compile(r'\s*([a-z_]+)="([\x20-\x21\x23-\x5B\x5D-\x7E]*)"\s*(?:,|$)')


def parse_bearer_challenge(header: str) -> dict[str, str]:
    scheme, _, rest = header.partition(" ")
    assert scheme == "Bearer", header
    params, position = {}, 0
    while position < len(rest):
        match = CHALLENGE_PARAM.match(rest, position)
        assert match, f"not a quoted-string attribute list: {header!r}"
        assert match.group(1) not in params, f"attribute repeated: {header!r}"
        params[match.group(1)] = match.group(2)
        position = match.end()
    return params


def test_a_request_without_credentials_gets_the_bare_bearer_challenge(api):
    reply = api.get("/api/v4/users/me")
    assert reply.status == 401
    assert parse_bearer_challenge(reply.headers["WWW-Authenticate"]) == {"realm": "mattermost"}


def test_invalid_expired_and_revoked_tokens_get_invalid_token(api, app, new_user, host):
    user = new_user()
    revoked = tokens_for(api, user.token, app)
    assert revoke(api, app, revoked["access_token"]).status == 200
    expired = tokens_for(api, user.token, app)
    db_execute(host, "UPDATE oauth_access_tokens SET expires_at = ? WHERE token_hash = ?",
               (int(time.time() * 1000) - 1000, sha256(expired["access_token"])))
    for headers in ({"Authorization": "Bearer not-a-valid-token"}, {"Authorization": "bearer " + "x" * 43},
                    {"Authorization": f"Bearer {revoked['access_token']}"},
                    {"Authorization": f"Bearer {expired['access_token']}"},
                    {"Authorization": "Token not-a-valid-token"}):
        reply = api.get("/api/v4/users/me", headers=headers)
        assert reply.status == 401, headers
        params = parse_bearer_challenge(reply.headers["WWW-Authenticate"])
        assert params["realm"] == "mattermost" and params["error"] == "invalid_token", params
        assert params["error_description"]
        assert reply.error_id == "api.context.session_expired.app_error"


def test_a_token_in_the_query_string_is_refused_with_a_bearer_challenge(api, app, new_user):
    """Tokens are not accepted in the URI (OAuth 2.1 section 5.1); the 401 still names the scheme that is
    accepted (every 401 carries a challenge, RFC 9110 section 15.5.2) and says the request was malformed."""
    tokens = tokens_for(api, new_user().token, app)
    reply = api.get("/api/v4/users/me?" + urllib.parse.urlencode({"access_token": tokens["access_token"]}))
    assert reply.status == 401 and reply.error_id == "api.context.token_provided.app_error"
    params = parse_bearer_challenge(reply.headers["WWW-Authenticate"])
    assert params["realm"] == "mattermost" and params["error"] == "invalid_request", params


def test_a_valid_token_gets_no_challenge(api, app, new_user):
    reply = api.get("/api/v4/users/me", token=tokens_for(api, new_user().token, app)["access_token"])
    assert reply.status == 200 and "WWW-Authenticate" not in reply.headers


# --- rate limits ------------------------------------------------------------------------------------------------

def assert_rate_limited(reply) -> None:
    assert reply.status == 429, (reply.status, reply.body)
    assert 1 <= int(reply.headers["Retry-After"]) <= 60
    assert reply.json["error"] == "temporarily_unavailable"


def test_per_client_limit_answers_429_with_retry_after_and_others_failures_cost_the_client_nothing(tmp_path):
    settings = {"RateLimitPerClientPerMinute": 3, "RateLimitPerAddressPerMinute": 0, "RateLimitFailureCost": 5}
    with own_host(tmp_path, settings) as (host, api, boss):
        limited, spared, guessed = (make_app(api, boss, name=n) for n in ("Limited", "Spared", "Guessed"))
        leave_time_in_the_rate_window()
        assert refresh(api, limited, "unknown").status == 404
        assert revoke(api, limited, "unknown", auth="basic").status == 200
        assert introspect(api, limited, "unknown").status == 200
        for reply in (refresh(api, limited, "unknown"), revoke(api, limited, "unknown"),
                      introspect(api, limited, "unknown", auth="basic")):
            assert_rate_limited(reply)
            assert_no_store(reply)
            assert reply.json["id"] == RATE_LIMITED
        assert introspect(api, spared, "unknown").status == 200  # another client has its own count

        for _ in range(4):  # someone else naming the client, without its secret
            assert introspect(api, {**guessed, "client_secret": "guess"}, "x").status == 401
        assert introspect(api, guessed, "unknown").status == 200  # the client's budget is untouched


def test_per_address_limit_answers_429_with_retry_after_on_every_client_endpoint(tmp_path):
    settings = {"RateLimitPerClientPerMinute": 0, "RateLimitPerAddressPerMinute": 4}
    with own_host(tmp_path, settings, EnableDynamicClientRegistration=True) as (host, api, boss):
        apps = [make_app(api, boss, name=f"App {i}") for i in range(4)]
        registration = {"redirect_uris": [CALLBACK]}
        leave_time_in_the_rate_window()
        assert refresh(api, apps[0], "unknown").status == 404
        assert revoke(api, apps[1], "unknown").status == 200
        assert introspect(api, apps[2], "unknown").status == 200
        assert api.post("/api/v4/oauth/apps/register", registration).status == 201
        for reply in (refresh(api, apps[3], "unknown"), revoke(api, apps[3], "unknown", auth="basic"),
                      introspect(api, apps[3], "unknown"), api.post("/api/v4/oauth/apps/register", registration),
                      revoke(api, apps[3], "unknown", headers={"X-Forwarded-For": "203.0.113.7",
                                                              "Forwarded": "for=203.0.113.7"})):
            assert_rate_limited(reply)


# --- the audit trail ------------------------------------------------------------------------------------------

EVENT_TYPES = {
    "app_created", "app_updated", "app_deleted", "app_secret_regenerated", "consent_granted", "consent_denied",
    "consent_remembered", "code_issued", "code_consumed", "code_replayed", "token_issued", "token_refreshed",
    "token_revoked", "refresh_reuse_detected", "user_deauthorized_app", "user_revoked",
}


@contextlib.contextmanager
def host_log_level(host, level: str):
    """LogSettings.ConsoleLevel at `level` while the block runs, once the plugin has taken it up."""
    def changes() -> int:
        return sum(1 for line in host.log_lines()
                   if line.get("plugin_id") == PLUGIN_ID and line.get("@message") == "configuration changed")

    def set_level(value: str) -> None:
        seen = changes()
        host.configure(lambda c: c["LogSettings"].update(ConsoleLevel=value))
        wait_for(lambda: changes() > seen, message=f"the plugin to take up ConsoleLevel {value}")

    set_level(level)
    try:
        yield
    finally:
        set_level("INFO")


def test_every_event_type_reaches_the_audit_trail_and_the_host_log(api, admin, new_user, host):
    """At ConsoleLevel DEBUG; at INFO the routine events of each sign-in and refresh are only in the trail."""
    with host_log_level(host, "DEBUG"):
        audited_flow(api, admin, new_user, host, logged_types=EVENT_TYPES)


def test_at_info_level_the_host_log_has_every_event_but_the_routine_ones(api, admin, new_user, host):
    from plugin.oauth.audit import ROUTINE

    audited_flow(api, admin, new_user, host, logged_types=EVENT_TYPES - {e.value for e in ROUTINE})


def audited_flow(api, admin, new_user, host, logged_types: set[str]):
    user = new_user("audited")
    app = make_app(api, admin.token, name="Audited")                                   # app_created
    updated = api.put(f"/api/v4/oauth/apps/{app['id']}", {**app, "name": "Audited too"}, token=admin.token)
    assert updated.status == 200, updated.body                                         # app_updated
    app = api.post(f"/api/v4/oauth/apps/{app['id']}/regen_secret", token=admin.token).json  # secret regenerated
    verifier, challenge = pkce()
    query = {"response_type": "code", "client_id": app["id"], "redirect_uri": CALLBACK, "state": "s",
             "code_challenge": challenge, "code_challenge_method": "S256"}
    fields = hidden_fields(api.get("/oauth/authorize?" + urllib.parse.urlencode(query), token=user.token).body)
    for decision in ("deny", "allow"):                                # consent_denied, consent_granted, code_issued
        decided = api.post("/oauth/authorize/decision", token=user.token, headers={"Content-Type": FORM},
                           body=urllib.parse.urlencode({**fields, "decision": decision}))
        assert decided.status == 303
    exchange = {"grant_type": "authorization_code", "code": query_of(decided.headers["Location"])["code"],
                "redirect_uri": CALLBACK, "code_verifier": verifier}
    tokens = client_post(api, "/oauth/access_token", app, "basic", exchange).json  # code_consumed, token_issued
    assert api.get("/oauth/authorize?" + urllib.parse.urlencode(query), token=user.token).status == 302  # remembered
    assert client_post(api, "/oauth/access_token", app, "basic", exchange).status == 400  # code_replayed
    tokens = tokens_for(api, user.token, app)
    assert refresh(api, app, tokens["refresh_token"]).status == 200                    # token_refreshed
    db_execute(host, "UPDATE oauth_refresh_tokens SET rotated_at = rotated_at - 60000 WHERE token_hash = ?",
               (sha256(tokens["refresh_token"]),))
    assert refresh(api, app, tokens["refresh_token"]).status == 404                    # refresh_reuse_detected
    assert revoke(api, app, tokens_for(api, user.token, app)["access_token"]).status == 200  # token_revoked
    assert api.post("/oauth/deauthorize", {"client_id": app["id"]}, token=user.token).status == 200
    assert api.put(f"/api/v4/users/{user.id}/active", {"active": False}, token=admin.token).status == 200
    assert api.request("DELETE", f"/api/v4/oauth/apps/{app['id']}", token=admin.token).status == 200

    trail = [e for e in audit_trail(api, admin.token) if e["client_id"] == app["id"] or e["user_id"] == user.id]
    assert {e["type"] for e in trail} == EVENT_TYPES
    for event in trail:
        assert set(event) == {"id", "create_at", "type", "user_id", "client_id", "grant_id", "remote_addr", "detail"}
        assert isinstance(event["detail"], dict)
    assert all(e["remote_addr"] == "127.0.0.1" for e in trail if e["type"].startswith(("app_", "consent_")))

    def logged() -> set[str]:
        return {line.get("plugin_event") for line in host.log_lines()
                if line.get("plugin_id") == PLUGIN_ID and line.get("@message") == "audit"
                and (line.get("plugin_client_id") == app["id"] or line.get("plugin_user_id") == user.id)}

    wait_for(lambda: logged() >= logged_types, message=f"the audit event types in the host log ({host.log_path})")
    time.sleep(0.5)  # what else would have come by now
    assert logged() == logged_types
    for secret in (app["client_secret"], tokens["access_token"], tokens["refresh_token"]):
        assert secret not in host.log_path.read_text(errors="replace")


def test_audit_trail_is_for_system_admins(api, admin, new_user):
    reply = api.get("/api/v4/oauth/audits", token=admin.token)
    assert reply.status == 200 and isinstance(reply.json, list)
    forbidden = api.get("/api/v4/oauth/audits", token=new_user().token)
    assert forbidden.status == 403 and forbidden.error_id == "api.context.permissions.app_error"
    anonymous = api.get("/api/v4/oauth/audits")
    assert anonymous.status == 401


def test_audit_trail_pages_newest_first(api, admin):
    apps = []
    for i in range(3):
        apps.append(make_app(api, admin.token, name=f"Paged {i}"))
        time.sleep(0.01)  # distinct milliseconds: the order within one is not defined
    first = api.get("/api/v4/oauth/audits?page=0&per_page=2", token=admin.token).json
    second = api.get("/api/v4/oauth/audits?page=1&per_page=2", token=admin.token).json
    assert [e["client_id"] for e in first + second][:3] == [a["id"] for a in reversed(apps)]
    assert [e["create_at"] for e in first + second] == sorted((e["create_at"] for e in first + second),
                                                              reverse=True)
