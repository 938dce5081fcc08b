"""The device authorization grant (RFC 8628) through a launched host and its plugin, over HTTP: the device
authorization endpoint and its errors, every answer of the token endpoint while a device polls
(authorization_pending, slow_down, access_denied, expired_token, invalid_grant, then tokens exactly once), and the
verification page (sign-in first, CSRF, framing, one message for any wrong code, the per-address and per-session
limit on codes)."""
from __future__ import annotations

import base64
import re
import time
import urllib.parse

import pytest

from tests.conftest import HostProcess, free_port
from tests.dpop import DPoPKey
from tests.forms import hidden_fields
from tests.host.conftest import Api

GRANT_TYPE = "urn:ietf:params:oauth:grant-type:device_code"
ATTEMPTS = 4  # codes per minute per address and per session
WRONG_CODE = "That code is not valid or has expired. Check it and try again."
_addresses = iter(f"127.0.0.{n}" for n in range(10, 250))


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    process = HostProcess(tmp_path_factory.mktemp("device-host") / "data", free_port())
    process.configure(lambda config: config.setdefault("PluginSettings", {}).setdefault("Plugins", {})
                      .setdefault("oauth-provider", {}).update({
                          "enabledevicegrant": True, "devicepollintervalseconds": 1,
                          "deviceusercodeattemptsperminute": ATTEMPTS}))
    process.start()
    yield process
    process.stop()


def form(fields: dict, **headers) -> dict:
    return {"body": urllib.parse.urlencode(fields),
            "headers": {"Content-Type": "application/x-www-form-urlencoded", **headers}}


def new_app(api, admin, **fields) -> dict:
    reply = api.post("/api/v4/oauth/apps", {"name": "Device app", "homepage": "https://tv.example.com",
                                            "callback_urls": ["https://tv.example.com/cb"],
                                            "icon_url": "https://tv.example.com/icon.png",
                                            "device_grant_allowed": True, **fields}, token=admin.token)
    assert reply.status == 201, reply.body
    return reply.json


@pytest.fixture(scope="module")
def app(api, admin) -> dict:
    return new_app(api, admin)


def device_authorization(api, app: dict, **fields):
    return api.post("/oauth/device_authorization", **form({
        "client_id": app["id"], "client_secret": app.get("client_secret", ""), **fields}))


def started(api, app: dict, **fields) -> dict:
    reply = device_authorization(api, app, **fields)
    assert reply.status == 200, reply.body
    return reply.json


def poll(api, app: dict, device_code: str):
    return api.post("/oauth/access_token", **form({
        "grant_type": GRANT_TYPE, "device_code": device_code, "client_id": app["id"],
        "client_secret": app.get("client_secret", "")}))


def error_of(reply) -> str:
    assert reply.status == 400, (reply.status, reply.body)
    return reply.json["error"]


def entered(api, account, user_code: str):
    """The verification page with the code prefilled, submitted: the confirmation (or the form again)."""
    page = api.get("/oauth/device?" + urllib.parse.urlencode({"user_code": user_code}), token=account.token)
    assert page.status == 200, page.body
    return api.post("/oauth/device", **form({**hidden_fields(page.body), "user_code": user_code}),
                    token=account.token)


def decide(api, account, user_code: str, decision: str = "allow"):
    confirm = entered(api, account, user_code)
    assert confirm.status == 200, confirm.body
    return api.post("/oauth/device/decision", **form({**hidden_fields(confirm.body), "decision": decision}),
                    token=account.token)


# --- discovery and the device authorization endpoint ----------------------------------------------------------------

def test_both_metadata_documents_list_the_endpoint_and_the_grant(api, host):
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        document = api.get(path).json
        assert document["device_authorization_endpoint"] == f"{host.url}/oauth/device_authorization"
        assert GRANT_TYPE in document["grant_types_supported"]


