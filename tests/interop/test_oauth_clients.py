"""OAuth clients nobody here wrote, against a launched host: Authlib's and requests-oauthlib's `OAuth2Session` run
the authorization-code flow with PKCE S256 (each library makes the verifier and challenge), exchange the code,
call /api/v4/users/me with the token they got, refresh, introspect (RFC 7662) and revoke (RFC 7009), with
client_secret_basic and with client_secret_post.

The user's consent is given through the host as a browser would (GET /oauth/authorize with the user's session,
then the consent page's form, or POST /oauth/authorize as Mattermost's web app does); the redirect to the callback
is captured, so no callback server is needed.

Client secrets with ':', '%', '+', spaces and non-ASCII characters: the server makes its own secrets (URL-safe
base64), so clients with chosen secrets are inserted into the plugin's database (the plugin reads it live).
RFC 6749 section 2.3.1 has the Basic user and password form-urlencoded before base64. Both libraries put the raw
secret into the header instead (as latin-1), which only works for ASCII secrets that form-decoding leaves
unchanged; the tests prove the server decodes a correctly encoded header with every such character, refuses a
wrongly encoded one, and that each library authenticates such a client with client_secret_post as it is and
with client_secret_basic once given the RFC's encoding.
"""
from __future__ import annotations

import base64
import contextlib
import hashlib
import itertools
import json
import secrets
import sqlite3
import time
import urllib.parse

import pytest

requests = pytest.importorskip("requests")
authlib_client = pytest.importorskip("authlib.integrations.requests_client")
requests_oauthlib = pytest.importorskip("requests_oauthlib")

from authlib.common.security import generate_token  # noqa: E402
from authlib.oauth2.rfc8414 import AuthorizationServerMetadata  # noqa: E402
from oauthlib.oauth2.rfc6749.errors import OAuth2Error as OAuthlibError  # noqa: E402

from tests.conftest import PLUGIN_ID, HostProcess, free_port  # noqa: E402
from tests.forms import hidden_fields  # noqa: E402

CALLBACK = "https://client.example.com/oauth/callback"
ADMIN_PASSWORD = "Admin-Passw0rd!"
USER_PASSWORD = "User-Passw0rd!"
ID_ALPHABET = "ybndrfg8ejkmcpqxot1uwisza345h769"
METHODS = ["client_secret_basic", "client_secret_post"]

# Secrets a client may hold (RFC 6749 appendix B's test cases: ':', '%', '+', and beyond ASCII).
SPECIAL_SECRETS = [
    "with:colons:inside",
    "100%25-and-a-lone-%-sign",
    "a+b+c=d",
    "spaces and+plus",
    "caf\u00e9:cr\u00e8me",
    "p\u00e4ssw\u00f6rt-\u65e5\u672c\u8a9e-\u20ac",
    "every:%+ \u00e9 \u2603 thing/?&=",
]


def survives_form_decoding(secret: str) -> bool:
    """Whether a secret put into the Basic header unencoded (as UTF-8) still reads as itself once the server
    form-decodes it: only when it holds no '%' escape and no '+'."""
    return urllib.parse.unquote_plus(secret) == secret


def library_basic_survives(secret: str) -> bool:
    """Whether the libraries' own Basic header (the raw secret, encoded as latin-1) authenticates: only for ASCII
    secrets that form-decoding leaves alone (latin-1 bytes are not UTF-8; beyond latin-1 they cannot encode)."""
    return secret.isascii() and survives_form_decoding(secret)


def rfc6749_basic(client_id: str, secret: str) -> str:
    """Appendix B: form-urlencode user and password (UTF-8), join with ':', base64."""
    raw = f"{urllib.parse.quote_plus(client_id)}:{urllib.parse.quote_plus(secret)}"
    return "Basic " + base64.b64encode(raw.encode("ascii")).decode()


# --- the host, its admin, users and apps ---------------------------------------------------------------------

