"""Pushed authorization requests (RFC 9126) through the host, over HTTP: the PAR endpoint's answers and every
error of section 2.3, the authorization endpoint and consent page reached with only client_id and request_uri,
single use, another client's and expired request_uris, pushed requests required per app and per server, and a
DPoP proof or dpop_jkt on the push binding the code (RFC 9449 section 10.1)."""
from __future__ import annotations

import base64
import time
import urllib.parse

import pytest

from tests.conftest import HostProcess, free_port
from tests.dpop import DPoPKey
from tests.forms import hidden_fields, pkce

CALLBACK = "https://rp.example.com/callback"
LIFETIME = 2  # seconds: the expiry test waits for it
FORM = {"Content-Type": "application/x-www-form-urlencoded"}


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    process = HostProcess(tmp_path_factory.mktemp("par-host") / "data", free_port())
    process.configure(lambda config: config.setdefault("PluginSettings", {}).setdefault("Plugins", {})
                      .setdefault("oauth-provider", {}).update({"pushedrequestlifetimeseconds": LIFETIME}))
    process.start()
    yield process
    process.stop()


def new_app(api, admin, **fields) -> dict:
    reply = api.post("/api/v4/oauth/apps", {"name": "Pushing app", "homepage": "https://rp.example.com",
                                            "callback_urls": [CALLBACK], **fields}, token=admin.token)
    assert reply.status == 201, reply.body
    return reply.json


@pytest.fixture(scope="module")
def app(api, admin) -> dict:
    return new_app(api, admin)


def push(api, app: dict, basic: bool = False, headers: dict | None = None, **fields):
    """POST /oauth/par with the app's credentials in the form (or Basic) and a code request with PKCE."""
    verifier, challenge = pkce()
    form = {"response_type": "code", "redirect_uri": CALLBACK, "state": "pushed", "scope": "openid",
            "code_challenge": challenge, "code_challenge_method": "S256", **fields}
    headers = {**FORM, **(headers or {})}
    if basic:
        credentials = f"{app['id']}:{app['client_secret']}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(credentials).decode()
    else:
        form["client_id"] = app["id"]
        if app["client_secret"]:
            form["client_secret"] = app["client_secret"]
    form = {k: v for k, v in form.items() if v is not None}
    reply = api.post("/oauth/par", body=urllib.parse.urlencode(form), headers=headers)
    return reply, verifier


def pushed_uri(api, app: dict, **fields) -> tuple[str, str]:
    reply, verifier = push(api, app, **fields)
    assert reply.status == 201, reply.body
    return reply.json["request_uri"], verifier


def by_reference(app: dict, request_uri: str, **extra) -> str:
    return "/oauth/authorize?" + urllib.parse.urlencode({"client_id": app["id"], "request_uri": request_uri, **extra})


def allow(api, user, page) -> str:
    decided = api.post("/oauth/authorize/decision", body=urllib.parse.urlencode(
        {**hidden_fields(page.body), "decision": "allow"}), headers=FORM, token=user.token)
    assert decided.status == 303, decided.body
    return decided.headers["Location"]


def query(url: str) -> dict[str, str]:
    return dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))


def exchange(api, app: dict, code: str, verifier: str):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "client_id": app["id"],
            "code_verifier": verifier}
    if app["client_secret"]:
        form["client_secret"] = app["client_secret"]
    return api.post("/oauth/access_token", body=urllib.parse.urlencode(form), headers=FORM)


def test_both_metadata_documents_advertise_the_par_endpoint(api, host):
    for path in ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"):
        document = api.get(path).json
        assert document["pushed_authorization_request_endpoint"] == host.url + "/oauth/par"
        assert document["require_pushed_authorization_requests"] is False


@pytest.mark.parametrize("basic", [False, True], ids=["client_secret_post", "client_secret_basic"])
def test_a_pushed_request_signs_the_user_in_through_the_consent_page_once(api, app, new_user, basic):
    user = new_user()
    reply, verifier = push(api, app, basic=basic)
    assert reply.status == 201 and reply.headers["Cache-Control"] == "no-store"
    assert set(reply.json) == {"request_uri", "expires_in"} and reply.json["expires_in"] == LIFETIME
    request_uri = reply.json["request_uri"]
    assert request_uri.startswith("urn:ietf:params:oauth:request_uri:")

    # Parameters beside request_uri are not the request's: the pushed ones are answered.
    page = api.get(by_reference(app, request_uri, state="from-the-url"), token=user.token)
    assert page.status == 200, page.body
    assert set(hidden_fields(page.body)) >= {"client_id", "request_uri", "csrf"}
    assert "https://rp.example.com" in page.headers["Content-Security-Policy"]  # the form-action of the answer
    time.sleep(LIFETIME + 0.5)  # reading the consent page longer than the request_uri's own lifetime
    callback = allow(api, user, page)
    answer = query(callback)
    assert callback.startswith(CALLBACK + "?") and answer["state"] == "pushed" and answer["code"]
    issued = exchange(api, app, answer["code"], verifier)
    assert issued.status == 200 and issued.json["id_token"], issued.body

    replayed = api.get(by_reference(app, request_uri), token=user.token)
    assert replayed.status == 400 and b"invalid_request_uri" in replayed.body
    again = api.post("/oauth/authorize", {"client_id": app["id"], "request_uri": request_uri}, token=user.token)
    assert again.status == 400 and again.json["id"] == "api.oauth.authorize.invalid_request_uri.app_error"


