"""Host API tests: a real host process per test module, spoken to over HTTP like any Mattermost client.

`api` is a small HTTP client that keeps the raw status, headers (every Set-Cookie) and body, so that tests can check
the wire format exactly. `admin` is the first account of the module's fresh host (hence its system admin), logged
in; `new_user()` creates and logs in further accounts through the API."""
from __future__ import annotations

import dataclasses
import http.client
import http.cookies
import itertools
import json as jsonlib
import urllib.parse

import pytest

from tests.conftest import HostProcess, free_port

_NO_BODY = object()
ADMIN_PASSWORD = "Admin-Passw0rd!"
USER_PASSWORD = "User-Passw0rd!"


@dataclasses.dataclass
class Reply:
    status: int
    headers: http.client.HTTPMessage
    body: bytes

    @property
    def json(self):
        return jsonlib.loads(self.body)

    @property
    def error_id(self) -> str:
        return self.json.get("id", "") if self.body.startswith(b"{") else ""

    def cookies(self) -> dict[str, http.cookies.Morsel]:
        jar: dict[str, http.cookies.Morsel] = {}
        for header in self.headers.get_all("Set-Cookie") or []:
            parsed = http.cookies.SimpleCookie()
            parsed.load(header)
            for name, morsel in parsed.items():
                jar[name] = morsel
        return jar

    def raw_cookie(self, name: str) -> str:
        return next(h for h in self.headers.get_all("Set-Cookie") or [] if h.startswith(name + "="))


class Api:
    def __init__(self, base_url: str, source_address: str | None = None) -> None:
        """`source_address` (a loopback address such as 127.0.0.2): the client's address as the host sees it."""
        parsed = urllib.parse.urlsplit(base_url)
        self.host, self.port = parsed.hostname, parsed.port
        self.source_address = (source_address, 0) if source_address else None

    def request(self, method: str, path: str, json=_NO_BODY, body: bytes | str | None = None,
                token: str | None = None, headers: dict | None = None) -> Reply:
        headers = dict(headers or {})
        if json is not _NO_BODY:
            body = jsonlib.dumps(json)
            headers.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode()
        if token is not None:
            headers.setdefault("Authorization", f"Bearer {token}")
        conn = http.client.HTTPConnection(self.host, self.port, timeout=30, source_address=self.source_address)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            conn.close()

    def get(self, path: str, **kw) -> Reply:
        return self.request("GET", path, **kw)

    def post(self, path: str, json=_NO_BODY, **kw) -> Reply:
        return self.request("POST", path, json=json, **kw)

    def put(self, path: str, json=_NO_BODY, **kw) -> Reply:
        return self.request("PUT", path, json=json, **kw)

    def login(self, login_id: str, password: str, **kw) -> Reply:
        reply = self.post("/api/v4/users/login", {"login_id": login_id, "password": password}, **kw)
        assert reply.status == 200, reply.body
        return reply


@dataclasses.dataclass
class Account:
    id: str
    username: str
    email: str
    password: str
    token: str
    roles: str


_counter = itertools.count(1)


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    process = HostProcess(tmp_path_factory.mktemp("host") / "data", free_port())
    process.start()
    yield process
    process.stop()


@pytest.fixture(scope="module")
def api(host) -> Api:
    return Api(host.url)


@pytest.fixture(scope="module")
def admin(api) -> Account:
    """The first account created on the module's fresh host: its system admin."""
    created = api.post("/api/v4/users", {"email": "admin@example.com", "username": "admin",
                                          "password": ADMIN_PASSWORD})
    assert created.status == 201, created.body
    user = created.json
    token = api.login("admin", ADMIN_PASSWORD).headers["Token"]
    return Account(user["id"], "admin", "admin@example.com", ADMIN_PASSWORD, token, user["roles"])


@pytest.fixture(scope="module")
def new_user(api, admin):
    """Create (as the admin) and log in a new ordinary account."""
    def make(prefix: str = "user") -> Account:
        n = next(_counter)
        username, email = f"{prefix}{n}", f"{prefix}{n}@example.com"
        created = api.post("/api/v4/users", {"email": email, "username": username, "password": USER_PASSWORD},
                           token=admin.token)
        assert created.status == 201, created.body
        token = api.login(username, USER_PASSWORD).headers["Token"]
        return Account(created.json["id"], username, email, USER_PASSWORD, token, created.json["roles"])
    return make


# --- OAuth access tokens (the real plugin's code flow, over the consent API and the token endpoint) --------------

OAUTH_CALLBACK = "https://app.example.com/callback"


@pytest.fixture(scope="module")
def oauth_app(api, admin) -> dict:
    reply = api.post("/api/v4/oauth/apps", {"name": "Acting app", "homepage": "https://app.example.com",
                                            "callback_urls": [OAUTH_CALLBACK]}, token=admin.token)
    assert reply.status == 201, reply.body
    return reply.json


@pytest.fixture(scope="module")
def oauth_token(api, oauth_app):
    """An OAuth access token of `oauth_app` for an account (the account consents with its session)."""
    import base64
    import hashlib
    import secrets

    def issue(account: Account) -> str:
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        consent = api.post("/oauth/authorize", {
            "response_type": "code", "client_id": oauth_app["id"], "redirect_uri": OAUTH_CALLBACK, "state": "s",
            "code_challenge": challenge, "code_challenge_method": "S256"}, token=account.token)
        assert consent.status == 200, consent.body
        code = urllib.parse.parse_qs(urllib.parse.urlsplit(consent.json["redirect"]).query)["code"][0]
        issued = api.post("/oauth/access_token", body=urllib.parse.urlencode({
            "grant_type": "authorization_code", "code": code, "redirect_uri": OAUTH_CALLBACK,
            "client_id": oauth_app["id"], "client_secret": oauth_app["client_secret"], "code_verifier": verifier}),
            headers={"Content-Type": "application/x-www-form-urlencoded"})
        assert issued.status == 200, issued.body
        return issued.json["access_token"]
    return issue


@pytest.fixture(scope="module", params=["session", "oauth"])
def credential(request, oauth_token):
    """A way to call the API as an account: its host session token, or an OAuth access token for it."""
    if request.param == "session":
        return lambda account: account.token
    return oauth_token