class Host:
    def __init__(self, process: HostProcess) -> None:
        self.process = process
        self.url = process.url
        # No cookie jar: login sets MMAUTHTOKEN, and a cookie would be used instead of the bearer tokens under test.
        self.http = requests
        created = self.http.post(self.url + "/api/v4/users", json={
            "email": "admin@example.com", "username": "admin", "password": ADMIN_PASSWORD})
        assert created.status_code == 201, created.text  # the first account: system admin
        self.admin_id = created.json()["id"]
        self.admin_token = self.login("admin", ADMIN_PASSWORD)
        self.metadata = self.http.get(self.url + "/.well-known/oauth-authorization-server").json()
        self._users = itertools.count(1)

    def login(self, username: str, password: str) -> str:
        reply = self.http.post(self.url + "/api/v4/users/login", json={"login_id": username, "password": password})
        assert reply.status_code == 200, reply.text
        return reply.headers["Token"]

    def new_user(self) -> tuple[str, str, str]:
        """(id, username, session token) of a new ordinary account."""
        name = f"user{next(self._users)}"
        created = self.http.post(self.url + "/api/v4/users", headers=self.bearer(self.admin_token), json={
            "email": f"{name}@example.com", "username": name, "password": USER_PASSWORD})
        assert created.status_code == 201, created.text
        return created.json()["id"], name, self.login(name, USER_PASSWORD)

    @staticmethod
    def bearer(token: str) -> dict:
        return {"Authorization": f"Bearer {token}"}

    def create_app(self) -> dict:
        reply = self.http.post(self.url + "/api/v4/oauth/apps", headers=self.bearer(self.admin_token), json={
            "name": "Interop client", "homepage": "https://client.example.com", "callback_urls": [CALLBACK]})
        assert reply.status_code == 201, reply.text
        return reply.json()

    def insert_client(self, secret: str) -> str:
        """A confidential client with a secret of our choosing, written into the plugin's SQLite database the
        way the store keeps apps (plugin/store/records.py AppRecord): only the secret's SHA-256 (hex)."""
        client_id = "".join(secrets.choice(ID_ALPHABET) for _ in range(26))
        now = int(time.time() * 1000)
        path = self.process.data_dir / "files" / "plugins" / PLUGIN_ID / "oauth.db"
        with contextlib.closing(sqlite3.connect(path, timeout=10)) as db, db:
            db.execute(
                "INSERT INTO oauth_apps (id, creator_id, create_at, update_at, name, description, icon_url, homepage,"
                " callback_urls, is_trusted, mattermost_app_id, is_dynamically_registered, client_secret_hash)"
                " VALUES (?, ?, ?, ?, ?, '', '', ?, ?, 0, '', 0, ?)",
                (client_id, self.admin_id, now, now, "Chosen secret", "https://client.example.com",
                 json.dumps([CALLBACK]), hashlib.sha256(secret.encode("utf-8")).hexdigest()))
        return client_id

    def endpoint(self, name: str) -> str:
        url = self.metadata[name]
        assert url.startswith(self.url + "/"), url  # the document names this very host
        return url

    def me(self, access_token: str) -> requests.Response:
        return self.http.get(self.url + "/api/v4/users/me", headers=self.bearer(access_token))


def consent_via_page(host: Host, session_token: str, authorization_url: str) -> str:
    """The user opens the authorization URL with their session and presses Allow on the consent page; the URL the
    browser is sent to (the client's callback with code, state and iss)."""
    browser = requests.Session()
    page = browser.get(authorization_url, headers=host.bearer(session_token), allow_redirects=False)
    if page.status_code == 302:  # consent remembered
        return page.headers["Location"]
    assert page.status_code == 200, page.text
    decided = browser.post(host.url + "/oauth/authorize/decision",
                           data={**hidden_fields(page.content), "decision": "allow"},
                           headers=host.bearer(session_token), allow_redirects=False)
    assert decided.status_code == 303, decided.text
    return decided.headers["Location"]


def consent_via_api(host: Host, session_token: str, authorization_url: str) -> str:
    """Mattermost's web app: POST /oauth/authorize with the authorization request as JSON."""
    request = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(authorization_url).query))
    reply = host.http.post(host.url + "/oauth/authorize", json=request, headers=host.bearer(session_token))
    assert reply.status_code == 200, reply.text
    return reply.json()["redirect"]


def check_authorization_response(host: Host, callback: str, state: str) -> dict[str, str]:
    assert callback.startswith(CALLBACK + "?"), callback
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))
    assert params["state"] == state and params["code"]
    assert params["iss"] == host.metadata["issuer"]  # RFC 9207, what a mix-up-aware client compares
    return params


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    process = HostProcess(tmp_path_factory.mktemp("interop-host") / "data", free_port())
    process.start()
    try:
        yield Host(process)
    finally:
        process.stop()