def test_a_public_client_pushes_with_its_client_id_alone(api, admin, new_user):
    public = new_app(api, admin, is_public=True)
    user = new_user()
    request_uri, verifier = pushed_uri(api, public)
    page = api.get(by_reference(public, request_uri), token=user.token)
    assert page.status == 200, page.body
    code = query(allow(api, user, page))["code"]
    issued = exchange(api, public, code, verifier)
    assert issued.status == 200 and issued.json["refresh_token"] == "", issued.body


def test_a_client_that_does_not_authenticate_is_invalid_client_401(api, app):
    missing = api.post("/oauth/par", body=urllib.parse.urlencode({
        "client_id": app["id"], "response_type": "code", "redirect_uri": CALLBACK}), headers=FORM)
    assert missing.status == 401 and missing.json["error"] == "invalid_client"
    wrong = api.post("/oauth/par", body="response_type=code", headers={
        **FORM, "Authorization": "Basic " + base64.b64encode(f"{app['id']}:nope".encode()).decode()})
    assert wrong.status == 401 and wrong.json["error"] == "invalid_client"
    assert wrong.headers["WWW-Authenticate"].startswith("Basic")
    nobody = api.post("/oauth/par", body="response_type=code", headers=FORM)
    assert nobody.status == 401 and nobody.json["error"] == "invalid_client"


