"""DPoP (RFC 9449) driven end to end by a client nobody here wrote: panva's openid-client v6
(tests/interop/openid_client/dpop.js) against a launched host and its plugin, with nothing but the issuer URL, a
client id and secret. It signs proofs with its own fresh key, binds the code with dpop_jkt, gets DPoP-bound
tokens, calls userinfo and /api/v4/users/me with them, refreshes with a proof; with server nonces required it
follows the use_dpop_nonce answers. The token it got is then refused as a Bearer token and with a proof of
another key, so the binding is real."""
from __future__ import annotations

import json
import subprocess
import time
import urllib.parse

import pytest

from tests.conftest import HostProcess, free_port, wait_for
from tests.dpop import DPoPKey
from tests.interop import npm
from tests.interop.test_oauth_clients import CALLBACK, Host, consent_via_page

requests = pytest.importorskip("requests")


@pytest.fixture(scope="module")
def rp_dir(tmp_path_factory):
    return npm.install("openid_client", tmp_path_factory.mktemp("openid_client_dpop"))


@pytest.fixture(scope="module")
def host(tmp_path_factory):
    process = HostProcess(tmp_path_factory.mktemp("dpop-host") / "data", free_port())
    process.start()
    try:
        yield Host(process)
    finally:
        process.stop()


@pytest.fixture(scope="module")
def app(host) -> dict:
    reply = requests.post(host.url + "/api/v4/oauth/apps", headers=host.bearer(host.admin_token), json={
        "name": "DPoP RP", "homepage": "https://client.example.com", "callback_urls": [CALLBACK],
        "require_dpop": True})
    assert reply.status_code == 201, reply.text
    return reply.json()


def run_dpop_client(rp_dir, host: Host, app: dict, session_token: str) -> dict:
    proc = subprocess.Popen(["node", "dpop.js", host.url, app["id"], app["client_secret"], CALLBACK], cwd=rp_dir,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        started = json.loads(line)
        assert "error" not in started, started
        query = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(started["authorization_url"]).query))
        proc.stdin.write(consent_via_page(host, session_token, started["authorization_url"]) + "\n")
        proc.stdin.flush()
        line = proc.stdout.readline()
        assert line, proc.stderr.read()
        result = json.loads(line)
        result["dpop_jkt_sent"] = query.get("dpop_jkt")
        return result
    finally:
        proc.wait(timeout=30)


def new_person(host: Host) -> tuple[str, str]:
    name = f"dpop{time.monotonic_ns()}"
    created = requests.post(host.url + "/api/v4/users", headers=host.bearer(host.admin_token), json={
        "email": f"{name}@example.com", "username": name, "password": "User-Passw0rd!"})
    assert created.status_code == 201, created.text
    return created.json()["id"], host.login(name, "User-Passw0rd!")


def assert_bound(host: Host, token: str) -> None:
    """The token works only with proofs of the client's key: as Bearer, or with another key's proof, 401."""
    as_bearer = requests.get(host.url + "/api/v4/users/me", headers={"Authorization": f"Bearer {token}"})
    assert as_bearer.status_code == 401
    assert as_bearer.headers["WWW-Authenticate"].startswith("DPoP ")
    assert 'error="invalid_token"' in as_bearer.headers["WWW-Authenticate"]
    other = DPoPKey()
    stolen = requests.get(host.url + "/api/v4/users/me", headers={
        "Authorization": f"DPoP {token}",
        "DPoP": other.proof("GET", host.url + "/api/v4/users/me", access_token=token)})
    assert stolen.status_code == 401 and 'error="invalid_dpop_proof"' in stolen.headers["WWW-Authenticate"]
    userinfo = requests.get(host.url + "/oauth/userinfo", headers={"Authorization": f"Bearer {token}"})
    assert userinfo.status_code == 401 and userinfo.headers["WWW-Authenticate"].startswith("DPoP ")


def check_flow(result: dict, user_id: str) -> None:
    assert "error" not in result, result
    assert "ES256" in result["dpop_signing_alg_values_supported"]
    assert result["dpop_jkt_sent"] == result["jkt"]
    assert result["token_type"].lower() == "dpop" and result["refreshed_token_type"].lower() == "dpop"
    assert result["userinfo"]["sub"] == user_id
    assert result["me"]["status"] == 200 and result["me"]["body"]["id"] == user_id
    assert result["me_after_refresh"]["status"] == 200 and result["me_after_refresh"]["body"]["id"] == user_id
    assert result["refreshed_access_token"] != result["access_token"]


def test_openid_client_completes_a_dpop_flow_and_uses_the_bound_token(rp_dir, host, app):
    user_id, session = new_person(host)
    result = run_dpop_client(rp_dir, host, app, session)
    check_flow(result, user_id)
    assert_bound(host, result["refreshed_access_token"])


def _nonces_required(host: Host, app: dict) -> bool:
    """Whether the token endpoint asks a fresh proof for a nonce (a request it refuses either way)."""
    reply = requests.post(host.url + "/oauth/access_token", data={
        "grant_type": "authorization_code", "code": "x", "redirect_uri": CALLBACK, "client_id": app["id"],
        "client_secret": app["client_secret"]},
                          headers={"DPoP": DPoPKey().proof("POST", host.url + "/oauth/access_token")})
    return reply.json().get("error") == "use_dpop_nonce"


def test_openid_client_follows_server_nonces(rp_dir, host, app):
    def require(on: bool):
        host.process.configure(lambda config: config.setdefault("PluginSettings", {}).setdefault("Plugins", {})
                               .setdefault("oauth-provider", {}).update({"dpoprequirenonce": on}))

    require(True)
    try:
        wait_for(lambda: _nonces_required(host, app), message="nonces required")
        user_id, session = new_person(host)
        result = run_dpop_client(rp_dir, host, app, session)
        check_flow(result, user_id)
    finally:
        require(False)
        wait_for(lambda: not _nonces_required(host, app), message="nonces no longer required")