def test_device_authorization_answers_the_codes_uncached(api, app, host):
    reply = device_authorization(api, app, scope="openid")
    assert reply.status == 200 and reply.headers["Cache-Control"] == "no-store"
    body = reply.json
    assert set(body) == {"device_code", "user_code", "verification_uri", "verification_uri_complete", "expires_in",
                         "interval"}
    assert re.fullmatch(r"[BCDFGHJKLMNPQRSTVWXZ]{4}-[BCDFGHJKLMNPQRSTVWXZ]{4}", body["user_code"])
    assert body["verification_uri"] == f"{host.url}/oauth/device"
    assert body["verification_uri_complete"] == f"{host.url}/oauth/device?user_code={body['user_code']}"
    assert (body["expires_in"], body["interval"]) == (600, 1)


def test_a_client_may_authenticate_with_basic_and_a_public_one_with_its_id(api, admin, app):
    credentials = base64.b64encode(f"{app['id']}:{app['client_secret']}".encode()).decode()
    reply = api.post("/oauth/device_authorization", **form({}, Authorization=f"Basic {credentials}"))
    assert reply.status == 200, reply.body
    public = new_app(api, admin, is_public=True)
    assert device_authorization(api, public).status == 200


@pytest.mark.parametrize("change, status, error", [
    (lambda app: {"client_secret": "wrong"}, 401, "invalid_client"),
    (lambda app: {"client_id": "not-an-id"}, 400, "invalid_client"),
    (lambda app: {"client_id": "a" * 26}, 404, "invalid_client"),
])
def test_device_authorization_refuses_a_client_that_does_not_authenticate(api, app, change, status, error):
    reply = device_authorization(api, app, **change(app))
    assert (reply.status, reply.json["error"]) == (status, error)


def test_an_app_not_allowed_the_grant_is_unauthorized_client(api, admin):
    app = new_app(api, admin, device_grant_allowed=False)
    assert error_of(device_authorization(api, app)) == "unauthorized_client"
    assert error_of(poll(api, app, "anything")) == "unauthorized_client"


def test_a_scope_the_app_may_not_have_is_invalid_scope(api, admin):
    app = new_app(api, admin, allowed_scopes=["users:read"])
    assert error_of(device_authorization(api, app, scope="posts:write")) == "invalid_scope"


