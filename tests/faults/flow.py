"""Helpers for the fault tests: an HTTP client with a per-request timeout that records how long each answer took,
and the OAuth code flow over the host's HTTP API (the consent API, then the token endpoint)."""
from __future__ import annotations

import base64
import dataclasses
import hashlib
import http.client
import itertools
import json as jsonlib
import secrets
import socket
import time
import urllib.parse

from tests.host.conftest import Reply

CALLBACK = "https://app.example.com/callback"
PASSWORD = "Fault-Passw0rd!"
NO_RATE_LIMITS = {"RateLimitPerClientPerMinute": 0, "RateLimitPerAddressPerMinute": 0}
_names = itertools.count(1)


@dataclasses.dataclass
class Timed:
    """One answer (or the transport error instead of one) and how long it took."""
    reply: Reply | None
    seconds: float
    error: str = ""

    @property
    def status(self) -> int | None:
        return self.reply.status if self.reply is not None else None


class Client:
    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        parsed = urllib.parse.urlsplit(base_url)
        self.host, self.port, self.timeout = parsed.hostname, parsed.port, timeout

    def request(self, method: str, path: str, body: bytes | str | None = None, headers: dict | None = None,
                json=None, token: str | None = None, timeout: float | None = None) -> Reply:
        headers = dict(headers or {})
        if json is not None:
            body = jsonlib.dumps(json)
            headers.setdefault("Content-Type", "application/json")
        if isinstance(body, str):
            body = body.encode()
        if token is not None:
            headers.setdefault("Authorization", f"Bearer {token}")
        conn = http.client.HTTPConnection(self.host, self.port, timeout=timeout or self.timeout)
        try:
            conn.request(method, path, body=body, headers=headers)
            response = conn.getresponse()
            return Reply(response.status, response.headers, response.read())
        finally:
            conn.close()

    def timed(self, method: str, path: str, **kw) -> Timed:
        """The answer with its duration; a transport error (refused, reset, timed out) is kept, not raised."""
        started = time.monotonic()
        try:
            reply = self.request(method, path, **kw)
        except (OSError, http.client.HTTPException, socket.timeout) as exc:
            return Timed(None, time.monotonic() - started, f"{type(exc).__name__}: {exc}")
        return Timed(reply, time.monotonic() - started)


def pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def form(**fields) -> dict:
    return {"body": urllib.parse.urlencode(fields), "headers": {"Content-Type": "application/x-www-form-urlencoded"}}


@dataclasses.dataclass
class Account:
    id: str
    username: str
    token: str  # a host session token


class OAuthHttp:
    """One host's admin, an app, and the code flow over HTTP."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.admin = self.account("admin", first=True)
        self.app = self.create_app()

    def account(self, prefix: str = "user", first: bool = False) -> Account:
        n = next(_names)
        username = f"{prefix}{n}"
        created = self.client.request("POST", "/api/v4/users", json={
            "email": f"{username}@example.com", "username": username, "password": PASSWORD},
            token=None if first else self.admin.token)
        assert created.status == 201, created.body
        login = self.client.request("POST", "/api/v4/users/login", json={"login_id": username, "password": PASSWORD})
        assert login.status == 200, login.body
        return Account(created.json["id"], username, login.headers["Token"])

    def create_app(self, name: str = "Fault app") -> dict:
        reply = self.client.request("POST", "/api/v4/oauth/apps", token=self.admin.token, json={
            "name": name, "homepage": "https://app.example.com", "callback_urls": [CALLBACK]})
        assert reply.status == 201, reply.body
        return reply.json

    @staticmethod
    def consent(app: dict, scope: str = "") -> tuple[dict, str]:
        """The consent API's body (allow, PKCE S256) and its verifier."""
        verifier, challenge = pkce()
        return {"response_type": "code", "client_id": app["id"], "redirect_uri": CALLBACK, "state": "s",
                "scope": scope, "code_challenge": challenge, "code_challenge_method": "S256"}, verifier

    def authorize(self, user: Account, app: dict | None = None, scope: str = "") -> tuple[Reply, str]:
        """POST /oauth/authorize: (reply, verifier); the code is in reply.json["redirect"] on 200."""
        body, verifier = self.consent(app or self.app, scope)
        return self.client.request("POST", "/oauth/authorize", token=user.token, json=body), verifier

    @staticmethod
    def code_of(reply: Reply) -> str:
        return urllib.parse.parse_qs(urllib.parse.urlsplit(reply.json["redirect"]).query)["code"][0]

    def exchange_form(self, code: str, verifier: str, app: dict | None = None) -> dict:
        app = app or self.app
        return form(grant_type="authorization_code", code=code, redirect_uri=CALLBACK, client_id=app["id"],
                    client_secret=app["client_secret"], code_verifier=verifier)

    def refresh_form(self, refresh_token: str, app: dict | None = None) -> dict:
        app = app or self.app
        return form(grant_type="refresh_token", refresh_token=refresh_token, client_id=app["id"],
                    client_secret=app["client_secret"])

    def tokens(self, user: Account, app: dict | None = None, scope: str = "") -> dict:
        """A whole successful code flow: the token response."""
        reply, verifier = self.authorize(user, app, scope)
        assert reply.status == 200, reply.body
        issued = self.client.request("POST", "/oauth/access_token", **self.exchange_form(
            self.code_of(reply), verifier, app))
        assert issued.status == 200, issued.body
        return issued.json

    def me(self, access_token: str, **kw) -> Reply:
        return self.client.request("GET", "/api/v4/users/me", token=access_token, **kw)


def configure_plugin(config: dict, **settings) -> None:
    """Set the OAuth plugin's own settings in a host config (PluginSettings.Plugins[oauth-provider])."""
    plugins = config["PluginSettings"].setdefault("Plugins", {})
    plugins.setdefault("oauth-provider", {}).update({k.lower(): v for k, v in settings.items()})
