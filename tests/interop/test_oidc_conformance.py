"""The OpenID Foundation conformance suite's Basic OP checks, ported: one test per `oidcc-*` module, named after it,
against a launched host and its plugin over HTTP, asserting what the module asserts. (The suite itself needs
MongoDB and public DNS, so it cannot run here.) The relying party is written with `requests` and joserfc: every ID
token is verified against the discovered JWKS and checked as the suite's ValidateIdToken* conditions do."""
from __future__ import annotations

import base64
import hashlib
import secrets
import time
import urllib.parse

import pytest

from tests.conftest import HostProcess, free_port
from tests.forms import hidden_fields
from tests.interop.test_oauth_clients import CALLBACK, Host

requests = pytest.importorskip("requests")
from joserfc import jwt  # noqa: E402
from joserfc.jwk import KeySet  # noqa: E402

PASSWORD = "User-Passw0rd!"
CALLBACK_WITH_QUERY = "https://client.example.com/oauth/callback?foo=bar"


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    process = HostProcess(tmp_path_factory.mktemp("oidcc-host") / "data", free_port())
    process.start()
    try:
        yield Host(process)
    finally:
        process.stop()


@pytest.fixture(scope="module")
def op(host):
    return OP(host)


class OP:
    """The provider as the suite's client sees it: the discovery document, one registered client, one user."""

    def __init__(self, host: Host) -> None:
        self.host = host
        self.config = requests.get(host.url + "/.well-known/openid-configuration").json()
        self.keys = KeySet.import_key_set(requests.get(self.config["jwks_uri"]).json())
        reply = requests.post(host.url + "/api/v4/oauth/apps", headers=host.bearer(host.admin_token), json={
            "name": "Conformance", "homepage": "https://client.example.com",
            "callback_urls": [CALLBACK, CALLBACK_WITH_QUERY]})
        assert reply.status_code == 201, reply.text
        self.client = reply.json()
        created = requests.post(host.url + "/api/v4/users", headers=host.bearer(host.admin_token), json={
            "email": "oidcc@example.com", "username": "oidcc", "password": PASSWORD, "first_name": "Open",
            "last_name": "Id", "nickname": "oidcc", "locale": "en"})
        assert created.status_code == 201, created.text
        self.user = created.json()
        self.browser = self.sign_in()

    def sign_in(self, login_path: str = "/login") -> requests.Session:
        """A browser signed in through the login page (its cookies are the session)."""
        browser = requests.Session()
        page = browser.get(self.host.url + login_path)
        assert page.status_code == 200, page.text
        signed = browser.post(self.host.url + "/login", data={**hidden_fields(page.content), "login_id": "oidcc",
                                                              "password": PASSWORD}, allow_redirects=False)
        assert signed.status_code == 303, signed.text
        self.last_sign_in_location = signed.headers["Location"]
        return browser

    def authorize(self, browser: requests.Session | None = None, consent: bool = True, **params) -> dict:
        """Run an authorization request in the browser: consent if asked; the parameters the client's callback got
        (query, or fragment), or {"location": ...} when the browser was sent elsewhere (the login page)."""
        browser = browser or self.browser
        query = {"response_type": "code", "client_id": self.client["id"], "redirect_uri": CALLBACK,
                 "scope": "openid", "state": secrets.token_urlsafe(8), **params}
        reply = browser.get(self.config["authorization_endpoint"], params=query, allow_redirects=False)
        if reply.status_code == 200 and consent:
            reply = browser.post(self.host.url + "/oauth/authorize/decision",
                                 data={**hidden_fields(reply.content), "decision": "allow"}, allow_redirects=False)
        return self.callback(reply, query["state"])

    def callback(self, reply, state: str) -> dict:
        if reply.status_code not in (302, 303):
            return {"status": reply.status_code, "body": reply.text}
        location = reply.headers["Location"]
        if not location.startswith("https://client.example.com/"):
            return {"location": location}
        parts = urllib.parse.urlsplit(location)
        params = dict(urllib.parse.parse_qsl(parts.fragment or parts.query))
        assert params.get("state") == state  # every answer returns the state
        assert params["iss"] == self.config["issuer"]  # RFC 9207
        return params

    def token(self, code: str, redirect_uri: str = CALLBACK, auth: str = "basic") -> requests.Response:
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri}
        if auth == "basic":
            return requests.post(self.config["token_endpoint"], data=form,
                                 auth=(self.client["id"], self.client["client_secret"]))
        return requests.post(self.config["token_endpoint"], data={
            **form, "client_id": self.client["id"], "client_secret": self.client["client_secret"]})

    def id_token(self, tokens: dict, nonce: str | None = None) -> dict:
        """The suite's ValidateIdToken, ValidateIdTokenSignature, ValidateIdTokenNonce, ValidateAtHash checks."""
        decoded = jwt.decode(tokens["id_token"], self.keys)
        claims = decoded.claims
        now = time.time()
        assert decoded.header["alg"] in self.config["id_token_signing_alg_values_supported"]
        assert claims["iss"] == self.config["issuer"] and claims["aud"] == self.client["id"]
        assert claims["azp"] == self.client["id"]
        assert claims["iat"] <= now + 5 and claims["exp"] > now and isinstance(claims["sub"], str)
        assert claims.get("nonce") == nonce
        digest = hashlib.sha256(tokens["access_token"].encode()).digest()[:16]
        assert claims["at_hash"] == base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
        return claims

    def sign_in_code_flow(self, **params) -> tuple[dict, dict]:
        nonce = params.pop("nonce", secrets.token_urlsafe(8))
        answer = self.authorize(nonce=nonce, **params) if nonce else self.authorize(**params)
        reply = self.token(answer["code"])
        assert reply.status_code == 200, reply.text
        tokens = reply.json()
        return tokens, self.id_token(tokens, nonce or None)

    def userinfo(self, access_token: str, how: str = "get") -> requests.Response:
        url = self.config["userinfo_endpoint"]
        header = {"Authorization": f"Bearer {access_token}"}
        if how == "get":
            return requests.get(url, headers=header)
        if how == "post-header":
            return requests.post(url, headers=header)
        return requests.post(url, data={"access_token": access_token})