def test_a_repeated_parameter_is_invalid_request(api, app):
    body = urllib.parse.urlencode([("client_id", app["id"]), ("client_secret", app["client_secret"]),
                                   ("scope", "openid"), ("scope", "email")])
    reply = api.post("/oauth/device_authorization", body=body,
                     headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert error_of(reply) == "invalid_request"


# --- the token endpoint while the device polls ----------------------------------------------------------------------

def test_polling_answers_pending_then_slow_down_when_too_fast(api, app):
    device = started(api, app)
    assert error_of(poll(api, app, device["device_code"])) == "authorization_pending"
    reply = poll(api, app, device["device_code"])  # at once: sooner than the 1 s interval
    assert error_of(reply) == "slow_down"
    assert reply.headers["Cache-Control"] == "no-store"


def test_a_missing_unknown_or_foreign_device_code_is_refused(api, admin, app):
    assert error_of(poll(api, app, "")) == "invalid_request"
    assert error_of(poll(api, app, "no-such-code")) == "invalid_grant"
    other = new_app(api, admin)
    assert error_of(poll(api, other, started(api, app)["device_code"])) == "invalid_grant"


def test_an_approved_device_gets_tokens_once_and_acts_as_the_user(api, app, new_user):
    user = new_user("tv")
    device = started(api, app, scope="openid users:read")
    done = decide(api, user, device["user_code"])
    assert done.status == 200 and b'data-result="approved"' in done.body
    tokens = poll(api, app, device["device_code"])
    assert tokens.status == 200, tokens.body
    body = tokens.json
    assert body["token_type"] == "bearer" and body["scope"] == "users:read openid"
    assert body["refresh_token"] and body["id_token"].count(".") == 2
    me = api.get("/api/v4/users/me", token=body["access_token"])
    assert me.status == 200 and me.json["id"] == user.id
    time.sleep(1.1)
    assert error_of(poll(api, app, device["device_code"])) == "invalid_grant"
    authorized = api.get("/api/v4/users/me/oauth/apps/authorized", token=user.token).json
    assert [(a["id"], a["granted_scope"]) for a in authorized] == [(app["id"], "users:read openid")]


def test_a_device_polling_with_a_dpop_proof_gets_tokens_bound_to_its_key(api, host, app, new_user):
    """RFC 9449: the device code's token request with a DPoP proof is answered token_type DPoP, and the access token
    is bound to the proof's key: introspection names it, users/me takes it with that key's proofs, not as Bearer."""
    user, key = new_user("tv"), DPoPKey()
    device = started(api, app, scope="users:read")
    assert decide(api, user, device["user_code"]).status == 200
    tokens = api.post("/oauth/access_token", **form({
        "grant_type": GRANT_TYPE, "device_code": device["device_code"], "client_id": app["id"],
        "client_secret": app["client_secret"]}, DPoP=key.proof("POST", host.url + "/oauth/access_token")))
    assert tokens.status == 200 and tokens.json["token_type"] == "DPoP", tokens.body
    token = tokens.json["access_token"]
    info = api.post("/oauth/introspect", **form({"token": token, "client_id": app["id"],
                                                 "client_secret": app["client_secret"]}))
    assert info.status == 200 and info.json["cnf"] == {"jkt": key.jkt}, info.body
    me = api.request("GET", "/api/v4/users/me", headers={
        "Authorization": f"DPoP {token}", "DPoP": key.proof("GET", host.url + "/api/v4/users/me", access_token=token)})
    assert me.status == 200 and me.json["id"] == user.id, me.body
    assert api.get("/api/v4/users/me", token=token).status == 401


def test_a_denied_device_hears_access_denied(api, app, new_user):
    user = new_user("tv")
    device = started(api, app)
    done = decide(api, user, device["user_code"], "deny")
    assert done.status == 200 and b'data-result="denied"' in done.body
    assert error_of(poll(api, app, device["device_code"])) == "access_denied"


def test_an_expired_device_code_is_expired_token(api, admin, app, new_user):
    plugins = {"PluginSettings": {"Plugins": {"oauth-provider": {"enabledevicegrant": True,
                                                                 "devicepollintervalseconds": 1,
                                                                 "deviceusercodeattemptsperminute": ATTEMPTS,
                                                                 "devicecodelifetimeseconds": 1}}}}
    assert api.put("/api/v4/config/patch", plugins, token=admin.token).status == 200
    try:
        device = started(api, app)
        assert device["expires_in"] == 1
        time.sleep(1.2)
        assert error_of(poll(api, app, device["device_code"])) == "expired_token"
        confirm = entered(api, new_user("late"), device["user_code"])
        assert confirm.status == 400 and WRONG_CODE.encode() in confirm.body
    finally:
        plugins["PluginSettings"]["Plugins"]["oauth-provider"]["devicecodelifetimeseconds"] = 600
        assert api.put("/api/v4/config/patch", plugins, token=admin.token).status == 200


# --- the verification page ------------------------------------------------------------------------------------------

def test_with_device_sign_in_off_the_page_and_the_endpoint_say_so(api, admin, app, new_user):
    settings = {"enabledevicegrant": True, "devicepollintervalseconds": 1, "deviceusercodeattemptsperminute": ATTEMPTS}
    patch = {"PluginSettings": {"Plugins": {"oauth-provider": {**settings, "enabledevicegrant": False}}}}
    assert api.put("/api/v4/config/patch", patch, token=admin.token).status == 200
    try:
        page = api.get("/oauth/device", token=new_user("tv").token)
        assert page.status == 404 and b"Device sign-in is turned off on this server." in page.body
        assert device_authorization(api, app).status == 404
        assert error_of(poll(api, app, "anything")) == "unsupported_grant_type"
        assert "device_authorization_endpoint" not in api.get("/.well-known/oauth-authorization-server").json
    finally:
        patch["PluginSettings"]["Plugins"]["oauth-provider"] = settings
        assert api.put("/api/v4/config/patch", patch, token=admin.token).status == 200


def test_the_page_sends_a_visitor_to_sign_in_and_back(api):
    reply = api.get("/oauth/device?user_code=BCDF-GHJK")
    assert reply.status == 302
    location = urllib.parse.urlsplit(reply.headers["Location"])
    assert location.path == "/login"
    assert urllib.parse.parse_qs(location.query)["redirect_to"] == ["/oauth/device?user_code=BCDF-GHJK"]


def test_the_page_is_prefilled_and_cannot_be_framed(api, new_user):
    reply = api.get("/oauth/device?user_code=BCDF-GHJK", token=new_user("tv").token)
    assert reply.status == 200
    assert b'value="BCDF-GHJK"' in reply.body
    assert reply.headers["X-Frame-Options"] == "DENY"
    assert "frame-ancestors 'none'" in reply.headers["Content-Security-Policy"]
    assert reply.headers["Cache-Control"] == "no-store" and reply.headers["Referrer-Policy"] == "no-referrer"


def test_the_confirmation_shows_the_app_its_icon_the_code_and_the_scopes_in_words(api, app, new_user):
    device = started(api, app, scope="users:read")
    confirm = entered(api, new_user("tv"), device["user_code"].lower().replace("-", ""))
    assert confirm.status == 200, confirm.body
    page = confirm.body.decode()
    assert "Device app" in page and 'src="https://tv.example.com/icon.png"' in page
    assert f'id="user-code">{device["user_code"]}<' in page
    assert 'data-scope="users:read"' in page and 'id="allow"' in page and 'id="deny"' in page


def test_a_trusted_app_still_asks_the_user(api, admin, new_user):
    trusted = new_app(api, admin, is_trusted=True)
    device = started(api, trusted)
    assert error_of(poll(api, trusted, device["device_code"])) == "authorization_pending"
    assert 'id="allow"' in entered(api, new_user("tv"), device["user_code"]).body.decode()


def test_forms_without_the_sessions_csrf_token_are_refused(api, app, new_user):
    user = new_user("tv")
    device = started(api, app)
    for path in ("/oauth/device", "/oauth/device/decision"):
        reply = api.post(path, **form({"user_code": device["user_code"], "decision": "allow", "csrf": "forged"}),
                         token=user.token)
        assert reply.status == 403
    assert error_of(poll(api, app, device["device_code"])) == "authorization_pending"


def test_an_oauth_token_cannot_approve_a_device(api, app, new_user, oauth_token):
    token = oauth_token(new_user("tv"))
    device = started(api, app)
    assert api.get("/oauth/device", token=token).status == 403
    reply = api.post("/oauth/device/decision", **form({"user_code": device["user_code"], "decision": "allow"}),
                     token=token)
    assert reply.status == 403
    assert error_of(poll(api, app, device["device_code"])) == "authorization_pending"


def test_every_wrong_code_gets_one_message(api, app, new_user):
    user = new_user("tv")
    client = Api(api_url(api), next(_addresses))
    denied = started(api, app)
    decide(api, user, denied["user_code"], "deny")
    answers = set()
    for code in ("BCDF-GHJK", "HELLO", denied["user_code"]):
        reply = entered(client, user, code)
        answers.add((reply.status, WRONG_CODE.encode() in reply.body))
    assert answers == {(400, True)}


def test_codes_are_limited_per_address(api, app, new_user):
    client = Api(api_url(api), next(_addresses))
    device = started(api, app)
    for n in range(ATTEMPTS):
        assert entered(client, new_user("guess"), "BCDF-GHJK").status == 400  # a new session each time
    refused = entered(client, new_user("guess"), device["user_code"])
    assert refused.status == 429 and int(refused.headers["Retry-After"]) > 0
    assert b"Too many codes" in refused.body
    # The same user from another address is not held back.
    assert entered(Api(api_url(api), next(_addresses)), new_user("guess"), device["user_code"]).status == 200


def test_codes_are_limited_per_session(api, app, new_user):
    user = new_user("guess")
    device = started(api, app)
    for n in range(ATTEMPTS):
        assert entered(Api(api_url(api), next(_addresses)), user, "BCDF-GHJK").status == 400  # a new address each
    assert entered(Api(api_url(api), next(_addresses)), user, device["user_code"]).status == 429


def api_url(api: Api) -> str:
    return f"http://{api.host}:{api.port}"