@pytest.fixture(scope="module")
def app(host) -> dict:
    return host.create_app()


@pytest.fixture
def insecure_transport(monkeypatch):
    """oauthlib refuses http:// endpoints unless told this is a test; the host listens on plain loopback HTTP."""
    monkeypatch.setenv("OAUTHLIB_INSECURE_TRANSPORT", "1")


def test_metadata_passes_authlibs_rfc_8414_validation(host):
    """Authlib's own validator of RFC 8414 documents accepts ours; only the scheme is swapped, since RFC 8414
    wants https and the test host speaks plain HTTP on loopback."""
    document = {key: value.replace(host.url, "https://chat.example.com") if isinstance(value, str) else value
                for key, value in host.metadata.items()}
    AuthorizationServerMetadata(document).validate()
    for key in ("token_endpoint", "revocation_endpoint", "introspection_endpoint"):
        assert host.metadata[key].startswith(host.url)


# --- Authlib ------------------------------------------------------------------------------------------------

def authlib_session(host: Host, client_id: str, secret: str, method: str):
    return authlib_client.OAuth2Session(
        client_id, secret, scope="user", redirect_uri=CALLBACK, code_challenge_method="S256",
        token_endpoint_auth_method=method, revocation_endpoint_auth_method=method)


def authlib_authorize(host: Host, client, session_token: str) -> tuple[str, str]:
    """Authlib builds the authorization URL from a verifier it generated; the consent gives the callback URL."""
    verifier = generate_token(48)
    url, state = client.create_authorization_url(host.endpoint("authorization_endpoint"), code_verifier=verifier)
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert query["code_challenge_method"] == "S256" and query["code_challenge"] != verifier
    callback = consent_via_page(host, session_token, url)
    check_authorization_response(host, callback, state)
    return callback, verifier


def authlib_whole_flow(host: Host, client, user: tuple[str, str, str]) -> None:
    user_id, username, session_token = user
    callback, verifier = authlib_authorize(host, client, session_token)
    token = client.fetch_token(host.endpoint("token_endpoint"), authorization_response=callback,
                               code_verifier=verifier)
    assert token["token_type"].lower() == "bearer" and token["refresh_token"] and token["expires_at"]
    me = client.get(host.url + "/api/v4/users/me")  # Authlib sends its bearer token
    assert me.status_code == 200 and me.json()["id"] == user_id

    first_access = token["access_token"]
    refreshed = client.refresh_token(host.endpoint("token_endpoint"))
    assert refreshed["access_token"] != first_access and refreshed["refresh_token"] != token["refresh_token"]
    assert client.get(host.url + "/api/v4/users/me").json()["username"] == username
    assert host.me(first_access).status_code == 401

    introspected = client.introspect_token(host.endpoint("introspection_endpoint"),
                                           token=refreshed["access_token"])
    assert introspected.status_code == 200, introspected.text
    body = introspected.json()
    assert (body["active"], body["client_id"], body["sub"], body["username"], body["token_type"]) == \
        (True, client.client_id, user_id, username, "access_token")
    assert client.introspect_token(host.endpoint("introspection_endpoint"), token=first_access).json() == \
        {"active": False}

    revoked = client.revoke_token(host.endpoint("revocation_endpoint"), token=refreshed["refresh_token"],
                                  token_type_hint="refresh_token")
    assert revoked.status_code == 200, revoked.text
    assert host.me(refreshed["access_token"]).status_code == 401  # the refresh token took its grant along
    assert client.introspect_token(host.endpoint("introspection_endpoint"),
                                   token=refreshed["refresh_token"]).json() == {"active": False}


@pytest.mark.parametrize("method", METHODS)
def test_authlib_code_flow_with_pkce_refresh_introspection_and_revocation(host, app, method):
    client = authlib_session(host, app["id"], app["client_secret"], method)
    authlib_whole_flow(host, client, host.new_user())