# --- oidcc-server and the discovery it relies on -------------------------------------------------------------

def test_oidcc_discovery_issuer_and_required_metadata(op, host):
    config = op.config
    assert config["issuer"] == host.url
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri", "userinfo_endpoint",
                "response_types_supported", "subject_types_supported", "id_token_signing_alg_values_supported"):
        assert config[key], key
    assert "RS256" in config["id_token_signing_alg_values_supported"] and "code" in config["response_types_supported"]


def test_oidcc_server(op):
    tokens, claims = op.sign_in_code_flow()
    assert claims["sub"] == op.user["id"] and tokens["token_type"].lower() == "bearer"


def test_oidcc_server_client_secret_post(op):
    answer = op.authorize()
    reply = op.token(answer["code"], auth="post")
    assert reply.status_code == 200 and op.id_token(reply.json())["sub"] == op.user["id"]


def test_oidcc_idtoken_rs256(op):
    tokens, _ = op.sign_in_code_flow()
    assert jwt.decode(tokens["id_token"], op.keys).header["alg"] == "RS256"


def test_oidcc_ensure_request_without_nonce_succeeds_for_code_flow(op):
    _, claims = op.sign_in_code_flow(nonce="")
    assert "nonce" not in claims


def test_oidcc_response_type_missing(op):
    answer = op.authorize(response_type="")
    assert answer.get("status") == 400 or answer.get("error") == "invalid_request"


def test_oidcc_ensure_other_scope_order_succeeds(op):
    tokens, _ = op.sign_in_code_flow(scope="email openid")
    assert op.userinfo(tokens["access_token"]).json()["email"] == "oidcc@example.com"


# --- userinfo and scopes ---------------------------------------------------------------------------------------

@pytest.mark.parametrize("how", ["get", "post-header", "post-body"])
def test_oidcc_userinfo(op, how):
    """oidcc-userinfo-get, oidcc-userinfo-post-header, oidcc-userinfo-post-body."""
    tokens, claims = op.sign_in_code_flow()
    reply = op.userinfo(tokens["access_token"], how)
    assert reply.status_code == 200 and reply.json()["sub"] == claims["sub"]


@pytest.mark.parametrize("scope, expected", [
    ("openid profile", {"name", "given_name", "family_name", "nickname", "preferred_username", "locale",
                        "updated_at"}),
    ("openid email", {"email", "email_verified"}),
    ("openid profile email", {"name", "email", "preferred_username"}),
])
def test_oidcc_scope_profile_email_all(op, scope, expected):
    """oidcc-scope-profile, oidcc-scope-email, oidcc-scope-all: the scope's claims from UserInfo (or the ID token)."""
    tokens, claims = op.sign_in_code_flow(scope=scope)
    info = op.userinfo(tokens["access_token"]).json()
    assert expected <= set(info) and expected <= set(claims)
    if "email" not in scope:
        assert "email" not in info


def test_oidcc_claims_essential(op):
    """A claims request is accepted; the essential claim is released when its scope is granted."""
    tokens, _ = op.sign_in_code_flow(scope="openid profile", claims='{"userinfo": {"name": {"essential": true}}}')
    assert op.userinfo(tokens["access_token"]).json()["name"] == "Open Id"


# --- prompt, max_age, hints, locales, display --------------------------------------------------------------------

def test_oidcc_prompt_none_not_logged_in(op):
    answer = op.authorize(browser=requests.Session(), prompt="none")
    assert answer["error"] == "login_required"


def test_oidcc_prompt_none_logged_in(op):
    op.authorize()  # consent remembered
    answer = op.authorize(prompt="none", consent=False)
    assert answer["code"] and op.token(answer["code"]).status_code == 200