@pytest.mark.parametrize("fields, error", [
    ({"request_uri": "urn:ietf:params:oauth:request_uri:abc"}, "invalid_request"),
    ({"request": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln"}, "request_not_supported"),
    ({"redirect_uri": "https://evil.example.com/callback"}, "invalid_request"),
    ({"response_type": None}, "invalid_request"),
    ({"response_type": "token"}, "unsupported_response_type"),
    ({"code_challenge_method": "plain"}, "invalid_request"),
    ({"prompt": "sometimes"}, "invalid_request"),
])
def test_each_refused_push_is_an_rfc_6749_error_answer(api, app, fields, error):
    reply, _ = push(api, app, **fields)
    assert reply.status == 400, reply.body
    assert reply.json["error"] == error and reply.json["error_description"]
    assert reply.headers["Cache-Control"] == "no-store"


def test_the_par_endpoint_takes_only_post(api):
    assert api.get("/oauth/par").status == 405


def test_another_clients_request_uri_is_refused_and_stays_its_own(api, admin, app, new_user):
    other = new_app(api, admin, name="Other app")
    user = new_user()
    request_uri, _ = pushed_uri(api, other)
    refused = api.get(by_reference(app, request_uri), token=user.token)
    assert refused.status == 400 and b"invalid_request_uri" in refused.body
    assert api.get(by_reference(other, request_uri), token=user.token).status == 200


def test_an_expired_request_uri_is_refused(api, app, new_user):
    user = new_user()
    request_uri, _ = pushed_uri(api, app)
    time.sleep(LIFETIME + 0.5)
    refused = api.get(by_reference(app, request_uri), token=user.token)
    assert refused.status == 400 and b"invalid_request_uri" in refused.body


def test_a_request_uri_opened_by_one_user_is_refused_to_another(api, app, new_user):
    first, second = new_user(), new_user()
    request_uri, _ = pushed_uri(api, app)
    assert api.get(by_reference(app, request_uri), token=first.token).status == 200
    assert api.get(by_reference(app, request_uri), token=second.token).status == 400


def test_an_app_that_must_push_has_its_plain_requests_refused(api, admin, new_user):
    strict = new_app(api, admin, require_pushed_authorization_requests=True)
    assert api.get(f"/api/v4/oauth/apps/{strict['id']}", token=admin.token).json[
        "require_pushed_authorization_requests"] is True
    user = new_user()
    _, challenge = pkce()
    plain = {"response_type": "code", "client_id": strict["id"], "redirect_uri": CALLBACK, "state": "s",
             "code_challenge": challenge, "code_challenge_method": "S256"}
    page = api.get("/oauth/authorize?" + urllib.parse.urlencode(plain), token=user.token)
    assert page.status == 400 and b"must push its authorization requests" in page.body
    consent = api.post("/oauth/authorize", plain, token=user.token)
    assert consent.status == 400 and consent.json["id"] == "api.oauth.authorize.pushed_request_required.app_error"
    request_uri, _ = pushed_uri(api, strict)
    assert api.get(by_reference(strict, request_uri), token=user.token).status == 200


def test_the_server_setting_requires_pushed_requests_of_every_app(api, admin, app, new_user, host):
    user = new_user()
    _, challenge = pkce()
    plain = "/oauth/authorize?" + urllib.parse.urlencode({
        "response_type": "code", "client_id": app["id"], "redirect_uri": CALLBACK, "state": "s",
        "code_challenge": challenge, "code_challenge_method": "S256"})

    def require(value: bool) -> None:
        patched = api.put("/api/v4/config/patch", {"PluginSettings": {"Plugins": {"oauth-provider": {
            "requirepushedauthorizationrequests": value, "pushedrequestlifetimeseconds": LIFETIME}}}},
            token=admin.token)
        assert patched.status == 200, patched.body
        deadline = time.monotonic() + 10
        while api.get("/.well-known/oauth-authorization-server").json[
                "require_pushed_authorization_requests"] is not value:
            assert time.monotonic() < deadline, "the setting never applied"
            time.sleep(0.1)

    require(True)
    try:
        assert api.get(plain, token=user.token).status == 400
        request_uri, _ = pushed_uri(api, app)
        assert api.get(by_reference(app, request_uri), token=user.token).status == 200
    finally:
        require(False)
    assert api.get(plain, token=user.token).status == 200


def test_pushes_and_their_use_are_audited(api, admin, app, new_user):
    user = new_user()
    request_uri, _ = pushed_uri(api, app)
    allow(api, user, api.get(by_reference(app, request_uri), token=user.token))
    api.get(by_reference(app, request_uri), token=user.token)
    deadline = time.monotonic() + 5
    while True:
        types = {event["type"] for event in api.get("/api/v4/oauth/audits?per_page=200", token=admin.token).json}
        if {"pushed_request_created", "pushed_request_used", "pushed_request_refused"} <= types:
            break
        assert time.monotonic() < deadline, types
        time.sleep(0.2)


def code_of(api, user, app: dict, request_uri: str) -> str:
    """The code of a pushed request, through the consent page the first time, at once once the user consented."""
    page = api.get(by_reference(app, request_uri), token=user.token)
    callback = page.headers["Location"] if page.status in (302, 303) else allow(api, user, page)
    return query(callback)["code"]


def exchange_proving(api, host, app: dict, code: str, verifier: str, key: DPoPKey):
    form = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "client_id": app["id"],
            "client_secret": app["client_secret"], "code_verifier": verifier}
    return api.post("/oauth/access_token", body=urllib.parse.urlencode(form),
                    headers={**FORM, "DPoP": key.proof("POST", host.url + "/oauth/access_token")})


def test_a_dpop_proof_or_dpop_jkt_on_the_push_binds_the_code_to_the_key(api, host, app, new_user):
    """RFC 9449 section 10.1: the proof's key, or the pushed dpop_jkt, is the one the code's exchange must prove."""
    user, key = new_user(), DPoPKey()
    proofs = []
    for other in (DPoPKey(), key):
        proofs.append(key.proof("POST", host.url + "/oauth/par"))
        reply, verifier = push(api, app, headers={"DPoP": proofs[-1]})
        assert reply.status == 201, reply.body
        answer = exchange_proving(api, host, app, code_of(api, user, app, reply.json["request_uri"]), verifier, other)
        # Refused to another key's proof, issued to the pushing key's.
        assert (answer.status, answer.json.get("error")) == ((200, None) if other is key else (400, "invalid_grant"))
    assert answer.json["token_type"] == "DPoP"
    request_uri, verifier = pushed_uri(api, app, dpop_jkt=key.jkt)
    refused = exchange_proving(api, host, app, code_of(api, user, app, request_uri), verifier, DPoPKey())
    assert refused.status == 400 and refused.json["error"] == "invalid_grant", refused.body

    replayed, _ = push(api, app, headers={"DPoP": proofs[0]})
    mismatched, _ = push(api, app, dpop_jkt=DPoPKey().jkt,
                         headers={"DPoP": key.proof("POST", host.url + "/oauth/par")})
    for reply in (replayed, mismatched):
        assert reply.status == 400 and reply.json["error"] == "invalid_dpop_proof", reply.body