@pytest.mark.parametrize("secret", SPECIAL_SECRETS)
def test_authlib_with_a_secret_of_special_characters(host, secret):
    """client_secret_post works as Authlib does it; client_secret_basic works once Authlib is given RFC 6749's
    encoding (a registered client auth method); Authlib's own Basic encoding (the raw secret, latin-1) works only
    for secrets form-decoding leaves alone, and otherwise fails without spending the code."""
    client_id = host.insert_client(secret)
    user = host.new_user()
    authlib_whole_flow(host, authlib_session(host, client_id, secret, "client_secret_post"), user)

    as_authlib_does = authlib_session(host, client_id, secret, "client_secret_basic")
    callback, verifier = authlib_authorize(host, as_authlib_does, user[2])
    try:
        as_authlib_does.fetch_token(host.endpoint("token_endpoint"), authorization_response=callback,
                                    code_verifier=verifier)
        raw_worked = True
    except authlib_client.OAuthError as error:
        assert error.error == "invalid_client"
        raw_worked = False
    except UnicodeEncodeError:  # beyond latin-1: Authlib cannot even build its header
        raw_worked = False
    assert raw_worked == library_basic_survives(secret)

    def encoded_basic(client, method, uri, headers, body):
        headers["Authorization"] = rfc6749_basic(client.client_id, client.client_secret)
        return uri, headers, body

    as_rfc_6749_says = authlib_session(host, client_id, secret, "client_secret_basic")
    as_rfc_6749_says.register_client_auth_method(("client_secret_basic", encoded_basic))
    if not raw_worked:  # the refused attempt did not spend the code
        token = as_rfc_6749_says.fetch_token(host.endpoint("token_endpoint"), authorization_response=callback,
                                             code_verifier=verifier)
        assert host.me(token["access_token"]).status_code == 200
    authlib_whole_flow(host, as_rfc_6749_says, user)


# --- requests-oauthlib -----------------------------------------------------------------------------------------

def oauthlib_whole_flow(host: Host, client_id: str, secret: str, method: str, user: tuple[str, str, str],
                        basic_auth=None) -> None:
    """requests-oauthlib generates the PKCE pair itself (pkce="S256"). `basic_auth` replaces its own Basic header
    (requests' HTTPBasicAuth of the raw id and secret) when given."""
    user_id, username, session_token = user
    session = requests_oauthlib.OAuth2Session(client_id, redirect_uri=CALLBACK, scope=["user"], pkce="S256")
    url, state = session.authorization_url(host.endpoint("authorization_endpoint"))
    query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
    assert query["code_challenge_method"] == "S256" and query["code_challenge"]
    callback = consent_via_api(host, session_token, url)
    check_authorization_response(host, callback, state)

    if method == "client_secret_post":
        token = session.fetch_token(host.endpoint("token_endpoint"), authorization_response=callback,
                                    client_secret=secret, include_client_id=True)
        client_auth, refresh_fields = None, {"client_id": client_id, "client_secret": secret}
    else:
        token = session.fetch_token(host.endpoint("token_endpoint"), authorization_response=callback,
                                    client_secret=secret, auth=basic_auth)
        client_auth = basic_auth or requests.auth.HTTPBasicAuth(client_id, secret)
        refresh_fields = {}
    assert token["token_type"].lower() == "bearer" and token["refresh_token"]
    me = session.get(host.url + "/api/v4/users/me")  # the session adds its bearer token
    assert me.status_code == 200 and me.json()["id"] == user_id

    first_access = token["access_token"]
    refreshed = session.refresh_token(host.endpoint("token_endpoint"), auth=client_auth, **refresh_fields)
    assert refreshed["access_token"] != first_access
    assert session.get(host.url + "/api/v4/users/me").json()["username"] == username
    assert host.me(first_access).status_code == 401

    def client_request(endpoint: str, **fields):
        """RFC 7009 and RFC 7662 requests through the library's session, authenticated like its token requests
        and without its bearer token."""
        return session.post(host.endpoint(endpoint), data={**fields, **refresh_fields}, auth=client_auth,
                            withhold_token=True)

    introspected = client_request("introspection_endpoint", token=refreshed["access_token"])
    assert introspected.status_code == 200, introspected.text
    body = introspected.json()
    assert (body["active"], body["client_id"], body["sub"], body["username"]) == (True, client_id, user_id, username)
    assert client_request("introspection_endpoint", token="no-such-token").json() == {"active": False}

    revoked = client_request("revocation_endpoint", token=refreshed["access_token"], token_type_hint="access_token")
    assert revoked.status_code == 200, revoked.text
    assert session.get(host.url + "/api/v4/users/me").status_code == 401
    again = session.refresh_token(host.endpoint("token_endpoint"), auth=client_auth, **refresh_fields)
    assert host.me(again["access_token"]).status_code == 200  # revoking the access token left the grant alone
    assert client_request("revocation_endpoint", token=again["refresh_token"]).status_code == 200
    assert host.me(again["access_token"]).status_code == 401