def test_oidcc_prompt_login(op):
    first = op.id_token(op.token(op.authorize(nonce="a")["code"]).json(), "a")
    time.sleep(1.1)
    answer = op.authorize(prompt="login", nonce="b", consent=False)
    login = answer["location"]
    assert urllib.parse.urlsplit(login).path == "/login"
    browser = op.sign_in(urllib.parse.urlsplit(login).path + "?" + urllib.parse.urlsplit(login).query)
    back = browser.get(op.host.url + op.last_sign_in_location, allow_redirects=False)
    params = op.callback(back, dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(op.last_sign_in_location).query))
                         ["state"])
    second = op.id_token(op.token(params["code"]).json(), "b")
    assert second["auth_time"] > first["auth_time"]
    op.browser = browser


def test_oidcc_max_age_1(op):
    op.authorize()
    time.sleep(2.1)
    answer = op.authorize(max_age="1", nonce="m", consent=False)
    assert urllib.parse.urlsplit(answer["location"]).path == "/login"  # the session is older than a second
    login = urllib.parse.urlsplit(answer["location"])
    browser = op.sign_in(login.path + "?" + login.query)
    back = browser.get(op.host.url + op.last_sign_in_location, allow_redirects=False)
    state = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(op.last_sign_in_location).query))["state"]
    claims = op.id_token(op.token(op.callback(back, state)["code"]).json(), "m")
    assert time.time() - claims["auth_time"] < 60  # auth_time is required with max_age, and fresh
    op.browser = browser


def test_oidcc_max_age_10000(op):
    _, claims = op.sign_in_code_flow(max_age="10000")
    assert "auth_time" in claims


def test_oidcc_id_token_hint(op):
    tokens, _ = op.sign_in_code_flow()
    answer = op.authorize(prompt="none", id_token_hint=tokens["id_token"], consent=False)
    assert answer["code"]


def test_oidcc_login_hint(op):
    answer = op.authorize(browser=requests.Session(), login_hint="oidcc")
    login = requests.get(op.host.url + answer["location"])
    assert 'name="login_id" value="oidcc"' in login.text


@pytest.mark.parametrize("params", [{"ui_locales": "se"}, {"claims_locales": "se"}, {"display": "page"},
                                    {"display": "popup"}])
def test_oidcc_ui_locales_claims_locales_display(op, params):
    """oidcc-ui-locales, oidcc-claims-locales, oidcc-display-page, oidcc-display-popup: accepted."""
    assert op.sign_in_code_flow(**params)[1]["sub"] == op.user["id"]


# --- redirect URIs and codes -----------------------------------------------------------------------------------

def test_oidcc_ensure_registered_redirect_uri(op):
    reply = op.browser.get(op.config["authorization_endpoint"], params={
        "response_type": "code", "client_id": op.client["id"], "scope": "openid", "state": "s",
        "redirect_uri": "https://client.example.com/not-registered"}, allow_redirects=False)
    assert reply.status_code == 400 and "Location" not in reply.headers  # an error page, never a redirect


def test_oidcc_redirect_uri_query_ok(op):
    answer = op.authorize(redirect_uri=CALLBACK_WITH_QUERY)
    assert answer["code"] and answer["foo"] == "bar"
    assert op.token(answer["code"], redirect_uri=CALLBACK_WITH_QUERY).status_code == 200


@pytest.mark.parametrize("redirect_uri", [CALLBACK_WITH_QUERY + "&foo2=bar2", CALLBACK + "?foo=baz"])
def test_oidcc_redirect_uri_query_added_and_mismatch(op, redirect_uri):
    """oidcc-redirect-uri-query-added, oidcc-redirect-uri-query-mismatch: exact matching."""
    reply = op.browser.get(op.config["authorization_endpoint"], params={
        "response_type": "code", "client_id": op.client["id"], "scope": "openid", "state": "s",
        "redirect_uri": redirect_uri}, allow_redirects=False)
    assert reply.status_code == 400 and "Location" not in reply.headers


def test_oidcc_codereuse(op):
    code = op.authorize()["code"]
    assert op.token(code).status_code == 200
    again = op.token(code)
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"


def test_oidcc_codereuse_30seconds(op):
    """A reused code revokes the access token its first exchange issued."""
    code = op.authorize(scope="openid email")["code"]
    tokens = op.token(code).json()
    assert op.userinfo(tokens["access_token"]).status_code == 200
    assert op.token(code).status_code == 400
    assert op.userinfo(tokens["access_token"]).status_code == 401


def test_oidcc_refresh_token(op):
    tokens, first = op.sign_in_code_flow()
    reply = requests.post(op.config["token_endpoint"], data={
        "grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        auth=(op.client["id"], op.client["client_secret"]))
    assert reply.status_code == 200, reply.text
    refreshed = jwt.decode(reply.json()["id_token"], op.keys).claims
    for claim in ("iss", "sub", "aud", "auth_time", "azp"):
        assert refreshed[claim] == first[claim], claim
