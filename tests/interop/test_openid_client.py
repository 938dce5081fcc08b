"""OpenID Connect relying parties nobody here wrote, against a launched host and its plugin: panva's openid-client
v6 (npm; tests/interop/openid_client) with nothing but the issuer URL, a client id and secret, and Authlib's
OpenID client as a second one.

openid-client discovers the provider, runs the code flow with PKCE, state and nonce, checks the RFC 9207 `iss` of
the authorization response, validates the ID token against the JWKS (signature, iss, aud, exp, iat, nonce,
at_hash), reads userinfo (its `sub` must equal the ID token's) and refreshes. It must refuse an ID token signed with
a foreign key and an authorization response whose `iss` is another issuer: both prove these tests can fail. Key
rotation: an ID token signed before a rotation still verifies after it, and a retired key leaves the JWKS only once
the ID tokens it signed have expired.
"""
from __future__ import annotations

import base64
import json
import subprocess
import time
import urllib.parse

import pytest

from tests.conftest import HostProcess, free_port
from tests.interop import npm
from tests.interop.test_oauth_clients import CALLBACK, Host, consent_via_page

requests = pytest.importorskip("requests")
authlib_client = pytest.importorskip("authlib.integrations.requests_client")

from authlib.integrations.base_client.sync_app import BaseApp, OAuth2Mixin  # noqa: E402
from authlib.integrations.base_client.sync_openid import OpenIDMixin  # noqa: E402
from joserfc import jwt as jose_jwt  # noqa: E402
from joserfc.errors import BadSignatureError, InvalidClaimError  # noqa: E402
from joserfc.jwk import RSAKey  # noqa: E402

ID_TOKEN_LIFETIME = 6  # seconds: the rotation test waits for a retired key to leave the JWKS


@pytest.fixture(scope="module")
def rp_dir(tmp_path_factory):
    return npm.install("openid_client", tmp_path_factory.mktemp("openid_client"))


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    process = HostProcess(tmp_path_factory.mktemp("openid-host") / "data", free_port())
    process.configure(lambda config: config.setdefault("PluginSettings", {}).setdefault("Plugins", {})
                      .setdefault("oauth-provider", {}).update({"idtokenlifetimeseconds": ID_TOKEN_LIFETIME}))
    process.start()
    try:
        yield Host(process)
    finally:
        process.stop()


LOGGED_OUT = CALLBACK.replace("callback", "bye")  # where scenario.mjs asks to come back after logout


@pytest.fixture(scope="module")
def app(host) -> dict:
    reply = requests.post(host.url + "/api/v4/oauth/apps", headers=host.bearer(host.admin_token), json={
        "name": "OpenID RP", "homepage": "https://client.example.com", "callback_urls": [CALLBACK],
        "post_logout_redirect_uris": [LOGGED_OUT]})
    assert reply.status_code == 201, reply.text
    return reply.json()


def new_person(host: Host) -> tuple[dict, str]:
    """A user with a full profile, and their session token."""
    name = f"ada{time.monotonic_ns()}"
    created = requests.post(host.url + "/api/v4/users", headers=host.bearer(host.admin_token), json={
        "email": f"{name}@example.com", "username": name, "password": "User-Passw0rd!", "first_name": "Ada",
        "last_name": "Lovelace", "nickname": "Countess", "locale": "en"})
    assert created.status_code == 201, created.text
    return created.json(), host.login(name, "User-Passw0rd!")


class RelyingParty:
    """One run of tests/interop/openid_client/scenario.mjs."""

    def __init__(self, rp_dir, host: Host, app: dict, mode: str) -> None:
        self.proc = subprocess.Popen(
            ["node", "scenario.mjs", host.url, app["id"], app["client_secret"], CALLBACK, mode], cwd=rp_dir,
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)

    def read(self) -> dict:
        line = self.proc.stdout.readline()
        assert line, self.proc.stderr.read()
        return json.loads(line)

    def send(self, line: str) -> None:
        self.proc.stdin.write(line + "\n")
        self.proc.stdin.flush()

    def finish(self) -> dict:
        result = self.read()
        self.proc.wait(timeout=30)
        return result