@pytest.mark.parametrize("method", METHODS)
def test_requests_oauthlib_code_flow_with_pkce_refresh_introspection_and_revocation(
        host, app, method, insecure_transport):
    oauthlib_whole_flow(host, app["id"], app["client_secret"], method, host.new_user())


@pytest.mark.parametrize("secret", SPECIAL_SECRETS)
def test_requests_oauthlib_with_a_secret_of_special_characters(host, secret, insecure_transport):
    """client_secret_post as the library does it; client_secret_basic with an RFC 6749 header handed to it (its
    documented `auth` argument); its own HTTPBasicAuth of the raw secret works only where raw equals encoded."""
    client_id = host.insert_client(secret)
    user = host.new_user()
    oauthlib_whole_flow(host, client_id, secret, "client_secret_post", user)

    class Rfc6749Basic(requests.auth.AuthBase):
        def __call__(self, request):
            request.headers["Authorization"] = rfc6749_basic(client_id, secret)
            return request

    oauthlib_whole_flow(host, client_id, secret, "client_secret_basic", user, basic_auth=Rfc6749Basic())

    session = requests_oauthlib.OAuth2Session(client_id, redirect_uri=CALLBACK, scope=["user"], pkce="S256")
    url, state = session.authorization_url(host.endpoint("authorization_endpoint"))
    callback = consent_via_api(host, user[2], url)
    try:
        session.fetch_token(host.endpoint("token_endpoint"), authorization_response=callback, client_secret=secret)
        raw_worked = True
    except OAuthlibError as error:
        assert error.error == "invalid_client" and error.status_code == 401
        raw_worked = False
    except UnicodeEncodeError:  # requests encodes Basic credentials as latin-1
        raw_worked = False
    assert raw_worked == library_basic_survives(secret)


# --- the Basic header itself ------------------------------------------------------------------------------------

@pytest.mark.parametrize("secret", SPECIAL_SECRETS)
def test_basic_header_is_decoded_as_rfc_6749_encodes_it_and_a_wrongly_encoded_one_fails(host, secret):
    client_id = host.insert_client(secret)
    user_id, _, session_token = host.new_user()
    verifier = generate_token(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    callback = consent_via_api(host, session_token, host.endpoint("authorization_endpoint") + "?" +
                               urllib.parse.urlencode({"response_type": "code", "client_id": client_id,
                                                       "redirect_uri": CALLBACK, "state": "s",
                                                       "code_challenge": challenge,
                                                       "code_challenge_method": "S256"}))
    code = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(callback).query))["code"]
    exchange = {"grant_type": "authorization_code", "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier}

    def token_request(authorization: str) -> requests.Response:
        return host.http.post(host.endpoint("token_endpoint"), data=exchange,
                              headers={"Authorization": authorization})

    wrong = {
        "double-encoded": "Basic " + base64.b64encode(
            f"{client_id}:{urllib.parse.quote_plus(urllib.parse.quote_plus(secret))}".encode()).decode(),
        "latin-1 bytes": "Basic " + base64.b64encode(
            f"{client_id}:{urllib.parse.quote_plus(secret, encoding='latin-1', errors='replace')}".encode()
        ).decode() if not secret.isascii() else None,
        "raw UTF-8": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()
        if not survives_form_decoding(secret) else None,
    }
    for name, header in wrong.items():
        if header is None:
            continue
        reply = token_request(header)
        assert reply.status_code == 401, (name, reply.text)
        assert reply.json()["error"] == "invalid_client" and reply.headers["WWW-Authenticate"].startswith("Basic ")
        assert reply.headers["Cache-Control"] == "no-store"
    reply = token_request(rfc6749_basic(client_id, secret))
    assert reply.status_code == 200, reply.text
    assert host.me(reply.json()["access_token"]).json()["id"] == user_id