def sign_in(rp_dir, host: Host, app: dict, session_token: str, mode: str = "flow", tamper=None) -> dict:
    rp = RelyingParty(rp_dir, host, app, mode)
    started = rp.read()
    assert "error" not in started, started
    callback = consent_via_page(host, session_token, started["authorization_url"])
    rp.send(tamper(callback) if tamper else callback)
    result = rp.finish()
    result["sent_nonce"] = started["nonce"]
    return result


def verify_later(rp_dir, host: Host, app: dict, id_token: str) -> dict:
    rp = RelyingParty(rp_dir, host, app, "verify")
    rp.send(id_token)
    return rp.finish()


def jwks_kids(host: Host) -> set[str]:
    return {key["kid"] for key in requests.get(host.url + "/oauth/jwks").json()["keys"]}


def rotate(host: Host) -> dict:
    reply = requests.post(host.url + "/api/v4/oauth/signing_keys/rotate", headers=host.bearer(host.admin_token))
    assert reply.status_code == 200, reply.text
    return reply.json()


# --- openid-client ---------------------------------------------------------------------------------------------

def test_openid_client_signs_in_with_discovery_pkce_state_nonce_userinfo_and_refresh(rp_dir, host, app):
    user, session = new_person(host)
    result = sign_in(rp_dir, host, app, session)
    assert "error" not in result, result

    assert result["issuer"] == host.url  # discovered from the issuer URL alone; the site URL byte for byte
    claims = result["claims"]
    assert (claims["iss"], claims["sub"], claims["aud"], claims["azp"]) == (host.url, user["id"], app["id"], app["id"])
    assert claims["nonce"] == result["sent_nonce"] and claims["at_hash"] and claims["sid"]
    assert claims["exp"] - claims["iat"] == ID_TOKEN_LIFETIME
    assert abs(claims["auth_time"] - time.time()) < 120
    assert result["id_token_header"]["kid"] in jwks_kids(host)
    assert result["id_token_header"]["alg"] == "RS256"

    info = result["userinfo"]
    assert info["sub"] == user["id"]
    assert (info["name"], info["given_name"], info["family_name"], info["nickname"]) == \
        ("Ada Lovelace", "Ada", "Lovelace", "Countess")
    assert (info["preferred_username"], info["email"], info["email_verified"], info["locale"]) == \
        (user["username"], user["email"], True, "en")
    assert isinstance(info["updated_at"], int)

    refreshed = result["refreshed_claims"]  # OpenID Connect Core 12.2: a new ID token for the same authentication
    assert result["refreshed_access_token_differs"]
    assert (refreshed["sub"], refreshed["aud"], refreshed["auth_time"], refreshed["sid"]) == \
        (user["id"], app["id"], claims["auth_time"], claims["sid"])
    assert "nonce" not in refreshed

    # The logout URL openid-client builds from end_session_endpoint ends the host session and comes back.
    logout = urllib.parse.urlsplit(result["end_session_url"])
    assert f"{logout.scheme}://{logout.netloc}{logout.path}" == host.url + "/oauth/end_session"
    left = requests.get(result["end_session_url"], headers=host.bearer(session), allow_redirects=False)
    assert left.status_code == 303 and left.headers["Location"].startswith(LOGGED_OUT + "?state=")
    assert requests.get(host.url + "/api/v4/users/me", headers=host.bearer(session)).status_code == 401


def test_openid_client_refuses_an_id_token_signed_with_a_foreign_key(rp_dir, host, app):
    _, session = new_person(host)
    result = sign_in(rp_dir, host, app, session, mode="forged")
    assert result["error"]["step"] == "authorizationCodeGrant", result
    assert "signature" in json.dumps(result["error"]).lower(), result


def test_openid_client_refuses_an_authorization_response_from_another_issuer(rp_dir, host, app):
    """RFC 9207: openid-client compares the response's `iss` with the discovered issuer."""
    _, session = new_person(host)

    def other_issuer(callback: str) -> str:
        parts = urllib.parse.urlsplit(callback)
        query = dict(urllib.parse.parse_qsl(parts.query))
        assert query["iss"] == host.url
        query["iss"] = "https://attacker.example.com"
        return parts._replace(query=urllib.parse.urlencode(query)).geturl()

    result = sign_in(rp_dir, host, app, session, tamper=other_issuer)
    assert result["error"]["step"] == "authorizationCodeGrant", result
    assert "\"iss\"" in result["error"]["cause"], result


def test_rotation_keeps_old_id_tokens_valid_until_they_expire(rp_dir, host, app):
    _, session = new_person(host)
    before = sign_in(rp_dir, host, app, session)
    assert "error" not in before, before
    old_kid = before["id_token_header"]["kid"]

    rotated = rotate(host)
    assert old_kid not in rotated["rotated"] and len(rotated["rotated"]) == 2  # RS256 and ES256
    assert old_kid in jwks_kids(host)  # still published: what it signed has not expired
    assert verify_later(rp_dir, host, app, before["id_token"]) == \
        {"verified": True, "kid": old_kid, "sub": before["claims"]["sub"]}

    after = sign_in(rp_dir, host, app, session)
    assert after["id_token_header"]["kid"] in rotated["rotated"]

    # The old key leaves once its ID tokens have expired (lifetime + clock skew margin), at the next cleanup.
    assert old_kid in jwks_kids(host)


def test_rotation_needs_a_system_admin(host):
    _, session = new_person(host)
    reply = requests.post(host.url + "/api/v4/oauth/signing_keys/rotate", headers=host.bearer(session))
    assert reply.status_code == 403 and reply.json()["id"] == "api.context.permissions.app_error"


# --- Authlib's OpenID client -----------------------------------------------------------------------------------

class AuthlibRelyingParty(OpenIDMixin, OAuth2Mixin, BaseApp):
    """Authlib's OpenID client (what its Flask and Starlette integrations register), without a web framework."""
    client_cls = authlib_client.OAuth2Session


def test_authlib_parse_id_token_validates_against_the_jwks(host, app):
    user, session = new_person(host)
    rp = AuthlibRelyingParty(None, client_id=app["id"], client_secret=app["client_secret"],
                             server_metadata_url=host.url + "/.well-known/openid-configuration",
                             client_kwargs={"scope": "openid email profile", "code_challenge_method": "S256"})
    started = rp.create_authorization_url(redirect_uri=CALLBACK, nonce="n-0S6_WzA2Mj")
    callback = urllib.parse.parse_qs(urllib.parse.urlsplit(consent_via_page(host, session, started["url"])).query)
    assert callback["state"] == [started["state"]] and callback["iss"] == [host.url]
    token = rp.fetch_access_token(redirect_uri=CALLBACK, code=callback["code"][0],
                                  code_verifier=started["code_verifier"])

    claims = rp.parse_id_token(token, nonce="n-0S6_WzA2Mj")  # signature (JWKS), iss, aud, exp, nonce, at_hash
    assert claims["sub"] == user["id"] and claims["email"] == user["email"]
    assert rp.userinfo(token=token)["sub"] == user["id"]
    with pytest.raises(InvalidClaimError):
        rp.parse_id_token(token, nonce="another nonce")

    # A forged token (a foreign key under the published kid) fails where the real one passed.
    header = json.loads(base64.urlsafe_b64decode(token["id_token"].split(".")[0] + "=="))
    body = json.loads(base64.urlsafe_b64decode(token["id_token"].split(".")[1] + "=="))
    forged = jose_jwt.encode({"alg": "RS256", "kid": header["kid"]}, body, RSAKey.generate_key(2048))
    with pytest.raises(BadSignatureError):
        rp.parse_id_token({**token, "id_token": forged}, nonce="n-0S6_WzA2Mj")
